/* spf_record_fuzz.c: the SPF record parser on arbitrary bytes (a TXT record
   is anyone's to write). Every span it returns must lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static struct spf_record r ;

static void inside (struct span s, char const *p, size_t len)
{
  if (s.len && (s.p < p || s.p + s.len > p + len)) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *p = (char const *)data ;
  if (!spf_record_is(p, size)) return 0 ;
  if (spf_record_parse(p, size, &r) == -1) return 0 ;
  if (r.n > SPF_TERMS_MAX) abort() ;
  if (r.redirect >= (int)r.n || r.exp >= (int)r.n) abort() ;
  for (unsigned int i = 0 ; i < r.n ; i++)
  {
    inside(r.t[i].text, p, size) ;
    inside(r.t[i].domain, p, size) ;
    if (r.t[i].cidr4 > 32 || r.t[i].cidr6 > 128) abort() ;
    if (r.t[i].domain.len) spf_domainspec_valid(r.t[i].domain) ;
  }
  return 0 ;
}
