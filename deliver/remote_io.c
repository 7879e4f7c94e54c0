/* remote_io.c: mxhold-remote's I/O (remote_io.h): the downstream
   connection with a deadline per step, the last failure, and the result
   lines to deliver. libc only, but for the TLS record I/O of
   remote_tls.c once STARTTLS is done. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include "lib/hostport.h"
#include "lib/write_all.h"
#include "deliver/remote_io.h"
#include "deliver/remote_tls.h"

struct dlv_buf remote_err = DLV_BUF_ZERO ;
static char const *fail_reason = "" ;
static char const *fail_key ;        /* "error", "reply", "detail" or NULL */
static size_t fail_detail ;          /* where in remote_err the error or reply starts */

static void fail_set (char const *reason, char const *key, char const *what, char const *detail)
{
  remote_err.len = 0 ;
  fail_reason = reason ;
  fail_key = key ;
  dlv_buf_cats(&remote_err, what) ;
  fail_detail = remote_err.len ;
  if (detail) dlv_buf_cats(&remote_err, detail) ;
}

void remote_fail (char const *reason, char const *text)
{
  fail_set(reason, 0, text, 0) ;
}

void remote_fail_errno (char const *reason, char const *what, int e)
{
  fail_set(reason, "error", what, strerror(e)) ;
}

void remote_fail_reply (char const *reason, char const *what, char const *reply)
{
  fail_set(reason, "reply", what, reply) ;
}

void remote_fail_detail (char const *reason, char const *what, char const *detail)
{
  fail_set(reason, "detail", what, detail) ;
}

void remote_fail_log (struct mx_log *l)
{
  mx_log_str(l, "reason", fail_reason) ;
  if (fail_key && remote_err.s && fail_detail <= remote_err.len)
    mx_log_bytes(l, fail_key, remote_err.s + fail_detail, remote_err.len - fail_detail) ;
}

void remote_io_log (struct mx_log *l, char const *level, char const *event, struct remote_io const *io)
{
  mx_log_start(l, level, event) ;
  mx_log_str(l, "host", io->name) ;
  mx_log_str(l, "ip", io->ip) ;
  mx_log_u64(l, "port", io->port) ;
}

void remote_io_log_tls (struct mx_log *l, struct remote_io const *io)
{
  mx_log_str(l, "tls", io->tls && io->tlsdesc[0] ? io->tlsdesc : "-") ;
  mx_log_str(l, "verify", io->tls && io->verify ? io->verify : "none") ;
}

void remote_io_close (struct remote_io *io)
{
  if (io->tls) remote_tls_free(io->tls) ;
  io->tls = 0 ;
  io->tlsdesc[0] = 0 ;
  io->verify = 0 ;
  if (io->fd >= 0) close(io->fd) ;
  io->fd = -1 ;
  io->len = 0 ;
}

/* One read(2) or write(2), over TLS once STARTTLS is done: > 0, 0 EOF,
   -1 with errno (EAGAIN: wait for *want). */
static ssize_t io_read (struct remote_io *io, char *buf, size_t n, short *want)
{
  *want = POLLIN ;
  if (!io->tls) return read(io->fd, buf, n) ;
  /* After TLS 1.3's handshake the server sends its session tickets, then
     its reply to our EHLO: with Nagle on its side, the reply waits for
     our ACK of the tickets, which our kernel delays (40 ms a session,
     tests/bench/remote-tls.sh). Ask for immediate ACKs before each read
     (the kernel leaves quick-ACK mode again by itself). */
  {
    int one = 1 ;
    setsockopt(io->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) ;
  }
  return remote_tls_read(io->tls, buf, n, want) ;
}

static ssize_t io_write (struct remote_io *io, char const *buf, size_t n, short *want)
{
  *want = POLLOUT ;
  return io->tls ? remote_tls_write(io->tls, buf, n, want) : write(io->fd, buf, n) ;
}

int64_t remote_now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

