/* spf_hdr_test.c: the header lines and the trusted relay's Received parse
   (spfcheck/spf_hdr.c). */
#include <stdio.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int nfail ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; nfail++ ; } } while (0)

static char ip[64], helo[256] ;

static int hop (char const *h) { return spf_hdr_hop(h, strlen(h), ip, sizeof ip, helo, sizeof helo) ; }

#define OURS "Received: from relay.customer.example ([192.0.2.9])\r\n\tby relay.test (mxhold) with ESMTP id 1; date\r\n"

int main (void)
{
  struct spf_check c ;
  char out[4096], safe[8] ;
  size_t n ;

  CHECK(spf_hdr_end("A: b\r\n\r\nbody", 13) == 8, "end of CRLF header block") ;
  CHECK(spf_hdr_end("A: b\n\nbody", 10) == 6, "end of LF header block") ;
  CHECK(spf_hdr_end("A: b\r\nC: d\r\n", 12) == 0, "no empty line yet") ;
  CHECK(spf_hdr_end("", 0) == 0, "nothing") ;

  CHECK(hop(OURS "Received: from mail.hop.example (mail.hop.example [198.51.100.7])\r\n\tby relay.customer.example; date\r\n\r\n") == 1
        && !strcmp(ip, "198.51.100.7") && !strcmp(helo, "mail.hop.example"), "second Received: folded, IP and HELO") ;
  CHECK(hop(OURS "X-Other: 1\r\nreceived: from h.example ([IPv6:2001:db8::7]) by r.example; date\r\n\r\n") == 1
        && !strcmp(ip, "2001:db8::7") && !strcmp(helo, "h.example"), "IPv6 literal, lower-case field name") ;
  CHECK(hop(OURS "Received: from [198.51.100.7] ([198.51.100.7]) by r.example; date\r\n\r\n") == 1
        && !strcmp(ip, "198.51.100.7") && !helo[0], "an address literal HELO counts as none") ;
  CHECK(hop(OURS "\r\nReceived: from h.example ([198.51.100.7]) by r.example\r\n") == 0, "a Received line in the body is not read") ;
  CHECK(hop(OURS "\r\n") == 0, "only our own Received") ;
  CHECK(hop(OURS "Received: by r.example; date\r\n\r\n") == 0, "no from clause") ;
  CHECK(hop(OURS "Received: from h.example by r.example ([198.51.100.7]); date\r\n\r\n") == 0, "bracket only after by") ;
  CHECK(hop(OURS "Received: from h.example ([198.51.100.7\r\n\r\n") == 0, "unclosed bracket") ;
  CHECK(hop("Received: from h.example ([198.51.100.7]) by r.example\n") == 0, "first Received is ours, not the hop") ;

  spf_safe("a b\x01\xff", 5, safe, sizeof safe) ;
  CHECK(!strcmp(safe, "a?b??"), "spf_safe maps bytes outside 33..126") ;
  spf_safe("abcdefghij", 10, safe, sizeof safe) ;
  CHECK(!strcmp(safe, "abcdefg"), "spf_safe truncates to its room") ;

  memset(&c, 0, sizeof c) ;
  c.ipv4 = 1 ; c.ip[0] = 192 ; c.ip[1] = 0 ; c.ip[2] = 2 ; c.ip[3] = 3 ;
  c.sender = SPAN_STR("a\"b@example.com") ;
  c.helo = SPAN_STR("mx.example.com") ;
  c.me = SPAN_STR("relay.test") ;
  memcpy(c.domain, "example.com", 11) ; c.domainlen = 11 ;
  memcpy(c.mech, "-all", 4) ; c.mechlen = 4 ;
  c.result = SPF_FAIL ;
  n = spf_hdr_make(&c, "fail", "mailfrom", 0, out, sizeof out) ;
  out[n] = 0 ;
  CHECK(n && !strncmp(out, "Received-SPF: fail (relay.test: domain of example.com does not designate 192.0.2.3 as permitted sender) client-ip=192.0.2.3; envelope-from=\"a?b@example.com\"; helo=\"mx.example.com\"; receiver=relay.test; identity=mailfrom; mechanism=\"-all\"\r\n", 230), "Received-SPF line, quotes neutralised") ;
  CHECK(strstr(out, "\r\nAuthentication-Results: relay.test; spf=fail smtp.mailfrom=a?b@example.com\r\n") != 0, "Authentication-Results line") ;
  CHECK(spf_hdr_make(&c, "fail", "mailfrom", 0, out, 100) == 0, "too small a buffer: 0") ;
  c.ipv4 = 0 ; memset(c.ip, 0, 16) ; c.ip[0] = 0x20 ; c.ip[1] = 0x01 ; c.ip[2] = 0x0d ; c.ip[3] = 0xb8 ; c.ip[15] = 1 ;
  n = spf_hdr_make(&c, "pass", "helo", "trusted relay 192.0.2.9", out, sizeof out) ;
  out[n] = 0 ;
  CHECK(strstr(out, "client-ip=2001:db8::1;") && strstr(out, "(relay.test: trusted relay 192.0.2.9; ") && strstr(out, "spf=pass reason=\"trusted relay\" smtp.helo=mx.example.com"), "IPv6, relay note, helo identity") ;
  return nfail ? 1 : 0 ;
}
