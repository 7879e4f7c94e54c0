/* rl_bucket_fuzz.c: a bucket of the state file is untrusted bytes (a disk
   error, a crash mid-write, an operator's editor). After repair, every
   entry must decode, re-encode identically and pass a second repair; a
   count on it must not overflow whatever TAT it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ratelimit/ratelimit.h"

int LLVMFuzzerTestOneInput (unsigned char const *data, size_t size)
{
  unsigned char b[RL_BUCKET_BYTES], c[RL_BUCKET_BYTES] ;
  struct rl_entry e ;
  struct rl_limit l ;
  uint64_t tat, retry, now = 1700000000ULL * RL_USEC_PER_SEC ;
  memset(b, 0, sizeof b) ;
  memcpy(b, data, size < sizeof b ? size : sizeof b) ;
  rl_bucket_repair(b) ;
  if (rl_bucket_repair(b)) abort() ;
  memset(c, 0, sizeof c) ;
  for (unsigned int i = 0 ; i < RL_WAYS ; i++)
  {
    if (!rl_bucket_get(b, i, &e)) continue ;
    if (e.fam != RL_FAM_4 && e.fam != RL_FAM_6) abort() ;
    rl_bucket_put(c, i, &e) ;
    tat = e.tat ;
    rl_limit_make(&l, e.admitted, e.denied, (uint64_t)e.addr) ;
    rl_gcra_take(&tat, now, &l, &retry) ;
    if (!l.unlimited && !l.blocked)
    {
      /* a take never lowers the TAT below what it held, except that a TAT
         beyond a full burst (clock set back, limit lowered) is clamped to
         one; and it never leaves the TAT beyond a full burst */
      uint64_t full = l.tolerance > UINT64_MAX - now ? UINT64_MAX : now + l.tolerance ;
      if (tat < (e.tat < full ? e.tat : full)) abort() ;
      if (tat > full) abort() ;
    }
    rl_gcra_level(tat, now, l.interval) ;
  }
  if (memcmp(b, c, sizeof b)) abort() ;
  return 0 ;
}
