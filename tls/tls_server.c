/* tls_server.c: mxhold-tls -d (tls_server.h). The server accepts,
   checks the peer's uid, makes sure its pair is the files' and forks;
   it reads no byte from the connection. The child reads smtpd's one
   request (SCM_RIGHTS: the client's socket, the plaintext socket, the
   status pipe; the bytes "SECS CLIENTIP"), puts the fds where a spawned
   mxhold-tls has them and runs the same session. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/u64.h"
#include "tls/tls_pair.h"
#include "tls/tls_server.h"
#include "tls/tls_session.h"

#define TLS_SERVER_BACKLOG 128
#define TLS_REQUEST_FDS 3          /* client socket, plaintext socket, status pipe */
#define TLS_REQUEST_MAX 128        /* "SECS CLIENTIP" */
#define TLS_REQUEST_MS 10000       /* smtpd sends it right after connect */
#define TLS_CLIENT_MAX 64
#define TLS_FD_LOW 5               /* above every fd the session uses */

static void bad_request (char const *detail) __attribute__((noreturn)) ;
static void bad_request (char const *detail)
{
  mx_log_kv(MX_LOG_WARN, "bad-request", "detail", detail, (char const *)0) ;
  _exit(111) ;
}

static int listen_on (char const *path)
{
  struct sockaddr_un sa ;
  struct stat st ;
  int s ;
  if (strlen(path) >= sizeof sa.sun_path)
    mx_die_kv(100, "usage", "option", "d", "value", path, "usage", "socket path too long", (char const *)0) ;
  memset(&sa, 0, sizeof sa) ;
  sa.sun_family = AF_UNIX ;
  memcpy(sa.sun_path, path, strlen(path)) ;
  /* a socket left by a server that died is ours to replace; anything else is not */
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path) ;
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) ;
  umask(007) ;   /* srwxrwx---: smtpd's group connects (tls.md, "Who may connect") */
  if (s == -1 || bind(s, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(s, TLS_SERVER_BACKLOG) == -1)
  {
    int e = errno ;
    struct mx_log l ;
    mx_log_start(&l, MX_LOG_FATAL, "cannot-listen") ;
    mx_log_str(&l, "path", path) ;
    mx_log_errno(&l, e) ;
    mx_log_end(&l) ;
    _exit(111) ;
  }
  return s ;
}

/* 1 if the peer on fd may ask (uid -1: whoever the socket's mode lets in). */
static int peer_ok (int fd, uid_t uid)
{
  struct ucred cred ;
  socklen_t len = sizeof cred ;
  char num[MX_U64_FMT + 1] ;
  if (uid == (uid_t)-1) return 1 ;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) cred.uid = (uid_t)-1 ;
  if (cred.uid == uid) return 1 ;
  num[mx_u64_fmt(num, (uint64_t)cred.uid)] = 0 ;
  mx_log_kv(MX_LOG_INFO, "refused", "reason", "peer", "uid", num, (char const *)0) ;
  return 0 ;
}

static int move_up (int fd)
{
  int n = fcntl(fd, F_DUPFD_CLOEXEC, TLS_FD_LOW) ;
  if (n == -1) bad_request("cannot move a descriptor") ;
  close(fd) ;
  return n ;
}

/* The request's fds into got (moved above the session's fds) and its
   bytes into buf, NUL-terminated. */
static void receive (int conn, int got[TLS_REQUEST_FDS], char *buf, size_t max)
{
  union { struct cmsghdr h ; char space[CMSG_SPACE(sizeof(int) * TLS_REQUEST_FDS)] ; } c ;
  struct iovec v = { .iov_base = buf, .iov_len = max - 1 } ;
  struct msghdr m ;
  struct cmsghdr *h ;
  struct pollfd p = { .fd = conn, .events = POLLIN, .revents = 0 } ;
  ssize_t r ;
  size_t n = 0 ;
  int i ;
  memset(&m, 0, sizeof m) ;
  m.msg_iov = &v ;
  m.msg_iovlen = 1 ;
  m.msg_control = c.space ;
  m.msg_controllen = sizeof c.space ;
  if (poll(&p, 1, TLS_REQUEST_MS) != 1) bad_request("no request in time") ;
  r = recvmsg(conn, &m, MSG_CMSG_CLOEXEC) ;
  if (r <= 0) bad_request(r ? strerror(errno) : "no request") ;
  buf[r] = 0 ;
  h = CMSG_FIRSTHDR(&m) ;
  if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
    n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int) ;
  if ((m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || n != TLS_REQUEST_FDS)
    bad_request("not three descriptors") ;
  memcpy(got, CMSG_DATA(h), sizeof(int) * TLS_REQUEST_FDS) ;
  for (i = 0 ; i < TLS_REQUEST_FDS ; i++) got[i] = move_up(got[i]) ;
}

