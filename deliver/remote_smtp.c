/* remote_smtp.c: one SMTP client session (RFC 5321) for a batch of
   messages: connect with a timeout, replies and writes with a timeout,
   EHLO/HELO, the batch over one connection per address (the transactions
   are in remote_txn.c), QUIT, and the result lines. libc I/O. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include "queue/queue.h"
#include "deliver/remote.h"
#include "deliver/remote_io.h"

struct dlv_buf remote_err = DLV_BUF_ZERO ;   /* last error text, for t results */

void remote_seterr (char const *what, char const *why)
{
  remote_err.len = 0 ;
  dlv_buf_cats(&remote_err, what) ;
  dlv_buf_cats(&remote_err, why) ;
}

static int64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

/* The end of a step that starts now: io->timeout seconds from now. */
static int64_t io_deadline (struct remote_io const *io)
{
  return now_ms() + (int64_t)io->timeout * 1000 ;
}

/* Waits for ev until the step's deadline, not for a fresh timeout per
   read: a server that drips one byte at a time must not stretch a step. */
static int io_wait (struct remote_io *io, short ev, int64_t deadline)
{
  struct pollfd p = { .fd = io->fd, .events = ev } ;
  int r ;
  for (;;)
  {
    int64_t left = deadline - now_ms() ;
    if (left <= 0) { errno = ETIMEDOUT ; return -1 ; }
    r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == 0) { errno = ETIMEDOUT ; return -1 ; }
    return r > 0 ? 0 : -1 ;
  }
}

int remote_io_put (struct remote_io *io, char const *s, size_t len)
{
  int64_t deadline = io_deadline(io) ;
  while (len)
  {
    ssize_t w = write(io->fd, s, len) ;
    if (w == -1)
    {
      if (errno == EINTR) continue ;
      if (errno != EAGAIN || io_wait(io, POLLOUT, deadline) == -1) { remote_seterr("write failed: ", strerror(errno)) ; return -1 ; }
      continue ;
    }
    s += w ; len -= (size_t)w ;
  }
  return 0 ;
}

/* Reads one reply. 0 with code and text (text reset first), or -1 with err set. */
int remote_io_reply (struct remote_io *io, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext)
{
  int64_t deadline = io_deadline(io) ;
  text->len = 0 ;
  for (;;)
  {
    long r = remote_reply_parse(io->in, io->len, code, text, ext) ;
    ssize_t n ;
    if (r > 0)
    {
      memmove(io->in, io->in + r, io->len - (size_t)r) ;
      io->len -= (size_t)r ;
      return 0 ;
    }
    if (r < 0) { remote_seterr("protocol error: ", "malformed reply from downstream") ; return -1 ; }
    if (io->len == sizeof io->in) { remote_seterr("protocol error: ", "reply too long") ; return -1 ; }
    n = read(io->fd, io->in + io->len, sizeof io->in - io->len) ;
    if (n > 0) { io->len += (size_t)n ; continue ; }
    if (n == 0) { remote_seterr("connection closed by downstream", "") ; return -1 ; }
    if (errno == EINTR) continue ;
    if (errno != EAGAIN) { remote_seterr("read failed: ", strerror(errno)) ; return -1 ; }
    if (io_wait(io, POLLIN, deadline) == -1) { remote_seterr("timeout waiting for reply", "") ; return -1 ; }
  }
}

/* Sends a command line (CRLF added) and reads the reply. */
int remote_io_cmd (struct remote_io *io, char const *a, char const *b, char const *c, unsigned int *code, struct dlv_buf *text)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  int r ;
  if (dlv_buf_cats(&l, a) == -1 || dlv_buf_cats(&l, b) == -1 || dlv_buf_cats(&l, c) == -1 || dlv_buf_cat(&l, "\r\n", 2) == -1)
  { dlv_buf_free(&l) ; remote_seterr("out of memory", "") ; return -1 ; }
  r = remote_io_put(io, l.s, l.len) ;
  dlv_buf_free(&l) ;
  return r == -1 ? -1 : remote_io_reply(io, code, text, 0) ;
}

