/* rl_gcra.c: the Generic Cell Rate Algorithm (ATM's leaky bucket, as a
   virtual scheduler). Per key one number, the theoretical arrival time TAT:
   the instant at which the client's bucket would be empty again. Each
   admitted connection pushes TAT one interval (W/N) further; a connection
   is admitted while TAT, after the push, is at most `tolerance` (B
   intervals) ahead of now.

   So with N per W and burst B: a client idle long enough may open B
   connections at once; after that it gets one every W/N seconds, smoothly,
   with no window edges. Over any span of length W it is admitted at most
   B + N connections (a full burst, then the rate), and over a long run N
   per W. With the defaults (200, 3600 s, burst 200) the 201st connection
   made within 18 s is refused, then one more is admitted every 18 s. */
#include "ratelimit/ratelimit.h"

static uint64_t mul_sat (uint64_t a, uint64_t b)
{
  if (a && b > UINT64_MAX / a) return UINT64_MAX ;
  return a * b ;
}

static uint64_t add_sat (uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b ;
}

void rl_limit_make (struct rl_limit *l, uint64_t connections, uint64_t window, uint64_t burst)
{
  if (!window) window = 1 ;
  if (!burst) burst = 1 ;
  l->connections = connections ;
  l->window = window ;
  l->burst = burst ;
  l->unlimited = connections == UINT64_MAX ;
  l->blocked = !connections ;
  if (l->unlimited || l->blocked)
  {
    l->interval = 0 ;
    l->tolerance = 0 ;
    return ;
  }
  l->interval = mul_sat(window, RL_USEC_PER_SEC) / connections ;
  if (!l->interval) l->interval = 1 ;   /* more than a million per second: as good as unlimited */
  l->tolerance = mul_sat(l->interval, burst) ;
}

uint64_t rl_gcra_level (uint64_t tat, uint64_t now, uint64_t interval)
{
  uint64_t d ;
  if (tat <= now || !interval) return 0 ;
  d = tat - now ;
  return d / interval + (d % interval != 0) ;
}

int rl_gcra_take (uint64_t *tat, uint64_t now, struct rl_limit const *l, uint64_t *retry_usec)
{
  uint64_t t, next ;
  *retry_usec = 0 ;
  if (l->unlimited) return 1 ;
  if (l->blocked)
  {
    *retry_usec = mul_sat(l->window, RL_USEC_PER_SEC) ;
    return 0 ;
  }
  /* A TAT beyond now + tolerance cannot come from this limit: the clock was
     set back, or the client's limit was lowered. Count it as a full burst,
     not as hours of debt. */
  if (*tat > add_sat(now, l->tolerance)) *tat = add_sat(now, l->tolerance) ;
  t = *tat > now ? *tat : now ;
  next = add_sat(t, l->interval) ;
  if (next - now > l->tolerance)
  {
    /* admitted again once next - now' <= tolerance */
    *retry_usec = next - now - l->tolerance ;
    return 0 ;
  }
  *tat = next ;
  return 1 ;
}
