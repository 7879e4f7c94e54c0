/* px_read.c: one PROXY header from a descriptor, read in the pieces
   px_parse asks for (v1 byte by byte up to its CRLF, v2 its 16 bytes and
   then its length), so the first byte of SMTP stays in the socket for the
   program we exec. poll bounds the whole read by one deadline. */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include "proxy/proxy.h"

uint64_t px_now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

/* Waits until fd is readable or the deadline passes: 1, 0 timeout, -1. */
static int wait_in (int fd, uint64_t deadline_ms)
{
  for (;;)
  {
    struct pollfd p = { .fd = fd, .events = POLLIN } ;
    uint64_t now = px_now_ms() ;
    int r ;
    if (now >= deadline_ms) return 0 ;
    r = poll(&p, 1, (int)(deadline_ms - now > 60000 ? 60000 : deadline_ms - now)) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r) return r ;
  }
}

int px_read (int fd, unsigned char *buf, uint64_t deadline_ms, struct px_header *h, char const **why)
{
  size_t len = 0 ;
  for (;;)
  {
    size_t want ;
    ssize_t r ;
    int w ;
    enum px_status s = px_parse(buf, len, h, &want, why) ;
    if (s == PX_DONE) return 0 ;
    if (s == PX_BAD) return -1 ;
    w = wait_in(fd, deadline_ms) ;
    if (w <= 0)
    {
      *why = w ? "read-error" : "timeout" ;
      return -1 ;
    }
    r = read(fd, buf + len, want) ;
    if (r == -1 && (errno == EINTR || errno == EAGAIN)) continue ;
    if (r == -1)
    {
      *why = "read-error" ;
      return -1 ;
    }
    if (!r)
    {
      *why = "eof" ;
      return -1 ;
    }
    len += (size_t)r ;
  }
}
