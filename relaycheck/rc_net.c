/* rc_net.c: one client TCP connection where every step has a deadline.
   libc only: getaddrinfo, non-blocking connect, poll. */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "relaycheck/relaycheck.h"

int64_t rc_now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

/* poll takes an int of milliseconds; longer waits go in slices */
#define RC_POLL_SLICE_MS 60000

/* Waits for events on fd until deadline. 1 ready, -1 errno (ETIMEDOUT). */
static int wait_fd (int fd, short events, int64_t deadline)
{
  for (;;)
  {
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 } ;
    int64_t left = deadline - rc_now_ms() ;
    int r ;
    if (left <= 0)
    {
      errno = ETIMEDOUT ;
      return -1 ;
    }
    r = poll(&p, 1, left > RC_POLL_SLICE_MS ? RC_POLL_SLICE_MS : (int)left) ;
    if (r > 0) return 1 ;
    if (r < 0 && errno != EINTR) return -1 ;
  }
}

static void literal (struct sockaddr const *sa, char *lit, size_t max)
{
  char a[INET6_ADDRSTRLEN] = "?" ;
  size_t n ;
  int v6 = sa->sa_family == AF_INET6 ;
  if (v6) inet_ntop(AF_INET6, &((struct sockaddr_in6 const *)sa)->sin6_addr, a, sizeof a) ;
  else inet_ntop(AF_INET, &((struct sockaddr_in const *)sa)->sin_addr, a, sizeof a) ;
  n = strlen(a) ;
  if (max < n + 8)
  {
    if (max) lit[0] = 0 ;
    return ;
  }
  memcpy(lit, v6 ? "[IPv6:" : "[", v6 ? 6 : 1) ;
  memcpy(lit + (v6 ? 6 : 1), a, n) ;
  memcpy(lit + (v6 ? 6 : 1) + n, "]", 2) ;
}

/* One address. 0 connected, -1 errno. */
static int try_one (struct rc_conn *c, struct addrinfo const *ai, int64_t deadline)
{
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol) ;
  int e = 0 ;
  socklen_t el = sizeof e ;
  if (fd < 0) return -1 ;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1)
  {
    if (errno != EINPROGRESS) goto err ;
    if (wait_fd(fd, POLLOUT, deadline) < 0) goto err ;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1) goto err ;
    if (e)
    {
      errno = e ;
      goto err ;
    }
  }
  c->fd = fd ;
  c->len = 0 ;
  return 0 ;
 err:
  e = errno ;
  close(fd) ;
  errno = e ;
  return -1 ;
}

int rc_conn_open (struct rc_conn *c, char const *host, char const *port, int64_t deadline, char *lit, size_t litmax)
{
  struct addrinfo hints, *res, *ai ;
  int r, e = EHOSTUNREACH ;
  memset(&hints, 0, sizeof hints) ;
  hints.ai_family = AF_UNSPEC ;
  hints.ai_socktype = SOCK_STREAM ;
  hints.ai_flags = AI_NUMERICSERV ;
  c->fd = -1 ;
  c->len = 0 ;
  r = getaddrinfo(host, port, &hints, &res) ;
  if (r)
  {
    errno = r == EAI_SYSTEM ? errno : EHOSTUNREACH ;
    return -1 ;
  }
  for (ai = res ; ai ; ai = ai->ai_next)
  {
    if (try_one(c, ai, deadline) == 0)
    {
      literal(ai->ai_addr, lit, litmax) ;
      freeaddrinfo(res) ;
      return 0 ;
    }
    e = errno ;
    if (e == ETIMEDOUT) break ;
  }
  freeaddrinfo(res) ;
  errno = e ;
  return -1 ;
}

int rc_conn_reply (struct rc_conn *c, struct rc_reply *r, int64_t deadline)
{
  rc_reply_init(r) ;
  for (;;)
  {
    size_t used ;
    ssize_t n ;
    int k = rc_reply_feed(r, c->buf, c->len, &used) ;
    if (used)
    {
      memmove(c->buf, c->buf + used, c->len - used) ;
      c->len -= used ;
    }
    if (k) return k > 0 ? 0 : -1 ;
    if (c->len == sizeof c->buf)
    {
      errno = EPROTO ;
      return -1 ;
    }
    if (wait_fd(c->fd, POLLIN, deadline) < 0) return -1 ;
    n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len) ;
    if (n < 0)
    {
      if (errno == EINTR || errno == EAGAIN) continue ;
      return -1 ;
    }
    if (!n)
    {
      errno = ECONNRESET ;
      return -1 ;
    }
    c->len += (size_t)n ;
  }
}

int rc_conn_send (struct rc_conn *c, char const *s, size_t len, int64_t deadline)
{
  while (len)
  {
    ssize_t n ;
    if (wait_fd(c->fd, POLLOUT, deadline) < 0) return -1 ;
    n = send(c->fd, s, len, MSG_NOSIGNAL) ;
    if (n < 0)
    {
      if (errno == EINTR || errno == EAGAIN) continue ;
      return -1 ;
    }
    s += n ;
    len -= (size_t)n ;
  }
  return 0 ;
}

void rc_conn_close (struct rc_conn *c)
{
  if (c->fd >= 0) close(c->fd) ;
  c->fd = -1 ;
  c->len = 0 ;
}
