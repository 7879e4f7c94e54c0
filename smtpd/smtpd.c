/* smtpd.c: mxhold-smtpd, an RFC 5321 server on fd 0/1 (under tcpserver)
   that accepts mail for the configured customer domains and hands each
   message to the rest of its command line (the qmail-queue interface). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skalibs/strerr.h>
#include "smtpd/smtpd.h"

#define USAGE "mxhold-smtpd prog..."

static struct smtpd g ;

/* The config is unreadable: tell the client to come back, then die. */
static void noconf (char const *what)
{
  int e = errno ;
  smtp_io_init_fd(&g.io, 30) ;
  smtp_reply(&g, "421 4.3.0 service temporarily unavailable") ;
  smtp_io_flush(&g.io) ;
  errno = e ;
  strerr_diefu2sys(111, "read config ", what) ;
}

int main (int argc, char const *const *argv)
{
  struct stat st ;
  PROG = "smtpd" ;
  if (argc < 2) strerr_dieusage(100, USAGE) ;
  g.argv = argv + 1 ;
  g.ip = getenv("TCPREMOTEIP") ;
  if (!g.ip || !*g.ip) g.ip = "-" ;
  /* a child that quits early must not kill us: its exit status says why */
  signal(SIGPIPE, SIG_IGN) ;
  /* inherited SIG_IGN would reap the child for us and hide its status */
  signal(SIGCHLD, SIG_DFL) ;
  if (conf_open(&g.conf, 0) == -1) noconf(conf_dir(0)) ;
  if (!conf_me(&g.conf, &g.me)) { errno = ENOENT ; noconf("me") ; }
  conf_limits_get(&g.conf, g.ip[0] == '-' ? 0 : g.ip, &g.lim, &g.trusted) ;
  g.sock = fstat(0, &st) == 0 && S_ISSOCK(st.st_mode) ;
  smtp_io_init_fd(&g.io, (unsigned)CONF_LIM(&g.lim, timeout_command)) ;
  return smtp_session_run(&g) ;
}
