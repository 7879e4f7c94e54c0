/* relaycheck.c: is HOST an open relay? Tries a battery of relaying tricks
   as a stranger would, RSETs after every RCPT, prints one line per trick and
   a verdict; or checks a list of hosts (--batch). See relaycheck.md. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "relaycheck/relaycheck.h"

#define USAGE "mxhold-relaycheck [ --domain D ] [ --foreign F ] [ --local L ] [ --helo NAME ] [ --direct DOMAIN ] [ --probe ADDRESS ] [ --timeout SECS ] [ --deadline SECS ] [ --connections N ] [ --json ] { HOST[:PORT] | --batch FILE [ --jobs N ] }"

/* A bad command line: exit 100 with what was wrong with which option. */
static void bad (char const *option, char const *value, char const *reason)
{
  mx_die_kv(100, "usage", "option", option, "value", value, "reason", reason, (char const *)0) ;
}

static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* An option value that goes into SMTP commands: printable, no blanks, no
   brackets or quotes that would change the templates' meaning. */
static char const *word (char const *s, char const *option)
{
  size_t n = strlen(s) ;
  if (!n || n > RC_ARG_MAX) bad(option, s, "empty or too long") ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char ch = (unsigned char)s[i] ;
    if (ch <= 32 || ch >= 127 || ch == '<' || ch == '>' || ch == '"' || ch == '\\') bad(option, s, "bad-character") ;
  }
  return s ;
}

static unsigned number (char const *s, unsigned cap, char const *option)
{
  unsigned long v = 0 ;
  size_t n = strlen(s) ;
  if (!n || n > 9) bad(option, s, "not a number") ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') bad(option, s, "not a number") ;
    v = v * 10 + (unsigned long)(s[i] - '0') ;
  }
  if (!v || v > cap) bad(option, s, "out-of-range") ;
  return (unsigned)v ;
}

/* The report could not be written: the operator would read half of it. */
static void flush_stdout (void)
{
  if (fflush(stdout) != 0) mx_die_kv(111, "write-failed", "file", "stdout", "error", strerror(errno), (char const *)0) ;
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
  mx_log_prog = "mxhold-relaycheck" ;
  mx_cli_std(argc, (char const *const *)argv, USAGE, "tests an SMTP server for being an open relay") ;
  opterr = 0 ;   /* a wrong option is our usage line, in the log grammar */
  while ((c = getopt_long(argc, argv, "d:f:l:H:D:p:t:T:c:j:b:Jh", longopts, 0)) != -1)
    switch (c)
    {
      case 'd' :
        o.domain = word(optarg, "domain") ;
        break ;
      case 'f' :
        o.foreign = word(optarg, "foreign") ;
        break ;
      case 'l' :
        o.local = word(optarg, "local") ;
        break ;
      case 'H' :
        o.helo = word(optarg, "helo") ;
        break ;
      case 'D' :
        o.direct = word(optarg, "direct") ;
        break ;
      case 'p' :
        o.probe = word(optarg, "probe") ;
        if (!strchr(o.probe, '@')) bad("probe", o.probe, "not an address") ;
        break ;
      case 't' :
        o.timeout = number(optarg, RC_TIMEOUT_SECS_CAP, "timeout") ;
        break ;
      case 'T' :
        o.deadline = number(optarg, RC_DEADLINE_SECS_CAP, "deadline") ;
        break ;
      case 'c' :
        o.conns = number(optarg, RC_CONNS_CAP, "connections") ;
        break ;
      case 'j' :
        jobs = number(optarg, RC_JOBS_CAP, "jobs") ;
        break ;
      case 'b' :
        batch = optarg ;
        break ;
      case 'J' :
        o.json = 1 ;
        break ;
      default :
        usage() ;
    }
  if (!o.helo)
  {
    if (gethostname(helo, sizeof helo - 1) < 0 || !helo[0]) strcpy(helo, "relaycheck.invalid") ;
    o.helo = word(helo, "helo") ;   /* the host name, unless --helo */
  }
  signal(SIGPIPE, SIG_IGN) ;
  if (batch)
  {
    int fd = strcmp(batch, "-") ? open(batch, O_RDONLY | O_CLOEXEC) : 0 ;
    int r ;
    if (optind != argc) usage() ;
    if (fd < 0) mx_die_kv(111, "open-failed", "path", batch, "error", strerror(errno), (char const *)0) ;
    r = rc_batch_run(&o, fd, batch, stdout, jobs) ;
    if (r < 0) mx_die_kv(111, "batch-failed", "path", batch, "error", strerror(errno), (char const *)0) ;
    flush_stdout() ;
    return r ;
  }
  if (optind + 1 != argc) usage() ;
  if (rc_host_parse(&h, argv[optind], strlen(argv[optind])) < 0) bad("host", argv[optind], "not-host-port") ;
  rc_check_run(&o, &h, &run) ;
  rc_out_report(stdout, &o, &run) ;
  flush_stdout() ;
  return rc_sum_exit(run.summary, run.direct) ;
}
