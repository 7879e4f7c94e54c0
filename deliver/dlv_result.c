/* dlv_result.c: result lines of mxhold-remote ("ID INDEX S HOST TEXT"),
   its idle marker ".", the end of a session, and settling recipients (expiry, operator bounce). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <skalibs/strerr.h>
#include "deliver/deliver.h"

static void set_reply (struct dlv_rcpt *x, char const *s, size_t len)
{
  free(x->reply) ;
  x->reply = strndup(s, len > DLV_REPLY_KEEP ? DLV_REPLY_KEEP : len) ;
}

static void apply (uint32_t s, struct dlv_sent *se, char st, char const *host, char const *text, size_t tlen)
{
  struct dlv_sess *ss = g.sess + s ;
  struct dlv_msg *m = g.m + se->msg ;
  struct dlv_rcpt *x = m->r + se->ridx ;
  struct span rcpt = { ss->text.s + se->roff, se->rlen }, from = { ss->text.s + se->foff, se->flen } ;
  uint32_t k = ss->route ;
  char const *what ;
  se->got = 1 ;
  x->busy = 0 ;
  x->attempts++ ;
  x->last = g.now ;
  set_reply(x, text, tlen) ;
  if (st == 'd') { x->status = 'd' ; what = "delivered" ; }
  else if (st == 'p') { x->status = 'b' ; x->dsn = (char)dlv_dsn_owed(se->msg, se->ridx) ; what = "bounced" ; }
  else { x->next = g.now + dlv_backoff_dom(x->dom, x->attempts) ; what = "deferred" ; }
  dlv_log_result(se->msg, se->ridx, rcpt, from, host, what) ;
  dlv_dirty(se->msg) ;
  if (st == 't') g.route[k].failing = 1 ;
  else if (st == 'd' && g.route[k].failing)
  {
    /* flush on recovery: the host takes mail again, so its backlog is due now */
    char const *l[] = { "info: route ", g.route[k].key, " recovered: flushing its deferred mail" } ;
    g.route[k].failing = 0 ;
    dlv_log(l, 3) ;
    dlv_flush_where(k, DLV_NONE) ;
  }
}

static void line (uint32_t s, char *p, size_t len)
{
  struct dlv_sess *ss = g.sess + s ;
  char *f[4] ;
  size_t nf = 0, pos = 0 ;
  uint64_t idx ;
  uint32_t i ;
  while (nf < 4)
  {
    char *sp = memchr(p + pos, ' ', len - pos) ;
    if (!sp) break ;
    f[nf++] = p + pos ; *sp = 0 ; pos = (size_t)(sp - p) + 1 ;
  }
  if (nf < 4 || strlen(f[2]) != 1 || !strchr("dpt", f[2][0])
   || dlv_scan_u64(f[1], strlen(f[1]), &idx) != strlen(f[1])) goto bad ;
  /* f[3] is the host; the text follows it */
  i = dlv_msg_find(f[0], strlen(f[0])) ;
  if (i == DLV_NONE) goto bad ;
  for (uint32_t n = 0 ; n < ss->nsent ; n++)
  {
    uint32_t c = (ss->cursor + n) % ss->nsent ;
    struct dlv_sent *se = ss->sent + c ;
    if (se->msg == i && se->ridx == idx && !se->got)
    {
      apply(s, se, f[2][0], f[3], p + pos, len - pos) ;
      ss->cursor = c + 1 ;
      return ;
    }
  }
 bad:
  strerr_warnw2x("ignoring a bad result line from mxhold-remote for route ", g.route[ss->route].key) ;
}

/* The session's hold on the messages of its batch ends. */
static void release (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  for (uint32_t n = 0 ; n < ss->nsent ; n++)
  {
    uint32_t i = ss->sent[n].msg ;
    if (n + 1 < ss->nsent && ss->sent[n+1].msg == i) continue ;   /* one hold per message */
    g.m[i].busy-- ;
    if (!g.m[i].busy && (g.m[i].flags & DLV_F_BOUNCE)) dlv_settle_all(i, 0) ;
    if (!g.m[i].busy) dlv_dirty(i) ;   /* finished messages are removed only when idle */
    dlv_heap_set(i) ;
  }
  ss->nsent = 0 ;
  ss->text.len = 0 ;
}

