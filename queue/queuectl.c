/* queuectl.c: mxhold-queuectl, the operator's view of the queue and the
   way to ask a running mxhold-deliver to flush, delete or bounce. */

#include <errno.h>
#include <string.h>
#include <skalibs/sgetopt.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define USAGE "mxhold-queuectl [ -c confdir ] [ -q queuedir ] init | list [ -d domain ] [ -s state ] [ -o age ] | show [ -a ] ID | stats | metrics FILE | flush [ DOMAIN ] | delete ID | bounce ID | hold ID|DOMAIN | release ID|DOMAIN | sweep"

#define QUEUECTL_AGE_MAX_SECS (3650ULL * 86400)   /* list -o: ten years is older than any lifetime */

static void usage (void) __attribute__((noreturn)) ;
static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* The queue directory: -q, else $MXHOLD_QUEUE, else the config's. */
static void find_queue (char const *confdir, char const *qdir, char *q)
{
  if (qdir)
  {
    if (strlen(qdir) >= QUEUE_PATH_MAX)
      mx_die_kv(100, "bad-queue-path", "path", qdir, "error", strerror(ENAMETOOLONG), (char const *)0) ;
    memcpy(q, qdir, strlen(qdir) + 1) ;
  }
  else if (queue_dir_find(confdir, q, QUEUE_PATH_MAX) == -1)
  {
    char src[QUEUE_PATH_MAX] ;
    int e = errno ;
    queue_dir_source(confdir, src, sizeof src) ;
    errno = e ;
    queue_ctl_die_sys(111, "unable-find-queue", src) ;
  }
}

/* "SECS", or a number with s, m, h or d: seconds; UINT64_MAX if malformed. */
static uint64_t age_scan (char const *s)
{
  size_t n = strlen(s) ;
  uint64_t mul = 1 ;
  uint64_t v ;
  if (n && (s[n - 1] == 's' || s[n - 1] == 'm' || s[n - 1] == 'h' || s[n - 1] == 'd'))
  {
    mul = s[n - 1] == 'm' ? 60 : s[n - 1] == 'h' ? 3600 : s[n - 1] == 'd' ? 86400 : 1 ;
    n-- ;
  }
  if (!n || !mx_u64_scan_all(s, n, QUEUECTL_AGE_MAX_SECS / mul, &v)) return UINT64_MAX ;
  return v * mul ;
}

/* list [-d domain] [-s state] [-o age] */
static void list (char const *q, int argc, char const *const *argv)
{
  static char const *const states[] = { "queued", "deferred", "held", "delivered", "bounced", "expired", 0 } ;
  struct queue_filter f = { 0 } ;
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "d:s:o:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'd' :
        queue_ctl_check_domain(l.arg, strlen(l.arg)) ;
        f.domain = l.arg ;
        break ;
      case 's' :
        f.state = l.arg ;
        break ;
      case 'o' :
        f.older = age_scan(l.arg) ;
        if (f.older == UINT64_MAX) mx_die_kv(100, "usage", "option", "o", "value", l.arg, "reason", "not-an-age", (char const *)0) ;
        break ;
      default :
        usage() ;
    }
  }
  if (l.ind != argc) usage() ;
  if (f.state)
  {
    unsigned int i = 0 ;
    while (states[i] && strcmp(states[i], f.state)) i++ ;
    if (!states[i]) mx_die_kv(100, "usage", "option", "s", "value", f.state, "reason", "not-a-state", (char const *)0) ;
  }
  queue_list(q, &f) ;
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  char const *qdir = 0 ;
  char const *cmd ;
  char q[QUEUE_PATH_MAX] ;
  subgetopt l = SUBGETOPT_ZERO ;
  mx_log_prog = "mxhold-queuectl" ;
  mx_cli_std(argc, argv, USAGE, "the operator's tool for the queue") ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:q:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' :
        confdir = l.arg ;
        break ;
      case 'q' :
        qdir = l.arg ;
        break ;
      default :
        usage() ;
    }
  }
  argc -= l.ind ;
  argv += l.ind ;
  if (!argc) usage() ;
  cmd = argv[0] ;
  find_queue(confdir, qdir, q) ;

  if (!strcmp(cmd, "init") && argc == 1) queue_ctl_init(q) ;
  else if (!strcmp(cmd, "list")) list(q, argc, argv) ;
  else if (!strcmp(cmd, "stats") && argc == 1) queue_stats(q) ;
  else if (!strcmp(cmd, "metrics") && argc == 2) queue_metrics(q, argv[1]) ;
  else if (!strcmp(cmd, "sweep") && argc == 1) queue_ctl_sweep(q) ;
  else if (!strcmp(cmd, "show") && (argc == 2 || (argc == 3 && !strcmp(argv[1], "-a"))))
  {
    char const *id = argv[argc - 1] ;
    queue_ctl_check_id(id) ;
    if (!queue_show(q, confdir, id, argc == 3)) queue_ctl_no_message(q, id) ;
  }
  else if (!strcmp(cmd, "flush") && argc <= 2) queue_ctl_request(q, "flush", argc == 2 ? argv[1] : 0) ;
  else if ((!strcmp(cmd, "delete") || !strcmp(cmd, "bounce")) && argc == 2) queue_ctl_request(q, cmd, argv[1]) ;
  else if ((!strcmp(cmd, "hold") || !strcmp(cmd, "release")) && argc == 2) queue_hold(q, argv[1], cmd[0] == 'h') ;
  else usage() ;
  return 0 ;
}