/* "SECS CLIENTIP": secs, and the client into TCPREMOTEIP for the log. */
static unsigned parse (char *buf)
{
  char *sp = strchr(buf, ' ') ;
  uint64_t secs ;
  size_t i ;
  if (!sp || !mx_u64_scan_all(buf, (size_t)(sp - buf), TLS_SECS_MAX, &secs) || !secs) bad_request("bad seconds") ;
  sp++ ;
  if (!*sp || strlen(sp) >= TLS_CLIENT_MAX) bad_request("bad client") ;
  for (i = 0 ; sp[i] ; i++)
    if (!strchr("0123456789abcdefABCDEF.:-", sp[i])) bad_request("bad client") ;
  if (setenv("TCPREMOTEIP", sp, 1) == -1) bad_request("memory") ;
  return (unsigned)secs ;
}

static void child (int listener, int conn, struct tls_pair *p) __attribute__((noreturn)) ;
static void child (int listener, int conn, struct tls_pair *p)
{
  char buf[TLS_REQUEST_MAX] ;
  int got[TLS_REQUEST_FDS] ;
  unsigned secs ;
  signal(SIGCHLD, SIG_DFL) ;
  close(listener) ;
  conn = move_up(conn) ;
  receive(conn, got, buf, sizeof buf) ;
  close(conn) ;
  secs = parse(buf) ;
  if (dup2(got[0], 0) == -1 || dup2(got[0], 1) == -1 || dup2(got[1], TLS_PLAIN_FD) == -1 || dup2(got[2], TLS_STATUS_FD) == -1)
    bad_request("cannot place the descriptors") ;
  close(got[0]) ;
  close(got[1]) ;
  close(got[2]) ;
  if (!p->ctx) tls_unavailable(p->reason, p->path, p->detail) ;
  tls_session(p->ctx, secs) ;
}

static void reaper (int sig)
{
  int e = errno ;
  (void)sig ;
  while (waitpid(-1, 0, WNOHANG) > 0) ;
  errno = e ;
}

/* The children are waited for (not left to the kernel with SIG_IGN), so
   that their CPU counts in ours (getrusage, /proc: the benchmark). */
static void reap_children (void)
{
  struct sigaction sa ;
  memset(&sa, 0, sizeof sa) ;
  sa.sa_handler = reaper ;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP ;
  sigemptyset(&sa.sa_mask) ;
  sigaction(SIGCHLD, &sa, 0) ;
}

static void loaded (struct tls_pair *p)
{
  if (p->ctx) mx_log_kv(MX_LOG_INFO, "tls-loaded", "path", p->dir, (char const *)0) ;
  else mx_log_kv(MX_LOG_WARN, "tls-unavailable", "client", "-", "path", p->path[0] ? p->path : "-",
    "reason", p->reason, "detail", p->detail, (char const *)0) ;
}

void tls_server (char const *path, uid_t uid, char const *dir)
{
  struct tls_pair p ;
  int s ;
  memset(&p, 0, sizeof p) ;
  p.dir = dir ;
  signal(SIGPIPE, SIG_IGN) ;
  reap_children() ;
  if (tls_pair_refresh(&p)) loaded(&p) ;
  s = listen_on(path) ;
  mx_log_kv(MX_LOG_INFO, "listening", "path", path, (char const *)0) ;
  for (;;)
  {
    pid_t pid ;
    int conn = accept4(s, 0, 0, SOCK_CLOEXEC) ;
    if (conn == -1)
    {
      if (errno != EINTR && errno != ECONNABORTED)
      {
        mx_log_kv(MX_LOG_WARN, "accept-failed", "error", strerror(errno), (char const *)0) ;
        poll(0, 0, 100) ;   /* out of fds: let children exit rather than spin */
      }
      continue ;
    }
    if (!peer_ok(conn, uid))
    {
      close(conn) ;
      continue ;
    }
    if (tls_pair_refresh(&p)) loaded(&p) ;
    pid = fork() ;
    if (!pid) child(s, conn, &p) ;
    if (pid == -1) mx_log_kv(MX_LOG_WARN, "fork-failed", "error", strerror(errno), (char const *)0) ;
    close(conn) ;   /* smtpd reads EOF on its status pipe: 454 */
  }
}