static int io_connect (struct remote_io *io, struct remote_addr const *a, unsigned int tconn)
{
  struct sockaddr_storage ss ;
  socklen_t sl ;
  char ipt[INET6_ADDRSTRLEN] ;
  int e = 0 ;
  socklen_t el = sizeof e ;
  memset(&ss, 0, sizeof ss) ;
  if (a->family == 4)
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss ;
    s4->sin_family = AF_INET ; s4->sin_port = htons(a->port) ; memcpy(&s4->sin_addr, a->ip, 4) ;
    sl = sizeof *s4 ;
  }
  else
  {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss ;
    s6->sin6_family = AF_INET6 ; s6->sin6_port = htons(a->port) ; memcpy(&s6->sin6_addr, a->ip, 16) ;
    sl = sizeof *s6 ;
  }
  inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, ipt, sizeof ipt) ;
  {
    struct dlv_buf h = DLV_BUF_ZERO ;
    dlv_buf_cats(&h, a->name) ; dlv_buf_cats(&h, "[") ; dlv_buf_cats(&h, ipt) ; dlv_buf_cats(&h, "]:") ; dlv_buf_catu(&h, a->port) ;
    if (h.s) { size_t n = h.len < sizeof io->host - 1 ? h.len : sizeof io->host - 1 ; memcpy(io->host, h.s, n) ; io->host[n] = 0 ; }
    dlv_buf_free(&h) ;
  }
  io->len = 0 ;
  io->fd = socket(a->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (io->fd == -1) { remote_seterr("socket: ", strerror(errno)) ; return -1 ; }
  /* A message goes out in several writes (text, then the final dot).
     With Nagle, the last small write waits for the ACK of the one before,
     which the peer delays (~40 ms on Linux): every delivery took 40 ms
     longer. We never write byte by byte, so no Nagle. */
  {
    int one = 1 ;
    setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  }
  if (connect(io->fd, (struct sockaddr *)&ss, sl) == 0) return 0 ;
  if (errno == EINPROGRESS)
  {
    io->timeout = tconn ;
    if (io_wait(io, POLLOUT, io_deadline(io)) == 0 && getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && !e) return 0 ;
    if (!e) e = errno ;
  }
  else e = errno ;
  remote_seterr("connect failed: ", strerror(e)) ;
  close(io->fd) ; io->fd = -1 ;
  return -1 ;
}

void remote_result (struct remote_msg *m, size_t r, char status, char const *host, char const *text, size_t len)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  char st[3] = { ' ', status, ' ' } ;
  if (m->done[r]) return ;
  m->done[r] = 1 ;
  if (dlv_buf_cats(&l, m->id) == -1 || dlv_buf_cat(&l, " ", 1) == -1 || dlv_buf_cats(&l, m->idx[r]) == -1
   || dlv_buf_cat(&l, st, 3) == -1 || dlv_buf_cats(&l, host && *host ? host : "-") == -1
   || dlv_buf_cat(&l, " ", 1) == -1 || dlv_buf_catsafe(&l, text, len > REMOTE_TEXT_MAX ? REMOTE_TEXT_MAX : len) == -1
   || dlv_buf_cat(&l, "\n", 1) == -1) { dlv_buf_free(&l) ; return ; }
  /* one write per line, so deliver sees whole lines even if we die */
  for (size_t o = 0 ; o < l.len ; )
  {
    ssize_t w = write(1, l.s + o, l.len - o) ;
    if (w == -1)
    {
      if (errno == EINTR) continue ;
      /* deliver is gone (killed): whatever we send now could not be
         recorded and would be sent again, so stop at once */
      _exit(111) ;
    }
    o += (size_t)w ;
  }
  dlv_buf_free(&l) ;
}

void remote_result_rest (struct remote_msg *msgs, size_t from, size_t n, char const *host, char const *text)
{
  for (size_t i = from ; i < n ; i++)
    for (size_t r = 0 ; r < msgs[i].n ; r++)
      remote_result(msgs + i, r, 't', host, text, strlen(text)) ;
}