/* The end of a step that starts now: io->timeout seconds from now. */
static int64_t io_deadline (struct remote_io const *io)
{
  return remote_now_ms() + (int64_t)io->timeout * 1000 ;
}

/* Waits for ev until the step's deadline, not for a fresh timeout per
   read: a server that drips one byte at a time must not stretch a step.
   0, or -1 with errno (ETIMEDOUT). */
static int io_wait (struct remote_io *io, short ev, int64_t deadline)
{
  struct pollfd p = { .fd = io->fd, .events = ev } ;
  int r ;
  for (;;)
  {
    int64_t left = deadline - remote_now_ms() ;
    if (left <= 0)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == 0)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    return r > 0 ? 0 : -1 ;
  }
}

int remote_io_put (struct remote_io *io, char const *s, size_t len)
{
  int64_t deadline = io_deadline(io) ;
  while (len)
  {
    short want ;
    ssize_t w = io_write(io, s, len, &want) ;
    if (w == -1)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN && io_wait(io, want, deadline) == 0) continue ;
      if (errno == ETIMEDOUT) remote_fail("timeout", "timeout writing to downstream") ;
      else remote_fail_errno("write-failed", "write failed: ", errno) ;
      return -1 ;
    }
    s += w ;
    len -= (size_t)w ;
  }
  return 0 ;
}

int remote_io_reply (struct remote_io *io, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext)
{
  int64_t deadline = io_deadline(io) ;
  text->len = 0 ;
  for (;;)
  {
    long r = remote_reply_parse(io->in, io->len, code, text, ext) ;
    short want ;
    ssize_t n ;
    if (r > 0)
    {
      memmove(io->in, io->in + r, io->len - (size_t)r) ;
      io->len -= (size_t)r ;
      return 0 ;
    }
    if (r < 0)
    {
      remote_fail("malformed-reply", "protocol error: malformed reply from downstream") ;
      return -1 ;
    }
    if (io->len == sizeof io->in)
    {
      remote_fail("reply-too-long", "protocol error: reply too long") ;
      return -1 ;
    }
    n = io_read(io, io->in + io->len, sizeof io->in - io->len, &want) ;
    if (n > 0)
    {
      io->len += (size_t)n ;
      continue ;
    }
    if (n == 0)
    {
      remote_fail("closed", "connection closed by downstream") ;
      return -1 ;
    }
    if (errno == EINTR) continue ;
    if (errno != EAGAIN)
    {
      remote_fail_errno("read-failed", "read failed: ", errno) ;
      return -1 ;
    }
    if (io_wait(io, want, deadline) == -1)
    {
      remote_fail("timeout", "timeout waiting for reply") ;
      return -1 ;
    }
  }
}

int remote_io_cmd (struct remote_io *io, char const *a, char const *b, char const *c, unsigned int *code, struct dlv_buf *text)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  int r ;
  if (dlv_buf_cats(&l, a) == -1 || dlv_buf_cats(&l, b) == -1 || dlv_buf_cats(&l, c) == -1 || dlv_buf_cat(&l, "\r\n", 2) == -1)
  {
    dlv_buf_free(&l) ;
    remote_fail("out-of-memory", "out of memory") ;
    return -1 ;
  }
  r = remote_io_put(io, l.s, l.len) ;
  dlv_buf_free(&l) ;
  return r == -1 ? -1 : remote_io_reply(io, code, text, 0) ;
}

static char const *connect_reason (int e)
{
  if (e == ETIMEDOUT) return "timeout" ;
  if (e == ECONNREFUSED) return "refused" ;
  if (e == EHOSTUNREACH || e == ENETUNREACH) return "unreachable" ;
  return "connect-failed" ;
}

