/* dlv_sess.c: from due recipients to mxhold-remote sessions. Due
   messages leave the heap for their routes' queues; a route's batch goes
   to an idle session of that route (connection kept), else to a new
   session if there is room (concurrency_host, and concurrency overall).
   What comes back is dlv_result.c's. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <skalibs/allreadwrite.h>
#include "lib/log.h"
#include "lib/spawn.h"
#include "deliver/deliver.h"

static void nomem (void)
{
  mx_die_kv(111, "out-of-memory", (char const *)0) ;
}

static void route_push (uint32_t k, uint32_t i)
{
  struct dlv_route *rt = g.route + k ;
  if (rt->qlen == rt->qa)
  {
    rt->qa = rt->qa ? 2 * rt->qa : 64 ;
    rt->q = realloc(rt->q, rt->qa * sizeof *rt->q) ;
    if (!rt->q) nomem() ;
  }
  rt->q[rt->qlen++] = i ;
  g.m[i].busy++ ;
  if (!rt->ready)
  {
    if (g.nready == g.aready)
    {
      g.aready = g.aready ? 2 * g.aready : 64 ;
      g.ready = realloc(g.ready, g.aready * sizeof *g.ready) ;
      if (!g.ready) nomem() ;
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
    if (expired_any(m))
    {
      dlv_settle_all(i, 1) ;
      dlv_heap_set(i) ;   /* the rest, if due, comes back */
      continue ;
    }
    if (m->flags & DLV_F_BOUNCE)   /* a bounce whose DSN failed */
    {
      dlv_settle_all(i, 0) ;
      dlv_heap_set(i) ;
      continue ;
    }
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
  uint32_t r = 0 ;
  uint32_t added = 0 ;
  uint32_t foff ;
  char path[QUEUE_PATH_MAX] ;
  if (dlv_msg_header(i, &hdr, &e) == -1 || queue_path_mess(path, sizeof path, g.q, m->id) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "read-failed", "qid", m->id, "reason", "retry-later", "error", strerror(errno), (char const *)0) ;
    for (r = 0 ; r < m->nrcpt ; r++)
      if (m->r[r].status == 'p' && !m->r[r].busy && m->r[r].next <= g.now)
        m->r[r].next = g.now + dlv_dom_lim(m->r[r].dom)->retry_min ;
    return 0 ;
  }
  foff = (uint32_t)ss->text.len ;
  dlv_buf_cat(&ss->text, e.from.p, e.from.len) ;
  dlv_buf_cats(lines, m->id) ;
  dlv_buf_cat(lines, " ", 1) ;
  dlv_buf_cats(lines, path) ;
  for (r = 0 ; r < m->nrcpt && queue_env_to_next(hdr.s, &e, &pos, &to) ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    struct dlv_sent *se ;
    if (x->status != 'p' || x->busy || x->next > g.now || dlv_dom_route(x->dom) != k) continue ;
    se = realloc(ss->sent, (ss->nsent + 1) * sizeof *ss->sent) ;
    if (!se) nomem() ;
    ss->sent = se ;
    se += ss->nsent++ ;
    se->msg = i ;
    se->ridx = r ;
    se->got = 0 ;
    se->foff = foff ;
    se->flen = (uint32_t)e.from.len ;
    se->roff = (uint32_t)ss->text.len ;
    se->rlen = (uint32_t)to.len ;
    dlv_buf_cat(&ss->text, to.p, to.len) ;
    dlv_buf_cat(lines, " ", 1) ;
    dlv_buf_catu(lines, r) ;
    dlv_buf_cat(lines, " ", 1) ;
    dlv_buf_cat(lines, to.p, to.len) ;
    x->busy = 1 ;
    added++ ;
  }
  if (!added)
  {
    lines->len = mark ;
    return 0 ;
  }
  dlv_buf_cat(lines, "\n", 1) ;
  m->busy++ ;
  return (int)added ;
}

static uint32_t sess_slot (void)
{
  for (uint32_t s = 0 ; s < g.nsess ; s++) if (!g.sess[s].pid) return s ;
  g.sess = realloc(g.sess, (g.nsess + 1) * sizeof *g.sess) ;
  if (!g.sess) nomem() ;
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
  if (keep && dlv_buf_cat(lines, "\n", 1) == -1) nomem() ;
  if (allwrite(ss->wfd, lines->s, lines->len) < lines->len) return -1 ;
  if (!keep)
  {
    close(ss->wfd) ;
    ss->wfd = -1 ;
  }
  return 0 ;
}

/* A pipe whose ends are not 0, 1 or 2 (if one of those were closed, a
   pipe could land there and the child's fd set would cross). */
static int pipe_high (int p[2])
{
  if (pipe2(p, O_CLOEXEC) == -1) return -1 ;
  for (int k = 0 ; k < 2 ; k++) if (p[k] < 3)
  {
    int fd = fcntl(p[k], F_DUPFD_CLOEXEC, 3) ;
    if (fd == -1)
    {
      int e = errno ;
      close(p[0]) ;
      close(p[1]) ;
      errno = e ;
      return -1 ;
    }
    close(p[k]) ;
    p[k] = fd ;
  }
  return 0 ;
}

/* mxhold-remote with stdin and stdout on pipes, our log on fd 2, and no
   other descriptor of ours (lib/spawn.h). 0, or -1 with errno. */
