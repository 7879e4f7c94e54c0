/* queuectl.c: mxhold-queuectl, the operator's view of the queue and the
   way to ask a running mxhold-deliver to flush, delete or bounce. */

#include <errno.h>
#include <string.h>
#include <skalibs/sgetopt.h>
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define USAGE "mxhold-queuectl [ -c confdir ] [ -q queuedir ] init | list | show [ -a ] ID | stats | metrics FILE | flush [ DOMAIN ] | delete ID | bounce ID | sweep"

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

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  char const *qdir = 0 ;
  char const *cmd ;
  char q[QUEUE_PATH_MAX] ;
  subgetopt l = SUBGETOPT_ZERO ;
  mx_log_prog = "mxhold-queuectl" ;
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
  else if (!strcmp(cmd, "list") && argc == 1) queue_list(q) ;
  else if (!strcmp(cmd, "stats") && argc == 1) queue_stats(q) ;
  else if (!strcmp(cmd, "metrics") && argc == 2) queue_metrics(q, argv[1]) ;
  else if (!strcmp(cmd, "sweep") && argc == 1) queue_ctl_sweep(q) ;
  else if (!strcmp(cmd, "show") && (argc == 2 || (argc == 3 && !strcmp(argv[1], "-a"))))
  {
    char const *id = argv[argc - 1] ;
    queue_ctl_check_id(id) ;
    if (!queue_show(q, id, argc == 3)) queue_ctl_no_message(q, id) ;
  }
  else if (!strcmp(cmd, "flush") && argc <= 2) queue_ctl_request(q, "flush", argc == 2 ? argv[1] : 0) ;
  else if ((!strcmp(cmd, "delete") || !strcmp(cmd, "bounce")) && argc == 2) queue_ctl_request(q, cmd, argv[1]) ;
  else usage() ;
  return 0 ;
}
