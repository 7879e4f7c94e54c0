/* dlv_sess.c: from due recipients to mxhold-remote sessions and back.
   Due messages leave the heap for their routes' queues; a route with
   room (concurrency_host, and concurrency overall) gets a session with a
   batch; each result line updates one recipient at once. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <skalibs/strerr.h>
#include "deliver/deliver.h"

extern char **environ ;

int dlv_dsn_owed (uint32_t i)
{
  if (g.m[i].flags & DLV_F_NULLSENDER) return 0 ;   /* RFC 5321 6.1: never a bounce to <> */
  if (CONF_LIM(&g.lim, dsn_pass_only) && !(g.m[i].flags & DLV_F_SPFPASS)) return 0 ;
  return 1 ;
}

static void route_push (uint32_t k, uint32_t i)
{
  struct dlv_route *rt = g.route + k ;
  if (rt->qlen == rt->qa)
  {
    rt->qa = rt->qa ? 2 * rt->qa : 64 ;
    rt->q = realloc(rt->q, rt->qa * sizeof *rt->q) ;
    if (!rt->q) strerr_diefu1sys(111, "allocate memory") ;
  }
  rt->q[rt->qlen++] = i ;
  g.m[i].busy++ ;
  if (!rt->ready)
  {
    if (g.nready == g.aready)
    {
      g.aready = g.aready ? 2 * g.aready : 64 ;
      g.ready = realloc(g.ready, g.aready * sizeof *g.ready) ;
      if (!g.ready) strerr_diefu1sys(111, "allocate memory") ;
    }
    g.ready[g.nready++] = k ;
    rt->ready = 1 ;
  }
}

void dlv_due (void)
{
  for (unsigned int n = 0 ; n < DLV_POP_MAX ; n++)
  {
    uint32_t i = dlv_heap_top() ;
    struct dlv_msg *m ;
    if (i == DLV_NONE || dlv_msg_key(i) > g.now) break ;
    m = g.m + i ;
    if (g.now >= m->expires) { dlv_settle_all(i, 1) ; dlv_heap_set(i) ; continue ; }
    if (m->flags & DLV_F_BOUNCE) { dlv_settle_all(i, 0) ; dlv_heap_set(i) ; continue ; }   /* a bounce whose DSN failed */
    g.stamp++ ;
    for (uint32_t r = 0 ; r < m->nrcpt ; r++)
    {
      struct dlv_rcpt *x = m->r + r ;
      uint32_t k ;
      if (x->status != 'p' || x->busy || x->next > g.now) continue ;
      k = dlv_dom_route(x->dom) ;
      if (g.route[k].stamp == g.stamp) continue ;
      g.route[k].stamp = g.stamp ;
      route_push(k, i) ;
    }
    dlv_heap_set(i) ;   /* busy now: out of the heap until its sessions end */
  }
}

/* Adds message i's due recipients for route k to the batch. */
static int batch_add (uint32_t s, uint32_t k, uint32_t i, struct dlv_buf *lines)
{
  static struct dlv_buf hdr = DLV_BUF_ZERO ;
  struct dlv_sess *ss = g.sess + s ;
  struct dlv_msg *m = g.m + i ;
  struct queue_env e ;
  struct span to ;
  size_t pos = 0, mark = lines->len ;
  uint32_t r = 0, added = 0, foff ;
  char path[QUEUE_PATH_MAX] ;
  if (dlv_msg_header(i, &hdr, &e) == -1 || queue_path_mess(path, sizeof path, g.q, m->id) == -1)
  {
    strerr_warnwu3sys("read message ", m->id, " (retrying later)") ;
    for (r = 0 ; r < m->nrcpt ; r++) if (m->r[r].status == 'p' && !m->r[r].busy && m->r[r].next <= g.now) m->r[r].next = g.now + CONF_LIM(&g.lim, retry_min) ;
    return 0 ;
  }
  foff = (uint32_t)ss->text.len ;
  dlv_buf_cat(&ss->text, e.from.p, e.from.len) ;
  dlv_buf_cats(lines, m->id) ; dlv_buf_cat(lines, " ", 1) ; dlv_buf_cats(lines, path) ;
  for (r = 0 ; r < m->nrcpt && queue_env_to_next(hdr.s, &e, &pos, &to) ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    struct dlv_sent *se ;
    if (x->status != 'p' || x->busy || x->next > g.now || dlv_dom_route(x->dom) != k) continue ;
    se = realloc(ss->sent, (ss->nsent + 1) * sizeof *ss->sent) ;
    if (!se) strerr_diefu1sys(111, "allocate memory") ;
    ss->sent = se ;
    se += ss->nsent++ ;
    se->msg = i ; se->ridx = r ; se->got = 0 ; se->foff = foff ; se->flen = (uint32_t)e.from.len ;
    se->roff = (uint32_t)ss->text.len ; se->rlen = (uint32_t)to.len ;
    dlv_buf_cat(&ss->text, to.p, to.len) ;
    dlv_buf_cat(lines, " ", 1) ; dlv_buf_catu(lines, r) ; dlv_buf_cat(lines, " ", 1) ; dlv_buf_cat(lines, to.p, to.len) ;
    x->busy = 1 ; added++ ;
  }
  if (!added) { lines->len = mark ; return 0 ; }
  dlv_buf_cat(lines, "\n", 1) ;
  m->busy++ ;
  return (int)added ;
}

