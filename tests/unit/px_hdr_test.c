/* px_hdr_test.c: the PROXY header parser, v1 and v2: the spec's examples,
   its limits (107 bytes, 16 + len), and never a byte asked past the end. */
#include <string.h>
#include "proxy/proxy.h"
#include "tests/unit/check.h"

/* Feeds buf as px_read would; returns the status and the bytes consumed. */
static enum px_status feed (unsigned char const *buf, size_t size, struct px_header *h, size_t *used, char const **why)
{
  size_t len = 0 ;
  for (;;)
  {
    size_t want ;
    enum px_status s = px_parse(buf, len, h, &want, why) ;
    if (s != PX_MORE || len + want > size)
    {
      *used = len ;
      return s ;
    }
    len += want ;
  }
}

static unsigned char const sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a } ;

static size_t v2 (unsigned char *b, unsigned char vc, unsigned char fam, unsigned char const *body, size_t n)
{
  memcpy(b, sig, 12) ;
  b[12] = vc ;
  b[13] = fam ;
  b[14] = (unsigned char)(n >> 8) ;
  b[15] = (unsigned char)n ;
  memcpy(b + 16, body, n) ;
  return 16 + n ;
}

int main (void)
{
  struct px_header h ;
  char const *why ;
  size_t used ;
  unsigned char b[PX_V2_MAX] ;
  char const *v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\nEHLO x\r\n" ;
  unsigned char a4[12] = { 192, 0, 2, 7, 198, 51, 100, 1, 0xdc, 0x04, 0, 25 } ;
  unsigned char a6[36 + 7] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7, [16] = 0x20, 0x01, 0x0d, 0xb8, [31] = 1, [32] = 0, 1, 0, 25,
    [36] = 0x04, 0, 0, 0x01, 0, 1, 'x' } ;
  size_t n ;

  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_DONE, "v1 TCP4 parses") ;
  CHECK(used == 44, "v1: nothing read past the CRLF") ;
  CHECK(h.version == 1 && h.fam == 4 && !strcmp(h.src, "192.0.2.7") && !strcmp(h.dst, "198.51.100.1"), "v1 addresses") ;
  CHECK(h.sport == 56324 && h.dport == 25, "v1 ports") ;
  v1 = "PROXY TCP6 2001:db8::7 2001:db8::1 1 25\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_DONE && h.fam == 6 && !strcmp(h.src, "2001:db8::7"), "v1 TCP6") ;
  v1 = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_DONE && h.local, "v1 UNKNOWN: the peer's own addresses") ;
  v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 056324 25\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD && !strcmp(why, "bad-port"), "v1 leading zero in a port") ;
  v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD, "v1 port 65536") ;
  v1 = "PROXY TCP4 2001:db8::7 198.51.100.1 1 25\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD && !strcmp(why, "bad-address"), "v1 an IPv6 address under TCP4") ;
  v1 = "PROXY TCP4  192.0.2.7 198.51.100.1 1 25\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD, "v1 two spaces") ;
  v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 1 25\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD, "v1 bare LF") ;
  v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 1 25 x\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD, "v1 a sixth field") ;
  v1 = "EHLO x\r\n" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD && !strcmp(why, "bad-signature") && used == 1, "no header: refused at the first byte") ;
  v1 = "PROXZ" ;
  CHECK(feed((unsigned char const *)v1, strlen(v1), &h, &used, &why) == PX_BAD && used == 5, "v1 signature checked as it arrives") ;
  memset(b, 'x', sizeof b) ;
  memcpy(b, "PROXY UNKNOWN ", 14) ;
  CHECK(feed(b, 200, &h, &used, &why) == PX_BAD && !strcmp(why, "too-long") && used == PX_V1_MAX, "v1 stops at 107 bytes") ;
  memcpy(b + PX_V1_MAX - 2, "\r\n", 2) ;
  CHECK(feed(b, PX_V1_MAX, &h, &used, &why) == PX_DONE && used == PX_V1_MAX, "v1 of exactly 107 bytes") ;

  n = v2(b, 0x21, 0x11, a4, sizeof a4) ;
  memcpy(b + n, "EHLO", 4) ;
  CHECK(feed(b, n + 4, &h, &used, &why) == PX_DONE && used == n, "v2 TCP4, nothing read past it") ;
  CHECK(h.version == 2 && !strcmp(h.src, "192.0.2.7") && h.sport == 56324 && h.dport == 25, "v2 TCP4 decoded") ;
  n = v2(b, 0x21, 0x21, a6, sizeof a6) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_DONE && h.fam == 6 && !strcmp(h.src, "2001:db8::7") && !strcmp(h.dst, "2001:db8::1"), "v2 TCP6 with TLVs") ;
  n = v2(b, 0x20, 0x00, a4, 0) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_DONE && h.local, "v2 LOCAL") ;
  n = v2(b, 0x21, 0x00, a4, 0) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_DONE && h.local, "v2 PROXY with AF_UNSPEC") ;
  n = v2(b, 0x21, 0x11, a4, 8) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD && !strcmp(why, "short-addresses"), "v2 TCP4 with 8 address bytes") ;
  n = v2(b, 0x21, 0x12, a4, sizeof a4) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD && !strcmp(why, "bad-family"), "v2 UDP") ;
  n = v2(b, 0x11, 0x11, a4, sizeof a4) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD && !strcmp(why, "bad-version"), "v2 version 1") ;
  n = v2(b, 0x22, 0x11, a4, sizeof a4) ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD && !strcmp(why, "bad-command"), "v2 command 2") ;
  n = v2(b, 0x21, 0x11, a4, sizeof a4) ;
  CHECK(feed(b, n - 1, &h, &used, &why) == PX_MORE && used == 16, "v2 cut short: wants more, has read no more than the header") ;
  b[3] = 'x' ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD && !strcmp(why, "bad-signature"), "v2 bad signature") ;
  b[0] = 0 ;
  CHECK(feed(b, n, &h, &used, &why) == PX_BAD, "a NUL first byte") ;
  return check_done() ;
}
