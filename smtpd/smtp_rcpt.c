/* smtp_rcpt.c: recipients=list, verify and learn at RCPT (smtp_rcpt.h).
   The cache is read here, in smtpd, so that an address it knows costs a
   lookup and no process (smtpd.md, Notes: a warm RCPT); a miss starts
   mxhold-rcptcheck, which alone probes the customer's server (it has the
   DNS client smtpd does not link) and writes the cache. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lib/log.h"
#include "lib/spawn.h"
#include "rcptcheck/rcpt_cache.h"
#include "smtpd/smtp_rcpt.h"

#define SMTPD_RCPT_ANSWER_MAX 64      /* "unverified limited\n" and room */

#define REPLY_UNKNOWN "550 5.1.1 no such recipient here"
#define REPLY_UNVERIFIED "450 4.1.1 recipient not verified now, try again later"

/* The connection's cache, opened at its first verify or learn recipient
   (file-local: only this module reads it). */
static struct rcpt_cache cache ;
static int cache_state ;              /* 0 not tried, 1 open, -1 unusable */

static void cache_open (struct smtp_conn *g)
{
  char path[CONF_PATH_MAX] ;
  struct span s ;
  if (cache_state) return ;
  cache_state = -1 ;
  conf_rcptcache(&g->conf, &s) ;
  if (s.len >= sizeof path) return ;
  memcpy(path, s.p, s.len) ;
  path[s.len] = 0 ;
  if (rcpt_cache_open(&cache, path, CONF_LIM(&g->lim, verify_cache), 0) == 0) cache_state = 1 ;
}

/* Reads rcptcheck's one line until the deadline: its verdict, *how. */
static int answer (int fd, uint64_t deadline, char const **how)
{
  static char buf[SMTPD_RCPT_ANSWER_MAX] ;
  size_t len = 0 ;
  char *sp ;
  for (;;)
  {
    struct pollfd pf = { fd, POLLIN, 0 } ;
    uint64_t now = smtp_conn_ms() ;
    ssize_t r ;
    if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) == 0) return -1 ;
    r = read(fd, buf + len, sizeof buf - 1 - len) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r <= 0) break ;
    len += (size_t)r ;
    if (memchr(buf, '\n', len) || len == sizeof buf - 1) break ;
  }
  buf[len] = 0 ;
  sp = strchr(buf, ' ') ;
  if (!sp || !strchr(sp, '\n')) return -1 ;
  *sp = 0 ;
  *strchr(sp + 1, '\n') = 0 ;
  *how = sp + 1 ;
  if (!strcmp(buf, "known")) return 'k' ;
  if (!strcmp(buf, "unknown")) return 'u' ;
  return '?' ;
}

/* mxhold-rcptcheck MAILBOX: 'k', 'u', '?' (unverified) and *how. */
static int ask (struct smtp_addr const *a, uint64_t secs, char const **how)
{
  char mailbox[SMTPD_PATH_MAX + 1] ;
  char const *argv[3] = { SMTPD_RCPTCHECK, mailbox, 0 } ;
  int p[2] ;
  int v ;
  int st ;
  pid_t pid ;
  *how = "failed" ;
  if (a->mailbox.len > SMTPD_PATH_MAX || pipe2(p, O_CLOEXEC) == -1) return '?' ;
  memcpy(mailbox, a->mailbox.p, a->mailbox.len) ;
  mailbox[a->mailbox.len] = 0 ;
  {
    int const fds[3] = { -1, p[1], 2 } ;
    v = mx_spawn(&pid, argv, fds, 3) ;
  }
  close(p[1]) ;
  if (v)
  {
    close(p[0]) ;
    return '?' ;
  }
  v = answer(p[0], smtp_conn_ms() + (secs + SMTPD_RCPT_SLACK_SECS) * 1000, how) ;
  close(p[0]) ;
  if (v == -1) kill(pid, SIGKILL) ;
  while (waitpid(pid, &st, 0) == -1 && errno == EINTR) ;
  if (v == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
  {
    *how = "failed" ;
    return '?' ;
  }
  return v ;
}

/* The verdict of the cache, or of rcptcheck when the cache has none. */
static int verdict (struct smtp_conn *g, struct smtp_addr const *a, struct span domval, char const **how)
{
  struct conf_limits l = g->lim ;
  struct rcpt_entry e ;
  char key[RCPT_ADDR_MAX] ;
  size_t klen = rcpt_key(key, a->mailbox.p, a->mailbox.len) ;
  uint64_t now = rcpt_now() ;
  int have ;
  conf_limits_apply(domval, &l) ;
  cache_open(g) ;
  have = klen && cache_state == 1 && rcpt_cache_get(&cache, key, klen, &e) == 1 ;
  *how = "cache" ;
  if (have && rcpt_entry_fresh(&e, now, CONF_LIM(&l, verify_positive), CONF_LIM(&l, verify_negative))) return e.status ;
  /* the budget is spent: rcptcheck could only say so, so no process for it */
  if (cache_state == 1 && rcpt_cache_peek(&cache, conf_route(domval).p, conf_route(domval).len, now, CONF_LIM(&l, verify_rate), CONF_LIM(&l, verify_burst)) == 0)
  {
    *how = have ? "stale" : "limited" ;
    return have ? e.status : '?' ;
  }
  return ask(a, CONF_LIM(&l, verify_timeout), how) ;
}

static void unverified (struct smtp_conn *g, struct smtp_addr const *a, char const *how)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "unverified") ;
  mx_log_str(&l, "client", g->ip) ;
  mx_log_bytes(&l, "to", a->mailbox.p, a->mailbox.len) ;
  mx_log_str(&l, "basis", how) ;
  mx_log_str(&l, "action", "accept") ;
  mx_log_end(&l) ;
}

char const *smtp_rcpt_check (struct smtp_conn *g, struct smtp_addr const *a, struct span domval, char const **reason)
{
  enum conf_rcpt_policy p = conf_rcpt_policy(domval) ;
  char const *how ;
  int v ;
  g->basis = 0 ;
  if (p == CONF_RCPT_ANY) return 0 ;
  if (p == CONF_RCPT_LIST)
  {
    if (conf_rcpt_listed(&g->conf, a->local.p, a->local.len, a->domain.p, a->domain.len)) return 0 ;
    g->basis = "list" ;
    *reason = "unknown-recipient" ;
    return REPLY_UNKNOWN ;
  }
  v = verdict(g, a, domval, &how) ;
  if (v == 'k') return 0 ;
  g->basis = how ;
  *reason = v == 'u' ? "unknown-recipient" : "unverified-recipient" ;
  if (v == 'u') return REPLY_UNKNOWN ;
  if (conf_rcpt_defer(domval)) return REPLY_UNVERIFIED ;
  g->basis = 0 ;
  unverified(g, a, how) ;
  return 0 ;
}
