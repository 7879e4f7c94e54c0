/* rl_refuse.c: what a refused client hears. RFC 5321 3.1 lets a server
   that will not serve answer its greeting with a 4yz code; 421 (4.3.2)
   says "try again later". We then stay a few seconds so a client that
   pipelines its EHLO gets an answer instead of a reset, and treats the
   refusal as temporary. Bounded in time and in commands: a refused client
   must cost us less than an admitted one. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "lib/u64.h"
#include "lib/write_all.h"
#include "ratelimit/ratelimit.h"

struct out {
  char *p ;
  size_t n ;
  size_t len ;
  int ok ;
} ;

static void put (struct out *o, char const *s, size_t n, int safe)
{
  if (o->len + n > o->n)
  {
    o->ok = 0 ;
    return ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    o->p[o->len++] = safe && (c < 33 || c > 126) ? '?' : (char)c ;   /* qmail's outsafe */
  }
}

static void puts_ (struct out *o, char const *s)
{
  put(o, s, strlen(s), 0) ;
}

static void putsafe (struct out *o, char const *s)
{
  put(o, s, strlen(s), 1) ;
}

static void putu (struct out *o, uint64_t u)
{
  char b[MX_U64_FMT] ;
  put(o, b, mx_u64_fmt(b, u), 0) ;
}

size_t rl_refuse_greeting (char *buf, size_t n, char const *me, char const *ip, uint64_t connections, uint64_t window, uint64_t retry_secs)
{
  struct out o = { buf, n, 0, 1 } ;
  puts_(&o, "421 4.7.0 ") ;
  putsafe(&o, me) ;
  puts_(&o, " too many connections from ") ;
  putsafe(&o, ip) ;
  puts_(&o, ": ") ;
  putu(&o, connections) ;
  puts_(&o, " per ") ;
  putu(&o, window) ;
  puts_(&o, "s; retry after ") ;
  putu(&o, retry_secs) ;
  puts_(&o, "s\r\n") ;
  return o.ok ? o.len : 0 ;
}

static int64_t ms_now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

static int is_quit (char const *s, size_t n)
{
  return n >= 4 && !strncasecmp(s, "QUIT", 4) && (n == 4 || s[4] == '\r' || s[4] == '\n' || s[4] == ' ') ;
}

int rl_refuse_with (int in, int out, char const *me, char const *greet, size_t glen)
{
  char line[RL_REFUSE_LINE_MAX] ;
  char bye[RL_REFUSE_LINE_MAX] ;
  size_t len = 0 ;
  struct out o = { bye, sizeof bye, 0, 1 } ;
  int64_t deadline = ms_now() + RL_REFUSE_SECS * 1000 ;
  unsigned int lines = 0 ;
  if (mx_write_all(out, greet, glen) == -1) return -1 ;
  puts_(&o, "221 2.0.0 ") ;
  putsafe(&o, me) ;
  puts_(&o, " closing connection\r\n") ;
  while (lines < RL_REFUSE_LINES)
  {
    struct pollfd p = { .fd = in, .events = POLLIN } ;
    int64_t left = deadline - ms_now() ;
    ssize_t r ;
    char *lf ;
    if (left <= 0) break ;
    r = poll(&p, 1, (int)left) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r <= 0) break ;
    r = read(in, line + len, sizeof line - len) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r <= 0) break ;
    len += (size_t)r ;
    while (lines < RL_REFUSE_LINES && (lf = memchr(line, '\n', len)))
    {
      size_t n = (size_t)(lf - line) + 1 ;
      lines++ ;
      if (is_quit(line, n))
      {
        if (o.ok) mx_write_all(out, bye, o.len) ;
        return 0 ;
      }
      if (mx_write_all(out, greet, glen) == -1) return 0 ;
      memmove(line, line + n, len - n) ;
      len -= n ;
    }
    if (len == sizeof line) break ;   /* overlong line: hang up, never truncate and go on */
  }
  return 0 ;
}

int rl_refuse (int in, int out, char const *me, char const *ip, uint64_t connections, uint64_t window, uint64_t retry_secs)
{
  char greet[RL_REFUSE_LINE_MAX] ;
  size_t glen = rl_refuse_greeting(greet, sizeof greet, me, ip, connections, window, retry_secs) ;
  if (!glen)
  {
    errno = ENAMETOOLONG ;
    return -1 ;
  }
  return rl_refuse_with(in, out, me, greet, glen) ;
}

size_t rl_refuse_sessions (char *buf, size_t n, char const *me, char const *ip, uint64_t sessions)
{
  struct out o = { buf, n, 0, 1 } ;
  puts_(&o, "421 4.7.0 ") ;
  putsafe(&o, me) ;
  puts_(&o, " too many sessions at once from ") ;
  putsafe(&o, ip) ;
  puts_(&o, ": ") ;
  putu(&o, sessions) ;
  puts_(&o, "; try again later\r\n") ;
  return o.ok ? o.len : 0 ;
}
