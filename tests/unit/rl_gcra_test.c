/* rl_gcra_test.c: the limit's arithmetic, and the test clock's parser. */
#include <stdio.h>
#include <stdlib.h>
#include "ratelimit/ratelimit.h"

static int fails ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)
#define S RL_USEC_PER_SEC

static unsigned int run (struct rl_limit const *l, uint64_t *tat, uint64_t now, unsigned int n)
{
  unsigned int ok = 0 ;
  uint64_t r ;
  for (unsigned int i = 0 ; i < n ; i++) ok += (unsigned int)rl_gcra_take(tat, now, l, &r) ;
  return ok ;
}

int main (void)
{
  struct rl_limit l ;
  uint64_t tat = 0, r, now = 1700000000 * S, u ;
  unsigned int admitted ;

  rl_limit_make(&l, 200, 3600, 200) ;
  CHECK(l.interval == 18 * S && l.tolerance == 3600 * S, "defaults: one per 18 s, 200 at once") ;
  CHECK(run(&l, &tat, now, 200) == 200, "200 quick connections admitted") ;
  CHECK(!rl_gcra_take(&tat, now, &l, &r) && r == 18 * S, "the 201st refused, retry after 18 s") ;
  CHECK(rl_gcra_level(tat, now, l.interval) == 200, "level 200") ;
  CHECK(!rl_gcra_take(&tat, now + 18 * S - 1, &l, &r) && r == 1, "one microsecond early: refused") ;
  CHECK(rl_gcra_take(&tat, now + 18 * S, &l, &r), "after 18 s one more") ;
  CHECK(!rl_gcra_take(&tat, now + 18 * S, &l, &r), "but only one") ;
  CHECK(run(&l, &tat, now + 3618 * S, 300) == 200, "an hour later a full burst again") ;

  /* worst case over any hour: burst + rate */
  tat = 0 ; admitted = 0 ;
  for (uint64_t t = 0 ; t < 3600 ; t++) admitted += run(&l, &tat, now + t * S, 1000) ;
  CHECK(admitted == 399, "worst case in one hour from idle: burst 200 + 199 at the rate") ;
  admitted = 0 ;
  for (uint64_t t = 3600 ; t < 7200 ; t++) admitted += run(&l, &tat, now + t * S, 1000) ;
  CHECK(admitted == 200, "the next hour, flooding: exactly 200") ;

  rl_limit_make(&l, 10, 60, 1) ;
  tat = 0 ;
  CHECK(run(&l, &tat, now, 5) == 1, "burst 1: one at once") ;
  CHECK(run(&l, &tat, now + 6 * S, 5) == 1, "then one per 6 s") ;

  rl_limit_make(&l, UINT64_MAX, 3600, 200) ;
  tat = 0 ;
  CHECK(l.unlimited && run(&l, &tat, now, 100000) == 100000 && !tat, "unlimited: all admitted, no state") ;
  rl_limit_make(&l, 0, 3600, 200) ;
  CHECK(l.blocked && !rl_gcra_take(&tat, now, &l, &r) && r == 3600 * S, "connections=0: all refused") ;
  rl_limit_make(&l, 200, 0, 0) ;
  CHECK(l.window == 1 && l.burst == 1 && l.interval == 5000, "window 0 and burst 0 clamp to 1") ;
  rl_limit_make(&l, 200, 3600, UINT64_MAX) ;
  tat = 0 ;
  CHECK(l.tolerance == UINT64_MAX && run(&l, &tat, now, 10000) == 10000, "burst unlimited saturates, no overflow") ;
  rl_limit_make(&l, 3, 604800, 1) ;
  tat = UINT64_MAX - 5 ;
  CHECK(!rl_gcra_take(&tat, now, &l, &r), "TAT near the top: refused, no wrap") ;
  rl_limit_make(&l, 200, 3600, 200) ;
  tat = 0 ;
  run(&l, &tat, now, 200) ;
  CHECK(!rl_gcra_take(&tat, now - 3600 * S, &l, &r) && r == 18 * S, "clock set back an hour: a full burst, not an hour of debt (retry after 18 s)") ;
  CHECK(rl_gcra_take(&tat, now - 3600 * S + 18 * S, &l, &r), "and admitted again 18 s later") ;
  CHECK(rl_gcra_level(5, 10, 3) == 0 && rl_gcra_level(10, 5, 3) == 2 && rl_gcra_level(10, 5, 0) == 0, "level rounds up, 0 in the past") ;

  CHECK(rl_clock_parse("1700000000", &u) && u == 1700000000 * S, "clock: seconds") ;
  CHECK(rl_clock_parse("12.5", &u) && u == 12500000, "clock: fraction") ;
  CHECK(rl_clock_parse("12.000001", &u) && u == 12000001, "clock: 6 digits") ;
  CHECK(!rl_clock_parse("12.0000001", &u), "clock: 7 digits refused") ;
  CHECK(!rl_clock_parse("", &u) && !rl_clock_parse(0, &u) && !rl_clock_parse("12.", &u)
     && !rl_clock_parse("-1", &u) && !rl_clock_parse("1x", &u) && !rl_clock_parse("99999999999999999999999", &u), "clock: junk refused") ;
  setenv(RL_NOW_ENV, "1000", 1) ;
  CHECK(rl_clock_now() == 1000 * S, "clock: $MXHOLD_RL_NOW") ;
  setenv(RL_NOW_ENV, "junk", 1) ;
  CHECK(rl_clock_now() > 1600000000 * S, "clock: junk ignored, real time") ;
  return fails ? 1 : 0 ;
}