void dlv_sess_end (uint32_t s, char const *why)
{
  struct dlv_sess *ss = g.sess + s ;
  uint32_t k = ss->route ;
  int wstat ;
  for (uint32_t n = 0 ; n < ss->nsent ; n++)
    if (!ss->sent[n].got) apply(s, ss->sent + n, 't', "-", why, strlen(why)) ;
  release(s) ;
  if (ss->wfd >= 0) close(ss->wfd) ;   /* before the wait: remote may be reading it */
  if (ss->idle == 2) g.closing-- ;
  ss->wfd = -1 ; ss->idle = 0 ; ss->carried = 0 ;
  if (ss->fd >= 0) close(ss->fd) ;
  if (ss->pid > 0 && waitpid(ss->pid, &wstat, 0) == ss->pid && !(WIFEXITED(wstat) && !WEXITSTATUS(wstat)))
    strerr_warnw2x("mxhold-remote failed for route ", g.route[k].key) ;
  free(ss->sent) ; ss->sent = 0 ; ss->nsent = 0 ;
  dlv_buf_free(&ss->text) ; dlv_buf_free(&ss->in) ;
  ss->pid = 0 ; ss->fd = -1 ;
  g.route[k].active-- ; g.active-- ;
}

/* Remote's "." : every result of the batch came and it waits for the
   next one, connection open. 0, or -1 if that was a protocol error (the
   session is ended). */
static int idle (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  for (uint32_t n = 0 ; n < ss->nsent ; n++) if (!ss->sent[n].got)
  {
    strerr_warnw3x("mxhold-remote for route ", g.route[ss->route].key, " said it was idle before every result came: ending it") ;
    if (ss->pid > 0) kill(ss->pid, SIGKILL) ;   /* so the reap cannot wait */
    dlv_sess_end(s, "mxhold-remote protocol error (idle before every result)") ;
    return -1 ;
  }
  release(s) ;
  ss->idle = 1 ;
  ss->idlesince = g.now ;
  /* no more work for it: stopping, reuse off, or stdin closed already */
  if (g.stopping || !g.route[ss->route].idle || ss->wfd < 0) dlv_sess_close(s) ;
  return 0 ;
}

void dlv_sess_read (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  for (;;)
  {
    char buf[8192] ;
    ssize_t n = read(ss->fd, buf, sizeof buf) ;
    if (n > 0)
    {
      size_t start = 0 ;
      if (dlv_buf_cat(&ss->in, buf, (size_t)n) == -1) strerr_diefu1sys(111, "allocate memory") ;
      for (;;)
      {
        char *nl = memchr(ss->in.s + start, '\n', ss->in.len - start) ;
        if (!nl) break ;
        *nl = 0 ;
        if (nl - ss->in.s - start == 1 && ss->in.s[start] == '.')
        {
          if (idle(s) == -1) return ;   /* ss is free now */
        }
        else line(s, ss->in.s + start, (size_t)(nl - ss->in.s) - start) ;
        start = (size_t)(nl - ss->in.s) + 1 ;
      }
      memmove(ss->in.s, ss->in.s + start, ss->in.len - start) ;
      ss->in.len -= start ;
      continue ;
    }
    if (n == -1 && errno == EINTR) continue ;
    if (n == -1 && errno == EAGAIN) return ;
    dlv_sess_end(s, "mxhold-remote ended without a result (crashed or killed)") ;
    return ;
  }
}

void dlv_settle_all (uint32_t i, int expired)
{
  static struct dlv_buf hdr = DLV_BUF_ZERO ;
  struct dlv_msg *m = g.m + i ;
  struct queue_env e ;
  struct span to, from = { "", 0 } ;
  size_t pos = 0 ;
  int ok = dlv_msg_header(i, &hdr, &e) == 0 ;
  if (ok) from = e.from ;
  /* an expiry may settle some recipients only: an operator's bounce
     still pending stays pending for the rest */
  if (!expired) { m->flags &= ~DLV_F_BOUNCE ; m->flags |= DLV_F_OPBOUNCE ; }
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    int owed ;
    if (!ok || !queue_env_to_next(hdr.s, &e, &pos, &to)) to = (struct span){ "?", 1 } ;
    if (x->status != 'p' || x->busy || (expired && g.now < dlv_rcpt_expires(m, x))) continue ;
    owed = dlv_dsn_owed(i, r) ;
    x->status = expired && owed ? 'x' : 'b' ;
    x->dsn = (char)owed ;
    x->last = g.now ;
    if (!x->reply || !expired)
      set_reply(x, expired ? "queue lifetime expired" : "bounced by the operator",
        strlen(expired ? "queue lifetime expired" : "bounced by the operator")) ;
    dlv_log_result(i, r, to, from, "-", "bounced") ;
  }
  dlv_dirty(i) ;
}
