/* remote.c: mxhold-remote ROUTE DOMAIN: one SMTP client session for a
   batch of messages, read from stdin, results on stdout (deliver/remote.md). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "conf/conf.h"
#include "queue/queue.h"
#include "deliver/remote.h"

#define USAGE "usage: mxhold-remote ROUTE DOMAIN < batch"

static void die (int e, char const *a, char const *b)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  dlv_buf_cats(&l, "remote: fatal: ") ; dlv_buf_cats(&l, a) ; dlv_buf_cats(&l, b) ; dlv_buf_cats(&l, "\n") ;
  if (l.s && write(2, l.s, l.len) < 0) _exit(e) ;
  _exit(e) ;
}

/* Splits "ID PATH IDX RCPT [IDX RCPT]..." lines in place into msgs. */
static size_t batch_parse (char *s, size_t len, struct remote_msg **out)
{
  size_t n = 0, a = 0 ;
  struct remote_msg *m = 0 ;
  for (size_t pos = 0 ; pos < len ; )
  {
    char *nl = memchr(s + pos, '\n', len - pos) ;
    static char *f[2 + 2 * QUEUE_RCPT_MAX] ;   /* ID, PATH, then INDEX RCPT pairs */
    size_t nf = 0 ;
    char *p = s + pos ;
    if (!nl) die(100, "batch line without LF", "") ;
    *nl = 0 ;
    pos = (size_t)(nl - s) + 1 ;
    while (*p && nf < sizeof f / sizeof *f)
    {
      f[nf++] = p ;
      p += strcspn(p, " ") ;
      if (*p) *p++ = 0 ;
    }
    if (nf < 4 || (nf & 1)) die(100, "malformed batch line", "") ;
    if (n == a)
    {
      a = a ? 2 * a : 16 ;
      m = realloc(m, a * sizeof *m) ;
      if (!m) die(111, "out of memory", "") ;
    }
    m[n].id = f[0] ; m[n].path = f[1] ; m[n].n = (nf - 2) / 2 ;
    m[n].rcpt = malloc(m[n].n * sizeof(char *)) ;
    m[n].idx = malloc(m[n].n * sizeof(char *)) ;
    m[n].done = calloc(m[n].n, 1) ;
    if (!m[n].rcpt || !m[n].idx || !m[n].done) die(111, "out of memory", "") ;
    for (size_t i = 0 ; i < m[n].n ; i++) { m[n].idx[i] = f[2 + 2*i] ; m[n].rcpt[i] = f[3 + 2*i] ; }
    n++ ;
  }
  *out = m ;
  return n ;
}

static size_t read_all (struct dlv_buf *b)
{
  char tmp[65536] ;
  for (;;)
  {
    ssize_t r = read(0, tmp, sizeof tmp) ;
    if (r == -1) { if (errno == EINTR) continue ; die(111, "read batch: ", strerror(errno)) ; }
    if (!r) return b->len ;
    if (b->len + (size_t)r > REMOTE_BATCH_MAX_BYTES) die(100, "batch too large", "") ;
    if (dlv_buf_cat(b, tmp, (size_t)r) == -1) die(111, "out of memory", "") ;
  }
}

int main (int argc, char const *const *argv)
{
  static struct dlv_buf in = DLV_BUF_ZERO, me = DLV_BUF_ZERO ;
  static struct remote_addr addrs[REMOTE_HOSTS_MAX] ;
  struct remote_msg *msgs = 0 ;
  struct remote_cfg cfg = { "localhost", 0, 0 } ;   /* timeouts: from the config (its defaults if unset) */
  struct conf c ;
  char const *why = "" ;
  size_t nmsg ;
  int naddr ;
  if (argc != 3) die(100, USAGE, "") ;
  signal(SIGPIPE, SIG_IGN) ;   /* a dead peer shows as EPIPE on write */
  if (conf_open(&c, 0) == 0)
  {
    struct span s ;
    struct conf_limits l ;
    int trusted ;
    if (conf_me(&c, &s)) { dlv_buf_cat(&me, s.p, s.len) ; if (me.s) cfg.me = me.s ; }
    conf_limits_get(&c, 0, &l, &trusted) ;
    cfg.timeout_connect = (unsigned int)CONF_LIM(&l, timeout_connect) ;
    cfg.timeout_remote = (unsigned int)CONF_LIM(&l, timeout_remote) ;
  }
  else die(111, "unable to read config: ", strerror(errno)) ;
  read_all(&in) ;
  if (!in.len) return 0 ;
  nmsg = batch_parse(in.s, in.len, &msgs) ;
  naddr = remote_route_resolve(argv[1], argv[2], cfg.me, getenv("MXHOLD_ME_ALIASES"), addrs, REMOTE_HOSTS_MAX, &why) ;
  if (naddr < 0)
  {
    struct dlv_buf l = DLV_BUF_ZERO ;
    dlv_buf_cats(&l, "remote: warning: route ") ; dlv_buf_cats(&l, argv[1]) ; dlv_buf_cats(&l, " for ") ;
    dlv_buf_cats(&l, argv[2]) ; dlv_buf_cats(&l, ": ") ; dlv_buf_cats(&l, why) ; dlv_buf_cats(&l, "\n") ;
    if (l.s && write(2, l.s, l.len) < 0) return 111 ;
    remote_result_rest(msgs, 0, nmsg, "-", why) ;
    dlv_buf_free(&l) ;
    for (size_t i = 0 ; i < nmsg ; i++) { free(msgs[i].rcpt) ; free(msgs[i].idx) ; free(msgs[i].done) ; }
    free(msgs) ;
    return 0 ;
  }
  remote_session(&cfg, addrs, naddr, msgs, nmsg) ;
  for (size_t i = 0 ; i < nmsg ; i++) { free(msgs[i].rcpt) ; free(msgs[i].idx) ; free(msgs[i].done) ; }
  free(msgs) ;
  return 0 ;
}
