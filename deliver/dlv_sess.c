/* dlv_sess.c: from due recipients to mxhold-remote sessions and back.
   Due messages leave the heap for their routes' queues; a route's batch
   goes to an idle session of that route (connection kept), else to a new
   session if there is room (concurrency_host, and concurrency overall);
   each result line updates one recipient at once. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/strerr.h>
#include "deliver/deliver.h"

extern char **environ ;

int dlv_dsn_owed (uint32_t i, uint32_t r)
{
  if (g.m[i].flags & DLV_F_NULLSENDER) return 0 ;   /* RFC 5321 6.1: never a bounce to <> */
  if (dlv_dom_lim(g.m[i].r[r].dom)->dsn_pass_only && !(g.m[i].flags & DLV_F_SPFPASS)) return 0 ;
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

/* Has a pending idle recipient of m passed its expiry? */
static int expired_any (struct dlv_msg const *m)
{
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
    if (m->r[r].status == 'p' && !m->r[r].busy && g.now >= dlv_rcpt_expires(m, m->r + r)) return 1 ;
  return 0 ;
}

void dlv_due (void)
{
  for (unsigned int n = 0 ; n < DLV_POP_MAX ; n++)
  {
    uint32_t i = dlv_heap_top() ;
    struct dlv_msg *m ;
    if (i == DLV_NONE || dlv_msg_key(i) > g.now) break ;
    m = g.m + i ;
    if (expired_any(m)) { dlv_settle_all(i, 1) ; dlv_heap_set(i) ; continue ; }   /* the rest, if due, comes back */
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
    for (r = 0 ; r < m->nrcpt ; r++) if (m->r[r].status == 'p' && !m->r[r].busy && m->r[r].next <= g.now) m->r[r].next = g.now + dlv_dom_lim(m->r[r].dom)->retry_min ;
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
  g.sess[g.nsess].wfd = -1 ;
  return g.nsess++ ;
}

/* Hands session s the batch it was just given (lines, nmsg messages) on
   its stdin, and either keeps stdin open for the next batch (an empty
   line ends this one, remote.md) or closes it (EOF ends it; remote QUITs
   after it). Remote reads a whole batch before it talks and is idle when
   it gets one, so the blocking write cannot deadlock. 0, or -1 + errno. */
static int batch_put (uint32_t s, struct dlv_buf *lines, uint32_t nmsg)
{
  struct dlv_sess *ss = g.sess + s ;
  int keep ;
  ss->carried += nmsg ;
  keep = g.route[ss->route].idle && !g.stopping && ss->carried < DLV_REUSE_MAX ;
  if (keep && dlv_buf_cat(lines, "\n", 1) == -1) strerr_diefu1sys(111, "allocate memory") ;
  if (allwrite(ss->wfd, lines->s, lines->len) < lines->len) return -1 ;
  if (!keep) { close(ss->wfd) ; ss->wfd = -1 ; }
  return 0 ;
}

static int spawn_remote (uint32_t s, uint32_t k, struct dlv_buf *lines, uint32_t nmsg)
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
  fcntl(out[0], F_SETFL, O_NONBLOCK) ;
  ss->pid = pid ; ss->fd = out[0] ; ss->wfd = in[1] ; ss->route = k ; ss->cursor = 0 ;
  ss->idle = 0 ; ss->carried = 0 ;
  g.route[k].active++ ; g.active++ ;
  /* a failed write shows as a remote that ends without results */
  if (batch_put(s, lines, nmsg) == -1) { close(ss->wfd) ; ss->wfd = -1 ; }
  return 0 ;
}

/* Takes messages from route k's queue into session s's batch: lines for
   remote's stdin, the sent table. Returns the messages taken in. */
static uint32_t batch_build (uint32_t s, uint32_t k, struct dlv_buf *lines)
{
  uint32_t used = 0, nr = 0, nmsg = 0 ;
#define rt (g.route + k)   /* g.route may move while a batch is built */
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
    a = batch_add(s, k, i, lines) ;
    if (a > 0) { nr += (uint32_t)a ; nmsg++ ; }
    else dlv_heap_set(i) ;
  }
  memmove(rt->q, rt->q + used, (rt->qlen - used) * sizeof *rt->q) ;
  rt->qlen -= used ;
  return nmsg ;
#undef rt
}

void dlv_sess_end (uint32_t s, char const *why) ;

