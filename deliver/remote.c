/* remote.c: mxhold-remote ROUTE DOMAIN: one SMTP client session for
   batches of messages read from stdin (separated by empty lines), results
   on stdout, "." after each batch but the last (deliver/remote.md). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/write_all.h"
#include "conf/conf.h"
#include "queue/queue.h"
#include "deliver/remote_io.h"

#define USAGE "mxhold-remote ROUTE DOMAIN < batches"

static void nomem (void)
{
  mx_die_kv(111, "out-of-memory", (char const *)0) ;
}

static void bad_batch (char const *reason)
{
  mx_die_kv(100, "bad-batch", "reason", reason, (char const *)0) ;
}

/* Splits "ID PATH IDX RCPT [IDX RCPT]..." lines in place into msgs. */
static size_t batch_parse (char *s, size_t len, struct remote_msg **out)
{
  size_t n = 0 ;
  size_t a = 0 ;
  struct remote_msg *m = 0 ;
  for (size_t pos = 0 ; pos < len ; )
  {
    char *nl = memchr(s + pos, '\n', len - pos) ;
    static char *f[2 + 2 * QUEUE_RCPT_MAX] ;   /* ID, PATH, then INDEX RCPT pairs */
    size_t nf = 0 ;
    char *p = s + pos ;
    if (!nl) bad_batch("no-lf") ;
    *nl = 0 ;
    pos = (size_t)(nl - s) + 1 ;
    while (*p && nf < sizeof f / sizeof *f)
    {
      f[nf++] = p ;
      p += strcspn(p, " ") ;
      if (*p) *p++ = 0 ;
    }
    if (nf < 4 || (nf & 1)) bad_batch("malformed") ;
    if (n == a)
    {
      a = a ? 2 * a : 16 ;
      m = realloc(m, a * sizeof *m) ;
      if (!m) nomem() ;
    }
    m[n].id = f[0] ;
    m[n].path = f[1] ;
    m[n].n = (nf - 2) / 2 ;
    m[n].rcpt = malloc(m[n].n * sizeof(char *)) ;
    m[n].idx = malloc(m[n].n * sizeof(char *)) ;
    m[n].done = calloc(m[n].n, 1) ;
    if (!m[n].rcpt || !m[n].idx || !m[n].done) nomem() ;
    for (size_t i = 0 ; i < m[n].n ; i++)
    {
      m[n].idx[i] = f[2 + 2*i] ;
      m[n].rcpt[i] = f[3 + 2*i] ;
    }
    n++ ;
  }
  *out = m ;
  return n ;
}

/* The next batch from stdin into b: its lines up to an empty line
   (returns 1: more may follow) or up to EOF (returns 0). Bytes after the
   empty line stay in the reader for the next call. */
static int batch_read (struct dlv_buf *b)
{
  static struct dlv_buf in = DLV_BUF_ZERO ;
  static size_t scanned ;   /* in[0..scanned) holds no "\n\n" and starts with no "\n" */
  static int eof ;
  char tmp[65536] ;
  b->len = 0 ;
  for (;;)
  {
    size_t n = 0 ;
    int found = 0 ;
    ssize_t r ;
    if (in.len && in.s[0] == '\n') found = 1 ;
    else if (in.len)
    {
      size_t from = scanned ? scanned - 1 : 0 ;
      char *e = memmem(in.s + from, in.len - from, "\n\n", 2) ;
      if (e)
      {
        n = (size_t)(e - in.s) + 1 ;
        found = 1 ;
      }
      else scanned = in.len ;
    }
    if (found || eof)
    {
      if (!found) n = in.len ;
      if (dlv_buf_cat(b, in.s, n) == -1) nomem() ;
      if (found) n++ ;   /* the empty line */
      memmove(in.s, in.s + n, in.len - n) ;
      in.len -= n ;
      scanned = 0 ;
      return found ;
    }
    if (in.len > REMOTE_BATCH_MAX_BYTES) bad_batch("too-large") ;
    r = read(0, tmp, sizeof tmp) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      mx_die_kv(111, "read-failed", "path", "-", "error", strerror(errno), (char const *)0) ;
    }
    if (!r) eof = 1 ;
    else if (dlv_buf_cat(&in, tmp, (size_t)r) == -1) nomem() ;
  }
}

/* "batch done, idle, connection kept": deliver may send the next batch. */
static void idle_mark (void)
{
  if (mx_write_all(1, ".\n", 2) == -1)
    mx_die_kv(111, "deliver-gone", "error", strerror(errno), (char const *)0) ;
}

/* Result st for every recipient of msgs[0..n), host "-". */
static void remote_result_all (struct remote_msg *msgs, size_t n, char st, char const *text)
{
  for (size_t i = 0 ; i < n ; i++)
    for (size_t r = 0 ; r < msgs[i].n ; r++)
      remote_result(msgs + i, r, st, "-", text, strlen(text)) ;
}

