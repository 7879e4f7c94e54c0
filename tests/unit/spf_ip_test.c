/* spf_ip_test.c: client addresses (spfcheck/spf_ip.c). */
#include <stdio.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int nfail ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; nfail++ ; } } while (0)

int main (void)
{
  static struct spf_check c ;
  char rev[80], i[72], cc[48] ;
  unsigned char net[16] = { 192, 0, 2, 0 } ;
  size_t n ;
  CHECK(spf_ip_parse(&c, "192.0.2.3") && c.ipv4 && c.ip[3] == 3, "IPv4") ;
  CHECK(spf_ip_parse(&c, "::ffff:192.0.2.3") && c.ipv4 && c.ip[0] == 192 && c.ip[3] == 3, "IPv4-mapped is IPv4") ;
  CHECK(spf_ip_parse(&c, "2001:DB8::CB01") && !c.ipv4 && c.ip[0] == 0x20 && c.ip[15] == 0x01, "IPv6, upper case") ;
  CHECK(!spf_ip_parse(&c, "192.0.2"), "short IPv4") ;
  CHECK(!spf_ip_parse(&c, "192.0.2.03"), "leading zero") ;
  CHECK(!spf_ip_parse(&c, ""), "empty") ;
  CHECK(!spf_ip_parse(&c, "[192.0.2.3]"), "brackets") ;

  spf_ip_parse(&c, "192.0.2.77") ;
  CHECK(spf_ip_match(net, c.ip, 24), "/24 matches") ;
  CHECK(!spf_ip_match(net, c.ip, 32), "/32 does not") ;
  CHECK(spf_ip_match(net, c.ip, 25), "/25 matches (77 < 128)") ;
  CHECK(!spf_ip_match(net, c.ip, 26), "/26 does not (77 >= 64)") ;
  CHECK(spf_ip_match(net, c.ip, 0), "/0 matches anything") ;
  n = spf_ip_revname(&c, rev) ;
  CHECK(n == strlen("77.2.0.192.in-addr.arpa") && !memcmp(rev, "77.2.0.192.in-addr.arpa", n), "IPv4 reverse name") ;
  spf_ip_texts(&c, i, sizeof i, cc, sizeof cc) ;
  CHECK(!strcmp(i, "192.0.2.77") && !strcmp(cc, "192.0.2.77"), "IPv4 i and c") ;

  spf_ip_parse(&c, "2001:db8::cb01") ;
  n = spf_ip_revname(&c, rev) ;
  CHECK(n == 72 && !memcmp(rev, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", n), "IPv6 reverse name (RFC 7208 7.4)") ;
  spf_ip_texts(&c, i, sizeof i, cc, sizeof cc) ;
  CHECK(!strcmp(i, "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1"), "IPv6 i") ;
  CHECK(!strcmp(cc, "2001:db8::cb01"), "IPv6 c") ;
  return nfail ? 1 : 0 ;
}
