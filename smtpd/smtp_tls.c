/* smtp_tls.c: STARTTLS through mxhold-tls (smtp_tls.h). The status pipe
   from mxhold-tls carries two lines: "ready" once the key pair is loaded
   (then we say 220), "PROTOCOL CIPHER" once the handshake is done; EOF
   before either is a failure that mxhold-tls has logged. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <skalibs/uint64.h>
#include "lib/log.h"
#include "lib/spawn.h"
#include "smtpd/smtp_tls.h"

#define SMTPD_TLS_DIR "tls"
#define SMTPD_TLS_CERT "tls/cert.pem"   /* the contract names (tls/tls.md) */
#define SMTPD_TLS_KEY "tls/key.pem"
#define SMTPD_TLS_PROG "mxhold-tls"     /* found in $PATH */
#define SMTPD_TLS_FDS 5                 /* mxhold-tls's fds: 0/1 client, 2 log, 3 plaintext, 4 status */
#define SMTPD_TLS_GRACE_SECS 5          /* our wait beyond mxhold-tls's own handshake timeout */
#define SMTPD_TLS_STATUS_MAX 128

enum { TLS_UNKNOWN, TLS_OFF, TLS_BROKEN, TLS_READY } ;

/* name is a non-empty regular file; with readable, one we can open too.
   The key is only stat(2)ed: mxhold-tls reads it, and an operator may
   make it readable to mxhold-tls's group alone (tls/tls.md). */
static int usable (struct smtp_conn *g, char const *name, int readable, char const **reason, int *e)
{
  char path[CONF_PATH_MAX] ;
  struct stat st ;
  int r ;
  int fd = -1 ;
  *e = 0 ;
  if (conf_path(path, g->conf.dir, name) == -1) return 0 ;
  if (readable)
  {
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) ;
    r = fd == -1 ? -1 : fstat(fd, &st) ;
  }
  else r = stat(path, &st) ;
  if (r == -1)
  {
    *e = errno ;
    *reason = errno == ENOENT ? "missing" : "unreadable" ;
  }
  if (fd != -1) close(fd) ;
  if (r == -1) return 0 ;
  *reason = "empty" ;
  return S_ISREG(st.st_mode) && st.st_size > 0 ;
}

static void check (struct smtp_conn *g)
{
  char path[CONF_PATH_MAX] ;
  struct stat st ;
  char const *reason = "missing" ;
  char const *name = SMTPD_TLS_DIR ;
  int e = 0 ;
  g->tlsstate = TLS_OFF ;
  if (conf_path(path, g->conf.dir, SMTPD_TLS_DIR) == -1 || (stat(path, &st) == -1 && errno == ENOENT)) return ;
  g->tlsstate = TLS_READY ;
  name = SMTPD_TLS_CERT ;
  if (usable(g, name, 1, &reason, &e))
  {
    name = SMTPD_TLS_KEY ;
    if (usable(g, name, 0, &reason, &e)) return ;
  }
  g->tlsstate = TLS_BROKEN ;
  if (conf_path(path, g->conf.dir, name) == -1) path[0] = 0 ;
  {
    struct mx_log l ;
    mx_log_start(&l, MX_LOG_WARN, "tls-unavailable") ;
    mx_log_str(&l, "client", g->ip) ;
    mx_log_str(&l, "path", path) ;
    mx_log_str(&l, "reason", reason) ;
    if (e) mx_log_errno(&l, e) ;
    mx_log_end(&l) ;
  }
}

int smtp_tls_offer (struct smtp_conn *g)
{
  if (g->tls[0]) return 0 ;
  if (g->tlsstate == TLS_UNKNOWN) check(g) ;
  return g->tlsstate == TLS_READY ;
}

/* fd moved to SMTPD_TLS_FDS or above, so that no dup2 of mx_spawn
   overwrites it before it is read (spawn.h). */
static int above (int fd)
{
  int n ;
  if (fd >= SMTPD_TLS_FDS) return fd ;
  n = fcntl(fd, F_DUPFD_CLOEXEC, SMTPD_TLS_FDS) ;
  close(fd) ;
  return n ;
}

/* Starts mxhold-tls: *plain our end of the plaintext socket, *status the
   status pipe's read end. 0, or -1 + errno. */
static int spawn (struct smtp_conn *g, pid_t *pid, int *plain, int *status)
{
  char secs[UINT64_FMT + 1] ;
  char const *argv[] = { SMTPD_TLS_PROG, "-t", secs, g->conf.dir, 0 } ;
  int sp[2] ;
  int st[2] ;
  int err ;
  secs[uint64_fmt(secs, CONF_LIM(&g->lim, timeout_command))] = 0 ;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) return -1 ;
  if (pipe2(st, O_CLOEXEC) == -1)
  {
    err = errno ;
    close(sp[0]) ;
    close(sp[1]) ;
    errno = err ;
    return -1 ;
  }
  sp[1] = above(sp[1]) ;
  st[1] = above(st[1]) ;
  {
    int fds[SMTPD_TLS_FDS] = { 0, 1, 2, sp[1], st[1] } ;
    err = sp[1] == -1 || st[1] == -1 ? EMFILE : mx_spawn(pid, argv, fds, SMTPD_TLS_FDS) ;
  }
  if (sp[1] != -1) close(sp[1]) ;
  if (st[1] != -1) close(st[1]) ;
  *plain = sp[0] ;
  *status = st[0] ;
  if (!err) return 0 ;
  close(sp[0]) ;
  close(st[0]) ;
  errno = err ;
  return -1 ;
}

