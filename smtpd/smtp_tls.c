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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <skalibs/uint64.h>
#include "lib/log.h"
#include "lib/spawn.h"
#include "smtpd/smtp_tls.h"

#define SMTPD_TLS_DIR "tls"
#define SMTPD_TLS_CERT "tls/cert.pem"   /* the contract names (tls/tls.md) */
#define SMTPD_TLS_KEY "tls/key.pem"
#define SMTPD_TLS_SERVER "tls/server"   /* the path of the mxhold-tls server's socket, if any */
#define SMTPD_TLS_PROG "mxhold-tls"     /* found in $PATH */
#define SMTPD_TLS_FDS 5                 /* mxhold-tls's fds: 0/1 client, 2 log, 3 plaintext, 4 status */
#define SMTPD_TLS_GRACE_SECS 5          /* our wait beyond mxhold-tls's own handshake timeout */
#define SMTPD_TLS_STATUS_MAX 128
#define SMTPD_TLS_CLIENT_MAX 64         /* the server's longest client address (tls_server.c), NUL included */

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

/* The socketpair (*plain ours, sp1 the other end) and the status pipe
   (*status ours, st1 the write end), the far ends above mxhold-tls's
   fds. 0, or -1 + errno. */
static int channels (int *plain, int *sp1, int *status, int *st1)
{
  int sp[2] ;
  int st[2] ;
  int err ;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) return -1 ;
  if (pipe2(st, O_CLOEXEC) == -1)
  {
    err = errno ;
    close(sp[0]) ;
    close(sp[1]) ;
    errno = err ;
    return -1 ;
  }
  *plain = sp[0] ;
  *sp1 = above(sp[1]) ;
  *status = st[0] ;
  *st1 = above(st[1]) ;
  if (*sp1 != -1 && *st1 != -1) return 0 ;
  if (*sp1 != -1) close(*sp1) ;
  if (*st1 != -1) close(*st1) ;
  close(sp[0]) ;
  close(st[0]) ;
  errno = EMFILE ;
  return -1 ;
}

/* Starts mxhold-tls with the far ends. 0, or -1 + errno. */
static int spawn (struct smtp_conn *g, pid_t *pid, int sp1, int st1)
{
  char secs[UINT64_FMT + 1] ;
  char const *argv[] = { SMTPD_TLS_PROG, "-t", secs, g->conf.dir, 0 } ;
  int fds[SMTPD_TLS_FDS] = { 0, 1, 2, sp1, st1 } ;
  int err ;
  secs[uint64_fmt(secs, CONF_LIM(&g->lim, timeout_command))] = 0 ;
  err = mx_spawn(pid, argv, fds, SMTPD_TLS_FDS) ;
  if (!err) return 0 ;
  errno = err ;
  return -1 ;
}

/* The socket path named by tls/server into path; 0 if there is no such
   file (then mxhold-tls is spawned, as without a server), -1 + errno
   if it cannot be read or names nothing (logged by the caller). */
static int server_path (struct smtp_conn *g, char *path, size_t max)
{
  char name[CONF_PATH_MAX] ;
  ssize_t n ;
  int fd ;
  if (conf_path(name, g->conf.dir, SMTPD_TLS_SERVER) == -1) return 0 ;
  fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  n = read(fd, path, max - 1) ;
  close(fd) ;
  if (n == -1) return -1 ;
  while (n > 0 && (path[n - 1] == '\n' || path[n - 1] == '\r' || path[n - 1] == ' ')) n-- ;
  path[n] = 0 ;
  if (!n || memchr(path, '\n', (size_t)n) || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
  {
    errno = EINVAL ;
    return -1 ;
  }
  return 1 ;
}

/* Hands the client's socket and the far ends to the mxhold-tls server
   at path, with "SECS CLIENTIP" (tls/tls.md, "The server"). 0; -1 +
   errno if the server is not there to connect to (not running, not ours
   to talk to: a fallback); -2 + errno if it hung up on the request (it
   refused our uid: 454, as when its child fails). */
static int hand_over (struct smtp_conn *g, char const *path, int sp1, int st1)
{
  char buf[UINT64_FMT + 1 + SMTPD_TLS_CLIENT_MAX] ;
  int fds[3] = { 0, sp1, st1 } ;
  union { struct cmsghdr h ; char space[CMSG_SPACE(sizeof fds)] ; } c ;
  struct sockaddr_un sa ;
  struct iovec v ;
  struct msghdr m ;
  size_t n = uint64_fmt(buf, CONF_LIM(&g->lim, timeout_command)) ;
  char const *ip = strlen(g->ip) < SMTPD_TLS_CLIENT_MAX ? g->ip : "-" ;
  int s ;
  int r ;
  int err ;
  buf[n++] = ' ' ;
  memcpy(buf + n, ip, strlen(ip)) ;
  n += strlen(ip) ;
  memset(&sa, 0, sizeof sa) ;
  sa.sun_family = AF_UNIX ;
  memcpy(sa.sun_path, path, strlen(path)) ;
  memset(&m, 0, sizeof m) ;
  memset(&c, 0, sizeof c) ;
  v.iov_base = buf ;
  v.iov_len = n ;
  m.msg_iov = &v ;
  m.msg_iovlen = 1 ;
  m.msg_control = c.space ;
  m.msg_controllen = sizeof c.space ;
  c.h.cmsg_level = SOL_SOCKET ;
  c.h.cmsg_type = SCM_RIGHTS ;
  c.h.cmsg_len = CMSG_LEN(sizeof fds) ;
  memcpy(CMSG_DATA(&c.h), fds, sizeof fds) ;
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) ;
  if (s == -1) return -1 ;
  r = connect(s, (struct sockaddr *)&sa, sizeof sa) == -1 ? -1 : sendmsg(s, &m, MSG_NOSIGNAL) != (ssize_t)n ? -2 : 0 ;
  if (r)
  {
    err = errno ;
    close(s) ;
    errno = err ;
    return r ;
  }
  close(s) ;   /* the fds are in flight: the server's child owns them now */
  return 0 ;
}

