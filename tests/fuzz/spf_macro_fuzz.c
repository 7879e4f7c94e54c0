/* spf_macro_fuzz.c: the macro expander on arbitrary macro-strings, into a
   small and a large buffer, in domain and explanation mode; then the
   domain limits on what came out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int p_cb (void *ctx, struct span *o) { (void)ctx ; *o = SPAN_STR("a.b.example.org") ; return 0 ; }

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char small[16], big[8192] ;
  struct spf_macro_env env ;
  struct span in ;
  int cut, n ;
  if (!size) return 0 ;
  memset(&env, 0, sizeof env) ;
  env.s = SPAN_STR("l.o.c.a.l-part+x=y@sub.example.com") ;
  env.l = SPAN_STR("l.o.c.a.l-part+x=y") ;
  env.o = env.d = SPAN_STR("sub.example.com") ;
  env.i = SPAN_STR("2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1") ;
  env.c = SPAN_STR("2001:db8::1") ;
  env.v = SPAN_STR("ip6") ; env.h = SPAN_STR("helo.example") ;
  env.r = SPAN_STR("relay.test") ; env.t = SPAN_STR("1795800000") ;
  env.p = &p_cb ;
  env.exp = data[0] & 1 ;
  in = (struct span){ (char const *)data + 1, size - 1 } ;
  n = spf_macro_expand(in, &env, small, sizeof small, &cut) ;
  if (n > (int)sizeof small) abort() ;
  n = spf_macro_expand(in, &env, big, sizeof big, &cut) ;
  if (n > (int)sizeof big) abort() ;
  if (n > 0)
  {
    size_t s = spf_domain_trim(big, (size_t)n) ;
    if (s > (size_t)n) abort() ;
    spf_domain_ok(big + s, (size_t)n - s) ;
  }
  return 0 ;
}
