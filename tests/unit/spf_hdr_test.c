/* spf_hdr_test.c: the header lines and the trusted relay's Received parse
   (spfcheck/spf_hdr.c). */
#include <stdio.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

static int nfail ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; nfail++ ; } } while (0)

static char ip[64], helo[256] ;

/* out[0..n) unfolded into u (CRLF before a WSP removed): the fields as one line each */
static char u[8192] ;
static char const *unfold (char const *o, size_t n)
{
  size_t k = 0 ;
  for (size_t i = 0 ; i < n && k + 1 < sizeof u ; i++)
  {
    if (o[i] == '\r' && i + 2 < n && o[i + 1] == '\n' && (o[i + 2] == '\t' || o[i + 2] == ' '))
    {
      u[k++] = ' ' ;
      i += 2 ;
      continue ;
    }
    u[k++] = o[i] ;
  }
  u[k] = 0 ;
  return u ;
}

/* the longest line in o[0..n), CRLF excluded */
static size_t longest (char const *o, size_t n)
{
  size_t best = 0, start = 0 ;
  for (size_t i = 0 ; i + 1 < n ; i++)
    if (o[i] == '\r' && o[i + 1] == '\n')
    {
      if (i - start > best) best = i - start ;
      start = i + 2 ;
    }
  return best ;
}

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
  unfold(out, n) ;
  CHECK(n && !strncmp(u, "Received-SPF: fail (relay.test: domain of example.com does not designate 192.0.2.3 as permitted sender) client-ip=192.0.2.3; envelope-from=\"a?b@example.com\"; helo=\"mx.example.com\"; receiver=relay.test; identity=mailfrom; mechanism=\"-all\"\r\n", 230), "Received-SPF field (unfolded), quotes neutralised") ;
  CHECK(strstr(u, "\r\nAuthentication-Results: relay.test; spf=fail smtp.mailfrom=a?b@example.com\r\n") != 0, "Authentication-Results field") ;
  CHECK(longest(out, n) <= 78, "folded: every line at most 78 bytes") ;
  CHECK(!strncmp(out, "Received-SPF: fail (relay.test: domain of example.com does not designate\r\n\t192.0.2.3 ", 85), "folded at a space of the comment") ;
  CHECK(spf_hdr_make(&c, "fail", "mailfrom", 0, out, 100) == 0, "too small a buffer: 0") ;
  c.ipv4 = 0 ; memset(c.ip, 0, 16) ; c.ip[0] = 0x20 ; c.ip[1] = 0x01 ; c.ip[2] = 0x0d ; c.ip[3] = 0xb8 ; c.ip[15] = 1 ;
  n = spf_hdr_make(&c, "pass", "helo", "trusted relay 192.0.2.9", out, sizeof out) ;
  out[n] = 0 ;
  unfold(out, n) ;
  CHECK(strstr(u, "client-ip=2001:db8::1;") && strstr(u, "(relay.test: trusted relay 192.0.2.9; ") && strstr(u, "spf=pass reason=\"trusted relay\" smtp.helo=mx.example.com"), "IPv6, relay note, helo identity") ;

  /* the longest valid inputs: HELO 255, sender 64 + @ + 255... within an
     SMTP path (254), me 255, a long mechanism */
  {
    static char h[256], snd[300], me[256], why[] = "more than 10 DNS lookups (RFC 7208 4.6.4)\r\nX-Forged: 1" ;
    memset(h, 'h', 255) ;
    for (int i = 63 ; i < 255 ; i += 64) h[i] = '.' ;
    memset(snd, 'l', 64) ;
    snd[64] = '@' ;
    memcpy(snd + 65, h, 189) ;
    memset(me, 'm', 255) ;
    me[100] = '.' ;
    c.helo = (struct span){ h, 255 } ;
    c.sender = (struct span){ snd, 254 } ;
    c.me = (struct span){ me, 255 } ;
    memset(c.mech, 'x', sizeof c.mech) ; c.mechlen = sizeof c.mech ;
    memcpy(c.domain, h, 253) ; c.domainlen = 253 ;
    n = spf_hdr_make(&c, "fail", "mailfrom", "trusted relay 192.0.2.9", out, sizeof out) ;
    CHECK(n && longest(out, n) <= 998, "longest inputs: no line over 998 bytes") ;
    CHECK(n && longest(out, n) <= 255 + 20, "longest inputs: only a long word exceeds 78, on its own line") ;
    memcpy(c.why, why, sizeof why) ;
    n = spf_hdr_make(&c, "permerror", "mailfrom", 0, out, sizeof out) ;
    out[n] = 0 ;
    CHECK(n && !strstr(out, "\r\nX-Forged") && strstr(unfold(out, n), "mailfrom: more than 10 DNS lookups ?RFC 7208 4.6.4???X-Forged: 1)"), "the reason text cannot end the comment or the field") ;
    c.sender = (struct span){ snd, 299 } ;
    memset(snd, 'l', 299) ;
    n = spf_hdr_make(&c, "none", "mailfrom", 0, out, sizeof out) ;
    CHECK(n && longest(out, n) <= 998, "an over-long sender is cut to fit") ;
  }
  return nfail ? 1 : 0 ;
}
