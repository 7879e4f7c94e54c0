/* spfcheck.c: SPF (RFC 7208) for the message smtpd hands to the queue
   chain, or for one query from the command line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "spfcheck/spfcheck.h"

#define USAGE "mxhold-spfcheck [ -c confdir ] [ -t secs ] prog... | -q IP SENDER HELO"
#define SPFCHECK_BUDGET_MAX_MS 600000   /* conf.h caps spf_budget at 600 s */

/* "SECS" or "SECS.FRACTION" -> milliseconds; 0 if malformed or out of range. */
static unsigned long budget_scan (char const *s)
{
  unsigned long ms = 0 ;
  unsigned long scale = 1000 ;
  size_t i = 0 ;
  for ( ; s[i] >= '0' && s[i] <= '9' ; i++)
  {
    ms = ms * 10 + (unsigned long)(s[i] - '0') * 1000 ;
    if (ms > SPFCHECK_BUDGET_MAX_MS) return 0 ;
  }
  if (!i) return 0 ;
  if (s[i] == '.')
    for (i++ ; s[i] >= '0' && s[i] <= '9' ; i++)
    {
      scale /= 10 ;
      ms += (unsigned long)(s[i] - '0') * scale ;
    }
  return s[i] ? 0 : ms ;
}

static void usage (char const *why)
{
  mx_die_kv(100, "usage", "reason", why, "usage", USAGE, (char const *)0) ;
}

int main (int argc, char **argv)
{
  struct conf cf ;
  struct span me = SPAN_STR("localhost") ;
  char mebuf[256] ;
  char const *dir = 0 ;
  unsigned long budget_ms = 0 ;
  int query = 0 ;
  int opt ;
  int haveconf ;
  mx_log_prog = "mxhold-spfcheck" ;
  mx_cli_std(argc, (char const *const *)argv, USAGE, "SPF (RFC 7208) as a qmail-queue filter, or one query with -q") ;
  while ((opt = getopt(argc, argv, "+qc:t:")) != -1)
    switch (opt)
    {
      case 'q' :
        query = 1 ;
        break ;
      case 'c' :
        dir = optarg ;
        break ;
      case 't' :
        budget_ms = budget_scan(optarg) ;
        if (!budget_ms) usage("bad-budget") ;
        break ;
      default :
        usage("bad option") ;
    }
  argv += optind ;
  argc -= optind ;
  if (query ? argc != 3 : argc < 1) usage(query ? "-q needs IP SENDER HELO" : "no program to run") ;
  haveconf = conf_open(&cf, conf_dir(dir)) == 0 ;
  if (query)
  {
    struct conf_limits lim ;
    int trusted ;
    if (haveconf) conf_me(&cf, &me) ;
    spf_safe(me.p, me.len, mebuf, sizeof mebuf) ;
    if (!budget_ms && haveconf)
    {
      conf_limits_get(&cf, 0, &lim, &trusted) ;
      budget_ms = (unsigned long)CONF_LIM(&lim, spf_budget) * 1000 ;
    }
    return spf_query_main(argv[0], argv[1], argv[2], mebuf, budget_ms ? budget_ms : SPF_BUDGET_DEFAULT_SECS * 1000UL) ;
  }
  if (!haveconf)
  {
    char path[4096] ;
    int e = errno ;
    snprintf(path, sizeof path, "%s/%s", conf_dir(dir), CONF_CDB) ;
    mx_die_kv(111, "config-unreadable", "path", path, "error", strerror(e), (char const *)0) ;
  }
  return spf_filter_main((char const *const *)argv, &cf, budget_ms) ;
}