/* Greeting and EHLO (HELO if EHLO is refused). 0, or -1 with err set. */
static int hello (struct remote_io *io, char const *me, struct remote_ext *ext)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  int rc = -1 ;
  memset(ext, 0, sizeof *ext) ;
  if (remote_io_reply(io, &code, &t, 0) == -1) goto end ;
  if (code / 100 != 2) { remote_seterr("greeting: ", t.s ? t.s : "") ; goto end ; }
  if (dlv_buf_cats(&t, "") == -1) goto end ;
  {
    struct dlv_buf l = DLV_BUF_ZERO ;
    dlv_buf_cats(&l, "EHLO ") ; dlv_buf_cats(&l, me) ; dlv_buf_cat(&l, "\r\n", 2) ;
    if (!l.s || remote_io_put(io, l.s, l.len) == -1 || remote_io_reply(io, &code, &t, ext) == -1) { dlv_buf_free(&l) ; goto end ; }
    dlv_buf_free(&l) ;
  }
  if (code / 100 != 2)
  {
    memset(ext, 0, sizeof *ext) ;
    if (remote_io_cmd(io, "HELO ", me, "", &code, &t) == -1) goto end ;
    if (code / 100 != 2) { remote_seterr("HELO: ", t.s ? t.s : "") ; goto end ; }
  }
  /* STARTTLS hook: when ext->starttls and the domain's tls policy asks for
     it, the handshake goes here, then EHLO again (RFC 3207 4.2). */
  rc = 0 ;
 end:
  dlv_buf_free(&t) ;
  return rc ;
}

/* The connection kept between batches (remote.md: batches and the idle
   marker). io.fd is -1 when there is none. */
static struct remote_io io = { .fd = -1 } ;
static struct remote_ext ext ;

int remote_connected (void)
{
  return io.fd >= 0 ;
}

/* A kept connection is usable if nothing is waiting on it: a server only
   talks first to close (421 on an idle timeout, or a plain FIN). */
static int io_alive (void)
{
  struct pollfd p = { .fd = io.fd, .events = POLLIN } ;
  if (io.len) return 0 ;
  return poll(&p, 1, 0) == 0 ;
}

static void io_drop (void)
{
  if (io.fd >= 0) close(io.fd) ;
  io.fd = -1 ; io.len = 0 ;
}

void remote_quit (struct remote_cfg const *cfg)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  if (io.fd < 0) return ;
  io.timeout = REMOTE_QUIT_TIMEOUT < cfg->timeout_remote ? REMOTE_QUIT_TIMEOUT : cfg->timeout_remote ;
  remote_io_cmd(&io, "QUIT", "", "", &code, &t) ;
  dlv_buf_free(&t) ;
  io_drop() ;
}

/* Sends msgs[*next..n) over io. 0 all done (the connection stays usable);
   -1 lost (the message on the wire has its t results, *next is past it);
   -2 lost before the first message's DATA was accepted, with retry set:
   nothing reported, safe to send again on a new connection. */
static int send_all (struct remote_msg *msgs, size_t n, size_t *next, int retry)
{
  for (; *next < n ; (*next)++)
  {
    int r = remote_msg_send(&io, &ext, msgs + *next, retry) ;
    if (r == -2) return -2 ;
    if (r == -1) { (*next)++ ; return -1 ; }
    retry = 0 ;   /* a message went through: the connection was alive */
  }
  return 0 ;
}

void remote_session (struct remote_cfg const *cfg, struct remote_addr const *addrs, int naddr,
  struct remote_msg *msgs, size_t nmsg)
{
  size_t next = 0 ;
  char const *lasthost = "-" ;
  if (io.fd >= 0 && !io_alive()) io_drop() ;   /* closed (or 421) while we were idle */
  if (io.fd >= 0)
  {
    io.timeout = cfg->timeout_remote ;
    /* A kept connection may die under the first command (the server's
       idle timeout crossing our MAIL): then, and only before a DATA was
       accepted, the batch starts again on a fresh connection, once. */
    switch (send_all(msgs, nmsg, &next, 1))
    {
      case 0 : return ;
      case -1 : lasthost = io.host ; break ;
      default : break ;
    }
    io_drop() ;
  }
  for (int a = 0 ; a < naddr && next < nmsg ; a++)
  {
    if (io_connect(&io, addrs + a, cfg->timeout_connect) == -1) { lasthost = addrs[a].name ; continue ; }
    lasthost = io.host ;
    io.timeout = cfg->timeout_remote ;
    if (hello(&io, cfg->me, &ext) == -1) { io_drop() ; continue ; }
    if (!send_all(msgs, nmsg, &next, 0)) return ;   /* kept: the caller QUITs or reuses it */
    io_drop() ;
  }
  remote_result_rest(msgs, next, nmsg, lasthost, remote_err.s && remote_err.len ? remote_err.s : "no downstream host reachable") ;
}
