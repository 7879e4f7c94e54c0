/* remote_tlsa_test.c: mxhold-remote's TLSA query and the parser of its
   reply (deliver/remote_tlsa.c). */
#include <string.h>
#include "deliver/remote_tlsa.h"
#include "tests/unit/check.h"

/* A reply to q: QR, RA, flags3 (AD, rcode), then the question, then n
   answers of (type, rdata) owned by the question's name (a pointer). */
static size_t reply (unsigned char *m, unsigned char const *q, size_t ql, unsigned char flags3,
  unsigned int n, unsigned int type, unsigned char const *rd, size_t rdl)
{
  size_t at = ql ;
  memcpy(m, q, ql) ;
  m[2] = 0x81 ;   /* QR, RD */
  m[3] = flags3 | 0x80 ;   /* RA */
  m[6] = 0 ;
  m[7] = (unsigned char)n ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    unsigned char h[12] = { 0xc0, 12, 0, (unsigned char)type, 0, 1, 0, 0, 0, 60, 0, (unsigned char)rdl } ;
    memcpy(m + at, h, 12) ;
    at += 12 ;
    memcpy(m + at, rd, rdl) ;
    at += rdl ;
  }
  return at ;
}

int main (void)
{
  unsigned char q[REMOTE_DNS_QUERY_MAX] ;
  unsigned char m[2048] ;
  unsigned char ee[35] = { 3, 1, 1 } ;
  unsigned char pkix[35] = { 1, 1, 1 } ;
  unsigned char ta512[67] = { 2, 0, 2 } ;
  struct remote_tlsa_ans a ;
  size_t ql ;
  size_t ml ;
  char longname[300] ;
  static unsigned char const want[] = "\4_587\4_tcp\2mx\10customer\4test\0\0\64\0\1" ;
  memset(ee + 3, 0xab, 32) ;
  memset(pkix + 3, 0xcd, 32) ;
  memset(ta512 + 3, 0xef, 64) ;

  ql = remote_tlsa_query("mx.customer.test.", 587, 0x1234, q) ;
  CHECK(ql == 12 + sizeof want - 1, "query: length") ;
  CHECK(q[0] == 0x12 && q[1] == 0x34, "query: id") ;
  CHECK(q[2] == 0x01, "query: RD set, QR clear") ;
  CHECK(q[3] == 0x20, "query: AD set (RFC 6840 5.7)") ;
  CHECK(q[5] == 1 && q[7] == 0 && q[9] == 0 && q[11] == 0, "query: one question, nothing else") ;
  CHECK(!memcmp(q + 12, want, sizeof want - 1), "query: _587._tcp.mx.customer.test TLSA IN") ;
  memset(longname, 'a', sizeof longname - 1) ;
  longname[sizeof longname - 1] = 0 ;
  CHECK(remote_tlsa_query(longname, 25, 1, q) == 0, "query: a name too long") ;
  CHECK(remote_tlsa_query("a..b", 25, 1, q) == 0, "query: an empty label") ;

  ql = remote_tlsa_query("mx.customer.test", 25, 0x4242, q) ;
  ml = reply(m, q, ql, 0x20, 1, 52, ee, sizeof ee) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.ad && a.rcode == 0 && a.n == 1 && !a.unusable, "reply: one DANE-EE record, AD") ;
  CHECK(a.rr[0].usage == 3 && a.rr[0].selector == 1 && a.rr[0].mtype == 1 && a.rr[0].len == 32 && a.rr[0].data[31] == 0xab, "reply: the record's fields") ;
  ml = reply(m, q, ql, 0x00, 1, 52, ee, sizeof ee) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && !a.ad && a.n == 1, "reply: without AD") ;
  ml = reply(m, q, ql, 0x20, 1, 52, pkix, sizeof pkix) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 0 && a.unusable == 1, "reply: PKIX-EE is unusable") ;
  ml = reply(m, q, ql, 0x20, 1, 52, ta512, sizeof ta512) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 1 && a.rr[0].usage == 2 && a.rr[0].len == 64, "reply: DANE-TA SHA2-512") ;
  ml = reply(m, q, ql, 0x20, 1, 52, ee, 34) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 0 && a.unusable == 1, "reply: SHA-256 of the wrong length is unusable") ;
  ml = reply(m, q, ql, 0x23, 0, 52, ee, 0) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.rcode == 3 && a.n == 0, "reply: NXDOMAIN") ;
  ml = reply(m, q, ql, 0x20, 1, 5, ee, sizeof ee) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 0 && !a.unusable, "reply: another type is skipped") ;
  ml = reply(m, q, ql, 0x20, 9, 52, ee, sizeof ee) ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == REMOTE_TLSA_MAX && a.unusable == 1, "reply: at most REMOTE_TLSA_MAX kept") ;

  ml = reply(m, q, ql, 0x20, 1, 52, ee, sizeof ee) ;
  CHECK(remote_tlsa_parse(m, ml - 1, q, ql, &a) == -1, "reply: cut short") ;
  m[2] |= 0x02 ;
  CHECK(remote_tlsa_parse(m, ml - 1, q, ql, &a) == 0 && a.tc && a.n == 0, "reply: truncated (TC) and cut: ask over TCP") ;
  ml = reply(m, q, ql, 0x20, 1, 52, ee, sizeof ee) ;
  m[1] ^= 1 ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == -1, "reply: another id") ;
  m[1] ^= 1 ;
  m[2] &= 0x7f ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == -1, "reply: QR clear (a query)") ;
  m[2] |= 0x80 ;
  m[12 + 3] = 'X' ;   /* "_25" -> "_2X" */
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == -1, "reply: another question") ;
  m[12 + 3] = '5' ;
  m[12 + 10] = 'M' ;   /* "mx" -> "Mx" */
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 1, "reply: the question's name in another case") ;
  ml = reply(m, q, ql, 0x20, 1, 52, ee, sizeof ee) ;
  m[ql] = 0xc0 ;
  m[ql + 1] = (unsigned char)ql ;   /* a pointer to itself: ends the name, not a loop */
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == 0 && a.n == 1, "reply: a pointer is one step, never followed") ;
  m[ql] = 0x80 ;
  CHECK(remote_tlsa_parse(m, ml, q, ql, &a) == -1, "reply: a reserved label type") ;
  return check_done() ;
}
