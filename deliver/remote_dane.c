/* remote_dane.c: the TLSA lookup of tls=dane (remote_tlsa.h): one query
   to the configured resolver over UDP, over TCP when the reply is
   truncated. libowfat's DNS client can neither set the AD bit nor show
   it, so this is a small stub of its own; the bytes it gets are parsed by
   remote_tlsa.c. libc only. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "deliver/remote_tlsa.h"

#define DNS_PORT 53
#define DNS_REPLY_MAX 65535

static int64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

/* The first address of a list "ADDR[ ,]ADDR..." into ss. */
static int addr_first (char const *s, struct sockaddr_storage *ss, socklen_t *sl)
{
  char tmp[64] ;
  size_t n ;
  s += strspn(s, " \t,") ;
  n = strcspn(s, " \t,\n") ;
  if (!n || n >= sizeof tmp) return -1 ;
  memcpy(tmp, s, n) ;
  tmp[n] = 0 ;
  memset(ss, 0, sizeof *ss) ;
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss ;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss ;
    if (inet_pton(AF_INET, tmp, &s4->sin_addr) == 1)
    {
      s4->sin_family = AF_INET ;
      s4->sin_port = htons(DNS_PORT) ;
      *sl = sizeof *s4 ;
      return 0 ;
    }
    if (inet_pton(AF_INET6, tmp, &s6->sin6_addr) == 1)
    {
      s6->sin6_family = AF_INET6 ;
      s6->sin6_port = htons(DNS_PORT) ;
      *sl = sizeof *s6 ;
      return 0 ;
    }
  }
  return -1 ;
}

/* $DNSCACHEIP, else the first nameserver line of /etc/resolv.conf. */
static int resolver (struct sockaddr_storage *ss, socklen_t *sl)
{
  char const *e = getenv("DNSCACHEIP") ;
  char line[256] ;
  FILE *f ;
  int r = -1 ;
  if (e && *e) return addr_first(e, ss, sl) ;
  f = fopen("/etc/resolv.conf", "re") ;
  if (!f) return -1 ;
  while (r == -1 && fgets(line, sizeof line, f))
    if (!strncmp(line, "nameserver", 10) && (line[10] == ' ' || line[10] == '\t'))
      r = addr_first(line + 10, ss, sl) ;
  fclose(f) ;
  return r ;
}

static int wait_fd (int fd, short ev, int64_t deadline)
{
  for (;;)
  {
    struct pollfd p = { .fd = fd, .events = ev } ;
    int64_t left = deadline - now_ms() ;
    int r ;
    if (left <= 0) return -1 ;
    r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) ;
    if (r > 0) return 0 ;
    if (r == 0) return -1 ;
    if (errno != EINTR) return -1 ;
  }
}

/* Over UDP: the query, sent again halfway if nothing came; replies that
   are not to it are ignored. 0 with *ans, -1. */
static int ask_udp (struct sockaddr_storage const *ss, socklen_t sl, unsigned char const *q, size_t ql,
  int64_t deadline, struct remote_tlsa_ans *ans, char const **err)
{
  static unsigned char m[DNS_REPLY_MAX] ;
  int64_t again = now_ms() + (deadline - now_ms()) / 2 ;
  int sent = 0 ;
  int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  *err = "no reply from the resolver" ;
  if (fd == -1 || connect(fd, (struct sockaddr const *)ss, sl) == -1)
  {
    *err = "cannot reach the resolver" ;
    if (fd != -1) close(fd) ;
    return -1 ;
  }
  for (;;)
  {
    ssize_t n ;
    if (sent < 2 && (sent == 0 || now_ms() >= again))
    {
      if (send(fd, q, ql, 0) == (ssize_t)ql) sent++ ;
      else sent = 2 ;
    }
    if (wait_fd(fd, POLLIN, sent < 2 ? again : deadline) == -1)
    {
      if (sent < 2 && now_ms() < deadline) continue ;
      break ;
    }
    n = recv(fd, m, sizeof m, 0) ;
    if (n == -1 && errno == ECONNREFUSED)
    {
      *err = "the resolver refused (nothing listens)" ;
      break ;
    }
    if (n > 0 && remote_tlsa_parse(m, (size_t)n, q, ql, ans) == 0)
    {
      close(fd) ;
      return 0 ;
    }
  }
  close(fd) ;
  return -1 ;
}

static int io_all (int fd, unsigned char *b, size_t len, int out, int64_t deadline)
{
  while (len)
  {
    ssize_t r = out ? write(fd, b, len) : read(fd, b, len) ;
    if (r > 0)
    {
      b += r ;
      len -= (size_t)r ;
      continue ;
    }
    if (r == 0) return -1 ;
    if (errno != EAGAIN && errno != EINTR) return -1 ;
    if (wait_fd(fd, out ? POLLOUT : POLLIN, deadline) == -1) return -1 ;
  }
  return 0 ;
}

/* Over TCP (RFC 7766): the length-prefixed query and reply. */
static int ask_tcp (struct sockaddr_storage const *ss, socklen_t sl, unsigned char const *q, size_t ql,
  int64_t deadline, struct remote_tlsa_ans *ans, char const **err)
{
  static unsigned char m[DNS_REPLY_MAX] ;
  unsigned char pre[2 + REMOTE_DNS_QUERY_MAX] ;
  size_t n ;
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  int r = -1 ;
  *err = "no reply from the resolver over TCP" ;
  if (fd == -1) return -1 ;
  if (connect(fd, (struct sockaddr const *)ss, sl) == -1 && errno != EINPROGRESS) goto end ;
  pre[0] = (unsigned char)(ql >> 8) ;
  pre[1] = (unsigned char)ql ;
  memcpy(pre + 2, q, ql) ;
  if (wait_fd(fd, POLLOUT, deadline) == -1 || io_all(fd, pre, 2 + ql, 1, deadline) == -1) goto end ;
  if (io_all(fd, pre, 2, 0, deadline) == -1) goto end ;
  n = (size_t)pre[0] << 8 | pre[1] ;
  if (io_all(fd, m, n, 0, deadline) == -1) goto end ;
  if (remote_tlsa_parse(m, n, q, ql, ans) == -1)
  {
    *err = "malformed reply from the resolver" ;
    goto end ;
  }
  r = 0 ;
 end:
  close(fd) ;
  return r ;
}

int remote_dane_lookup (char const *host, uint16_t port, unsigned int timeout, struct remote_tlsa_ans *ans, char const **err)
{
  unsigned char q[REMOTE_DNS_QUERY_MAX] ;
  struct sockaddr_storage ss ;
  socklen_t sl ;
  uint16_t id ;
  size_t ql ;
  int64_t deadline = now_ms() + (int64_t)(timeout ? timeout : 1) * 1000 ;
  if (getrandom(&id, sizeof id, 0) != sizeof id) id = (uint16_t)(now_ms() ^ getpid()) ;
  ql = remote_tlsa_query(host, port, id, q) ;
  if (!ql)
  {
    *err = "host name too long for a TLSA query" ;
    return -1 ;
  }
  if (resolver(&ss, &sl) == -1)
  {
    *err = "no resolver ($DNSCACHEIP or /etc/resolv.conf)" ;
    return -1 ;
  }
  if (ask_udp(&ss, sl, q, ql, deadline, ans, err) == -1) return -1 ;
  if (ans->tc) return ask_tcp(&ss, sl, q, ql, deadline, ans, err) ;
  return 0 ;
}