static int spawn_remote (uint32_t s, uint32_t k, struct dlv_buf *lines, uint32_t nmsg)
{
  struct dlv_sess *ss = g.sess + s ;
  int in[2] ;
  int out[2] ;
  char const *argv[4] = { "mxhold-remote", g.route[k].key, g.route[k].domain, 0 } ;
  int fds[3] ;
  pid_t pid ;
  int e ;
  if (pipe_high(in) == -1) return -1 ;
  if (pipe_high(out) == -1)
  {
    e = errno ;
    close(in[0]) ;
    close(in[1]) ;
    errno = e ;
    return -1 ;
  }
  fds[0] = in[0] ;
  fds[1] = out[1] ;
  fds[2] = 2 ;
  e = mx_spawn(&pid, argv, fds, 3) ;
  close(in[0]) ;
  close(out[1]) ;
  if (e)
  {
    close(in[1]) ;
    close(out[0]) ;
    errno = e ;
    return -1 ;
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK) ;
  ss->pid = pid ;
  ss->fd = out[0] ;
  ss->wfd = in[1] ;
  ss->route = k ;
  ss->cursor = 0 ;
  ss->idle = 0 ;
  ss->carried = 0 ;
  g.route[k].active++ ;
  g.active++ ;
  ss->cls = g.route[k].bounce ;
  g.active_c[ss->cls]++ ;
  /* a failed write shows as a remote that ends without results */
  if (batch_put(s, lines, nmsg) == -1)
  {
    close(ss->wfd) ;
    ss->wfd = -1 ;
  }
  return 0 ;
}

/* Takes messages from route k's queue into session s's batch: lines for
   remote's stdin, the sent table. Returns the messages taken in. */
static uint32_t batch_build (uint32_t s, uint32_t k, struct dlv_buf *lines)
{
  uint32_t used = 0 ;
  uint32_t nr = 0 ;
  uint32_t nmsg = 0 ;
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
    if (a > 0)
    {
      nr += (uint32_t)a ;
      nmsg++ ;
    }
    else dlv_heap_set(i) ;
  }
  memmove(rt->q, rt->q + used, (rt->qlen - used) * sizeof *rt->q) ;
  rt->qlen -= used ;
  return nmsg ;
#undef rt
}

static void spawn_one (uint32_t k)
{
  struct dlv_buf lines = DLV_BUF_ZERO ;
  uint32_t s = sess_slot() ;
  uint32_t nmsg ;
  struct dlv_sess *ss = g.sess + s ;
  ss->pid = 0 ;
  ss->nsent = 0 ;
  ss->text.len = 0 ;
  ss->in.len = 0 ;
  ss->wfd = -1 ;
  ss->idle = 0 ;
  nmsg = batch_build(s, k, &lines) ;
  if (ss->nsent && spawn_remote(s, k, &lines, nmsg) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "spawn-failed", "route", g.route[k].key, "error", strerror(errno), (char const *)0) ;
    ss->pid = -1 ;
    ss->fd = -1 ;
    ss->wfd = -1 ;
    g.route[k].active++ ;
    g.active++ ;
    ss->cls = g.route[k].bounce ;
    g.active_c[ss->cls]++ ;
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
  g.sess[s].nsent = 0 ;
  g.sess[s].text.len = 0 ;
  nmsg = batch_build(s, k, &lines) ;
  if (!g.sess[s].nsent)
  {
    dlv_buf_free(&lines) ;
    return ;
  }
  g.sess[s].idle = 0 ;
  g.sess[s].cursor = 0 ;
  if (batch_put(s, &lines, nmsg) == -1)
  {
    /* its remote died while idle (killed after this turn's poll): nothing
       was tried, so the batch is due again at once, no attempt counted */
    mx_log_kv(MX_LOG_WARN, "remote-failed", "route", g.route[k].key, "reason", "batch-write", "error", strerror(errno), (char const *)0) ;
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

/* Route k's class (DLV_CUSTOMER, DLV_BOUNCE) is at its limit conc and k
   needs a session: the idle session of another route of that class that
   waited longest makes room, unless enough are already on their way out. */
static void make_room (uint32_t k, uint32_t conc)
{
  uint32_t best = DLV_NONE ;
  int c = g.route[k].bounce ;
  if (g.active_c[c] - g.closing_c[c] < conc) return ;
  for (uint32_t s = 0 ; s < g.nsess ; s++)
    if (g.sess[s].pid > 0 && g.sess[s].idle == 1 && g.sess[s].route != k && g.sess[s].cls == c
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
  uint32_t limit[2] ;
  limit[DLV_CUSTOMER] = (uint32_t)CONF_LIM(&g.lim, concurrency) ;
  limit[DLV_BOUNCE] = (uint32_t)CONF_LIM(&g.lim, concurrency_bounce) ;
  for (uint32_t j = 0 ; j < g.nready ; )
  {
    uint32_t k = g.ready[j] ;
    while (g.route[k].qlen && !g.stopping)
    {
      uint32_t s = idle_of(k) ;
      uint32_t conc = limit[g.route[k].bounce] ;
      if (s != DLV_NONE)
      {
        hand_one(k, s) ;
        continue ;
      }
      if (g.route[k].active >= g.route[k].conc) break ;
      if (g.active_c[g.route[k].bounce] >= conc)
      {
        make_room(k, conc) ;
        break ;
      }
      spawn_one(k) ;
    }
    if (!g.route[k].qlen)
    {
      g.route[k].ready = 0 ;
      g.ready[j] = g.ready[--g.nready] ;
    }
    else j++ ;
  }
}
