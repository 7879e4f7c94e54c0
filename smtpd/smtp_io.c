/* smtp_io.c: the one place that reads the client (fd 0) and writes to it
   (fd 1). Everything goes through the read/write pointers in struct
   smtp_io, so STARTTLS can later swap in TLS functions without touching
   the session. Replies are buffered and flushed only when the client's
   input is used up (RFC 2920 PIPELINING) or the buffer is full. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "smtpd/smtp_io.h"

#define SMTPD_POLL_MAX_SECS 86400   /* keeps secs * 1000 inside an int; conf caps timeouts far below */

static int ms (unsigned secs)
{
  return (int)(secs > SMTPD_POLL_MAX_SECS ? SMTPD_POLL_MAX_SECS : secs) * 1000 ;
}

/* Waits for fd to become ready for ev; 1 ready, 0 timeout, -1 error. */
static int fd_wait (int fd, short ev, int ms)
{
  struct pollfd p = { .fd = fd, .events = ev, .revents = 0 } ;
  for (;;)
  {
    int r = poll(&p, 1, ms) ;
    if (r >= 0) return r ;
    if (errno != EINTR) return -1 ;
  }
}

int smtp_io_write_fd (int fd, char const *p, size_t n, unsigned secs)
{
  time_t deadline = time(0) + (time_t)secs ;
  while (n)
  {
    ssize_t w ;
    time_t now = time(0) ;
    if (now > deadline)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    /* not ready yet: the deadline above decides */
    if (fd_wait(fd, POLLOUT, ms((unsigned)(deadline - now + 1))) == -1) return -1 ;
    w = write(fd, p, n) ;
    if (w == -1)
    {
      if (errno == EAGAIN || errno == EINTR) continue ;
      return -1 ;
    }
    p += w ;
    n -= (size_t)w ;
  }
  return 0 ;
}

static ssize_t fd_read (void *ctx, char *buf, size_t len, unsigned secs)
{
  (void)ctx ;
  for (;;)
  {
    ssize_t r ;
    int w = fd_wait(0, POLLIN, ms(secs)) ;
    if (w == -1) return -1 ;
    if (!w)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    r = read(0, buf, len) ;
    if (r >= 0) return r ;
    if (errno != EINTR && errno != EAGAIN) return -1 ;
  }
}

static int fd_write (void *ctx, char const *buf, size_t len, unsigned secs)
{
  (void)ctx ;
  return smtp_io_write_fd(1, buf, len, secs) ;
}

static int fd_ready (void *ctx, unsigned ms)
{
  (void)ctx ;
  return fd_wait(0, POLLIN, (int)ms) != 0 ;
}

void smtp_io_init_fd (struct smtp_io *io, unsigned wsecs)
{
  io->read = &fd_read ;
  io->write = &fd_write ;
  io->ready = &fd_ready ;
  io->ctx = 0 ;
  io->wsecs = wsecs ;
  io->inpos = 0 ;
  io->inlen = 0 ;
  io->outlen = 0 ;
}

int smtp_io_flush (struct smtp_io *io)
{
  size_t n = io->outlen ;
  io->outlen = 0 ;
  return n ? (*io->write)(io->ctx, io->out, n, io->wsecs) : 0 ;
}

int smtp_io_put (struct smtp_io *io, char const *s, size_t n)
{
  while (n)
  {
    size_t k = sizeof io->out - io->outlen ;
    if (!k)
    {
      if (smtp_io_flush(io) == -1) return -1 ;
      continue ;
    }
    if (k > n) k = n ;
    memcpy(io->out + io->outlen, s, k) ;
    io->outlen += k ;
    s += k ;
    n -= k ;
  }
  return 0 ;
}

int smtp_io_puts (struct smtp_io *io, char const *s)
{
  return smtp_io_put(io, s, strlen(s)) ;
}

ssize_t smtp_io_fill (struct smtp_io *io, unsigned secs)
{
  ssize_t r ;
  if (io->inpos < io->inlen) return (ssize_t)(io->inlen - io->inpos) ;
  if (smtp_io_flush(io) == -1) return -1 ;
  r = (*io->read)(io->ctx, io->in, sizeof io->in, secs) ;
  if (r <= 0) return r ;
  io->inpos = 0 ;
  io->inlen = (size_t)r ;
  return r ;
}

/* whole seconds of the monotonic clock */
static time_t mono_secs (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return ts.tv_sec ;
}

int smtp_io_line (struct smtp_io *io, char *line, size_t max, size_t *len, unsigned secs)
{
  size_t n = 0 ;
  int over = 0 ;
  time_t deadline = mono_secs() + (time_t)secs ;   /* for the whole line: no drip-feeding */
  for (;;)
  {
    char const *s ;
    char const *lf ;
    size_t k ;
    time_t now = mono_secs() ;
    ssize_t r ;
    if (now >= deadline && io->inpos >= io->inlen)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    r = smtp_io_fill(io, now < deadline ? (unsigned)(deadline - now) : 1) ;
    if (r <= 0) return (int)r ;
    s = io->in + io->inpos ;
    lf = memchr(s, '\n', (size_t)r) ;
    k = lf ? (size_t)(lf - s) + 1 : (size_t)r ;
    io->inpos += k ;
    if (!over && n + k > max) over = 1 ;   /* max counts the line end too */
    if (!over)
    {
      memcpy(line + n, s, k) ;
      n += k ;
    }
    if (!lf) continue ;
    if (over) return 2 ;
    n-- ;                                  /* the LF */
    if (n && line[n - 1] == '\r') n-- ;    /* a bare LF ends a command too */
    *len = n ;
    return 1 ;
  }
}
