/* rl_refuse_test.c: what a refused client hears. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ratelimit/ratelimit.h"

static int fails ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)
#define GREET "421 4.7.0 relay.test too many connections from 192.0.2.7: 200 per 3600s; retry after 18s\r\n"

/* feeds in (n bytes, then EOF) to rl_refuse; returns what it wrote */
static size_t talk (char const *in, size_t n, char *out, size_t max)
{
  int a[2], b[2] ;
  ssize_t r ;
  size_t len = 0 ;
  if (pipe(a) == -1 || pipe(b) == -1) return 0 ;
  if (write(a[1], in, n) != (ssize_t)n) return 0 ;
  close(a[1]) ;
  rl_refuse(a[0], b[1], "relay.test", "192.0.2.7", 200, 3600, 18) ;
  close(a[0]) ; close(b[1]) ;
  while (len < max && (r = read(b[0], out + len, max - len)) > 0) len += (size_t)r ;
  close(b[0]) ;
  return len ;
}

static unsigned int count (char const *s, size_t n, char const *what)
{
  unsigned int c = 0 ;
  size_t w = strlen(what) ;
  for (size_t i = 0 ; i + w <= n ; i++) if (!memcmp(s + i, what, w)) c++ ;
  return c ;
}

int main (void)
{
  char out[65536], buf[4096], g[200] ;
  size_t n ;
  n = rl_refuse_greeting(g, sizeof g, "relay.test", "192.0.2.7", 200, 3600, 18) ;
  CHECK(n == sizeof GREET - 1 && !memcmp(g, GREET, n), "greeting text") ;
  n = rl_refuse_greeting(g, sizeof g, "re lay\r\n", "1.2.3.4\x7f", 1, 2, 3) ;
  CHECK(n && !memcmp(g, "421 4.7.0 re?lay?? too many connections from 1.2.3.4?: 1 per 2s; retry after 3s\r\n", n), "unsafe bytes become ?") ;
  CHECK(!rl_refuse_greeting(g, 20, "relay.test", "192.0.2.7", 200, 3600, 18), "too small a buffer: 0") ;

  n = talk("", 0, out, sizeof out) ;
  CHECK(n == sizeof GREET - 1 && !memcmp(out, GREET, n), "client gone at once: greeting only") ;
  n = talk("EHLO x\r\nMAIL FROM:<a@b>\r\nQUIT\r\nNOOP\r\n", 38, out, sizeof out) ;
  CHECK(count(out, n, GREET) == 3 && count(out, n, "221 2.0.0 relay.test closing connection\r\n") == 1
    && n == 3 * (sizeof GREET - 1) + 41, "each command gets 421, QUIT 221, nothing after") ;
  n = talk("quit\n", 5, out, sizeof out) ;
  CHECK(count(out, n, "221 ") == 1, "quit in lower case, bare LF") ;
  n = talk("QUITTING\r\n", 10, out, sizeof out) ;
  CHECK(count(out, n, "221 ") == 0 && count(out, n, GREET) == 2, "QUITTING is not QUIT") ;
  memset(buf, 'x', sizeof buf) ;
  n = talk(buf, sizeof buf, out, sizeof out) ;
  CHECK(count(out, n, GREET) == 1, "overlong line: hang up without answer") ;
  for (size_t i = 0 ; i < sizeof buf ; i += 2) { buf[i] = 'N' ; buf[i + 1] = '\n' ; }
  n = talk(buf, sizeof buf, out, sizeof out) ;
  CHECK(count(out, n, GREET) == 1 + RL_REFUSE_LINES, "at most RL_REFUSE_LINES answers") ;
  n = talk("EH\0LO\r\n", 7, out, sizeof out) ;
  CHECK(count(out, n, GREET) == 2, "NUL inside a line: still just 421") ;
  return fails ? 1 : 0 ;
}
