/* relaycheck.c: is HOST an open relay? Tries a battery of relaying tricks
   as a stranger would, RSETs after every RCPT, prints one line per trick and
   a verdict; or checks a list of hosts (--batch). See relaycheck.md. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <skalibs/strerr.h>
#include "relaycheck/relaycheck.h"

#define USAGE "relaycheck [ --domain D ] [ --foreign F ] [ --local L ] [ --helo NAME ] [ --direct DOMAIN ] [ --probe ADDRESS ] [ --timeout SECS ] [ --deadline SECS ] [ --connections N ] [ --json ] { HOST[:PORT] | --batch FILE [ --jobs N ] }"

/* An option value that goes into SMTP commands: printable, no blanks, no
   brackets or quotes that would change the templates' meaning. */
static char const *word (char const *s, char const *what)
{
  size_t i, n = strlen(s) ;
  if (!n || n > RC_ARG_MAX) strerr_dief(100, "bad ", what, ": ", s) ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char ch = (unsigned char)s[i] ;
    if (ch <= 32 || ch >= 127 || ch == '<' || ch == '>' || ch == '"' || ch == '\\') strerr_dief(100, "bad ", what, ": ", s) ;
  }
  return s ;
}

static unsigned number (char const *s, unsigned cap, char const *what)
{
  unsigned long v = 0 ;
  size_t i, n = strlen(s) ;
  if (!n || n > 9) strerr_dief(100, "bad ", what, ": ", s) ;
  for (i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') strerr_dief(100, "bad ", what, ": ", s) ;
    v = v * 10 + (unsigned long)(s[i] - '0') ;
  }
  if (!v || v > cap) strerr_dief(100, what, " out of range: ", s) ;
  return (unsigned)v ;
}

static struct option const longopts[] = {
  { "domain", 1, 0, 'd' }, { "foreign", 1, 0, 'f' }, { "local", 1, 0, 'l' },
  { "helo", 1, 0, 'H' }, { "direct", 1, 0, 'D' }, { "probe", 1, 0, 'p' },
  { "timeout", 1, 0, 't' }, { "deadline", 1, 0, 'T' }, { "connections", 1, 0, 'c' },
  { "jobs", 1, 0, 'j' }, { "batch", 1, 0, 'b' }, { "json", 0, 0, 'J' }, { "help", 0, 0, 'h' },
  { 0, 0, 0, 0 }
} ;

int main (int argc, char **argv)
{
  static struct rc_run run ;
  static char helo[RC_ARG_MAX + 1] ;
  struct rc_opts o = { .local = RC_LOCAL_DEFAULT, .foreign = RC_FOREIGN_DEFAULT, .timeout = RC_TIMEOUT_SECS_DEFAULT,
                       .deadline = RC_DEADLINE_SECS_DEFAULT, .conns = RC_CONNS_DEFAULT } ;
  struct rc_host h ;
  char const *batch = 0 ;
  unsigned jobs = RC_JOBS_DEFAULT ;
  int c ;
  PROG = "relaycheck" ;
  while ((c = getopt_long(argc, argv, "d:f:l:H:D:p:t:T:c:j:b:Jh", longopts, 0)) != -1)
    switch (c)
    {
      case 'd' : o.domain = word(optarg, "domain") ; break ;
      case 'f' : o.foreign = word(optarg, "foreign domain") ; break ;
      case 'l' : o.local = word(optarg, "local part") ; break ;
      case 'H' : o.helo = word(optarg, "helo name") ; break ;
      case 'D' : o.direct = word(optarg, "direct domain") ; break ;
      case 'p' : o.probe = word(optarg, "probe address") ; if (!strchr(o.probe, '@')) strerr_dief(100, "bad probe address: ", o.probe) ; break ;
      case 't' : o.timeout = number(optarg, RC_TIMEOUT_SECS_CAP, "timeout") ; break ;
      case 'T' : o.deadline = number(optarg, RC_DEADLINE_SECS_CAP, "deadline") ; break ;
      case 'c' : o.conns = number(optarg, RC_CONNS_CAP, "connections") ; break ;
      case 'j' : jobs = number(optarg, RC_JOBS_CAP, "jobs") ; break ;
      case 'b' : batch = optarg ; break ;
      case 'J' : o.json = 1 ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  if (!o.helo)
  {
    if (gethostname(helo, sizeof helo - 1) < 0 || !helo[0]) strcpy(helo, "relaycheck.invalid") ;
    o.helo = word(helo, "host name (use --helo)") ;
  }
  signal(SIGPIPE, SIG_IGN) ;
  if (batch)
  {
    int fd = strcmp(batch, "-") ? open(batch, O_RDONLY | O_CLOEXEC) : 0 ;
    int r ;
    if (optind != argc) strerr_dieusage(100, USAGE) ;
    if (fd < 0) strerr_diefu2sys(111, "open ", batch) ;
    r = rc_batch_run(&o, fd, stdout, jobs) ;
    if (r < 0) strerr_diefu2sys(111, "check the hosts in ", batch) ;
    if (fflush(stdout) != 0) strerr_diefu1sys(111, "write to stdout") ;
    return r ;
  }
  if (optind + 1 != argc) strerr_dieusage(100, USAGE) ;
  if (rc_host_parse(&h, argv[optind], strlen(argv[optind])) < 0) strerr_dief(100, "bad HOST[:PORT]: ", argv[optind]) ;
  rc_check_run(&o, &h, &run) ;
  rc_out_report(stdout, &o, &run) ;
  if (fflush(stdout) != 0) strerr_diefu1sys(111, "write to stdout") ;
  return rc_sum_exit(run.summary, run.direct) ;
}