static void spawn_one (uint32_t k)
{
  struct dlv_buf lines = DLV_BUF_ZERO ;
  uint32_t s = sess_slot(), nmsg ;
  g.sess[s].pid = 0 ; g.sess[s].nsent = 0 ; g.sess[s].text.len = 0 ; g.sess[s].in.len = 0 ;
  g.sess[s].wfd = -1 ; g.sess[s].idle = 0 ;
  nmsg = batch_build(s, k, &lines) ;
  if (!g.sess[s].nsent) { dlv_buf_free(&lines) ; return ; }
  if (spawn_remote(s, k, &lines, nmsg) == -1)
  {
    strerr_warnwu1sys("spawn mxhold-remote") ;
    g.sess[s].pid = -1 ; g.sess[s].fd = -1 ; g.sess[s].wfd = -1 ;
    g.route[k].active++ ; g.active++ ;
    dlv_sess_end(s, "unable to spawn mxhold-remote") ;
  }
  dlv_buf_free(&lines) ;
}

/* The next batch of route k to its idle session s (its connection is
   still open: no fork, no connect, no EHLO). */
static void hand_one (uint32_t k, uint32_t s)
{
  struct dlv_buf lines = DLV_BUF_ZERO ;
  uint32_t nmsg ;
  g.sess[s].nsent = 0 ; g.sess[s].text.len = 0 ;
  nmsg = batch_build(s, k, &lines) ;
  if (!g.sess[s].nsent) { dlv_buf_free(&lines) ; return ; }
  g.sess[s].idle = 0 ; g.sess[s].cursor = 0 ;
  if (batch_put(s, &lines, nmsg) == -1)
  {
    /* its remote died while idle (killed after this turn's poll): nothing
       was tried, so the batch is due again at once, no attempt counted */
    strerr_warnwu2sys("hand a batch to mxhold-remote for route ", g.route[k].key) ;
    for (uint32_t n = 0 ; n < g.sess[s].nsent ; n++)
    {
      struct dlv_sent *se = g.sess[s].sent + n ;
      g.m[se->msg].r[se->ridx].busy = 0 ;
      se->got = 1 ;
    }
    kill(g.sess[s].pid, SIGKILL) ;
    dlv_sess_end(s, "mxhold-remote ended while idle") ;
  }
  dlv_buf_free(&lines) ;
}

static uint32_t idle_of (uint32_t k)
{
  for (uint32_t s = 0 ; s < g.nsess ; s++)
    if (g.sess[s].pid > 0 && g.sess[s].idle == 1 && g.sess[s].route == k) return s ;
  return DLV_NONE ;
}

void dlv_sess_close (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  if (ss->idle != 1) return ;
  if (ss->wfd >= 0) close(ss->wfd) ;
  ss->wfd = -1 ;
  ss->idle = 2 ;
  g.closing++ ;
}

/* The global limit is reached and route k needs a session: the idle
   session of another route that waited longest makes room, unless enough
   are already on their way out. */
static void make_room (uint32_t k, uint32_t conc)
{
  uint32_t best = DLV_NONE ;
  if (g.active - g.closing < conc) return ;
  for (uint32_t s = 0 ; s < g.nsess ; s++)
    if (g.sess[s].pid > 0 && g.sess[s].idle == 1 && g.sess[s].route != k
     && (best == DLV_NONE || g.sess[s].idlesince < g.sess[best].idlesince)) best = s ;
  if (best != DLV_NONE) dlv_sess_close(best) ;
}

void dlv_idle_expire (void)
{
  for (uint32_t s = 0 ; s < g.nsess ; s++)
    if (g.sess[s].pid > 0 && g.sess[s].idle == 1
     && (g.stopping || g.now >= g.sess[s].idlesince + g.route[g.sess[s].route].idle))
      dlv_sess_close(s) ;
}

void dlv_spawn (void)
{
  uint32_t conc = (uint32_t)CONF_LIM(&g.lim, concurrency) ;
  for (uint32_t j = 0 ; j < g.nready ; )
  {
    uint32_t k = g.ready[j] ;
    while (g.route[k].qlen && !g.stopping)
    {
      uint32_t s = idle_of(k) ;
      if (s != DLV_NONE) { hand_one(k, s) ; continue ; }
      if (g.route[k].active >= g.route[k].conc) break ;
      if (g.active >= conc) { make_room(k, conc) ; break ; }
      spawn_one(k) ;
    }
    if (!g.route[k].qlen) { g.route[k].ready = 0 ; g.ready[j] = g.ready[--g.nready] ; }
    else j++ ;
  }
}
