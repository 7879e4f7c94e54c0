/* rcptcheck.c: mxhold-rcptcheck ADDRESS, what smtpd runs for an address of
   a recipients=verify or learn domain that its cache does not answer:
   prints "VERDICT HOW" (rcpt_check.c) on stdout and exits 0. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/write_all.h"
#include "rcptcheck/rcptcheck.h"

#define USAGE "mxhold-rcptcheck address"

static char cachedir[CONF_PATH_MAX] ;
static char me[CONF_HOST_MAX + 1] ;
static char dom[CONF_HOST_MAX + 1] ;

/* k from the config: the domain's route and limits; exits 100 if addr is
   not at a verify or learn domain, 111 if the config is unreadable */
static void setup (struct conf *c, struct rcpt_check *k, char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  struct span v, s ;
  struct conf_limits l ;
  int trusted ;
  enum conf_rcpt_policy p ;
  /* it goes into a RCPT TO line: no byte may end or split that line */
  for (char const *q = addr ; *q ; q++)
    if ((unsigned char)*q < 32 || (unsigned char)*q > 126) mx_die_kv(100, "usage", "reason", "syntax", "to", addr, (char const *)0) ;
  if (conf_open(c, 0) == -1) mx_die_kv(111, "config-unreadable", "path", conf_dir(0), "error", strerror(errno), (char const *)0) ;
  if (!at || !conf_domain_find(c, at + 1, strlen(at + 1), &v)) mx_die_kv(100, "usage", "reason", "not-customer-domain", "to", addr, (char const *)0) ;
  p = conf_rcpt_policy(v) ;
  if (p != CONF_RCPT_VERIFY && p != CONF_RCPT_LEARN) mx_die_kv(100, "usage", "reason", "not-verified-domain", "to", addr, (char const *)0) ;
  if (!conf_me(c, &s) || s.len > CONF_HOST_MAX) mx_die_kv(111, "config-unreadable", "path", conf_dir(0), "file", "me", (char const *)0) ;
  memcpy(me, s.p, s.len) ;
  conf_rcptcache(c, &s) ;
  if (s.len >= sizeof cachedir) mx_die_kv(111, "config-unreadable", "path", conf_dir(0), "file", "rcptcache", (char const *)0) ;
  memcpy(cachedir, s.p, s.len) ;
  conf_host_norm(at + 1, strlen(at + 1), dom) ;
  conf_limits_get(c, 0, &l, &trusted) ;
  conf_limits_apply(v, &l) ;
  k->probe.me = me ;
  k->probe.route = conf_route(v) ;
  k->probe.addr = addr ;
  k->probe.addrlen = strlen(addr) ;
  k->domain = dom ;
  k->now = rcpt_now() ;
  k->positive = CONF_LIM(&l, verify_positive) ;
  k->negative = CONF_LIM(&l, verify_negative) ;
  k->rate = CONF_LIM(&l, verify_rate) ;
  k->burst = CONF_LIM(&l, verify_burst) ;
  k->max = CONF_LIM(&l, verify_cache) ;
  k->timeout_ms = CONF_LIM(&l, verify_timeout) * 1000 ;
}

int main (int argc, char const *const *argv)
{
  static struct rcpt_check k ;
  static struct rcpt_cache cache ;
  struct conf c ;
  char const *how ;
  char const *verdict ;
  mx_log_prog = "mxhold-rcptcheck" ;
  mx_cli_std(argc, argv, USAGE, "asks the customer's server whether one recipient exists, for smtpd's RCPT") ;
  if (argc != 2 || !argv[1][0]) mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  setup(&c, &k, argv[1]) ;
  if (rcpt_cache_open(&cache, cachedir, k.max, 1) == -1)
    mx_log_kv(MX_LOG_WARN, "cache-unusable", "path", cachedir, "error", strerror(errno), (char const *)0) ;
  else k.cache = &cache ;
  verdict = rcpt_verdict_name(rcpt_check_run(&k, &how)) ;
  if (mx_write_all(1, verdict, strlen(verdict)) == -1 || mx_write_all(1, " ", 1) == -1
   || mx_write_all(1, how, strlen(how)) == -1 || mx_write_all(1, "\n", 1) == -1) _exit(111) ;
  return 0 ;
}
