/* rcpt_probe.c: one probe, the shortest SMTP dialogue that asks a server
   about an address (RFC 5321 3.3): EHLO, MAIL FROM:<> (no bounce can ever
   come of it), RCPT TO, QUIT, no DATA. Every wait ends at the probe's one
   deadline. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "lib/hostport.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "rcptcheck/rcptcheck.h"

struct conn
{
  int fd ;
  uint64_t deadline ;
  char buf[RCPT_LINE_MAX * 4] ;
  size_t len ;
} ;

uint64_t rcpt_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

/* Waits for ev on the connection until its deadline: 0, or -1 ETIMEDOUT. */
static int wait_for (struct conn *c, short ev)
{
  for (;;)
  {
    uint64_t now = rcpt_ms() ;
    struct pollfd pf = { c->fd, ev, 0 } ;
    int r ;
    if (now >= c->deadline) return (errno = ETIMEDOUT, -1) ;
    r = poll(&pf, 1, (int)(c->deadline - now)) ;
    if (r > 0) return 0 ;
    if (r == -1 && errno != EINTR) return -1 ;
  }
}

static int conn_open (struct conn *c, struct rcpt_addr const *a)
{
  struct sockaddr_storage ss ;
  socklen_t sl ;
  int e = 0 ;
  socklen_t el = sizeof e ;
  sl = mx_sockaddr_fill(&ss, a->family, a->ip, a->port) ;
  c->len = 0 ;
  c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (c->fd == -1) return -1 ;
  if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0) return 0 ;
  if (errno != EINPROGRESS) return -1 ;
  if (wait_for(c, POLLOUT) == -1) return -1 ;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1) return -1 ;
  if (e) return (errno = e, -1) ;
  return 0 ;
}

/* One reply, its lines read to the last: its code, its last line in
   text. 0, or -1 + errno (EPROTO: not SMTP). */
static int reply (struct conn *c, unsigned int *code, char *text, size_t tmax)
{
  for (;;)
  {
    int last ;
    long n = rcpt_reply_line(c->buf, c->len, code, &last, text, tmax) ;
    ssize_t r ;
    if (n < 0) return (errno = EPROTO, -1) ;
    if (n > 0)
    {
      memmove(c->buf, c->buf + n, c->len - (size_t)n) ;
      c->len -= (size_t)n ;
      if (last) return 0 ;
      continue ;
    }
    if (c->len == sizeof c->buf) return (errno = EPROTO, -1) ;   /* a line longer than SMTP allows */
    if (wait_for(c, POLLIN) == -1) return -1 ;
    r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len) ;
    if (r == -1 && (errno == EINTR || errno == EAGAIN)) continue ;
    if (r <= 0) return (errno = r ? errno : ECONNRESET, -1) ;
    c->len += (size_t)r ;
  }
}

/* Sends a command, then reads its reply. */
static int cmd (struct conn *c, char const *a, char const *b, size_t blen, char const *z, unsigned int *code, char *text, size_t tmax)
{
  char line[RCPT_LINE_MAX] ;
  size_t n = strlen(a) ;
  size_t zl = strlen(z) ;
  if (n + blen + zl + 2 > sizeof line) return (errno = ENAMETOOLONG, -1) ;
  memcpy(line, a, n) ;
  memcpy(line + n, b, blen) ;
  memcpy(line + n + blen, z, zl) ;
  memcpy(line + n + blen + zl, "\r\n", 2) ;
  if (wait_for(c, POLLOUT) == -1) return -1 ;
  if (mx_write_all(c->fd, line, n + blen + zl + 2) == -1) return -1 ;
  return reply(c, code, text, tmax) ;
}

/* The dialogue with one server: its verdict, or -1 when it did not get
   as far as answering the RCPT (the next host is tried). */
static int dialogue (struct conn *c, struct rcpt_probe *p)
{
  unsigned int code ;
  if (reply(c, &code, p->reply, sizeof p->reply) == -1) return -1 ;
  if (code != 220) return (errno = EPROTO, -1) ;
  if (cmd(c, "EHLO ", p->me, strlen(p->me), "", &code, p->reply, sizeof p->reply) == -1) return -1 ;
  if (code != 250 && cmd(c, "HELO ", p->me, strlen(p->me), "", &code, p->reply, sizeof p->reply) == -1) return -1 ;
  if (code != 250) return (errno = EPROTO, -1) ;
  if (cmd(c, "MAIL FROM:<>", "", 0, "", &code, p->reply, sizeof p->reply) == -1) return -1 ;
  if (code != 250) return (errno = EPROTO, -1) ;
  if (cmd(c, "RCPT TO:<", p->addr, p->addrlen, ">", &code, p->reply, sizeof p->reply) == -1) return -1 ;
  {
    char ignore[RCPT_LINE_MAX] ;
    unsigned int qcode ;
    cmd(c, "QUIT", "", 0, "", &qcode, ignore, sizeof ignore) ;   /* courtesy: the verdict is in */
  }
  if (code == 250 || code == 251) return RCPT_KNOWN ;
  if (code == 550 || code == 551 || code == 553) return RCPT_UNKNOWN ;
  return RCPT_UNVERIFIED ;   /* 4xx, or a 5xx that is about us (554 5.7.1), not the address */
}

static void host_text (char *out, struct rcpt_addr const *a)
{
  char ip[INET6_ADDRSTRLEN] ;
  char port[MX_U64_FMT] ;
  size_t n = 0 ;
  size_t l ;
  inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, ip, sizeof ip) ;
  port[mx_u64_fmt(port, a->port)] = 0 ;
  for (char const *part[] = { a->name, "[", ip, "]:", port, 0 }, **q = part ; *q ; q++)
  {
    l = strlen(*q) ;
    if (n + l >= RCPT_HOST_TEXT_MAX) break ;
    memcpy(out + n, *q, l) ;
    n += l ;
  }
  out[n] = 0 ;
}

enum rcpt_verdict rcpt_probe_run (struct rcpt_probe *p)
{
  struct rcpt_addr addrs[RCPT_HOSTS_MAX] ;
  int n = rcpt_route_resolve(p->route, addrs, RCPT_HOSTS_MAX) ;
  struct conn c ;
  memcpy(p->host, "-", 2) ;
  memcpy(p->reply, "-", 2) ;
  p->err = n ? 0 : EADDRNOTAVAIL ;
  c.deadline = p->deadline_ms ;
  for (int i = 0 ; i < n ; i++)
  {
    int v ;
    host_text(p->host, &addrs[i]) ;
    p->reply[0] = 0 ;
    v = conn_open(&c, &addrs[i]) == -1 ? -1 : dialogue(&c, p) ;
    p->err = v < 0 ? errno : 0 ;
    if (c.fd != -1) close(c.fd) ;
    if (v >= 0) return (enum rcpt_verdict)v ;
    if (rcpt_ms() >= p->deadline_ms) break ;
  }
  return RCPT_UNVERIFIED ;
}
