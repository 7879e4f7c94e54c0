/* dlv_result.c: what comes back from a session: mxhold-remote's result
   lines ("ID INDEX S HOST TEXT", deliver/remote.md), its idle marker ".",
   and the end of the session (EOF on its stdout, or ours). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <skalibs/types.h>
#include "lib/log.h"
#include "deliver/deliver.h"

static void remote_failed (uint32_t s, char const *reason)
{
  mx_log_kv(MX_LOG_WARN, "remote-failed", "route", g.route[g.sess[s].route].key, "reason", reason, (char const *)0) ;
}

static void apply (uint32_t s, struct dlv_sent *se, char st, char const *host, char const *text, size_t tlen)
{
  struct dlv_sess *ss = g.sess + s ;
  struct span to = { ss->text.s + se->roff, se->rlen } ;
  struct span from = { ss->text.s + se->foff, se->flen } ;
  uint32_t k = ss->route ;
  se->got = 1 ;
  dlv_rcpt_result(se->msg, se->ridx, st, to, from, host, text, tlen) ;   /* 'r' too */
  if (st == 'r') st = 'd' ;   /* relayed: delivered, its DSN is owed (dlv_rcpt_result) */
  if (host[0] != '-') dlv_learn(to, st, text, tlen) ;   /* a server's answer, not ours */
  if (st == 't') g.route[k].failing = 1 ;
  else if (st == 'd' && g.route[k].failing)
  {
    /* flush on recovery: the host takes mail again, so its backlog is due now */
    g.route[k].failing = 0 ;
    mx_log_kv(MX_LOG_INFO, "recovered", "route", g.route[k].key, (char const *)0) ;
    dlv_flush_where(k, DLV_NONE) ;
  }
}

static void line (uint32_t s, char *p, size_t len)
{
  struct dlv_sess *ss = g.sess + s ;
  char *f[4] ;
  size_t nf = 0 ;
  size_t pos = 0 ;
  uint64_t idx ;
  uint32_t i ;
  while (nf < 4)
  {
    char *sp = memchr(p + pos, ' ', len - pos) ;
    if (!sp) break ;
    f[nf++] = p + pos ;
    *sp = 0 ;
    pos = (size_t)(sp - p) + 1 ;
  }
  if (nf < 4 || strlen(f[2]) != 1 || !strchr("dprt", f[2][0])
   || !f[1][0] || uint64_scan(f[1], &idx) != strlen(f[1])) goto bad ;
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
  mx_log_kv(MX_LOG_WARN, "bad-result", "route", g.route[ss->route].key, "reason", "ignored", (char const *)0) ;
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
  if (ss->idle == 2)
  {
    g.closing-- ;
    g.closing_c[ss->cls]-- ;
  }
  ss->wfd = -1 ;
  ss->idle = 0 ;
  ss->carried = 0 ;
  if (ss->fd >= 0) close(ss->fd) ;
  if (ss->pid > 0 && waitpid(ss->pid, &wstat, 0) == ss->pid && !(WIFEXITED(wstat) && !WEXITSTATUS(wstat)))
  {
    struct dlv_buf why = DLV_BUF_ZERO ;
    dlv_buf_catwait(&why, wstat) ;
    remote_failed(s, why.s ? why.s : "failed") ;
    dlv_buf_free(&why) ;
  }
  free(ss->sent) ;
  ss->sent = 0 ;
  ss->nsent = 0 ;
  dlv_buf_free(&ss->text) ;
  dlv_buf_free(&ss->in) ;
  ss->pid = 0 ;
  ss->fd = -1 ;
  g.route[k].active-- ;
  g.active-- ;
  g.active_c[ss->cls]-- ;
}

void dlv_sess_close (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  if (ss->idle != 1) return ;
  if (ss->wfd >= 0) close(ss->wfd) ;
  ss->wfd = -1 ;
  ss->idle = 2 ;
  g.closing++ ;
  g.closing_c[ss->cls]++ ;
}

/* Remote's "." : every result of the batch came and it waits for the
   next one, connection open. 0, or -1 if that was a protocol error (the
   session is ended). */
static int idle (uint32_t s)
{
  struct dlv_sess *ss = g.sess + s ;
  for (uint32_t n = 0 ; n < ss->nsent ; n++) if (!ss->sent[n].got)
  {
    remote_failed(s, "idle-before-results") ;
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
      if (dlv_buf_cat(&ss->in, buf, (size_t)n) == -1) mx_die_kv(111, "out-of-memory", (char const *)0) ;
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