static void fallback (struct smtp_conn *g, char const *path, int e)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "tls-fallback") ;
  mx_log_str(&l, "client", g->ip) ;
  mx_log_str(&l, "path", path) ;
  mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
}

/* Starts the session's mxhold-tls: through the server named by
   tls/server when there is one and it answers, else spawned (*pid set,
   else 0); a server that hung up on us is an error, not a fallback. *plain our end of the plaintext socket, *status the status
   pipe's read end. 0, or -1 + errno. */
static int start (struct smtp_conn *g, pid_t *pid, int *plain, int *status)
{
  char path[CONF_PATH_MAX] ;
  int sp1 ;
  int st1 ;
  int r ;
  int err ;
  *pid = 0 ;
  if (channels(plain, &sp1, status, &st1) == -1) return -1 ;
  r = server_path(g, path, sizeof path) ;
  if (r == -1)
  {
    conf_path(path, g->conf.dir, SMTPD_TLS_SERVER) ;
    fallback(g, path, errno) ;
  }
  else if (r == 1)
  {
    r = hand_over(g, path, sp1, st1) ;
    if (r == -1) fallback(g, path, errno) ;
    else r = r ? -2 : 2 ;
  }
  if (r == -2) err = errno ;
  else if (r == 2) err = 0 ;
  else err = spawn(g, pid, sp1, st1) == -1 ? errno : 0 ;
  g->tlsvia = r == 2 ? "server" : "spawn" ;
  close(sp1) ;
  close(st1) ;
  if (!err) return 0 ;
  close(*plain) ;
  close(*status) ;
  errno = err ;
  return -1 ;
}

/* One status line (no LF) within secs: its length, or -1 (EOF, timeout,
   bytes after the LF). mxhold-tls writes each line in one write(2) of
   less than PIPE_BUF, and the second only after our 220: a read never
   holds more than one line, so we read what is there, not byte by byte. */
static int status_line (int fd, char *buf, size_t max, unsigned secs)
{
  size_t n = 0 ;
  struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 } ;
  uint64_t deadline = smtp_conn_ms() + (uint64_t)secs * 1000 ;
  while (n < max)
  {
    uint64_t now = smtp_conn_ms() ;
    char *lf ;
    ssize_t r ;
    int w = now >= deadline ? 0 : poll(&p, 1, (int)(deadline - now)) ;
    if (w == -1 && errno == EINTR) continue ;
    if (w <= 0) return -1 ;
    r = read(fd, buf + n, max - n) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r <= 0) return -1 ;
    lf = memchr(buf + n, '\n', (size_t)r) ;
    n += (size_t)r ;
    if (lf) return lf == buf + n - 1 ? (int)(lf - buf) : -1 ;
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

/* A server's child is not ours to kill or reap: it has our fds' far
   ends and its own deadline. */
static void reap (pid_t pid, int plain, int status, int kill_it)
{
  close(plain) ;
  close(status) ;
  if (!pid) return ;
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
  mx_log_str(&l, "via", g->tlsvia) ;
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
  if (start(g, &pid, &plain, &status) == -1)
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
  if (pid) close(status) ;
  else g->tlsdone = status + 1 ;   /* its EOF: the server's child has exited */
  g->tlspid = pid ;
  if (dup2(plain, 0) == -1 || dup2(plain, 1) == -1) smtp_conn_end(g, SMTPD_END_ERROR, 111) ;
  close(plain) ;
  started(g) ;
  return 1 ;
}

void smtp_tls_end (struct smtp_conn *g)
{
  char buf[SMTPD_TLS_STATUS_MAX] ;
  if (g->tlspid <= 0 && !g->tlsdone) return ;
  /* mxhold-tls reads EOF, sends what is left and a close_notify, exits */
  close(0) ;
  close(1) ;
  if (g->tlspid > 0)
    while (waitpid(g->tlspid, 0, 0) == -1 && errno == EINTR) ;
  while (g->tlsdone)
  {
    ssize_t r = read(g->tlsdone - 1, buf, sizeof buf) ;
    if (r <= 0 && !(r == -1 && errno == EINTR)) break ;
  }
}