static uint32_t sess_slot (void)
{
  for (uint32_t s = 0 ; s < g.nsess ; s++) if (!g.sess[s].pid) return s ;
  g.sess = realloc(g.sess, (g.nsess + 1) * sizeof *g.sess) ;
  if (!g.sess) strerr_diefu1sys(111, "allocate memory") ;
  memset(g.sess + g.nsess, 0, sizeof *g.sess) ;
  return g.nsess++ ;
}

static int spawn_remote (uint32_t s, uint32_t k, struct dlv_buf *lines)
{
  struct dlv_sess *ss = g.sess + s ;
  int in[2], out[2] ;
  posix_spawn_file_actions_t fa ;
  char *argv[4] = { "mxhold-remote", g.route[k].key, g.route[k].domain, 0 } ;
  pid_t pid ;
  if (pipe2(in, O_CLOEXEC) == -1) return -1 ;
  if (pipe2(out, O_CLOEXEC) == -1) { close(in[0]) ; close(in[1]) ; return -1 ; }
  posix_spawn_file_actions_init(&fa) ;
  posix_spawn_file_actions_adddup2(&fa, in[0], 0) ;
  posix_spawn_file_actions_adddup2(&fa, out[1], 1) ;
  errno = posix_spawnp(&pid, "mxhold-remote", &fa, 0, argv, environ) ;
  posix_spawn_file_actions_destroy(&fa) ;
  close(in[0]) ; close(out[1]) ;
  if (errno) { close(in[1]) ; close(out[0]) ; return -1 ; }
  /* remote reads all of stdin before it talks, so this cannot deadlock */
  for (size_t o = 0 ; o < lines->len ; )
  {
    ssize_t w = write(in[1], lines->s + o, lines->len - o) ;
    if (w == -1) { if (errno == EINTR) continue ; break ; }
    o += (size_t)w ;
  }
  close(in[1]) ;
  fcntl(out[0], F_SETFL, O_NONBLOCK) ;
  ss->pid = pid ; ss->fd = out[0] ; ss->route = k ; ss->cursor = 0 ;
  g.route[k].active++ ; g.active++ ;
  return 0 ;
}

void dlv_sess_end (uint32_t s, char const *why) ;

static void spawn_one (uint32_t k)
{
  struct dlv_buf lines = DLV_BUF_ZERO ;
  uint32_t s = sess_slot(), used = 0, nr = 0 ;
#define rt (g.route + k)   /* g.route may move while a batch is built */
  g.sess[s].pid = 0 ; g.sess[s].nsent = 0 ; g.sess[s].text.len = 0 ; g.sess[s].in.len = 0 ;
  while (used < rt->qlen && used < DLV_BATCH_MSGS && nr < DLV_BATCH_RCPTS)
  {
    uint32_t i = rt->q[used++] ;
    int a ;
    g.m[i].busy-- ;   /* the queue's hold; batch_add takes the session's */
    if (g.m[i].flags & (DLV_F_DELETE | DLV_F_BOUNCE))   /* an operator's request came meanwhile */
    {
      if (!g.m[i].busy && (g.m[i].flags & DLV_F_BOUNCE)) dlv_settle_all(i, 0) ;
      if (!g.m[i].busy) dlv_dirty(i) ;
      dlv_heap_set(i) ;
      continue ;
    }
    a = batch_add(s, k, i, &lines) ;
    if (a > 0) nr += (uint32_t)a ;
    else dlv_heap_set(i) ;
  }
  memmove(rt->q, rt->q + used, (rt->qlen - used) * sizeof *rt->q) ;
  rt->qlen -= used ;
  if (!g.sess[s].nsent) { dlv_buf_free(&lines) ; return ; }
  if (spawn_remote(s, k, &lines) == -1)
  {
    strerr_warnwu1sys("spawn mxhold-remote") ;
    g.sess[s].pid = -1 ; g.sess[s].fd = -1 ;
    g.route[k].active++ ; g.active++ ;
    dlv_sess_end(s, "unable to spawn mxhold-remote") ;
  }
  dlv_buf_free(&lines) ;
#undef rt
}

void dlv_spawn (void)
{
  uint32_t conc = (uint32_t)CONF_LIM(&g.lim, concurrency) ;
  for (uint32_t j = 0 ; j < g.nready ; )
  {
    uint32_t k = g.ready[j] ;
    while (g.route[k].qlen && g.route[k].active < g.route[k].conc && g.active < conc && !g.stopping) spawn_one(k) ;
    if (!g.route[k].qlen) { g.route[k].ready = 0 ; g.ready[j] = g.ready[--g.nready] ; }
    else j++ ;
  }
}
