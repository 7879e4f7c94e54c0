/* spf_record_test.c: SPF record syntax (spfcheck/spf_record.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int nfail ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; nfail++ ; } } while (0)

static struct spf_record r ;

static int parse (char const *s) { return spf_record_parse(s, strlen(s), &r) ; }

static int sp_eq (struct span s, char const *lit) { return s.len == strlen(lit) && !memcmp(s.p, lit, s.len) ; }

int main (void)
{
  static char const nul[] = "v=spf1 a:foo\0.example.com" ;
  char big[SPF_TERMS_MAX * 2 + 16] ;
  size_t n ;

  CHECK(spf_record_is("v=spf1", 6), "bare v=spf1 is a record") ;
  CHECK(spf_record_is("V=SPF1 -all", 11), "version tag in any case") ;
  CHECK(!spf_record_is("v=spf10 -all", 12), "v=spf10 is not a record") ;
  CHECK(!spf_record_is("v=spf1\t-all", 11), "a tab after the version is not a record") ;
  CHECK(!spf_record_is("", 0), "empty is not a record") ;

  CHECK(parse("v=spf1") == 0 && r.n == 0, "no terms") ;
  CHECK(parse("v=spf1  a   -all ") == 0 && r.n == 2, "runs of spaces, trailing space") ;
  CHECK(parse("v=spf1 +a ~mx ?ptr -all") == 0 && r.t[0].qual == '+' && r.t[1].qual == '~' && r.t[2].qual == '?' && r.t[3].qual == '-', "qualifiers") ;
  CHECK(parse("v=spf1 a/24//64") == 0 && r.t[0].kind == SPF_T_A && r.t[0].cidr4 == 24 && r.t[0].cidr6 == 64 && !r.t[0].domain.len, "a dual cidr") ;
  CHECK(parse("v=spf1 mx:example.com//0") == 0 && r.t[0].cidr4 == 32 && r.t[0].cidr6 == 0 && sp_eq(r.t[0].domain, "example.com"), "mx with domain and ip6 cidr") ;
  CHECK(parse("v=spf1 a:example.com/33") == -1, "ip4 cidr 33") ;
  CHECK(parse("v=spf1 a//129") == -1, "ip6 cidr 129") ;
  CHECK(parse("v=spf1 a/024") == -1, "cidr with a leading zero") ;
  CHECK(parse("v=spf1 a:example.com/") == -1, "empty cidr") ;
  CHECK(parse("v=spf1 ip4:192.0.2.0/24") == 0 && r.t[0].kind == SPF_T_IP4 && r.t[0].cidr4 == 24 && r.t[0].ip[0] == 192 && r.t[0].ip[3] == 0, "ip4 network") ;
  CHECK(parse("v=spf1 ip4:192.0.2.1/33") == -1, "ip4 /33") ;
  CHECK(parse("v=spf1 ip4:1.2.3") == -1, "short ip4") ;
  CHECK(parse("v=spf1 ip4:") == -1, "empty ip4") ;
  CHECK(parse("v=spf1 ip6:2001:db8::/32") == 0 && r.t[0].kind == SPF_T_IP6 && r.t[0].cidr6 == 32 && r.t[0].ip[1] == 0x01, "ip6 network") ;
  CHECK(parse("v=spf1 ip6:::1.1.1.1//33") == -1, "ip6 with a dual cidr") ;
  CHECK(parse("v=spf1 ip6:2001:db8::/129") == -1, "ip6 /129") ;
  CHECK(parse("v=spf1 include") == -1, "include needs a domain") ;
  CHECK(parse("v=spf1 exists:") == -1, "exists needs a domain") ;
  CHECK(parse("v=spf1 all:foo") == -1, "all takes no argument") ;
  CHECK(parse("v=spf1 a:1.2.3.4") == -1, "a numeric top label is no domain") ;
  CHECK(parse("v=spf1 a:example.com.") == 0, "a trailing dot is fine") ;
  CHECK(parse("v=spf1 a:%{d}") == 0, "a domain-spec ending in a macro") ;
  CHECK(parse("v=spf1 a:%{z}.example.com") == -1, "unknown macro letter") ;
  CHECK(parse("v=spf1 a:%{d0}.example.com") == -1, "zero digit transformer") ;
  CHECK(parse("v=spf1 a:%{c}.example.com") == -1, "c is for exp only") ;
  CHECK(parse("v=spf1 exists:%{ir}.%{l1r-+}.%{d2}.x.example.com") == 0, "transformers and delimiters") ;
  CHECK(parse("v=spf1 a:foo%.example.com") == -1, "a lone percent") ;
  CHECK(parse("v=spf1 foo:bar") == -1, "unknown mechanism") ;
  CHECK(parse("v=spf1 foo=bar") == 0 && r.t[0].kind == SPF_T_UNKNOWN_MOD, "unknown modifier is kept and ignored") ;
  CHECK(parse("v=spf1 foo=%{z}") == -1, "unknown modifier with a bad macro") ;
  CHECK(parse("v=spf1 -exp=x.example.com") == -1, "qualifier on a modifier") ;
  CHECK(parse("v=spf1 redirect=a.example.com") == 0 && r.redirect == 0, "redirect") ;
  CHECK(parse("v=spf1 redirect=a.example.com redirect=b.example.com") == -1, "two redirects") ;
  CHECK(parse("v=spf1 exp=a.example.com exp=b.example.com") == -1, "two exps") ;
  CHECK(parse("v=spf1 exp=") == -1, "empty exp") ;
  CHECK(parse("v=spf1 -all exp=e.example.com") == 0 && r.exp == 1 && sp_eq(r.t[1].domain, "e.example.com"), "exp index") ;
  CHECK(parse("v=spf1 ip4:192.0.2.5\n include:x.example.com") == -1, "LF is no separator") ;
  CHECK(spf_record_parse(nul, sizeof nul - 1, &r) == -1, "NUL inside a domain") ;
  CHECK(parse("v=spf1 a:caf\xc3\xa9.example.com") == -1, "non-ASCII domain") ;
  CHECK(parse("v=spf1 A:EXAMPLE.COM -ALL") == 0 && r.t[0].kind == SPF_T_A && r.t[1].kind == SPF_T_ALL, "mechanism names in any case") ;
  CHECK(parse("v=spf1 mx -all") == 0 && sp_eq(r.t[1].text, "-all"), "term text") ;

  memcpy(big, "v=spf1", 6) ; n = 6 ;
  for (unsigned int i = 0 ; i < SPF_TERMS_MAX ; i++) { big[n++] = ' ' ; big[n++] = 'a' ; }
  CHECK(spf_record_parse(big, n, &r) == 0 && r.n == SPF_TERMS_MAX, "SPF_TERMS_MAX terms") ;
  big[n++] = ' ' ; big[n++] = 'a' ;
  CHECK(spf_record_parse(big, n, &r) == -1, "SPF_TERMS_MAX + 1 terms") ;

  CHECK(spf_domainspec_valid(SPAN_STR("example.com")), "domain-spec valid") ;
  CHECK(!spf_domainspec_valid(SPAN_STR("example.-com")), "top label starting with a hyphen") ;
  CHECK(spf_domainspec_valid(SPAN_STR("example.x-1")), "top label with a hyphen inside") ;
  CHECK(spf_explain_valid(SPAN_STR("%{c} is not allowed, see %{r} at %{t}")), "explain-string with spaces and c r t") ;
  CHECK(!spf_explain_valid(SPAN_STR("100% wrong")), "explain-string with a lone percent") ;
  return nfail ? 1 : 0 ;
}
