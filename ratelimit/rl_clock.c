/* rl_clock.c: the time a connection is counted at. $MXHOLD_RL_NOW, if set,
   replaces the clock so tests can let an hour pass in no time; it must be
   "SECONDS" or "SECONDS.FRACTION" (up to 6 digits), anything else is
   ignored. */
#include <stdlib.h>
#include <time.h>
#include "ratelimit/ratelimit.h"

#define RL_CLOCK_SECS_MAX 4102444800ULL   /* year 2100: far enough, and no overflow in microseconds */

int rl_clock_parse (char const *s, uint64_t *usec)
{
  uint64_t sec = 0, frac = 0, scale = RL_USEC_PER_SEC ;
  size_t i = 0 ;
  if (!s || s[0] < '0' || s[0] > '9') return 0 ;
  for (; s[i] >= '0' && s[i] <= '9' ; i++)
  {
    sec = sec * 10 + (uint64_t)(s[i] - '0') ;
    if (sec > RL_CLOCK_SECS_MAX) return 0 ;
  }
  if (s[i] == '.')
  {
    size_t j = ++i ;
    for (; s[i] >= '0' && s[i] <= '9' ; i++)
    {
      if (i - j >= 6) return 0 ;
      scale /= 10 ;
      frac += (uint64_t)(s[i] - '0') * scale ;
    }
    if (i == j) return 0 ;
  }
  if (s[i]) return 0 ;
  *usec = sec * RL_USEC_PER_SEC + frac ;
  return 1 ;
}

uint64_t rl_clock_now (void)
{
  struct timespec ts ;
  uint64_t u ;
  if (rl_clock_parse(getenv(RL_NOW_ENV), &u)) return u ;
  clock_gettime(CLOCK_REALTIME, &ts) ;
  return (uint64_t)ts.tv_sec * RL_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000 ;
}
