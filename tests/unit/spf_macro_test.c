/* spf_macro_test.c: macro expansion (spfcheck/spf_macro.c), RFC 7208 7.4's
   examples and the edges. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int nfail ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; nfail++ ; } } while (0)

static struct spf_macro_env env ;
static char out[4096] ;
static int pcalls ;

static int p_cb (void *ctx, struct span *o) { (void)ctx ; pcalls++ ; *o = SPAN_STR("mx.example.org") ; return 0 ; }

static int expands (char const *in, char const *want)
{
  int cut = 0 ;
  int n = spf_macro_expand((struct span){ in, strlen(in) }, &env, out, sizeof out, &cut) ;
  if (n < 0 || (size_t)n != strlen(want) || memcmp(out, want, (size_t)n) || cut)
  {
    printf("# %s -> %.*s (want %s)\n", in, n < 0 ? 0 : n, out, want) ;
    return 0 ;
  }
  return 1 ;
}

static int fails (char const *in)
{
  int cut ;
  return spf_macro_expand((struct span){ in, strlen(in) }, &env, out, sizeof out, &cut) == -1 && errno == EINVAL ;
}

int main (void)
{
  char longname[400] ;
  int cut = 0 ;
  env.s = SPAN_STR("strong-bad@email.example.com") ;
  env.l = SPAN_STR("strong-bad") ;
  env.o = SPAN_STR("email.example.com") ;
  env.d = SPAN_STR("email.example.com") ;
  env.i = SPAN_STR("192.0.2.3") ;
  env.c = SPAN_STR("192.0.2.3") ;
  env.v = SPAN_STR("in-addr") ;
  env.h = SPAN_STR("mx.example.org") ;
  env.r = SPAN_STR("relay.test") ;
  env.t = SPAN_STR("1795800000") ;
  env.p = &p_cb ;

  CHECK(expands("%{s}", "strong-bad@email.example.com"), "%{s}") ;
  CHECK(expands("%{o}", "email.example.com"), "%{o}") ;
  CHECK(expands("%{d}", "email.example.com"), "%{d}") ;
  CHECK(expands("%{d4}", "email.example.com"), "%{d4}") ;
  CHECK(expands("%{d3}", "email.example.com"), "%{d3}") ;
  CHECK(expands("%{d2}", "example.com"), "%{d2}") ;
  CHECK(expands("%{d1}", "com"), "%{d1}") ;
  CHECK(expands("%{dr}", "com.example.email"), "%{dr}") ;
  CHECK(expands("%{d2r}", "example.email"), "%{d2r}") ;
  CHECK(expands("%{l}", "strong-bad"), "%{l}") ;
  CHECK(expands("%{l-}", "strong.bad"), "%{l-}") ;
  CHECK(expands("%{lr}", "strong-bad"), "%{lr}") ;
  CHECK(expands("%{lr-}", "bad.strong"), "%{lr-}") ;
  CHECK(expands("%{l1r-}", "strong"), "%{l1r-}") ;
  CHECK(expands("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"), "%{ir}.%{v}._spf.%{d2}") ;
  CHECK(expands("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"), "%{lr-}.lp._spf.%{d2}") ;
  CHECK(expands("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"), "RFC 7.4 long example") ;
  CHECK(expands("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"), "RFC 7.4 mixed example") ;
  CHECK(expands("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"), "literal tail") ;
  CHECK(expands("%{S}", "strong-bad%40email.example.com"), "upper case letter URL-escapes") ;
  CHECK(expands("%%%_%-", "% %20"), "%% %_ %-") ;
  CHECK(expands("%{d200}", "email.example.com"), "more parts asked than there are") ;
  CHECK(expands("%{l+-}", "strong.bad"), "several delimiters") ;
  CHECK(expands("%{h}", "mx.example.org"), "%{h}") ;
  pcalls = 0 ;
  CHECK(expands("%{p}", "mx.example.org") && pcalls == 1, "%{p} asks the callback") ;
  CHECK(fails("%{c}"), "c outside exp") ;
  env.exp = 1 ;
  CHECK(expands("%{c} via %{r} at %{t}", "192.0.2.3 via relay.test at 1795800000"), "c r t in exp") ;
  env.exp = 0 ;
  CHECK(fails("%"), "lone % at the end") ;
  CHECK(fails("%x"), "%x") ;
  CHECK(fails("%{"), "unterminated") ;
  CHECK(fails("%{d"), "unterminated after the letter") ;
  CHECK(fails("%{z}"), "unknown letter") ;
  CHECK(fails("%{d0}"), "zero transformer") ;
  CHECK(fails("%{d2x}"), "junk in the transformer") ;
  CHECK(spf_macro_expand(SPAN_STR("%{s}"), &env, out, 5, &cut) == 5 && cut, "output cut at max") ;
  CHECK(expands("", ""), "empty") ;

  memset(longname, 'a', sizeof longname) ;
  for (size_t i = 9 ; i < sizeof longname ; i += 10) longname[i] = '.' ;
  {
    size_t s = spf_domain_trim(longname, sizeof longname) ;
    CHECK(sizeof longname - s <= SPF_DOMAIN_MAX && longname[s - 1] == '.', "trim drops whole labels on the left") ;
  }
  CHECK(spf_domain_trim("example.com", 11) == 0, "a short name stays") ;
  CHECK(spf_domain_ok("example.com", 11), "domain ok") ;
  CHECK(spf_domain_ok("example.com.", 12), "trailing dot ok") ;
  CHECK(!spf_domain_ok("com", 3), "single label") ;
  CHECK(!spf_domain_ok("a..com", 6), "empty label") ;
  CHECK(!spf_domain_ok(".com", 4), "leading empty label") ;
  CHECK(!spf_domain_ok("", 0), "empty") ;
  memset(longname, 'a', 64) ; memcpy(longname + 64, ".com", 4) ;
  CHECK(!spf_domain_ok(longname, 68), "64-byte label") ;
  CHECK(spf_domain_ok(longname + 1, 67), "63-byte label") ;
  return nfail ? 1 : 0 ;
}
