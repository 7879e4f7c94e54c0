/* rl_key_test.c: which client a connection is counted against. */
#include <stdio.h>
#include <string.h>
#include "ratelimit/ratelimit.h"

static int fails ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)

static int same (char const *a, char const *b)
{
  struct rl_key x, y ;
  return rl_key_parse(a, strlen(a), &x) && rl_key_parse(b, strlen(b), &y) && x.fam == y.fam && x.addr == y.addr ;
}

static int fmt_is (char const *ip, char const *want)
{
  struct rl_key k ;
  char buf[RL_KEY_FMT_MAX] ;
  return rl_key_parse(ip, strlen(ip), &k) && rl_key_fmt(&k, buf, sizeof buf) == strlen(want) && !strcmp(buf, want) ;
}

int main (void)
{
  struct rl_key k ;
  char buf[RL_KEY_FMT_MAX], small[5] ;
  CHECK(rl_key_parse("192.0.2.7", 9, &k) && k.fam == RL_FAM_4 && k.addr == 0xc0000207, "IPv4 parsed") ;
  CHECK(!same("192.0.2.7", "192.0.2.8"), "IPv4: each address its own client") ;
  CHECK(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"), "IPv6: one /64 is one client") ;
  CHECK(!same("2001:db8:1:2::1", "2001:db8:1:3::1"), "IPv6: the next /64 is another") ;
  CHECK(same("::ffff:192.0.2.7", "192.0.2.7"), "IPv4-mapped IPv6 counts as IPv4") ;
  CHECK(!same("::c000:207", "192.0.2.7"), "an IPv6 key never equals an IPv4 key") ;
  CHECK(!rl_key_parse("", 0, &k) && !rl_key_parse(0, 3, &k), "empty refused") ;
  CHECK(!rl_key_parse("192.0.2.7\0x", 11, &k), "NUL inside refused") ;
  CHECK(!rl_key_parse("192.0.2.7", 8, &k) || k.addr != 0xc0000207, "length respected (not NUL-terminated)") ;
  CHECK(!rl_key_parse("192.0.2.256", 11, &k) && !rl_key_parse("example.com", 11, &k) && !rl_key_parse("fe80::1%eth0", 12, &k), "junk refused") ;
  memset(buf, 'x', sizeof buf) ;
  CHECK(!rl_key_parse(buf, sizeof buf, &k), "overlong refused") ;
  CHECK(fmt_is("192.0.2.7", "192.0.2.7"), "IPv4 formatted") ;
  CHECK(fmt_is("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), "IPv6 formatted as its /64") ;
  CHECK(fmt_is("::1", "::/64"), "::1 is in ::/64") ;
  CHECK(rl_key_parse("192.0.2.7", 9, &k) && rl_key_fmt(&k, small, sizeof small) == 4 && !strcmp(small, "192."), "short buffer truncates, NUL-terminated") ;
  return fails ? 1 : 0 ;
}
