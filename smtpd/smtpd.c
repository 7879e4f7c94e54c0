/* smtpd.c: mxhold-smtpd, an RFC 5321 server on fd 0/1 (under tcpserver)
   that accepts mail for the configured customer domains and hands each
   message to the rest of its command line (the qmail-queue interface). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "smtpd/smtp_conn.h"
#include "smtpd/smtp_session.h"

#define USAGE "mxhold-smtpd prog..."
#define SMTPD_NOCONF_WSECS 30   /* the write timeout before the config gives one */

static struct smtp_conn g ;

static char const *env_or_dash (char const *name)
{
  char const *s = getenv(name) ;
  return s && *s ? s : "-" ;
}

/* The config is unreadable: tell the client to come back, then die.
   file: the key that is missing, or 0 if the config cannot be opened. */
static void noconf (char const *file, int e) __attribute__((noreturn)) ;
static void noconf (char const *file, int e)
{
  struct mx_log l ;
  smtp_io_init_fd(&g.io, SMTPD_NOCONF_WSECS) ;
  smtp_conn_refuse(&g, "config", "421 4.3.0 service temporarily unavailable") ;
  smtp_conn_close(&g, SMTPD_END_ERROR) ;
  mx_log_start(&l, MX_LOG_FATAL, "config-unreadable") ;
  mx_log_str(&l, "path", conf_dir(0)) ;
  if (file) mx_log_str(&l, "file", file) ;
  mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
  _exit(111) ;
}

int main (int argc, char const *const *argv)
{
  struct stat st ;
  mx_log_prog = "mxhold-smtpd" ;
  mx_cli_std(argc, argv, USAGE, "an SMTP server on fd 0/1 that hands each message to the rest of its command line") ;
  if (argc < 2) mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  g.start = smtp_conn_ms() ;
  g.argv = argv + 1 ;
  g.ip = env_or_dash("TCPREMOTEIP") ;
  g.port = env_or_dash("TCPREMOTEPORT") ;
  g.stage = "connect" ;
  smtp_conn_connect(&g) ;
  /* a child that quits early must not kill us: its exit status says why */
  signal(SIGPIPE, SIG_IGN) ;
  /* inherited SIG_IGN would reap the child for us and hide its status */
  signal(SIGCHLD, SIG_DFL) ;
  if (conf_open(&g.conf, 0) == -1) noconf(0, errno) ;
  if (!conf_me(&g.conf, &g.me)) noconf("me", ENOENT) ;
  conf_limits_get(&g.conf, g.ip[0] == '-' ? 0 : g.ip, &g.lim, &g.trusted) ;
  smtp_guard_init(&g.guard, g.start, CONF_LIM(&g.lim, timeout_session), CONF_LIM(&g.lim, idle_commands),
                  CONF_LIM(&g.lim, data_rate_min), CONF_LIM(&g.lim, data_rate_window)) ;
  g.sock = fstat(0, &st) == 0 && S_ISSOCK(st.st_mode) ;
  smtp_io_init_fd(&g.io, (unsigned)CONF_LIM(&g.lim, timeout_command)) ;
  smtp_session_run(&g) ;
}