/* One status line (no LF) within secs: its length, or -1 (EOF, timeout). */
static int status_line (int fd, char *buf, size_t max, unsigned secs)
{
  size_t n = 0 ;
  struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 } ;
  uint64_t deadline = smtp_conn_ms() + (uint64_t)secs * 1000 ;
  while (n < max)
  {
    uint64_t now = smtp_conn_ms() ;
    ssize_t r ;
    int w = now >= deadline ? 0 : poll(&p, 1, (int)(deadline - now)) ;
    if (w == -1 && errno == EINTR) continue ;
    if (w <= 0) return -1 ;
    r = read(fd, buf + n, 1) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r <= 0) return -1 ;
    if (buf[n] == '\n') return (int)n ;
    n++ ;
  }
  return -1 ;
}

static int name_byte (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ;
}

/* "PROTOCOL CIPHER" (two names, one space) as g->tls, "PROTOCOL/CIPHER"
   (doc/log.md's tls=). 0 if the line is not that. */
static int negotiated (struct smtp_conn *g, char const *s, size_t n)
{
  char const *sp = memchr(s, ' ', n) ;
  size_t i ;
  if (!sp || sp == s || sp == s + n - 1 || n >= sizeof g->tls) return 0 ;
  for (i = 0 ; i < n ; i++)
    if (s + i != sp && !name_byte(s[i])) return 0 ;
  memcpy(g->tls, s, n) ;
  g->tls[n] = 0 ;
  g->tls[sp - s] = '/' ;
  return 1 ;
}

static void reap (pid_t pid, int plain, int status, int kill_it)
{
  close(plain) ;
  close(status) ;
  if (kill_it) kill(pid, SIGKILL) ;
  while (waitpid(pid, 0, 0) == -1 && errno == EINTR) ;
}

static void started (struct smtp_conn *g)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "starttls") ;
  mx_log_str(&l, "client", g->ip) ;
  mx_log_str(&l, "helo", g->helo[0] ? g->helo : "-") ;
  mx_log_str(&l, "tls", g->tls) ;
  mx_log_end(&l) ;
}

/* The refusals before anything is started; 1 if STARTTLS may go on. */
static int allowed (struct smtp_conn *g, struct span arg)
{
  if (g->tls[0]) smtp_conn_refuse(g, "tls-active", "503 5.5.1 TLS already active") ;
  else if (!smtp_tls_offer(g))
  {
    if (g->tlsstate == TLS_OFF) smtp_conn_refuse(g, "not-implemented", "502 5.5.1 STARTTLS not available") ;
    else smtp_conn_refuse(g, "tls-unavailable", "454 4.7.0 TLS not available now, try again later") ;
  }
  else if (arg.len)
  {
    g->showline = 1 ;
    smtp_conn_refuse(g, "syntax", "501 5.5.4 STARTTLS takes no argument") ;
  }
  else if (!g->ehlo) smtp_conn_refuse(g, "sequence", "503 5.5.1 send EHLO first") ;
  else if (g->inmail) smtp_conn_refuse(g, "sequence", "503 5.5.1 mail transaction in progress") ;
  else return 1 ;
  return 0 ;
}

int smtp_tls_start (struct smtp_conn *g, struct span arg)
{
  char line[SMTPD_TLS_STATUS_MAX] ;
  unsigned secs = (unsigned)CONF_LIM(&g->lim, timeout_command) + SMTPD_TLS_GRACE_SECS ;
  pid_t pid ;
  int plain ;
  int status ;
  int n ;
  if (!allowed(g, arg)) return 0 ;
  if (spawn(g, &pid, &plain, &status) == -1)
  {
    smtp_conn_refuse_errno(g, "tls-unavailable", "454 4.7.0 TLS not available now, try again later", errno) ;
    return 0 ;
  }
  n = status_line(status, line, sizeof line, secs) ;
  if (n != 5 || memcmp(line, "ready", 5))
  {
    reap(pid, plain, status, 1) ;   /* mxhold-tls logged why (tls-unavailable) */
    g->tlsstate = TLS_BROKEN ;
    smtp_conn_refuse(g, "tls-unavailable", "454 4.7.0 TLS not available now, try again later") ;
    return 0 ;
  }
  /* RFC 3207 4.2 and the command-injection class: what the client sent
     after STARTTLS, before the handshake, is not TLS-protected: dropped */
  g->io.inpos = g->io.inlen ;
  smtp_conn_reply(g, "220 2.0.0 ready to start TLS") ;
  n = smtp_io_flush(&g->io) == -1 ? -1 : status_line(status, line, sizeof line, secs) ;
  if (n == -1 || !negotiated(g, line, (size_t)n))
  {
    reap(pid, plain, status, 1) ;   /* mxhold-tls logged why (tls-failed) */
    smtp_conn_end(g, "tls-failed", 0) ;
  }
  close(status) ;
  if (dup2(plain, 0) == -1 || dup2(plain, 1) == -1) smtp_conn_end(g, SMTPD_END_ERROR, 111) ;
  close(plain) ;
  g->tlspid = pid ;
  started(g) ;
  return 1 ;
}