/* io's name, ip, port and host ("name[ip]:port") for a. */
static void io_names (struct remote_io *io, struct remote_addr const *a)
{
  struct dlv_buf h = DLV_BUF_ZERO ;
  size_t n = strlen(a->name) ;
  memcpy(io->name, a->name, n + 1) ;
  if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, io->ip, sizeof io->ip)) strcpy(io->ip, "-") ;
  io->port = a->port ;
  dlv_buf_cats(&h, io->name) ;
  dlv_buf_cats(&h, "[") ;
  dlv_buf_cats(&h, io->ip) ;
  dlv_buf_cats(&h, "]:") ;
  dlv_buf_catu(&h, a->port) ;
  n = h.s ? (h.len < sizeof io->host - 1 ? h.len : sizeof io->host - 1) : 0 ;
  if (n) memcpy(io->host, h.s, n) ;
  io->host[n] = 0 ;
  dlv_buf_free(&h) ;
}

static void connect_failed (struct remote_io *io, int e)
{
  struct mx_log l ;
  remote_fail_errno(connect_reason(e), "connect failed: ", e) ;
  remote_io_log(&l, MX_LOG_WARN, "connect-failed", io) ;
  remote_fail_log(&l) ;
  mx_log_end(&l) ;
}

int remote_io_connect (struct remote_io *io, struct remote_addr const *a, unsigned int tconn)
{
  struct sockaddr_storage ss ;
  socklen_t sl ;
  int e = 0 ;
  socklen_t el = sizeof e ;
  int one = 1 ;
  struct mx_log l ;
  sl = mx_sockaddr_fill(&ss, a->family, a->ip, a->port) ;
  io_names(io, a) ;
  io->tls = 0 ;
  io->tlsdesc[0] = 0 ;
  io->verify = 0 ;
  io->len = 0 ;
  io->msgs = 0 ;
  io->stage = "connect" ;
  io->fd = socket(a->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (io->fd == -1)
  {
    connect_failed(io, errno) ;
    return -1 ;
  }
  /* A message goes out in several writes (text, then the final dot).
     With Nagle, the last small write waits for the ACK of the one before,
     which the peer delays (~40 ms on Linux): every delivery took 40 ms
     longer. We never write byte by byte, so no Nagle. */
  setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  if (connect(io->fd, (struct sockaddr *)&ss, sl) == 0) goto ok ;
  if (errno == EINPROGRESS)
  {
    io->timeout = tconn ;
    if (io_wait(io, POLLOUT, io_deadline(io)) == 0 && getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && !e) goto ok ;
    if (!e) e = errno ;
  }
  else e = errno ;
  close(io->fd) ;
  io->fd = -1 ;
  connect_failed(io, e) ;
  return -1 ;
 ok:
  io->since = remote_now_ms() ;
  remote_io_log(&l, MX_LOG_INFO, "connect", io) ;
  mx_log_end(&l) ;
  return 0 ;
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
   || dlv_buf_cat(&l, "\n", 1) == -1)
  {
    dlv_buf_free(&l) ;
    return ;
  }
  /* one write per line (a pipe takes up to PIPE_BUF whole), so deliver
     sees whole lines even if we die. If deliver is gone (killed),
     whatever we send now could not be recorded and would be sent again,
     so stop at once. */
  if (mx_write_all(1, l.s, l.len) == -1)
    mx_die_kv(111, "deliver-gone", "error", strerror(errno), (char const *)0) ;
  dlv_buf_free(&l) ;
}

void remote_result_rest (struct remote_msg *msgs, size_t from, size_t n, char const *host, char const *text)
{
  for (size_t i = from ; i < n ; i++)
    for (size_t r = 0 ; r < msgs[i].n ; r++)
      remote_result(msgs + i, r, 't', host, text, strlen(text)) ;
}

void remote_result_code (struct remote_msg *m, size_t r, unsigned int code, char const *host, struct dlv_buf const *t)
{
  remote_result(m, r, code / 100 == 2 ? 'd' : code / 100 == 5 ? 'p' : 't', host, t->s ? t->s : "", t->len) ;
}
