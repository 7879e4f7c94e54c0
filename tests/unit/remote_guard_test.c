/* remote_guard_test.c: which addresses an MX lookup may lead to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "deliver/remote_guard.h"
#include "tests/unit/check.h"

/* The guard's verdict for a text address: "" for allowed. */
static char const *verdict (char const *text)
{
  struct remote_addr a ;
  char const *why ;
  memset(&a, 0, sizeof a) ;
  if (inet_pton(AF_INET, text, a.ip) == 1) a.family = 4 ;
  else if (inet_pton(AF_INET6, text, a.ip) == 1) a.family = 6 ;
  else return "not-an-address" ;
  why = remote_guard_check(&a) ;
  return why ? why : "" ;
}

static void is (char const *text, char const *want)
{
  char what[200] ;
  char const *got = verdict(text) ;
  snprintf(what, sizeof what, "%s: %s (got %s)", text, *want ? want : "allowed", *got ? got : "allowed") ;
  CHECK(!strcmp(got, want), what) ;
}

int main (void)
{
  unsetenv(REMOTE_GUARD_TEST_ENV) ;
  is("127.0.0.1", "loopback") ;
  is("127.255.1.2", "loopback") ;
  is("0.0.0.0", "unspecified") ;
  is("0.1.2.3", "unspecified") ;
  is("10.0.0.1", "private") ;
  is("172.16.0.1", "private") ;
  is("172.31.255.255", "private") ;
  is("172.32.0.1", "") ;
  is("192.168.1.1", "private") ;
  is("100.64.0.1", "private") ;
  is("100.127.255.255", "private") ;
  is("100.128.0.1", "") ;
  is("169.254.1.1", "link-local") ;
  is("192.0.2.5", "reserved") ;
  is("198.18.0.1", "reserved") ;
  is("198.19.255.1", "reserved") ;
  is("198.20.0.1", "") ;
  is("224.0.0.1", "multicast") ;
  is("239.255.255.255", "multicast") ;
  is("240.0.0.1", "reserved") ;
  is("255.255.255.255", "reserved") ;
  is("8.8.8.8", "") ;
  is("193.0.6.139", "") ;
  is("::", "unspecified") ;
  is("::1", "loopback") ;
  is("::ffff:127.0.0.1", "loopback") ;
  is("::ffff:10.1.1.1", "private") ;
  is("::ffff:8.8.8.8", "") ;
  is("64:ff9b::a00:1", "private") ;
  is("2002:7f00:1::1", "loopback") ;
  is("2002:0808:0808::1", "") ;
  is("::127.0.0.1", "reserved") ;
  is("fc00::1", "private") ;
  is("fdff:ffff::1", "private") ;
  is("fe80::1", "link-local") ;
  is("febf::1", "link-local") ;
  is("fec0::1", "private") ;
  is("ff02::1", "multicast") ;
  is("2001:db8::25", "reserved") ;
  is("100::1", "reserved") ;
  is("2a00:1450:4001:80b::200e", "") ;
  is("2001:4860:4860::8888", "") ;
  setenv(REMOTE_GUARD_TEST_ENV, "1", 1) ;
  is("127.0.0.1", "") ;
  is("127.57.1.2", "") ;
  is("::1", "") ;
  is("10.0.0.1", "private") ;
  setenv(REMOTE_GUARD_TEST_ENV, "yes", 1) ;
  is("127.0.0.1", "loopback") ;
  return check_done() ;
}