/* One batch: results for each of its recipients on fd 1. */
static void batch_run (struct remote_cfg const *cfg, char const *route, char const *domain, struct dlv_buf *in)
{
  static struct remote_addr addrs[REMOTE_HOSTS_MAX] ;
  static int naddr ;
  struct remote_msg *msgs = 0 ;
  struct remote_why why = { "", "", 0 } ;
  size_t nmsg = batch_parse(in->s, in->len, &msgs) ;
  /* a kept connection came from addrs; without one, resolve afresh */
  if (!remote_connected()) naddr = remote_route_resolve(route, domain, cfg->me, cfg->aliases, addrs, REMOTE_HOSTS_MAX, &why) ;
  if (naddr < 0)
  {
    mx_log_kv(MX_LOG_WARN, "route-failed", "route", route, "domain", domain, "reason", why.reason, (char const *)0) ;
    /* a customer's own MX set in the relay's networks is the operator's
       mistake, to be fixed: it waits; a sender's domain that points there
       gets its bounce refused for good */
    if (why.permanent && cfg->bounce) remote_result_all(msgs, nmsg, 'p', why.text) ;
    else remote_result_rest(msgs, 0, nmsg, "-", why.text) ;
  }
  else remote_session(cfg, addrs, naddr, msgs, nmsg) ;
  for (size_t i = 0 ; i < nmsg ; i++)
  {
    free(msgs[i].rcpt) ;
    free(msgs[i].idx) ;
    free(msgs[i].done) ;
  }
  free(msgs) ;
}

/* A bounce destination waits timeout_bounce at most, for the connection
   and for each reply: a tarpit MX holds a bounce slot that long, not
   timeout_remote (deliver.md, Bounce destinations). */
static void remote_bounce_timeouts (struct remote_cfg *cfg, struct conf_limits const *l)
{
  unsigned int t = (unsigned int)CONF_LIM(l, timeout_bounce) ;
  if (t < cfg->timeout_connect) cfg->timeout_connect = t ;
  if (t < cfg->timeout_remote) cfg->timeout_remote = t ;
}

/* A tls= or dane_fallback= word (conf checked it) as a policy. */
static enum remote_tls_policy tls_word (struct span v, enum remote_tls_policy dflt)
{
  static char const *const words[] = { "none", "may", "require", "verify", "dane" } ;
  for (unsigned int i = 0 ; i < sizeof words / sizeof *words ; i++)
    if (v.len == strlen(words[i]) && !memcmp(v.p, words[i], v.len)) return (enum remote_tls_policy)i ;
  return dflt ;
}

/* DOMAIN's tls=, dane_fallback= and tls_ca= (remote.md, TLS). */
static void tls_config (struct remote_cfg *cfg, struct span opts)
{
  static char ca[CONF_PATH_MAX] ;
  struct span v ;
  if (conf_opt(opts, "tls", &v)) cfg->tls = tls_word(v, REMOTE_TLS_MAY) ;
  if (conf_opt(opts, "dane_fallback", &v)) cfg->dane_fallback = tls_word(v, REMOTE_TLS_MAY) ;
  if (cfg->dane_fallback == REMOTE_TLS_DANE) cfg->dane_fallback = REMOTE_TLS_MAY ;
  if (conf_opt(opts, "tls_ca", &v) && v.len && v.len < sizeof ca)
  {
    memcpy(ca, v.p, v.len) ;
    ca[v.len] = 0 ;
    cfg->tls_ca = ca ;
  }
}

/* me, aliases and the timeouts from the config: the global limits with
   DOMAIN's overrides in `domains` applied (remote.md). */
static void config_read (struct remote_cfg *cfg, char const *domain)
{
  static struct dlv_buf me = DLV_BUF_ZERO ;
  static struct dlv_buf aliases = DLV_BUF_ZERO ;
  char const *env = getenv("MXHOLD_ME_ALIASES") ;
  struct conf c ;
  struct span s ;
  struct conf_limits l ;
  int trusted ;
  if (conf_open(&c, 0) == -1)
    mx_die_kv(111, "config-unreadable", "path", conf_dir(0), "error", strerror(errno), (char const *)0) ;
  if (conf_me(&c, &s) && dlv_buf_cat(&me, s.p, s.len) == 0) cfg->me = me.s ;
  if (conf_get(&c, "aliases", 7, &s))
  {
    dlv_buf_cat(&aliases, s.p, s.len) ;
    dlv_buf_cat(&aliases, " ", 1) ;
  }
  conf_limits_get(&c, 0, &l, &trusted) ;
  /* a domain not in `domains` only gets DSNs: a bounce destination */
  cfg->bounce = !conf_domain_find(&c, domain, strlen(domain), &s) ;
  if (!cfg->bounce)
  {
    conf_limits_apply(s, &l) ;
    tls_config(cfg, s) ;
  }
  cfg->timeout_connect = (unsigned int)CONF_LIM(&l, timeout_connect) ;
  cfg->timeout_remote = (unsigned int)CONF_LIM(&l, timeout_remote) ;
  if (cfg->bounce) remote_bounce_timeouts(cfg, &l) ;
  if (env) dlv_buf_cats(&aliases, env) ;
  if (dlv_buf_cat(&aliases, "", 1) == -1 || !aliases.s) nomem() ;
  cfg->aliases = aliases.s ;
}

int main (int argc, char const *const *argv)
{
  static struct dlv_buf in = DLV_BUF_ZERO ;
  struct remote_cfg cfg = { "localhost", 0, 0, 0, 0, REMOTE_TLS_MAY, REMOTE_TLS_MAY, 0 } ;
  mx_log_prog = "mxhold-remote" ;
  mx_cli_std(argc, argv, USAGE, "one SMTP client session to a downstream route, run by mxhold-deliver") ;
  if (argc != 3) mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  signal(SIGPIPE, SIG_IGN) ;   /* a dead peer shows as EPIPE on write */
  config_read(&cfg, argv[2]) ;
  for (;;)
  {
    int more = batch_read(&in) ;
    if (in.len) batch_run(&cfg, argv[1], argv[2], &in) ;
    if (!more) break ;
    idle_mark() ;
  }
  remote_quit(&cfg) ;
  return 0 ;
}
