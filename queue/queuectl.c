/* queuectl.c: mxhold-queuectl, the operator's view of the queue and the
   way to ask a running mxhold-deliver to flush, delete or bounce. */

#include <string.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include "queue/queue.h"
#include "queue/queuectl.h"

#define USAGE "mxhold-queuectl [ -c confdir ] [ -q queuedir ] init | list | show [ -a ] ID | stats | flush [ DOMAIN ] | delete ID | bounce ID | sweep"

int main (int argc, char const *const *argv)
{
  char const *confdir = 0, *qdir = 0, *cmd ;
  char q[QUEUE_PATH_MAX] ;
  subgetopt l = SUBGETOPT_ZERO ;
  PROG = "queuectl" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:q:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' : confdir = l.arg ; break ;
      case 'q' : qdir = l.arg ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  argc -= l.ind ; argv += l.ind ;
  if (!argc) strerr_dieusage(100, USAGE) ;
  cmd = argv[0] ;
  if (qdir)
  {
    if (strlen(qdir) >= sizeof q) strerr_dief1x(100, "queue directory name too long") ;
    memcpy(q, qdir, strlen(qdir) + 1) ;
  }
  else if (queue_dir_find(confdir, q, sizeof q) == -1)
    strerr_diefu1sys(111, "find the queue directory (config.cdb \"queue\", or $MXHOLD_QUEUE)") ;

  if (!strcmp(cmd, "init") && argc == 1) queue_ctl_init(q) ;
  else if (!strcmp(cmd, "list") && argc == 1) queue_list(q) ;
  else if (!strcmp(cmd, "stats") && argc == 1) queue_stats(q) ;
  else if (!strcmp(cmd, "sweep") && argc == 1) queue_ctl_sweep(q) ;
  else if (!strcmp(cmd, "show") && (argc == 2 || (argc == 3 && !strcmp(argv[1], "-a"))))
  {
    char const *id = argv[argc - 1] ;
    if (!queue_id_valid(id, strlen(id))) strerr_dief2x(100, "not a queue id: ", id) ;
    if (!queue_show(q, id, argc == 3)) strerr_dief3x(100, "no message ", id, " in the queue") ;
  }
  else if (!strcmp(cmd, "flush") && argc <= 2) queue_ctl_request(q, "flush", argc == 2 ? argv[1] : 0) ;
  else if ((!strcmp(cmd, "delete") || !strcmp(cmd, "bounce")) && argc == 2) queue_ctl_request(q, cmd, argv[1]) ;
  else strerr_dieusage(100, USAGE) ;
  return 0 ;
}
