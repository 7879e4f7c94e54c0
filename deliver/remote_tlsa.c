/* remote_tlsa.c: the TLSA query and the parser of its reply
   (remote_tlsa.h). libc only; every offset is checked against the
   message's length before it is read (fuzzed: tests/fuzz/remote_tlsa_fuzz.c). */
#include <string.h>
#include "deliver/remote_tlsa.h"

#define DNS_HEADER 12
#define TYPE_TLSA 52
#define CLASS_IN 1

static size_t put_label (unsigned char *q, size_t at, char const *s, size_t n)
{
  q[at] = (unsigned char)n ;
  memcpy(q + at + 1, s, n) ;
  return at + 1 + n ;
}

size_t remote_tlsa_query (char const *host, uint16_t port, uint16_t id, unsigned char *q)
{
  char lab[8] ;
  size_t hl = strlen(host) ;
  size_t at = DNS_HEADER ;
  size_t ll = 0 ;
  uint16_t p = port ;
  char digits[6] ;
  size_t nd = 0 ;
  if (hl && host[hl - 1] == '.') hl-- ;
  if (!hl || hl > 253) return 0 ;
  do
  {
    digits[nd++] = (char)('0' + p % 10) ;
    p /= 10 ;
  } while (p) ;
  lab[ll++] = '_' ;
  while (nd) lab[ll++] = digits[--nd] ;
  memset(q, 0, DNS_HEADER) ;
  q[0] = (unsigned char)(id >> 8) ;
  q[1] = (unsigned char)id ;
  q[2] = 0x01 ;   /* RD */
  q[3] = 0x20 ;   /* AD: "tell me whether it validated" (RFC 6840 5.7) */
  q[5] = 1 ;      /* QDCOUNT */
  at = put_label(q, at, lab, ll) ;
  at = put_label(q, at, "_tcp", 4) ;
  for (size_t i = 0 ; i < hl ; )
  {
    size_t n = 0 ;
    while (i + n < hl && host[i + n] != '.') n++ ;
    if (!n || n > 63) return 0 ;
    at = put_label(q, at, host + i, n) ;
    i += n + 1 ;
  }
  q[at++] = 0 ;
  q[at++] = 0 ;
  q[at++] = TYPE_TLSA ;
  q[at++] = 0 ;
  q[at++] = CLASS_IN ;
  return at ;
}

static unsigned int get16 (unsigned char const *p)
{
  return (unsigned int)p[0] << 8 | p[1] ;
}

/* The offset after the (possibly compressed) name at m[at], or 0 if it
   runs past len or is malformed. A pointer ends the name where it is. */
static size_t skip_name (unsigned char const *m, size_t len, size_t at)
{
  for (unsigned int labels = 0 ; labels < 128 ; labels++)
  {
    unsigned int n ;
    if (at >= len) return 0 ;
    n = m[at] ;
    if (!n) return at + 1 ;
    if ((n & 0xc0) == 0xc0) return at + 2 <= len ? at + 2 : 0 ;
    if (n & 0xc0) return 0 ;
    at += 1 + n ;
  }
  return 0 ;
}

static int ci_eq (unsigned char const *a, unsigned char const *b, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char x = a[i] ;
    unsigned char y = b[i] ;
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32) ;
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32) ;
    if (x != y) return 0 ;
  }
  return 1 ;
}

/* One TLSA rdata into out's records: kept if usable, else counted. */
static void tlsa_add (unsigned char const *rd, size_t rdlen, struct remote_tlsa_ans *out)
{
  struct remote_tlsa *t ;
  size_t dl ;
  if (rdlen < 4)
  {
    out->unusable++ ;
    return ;
  }
  dl = rdlen - 3 ;
  if ((rd[0] != 2 && rd[0] != 3) || rd[1] > 1 || (rd[2] == 1 && dl != 32) || (rd[2] == 2 && dl != 64)
   || rd[2] == 0 || rd[2] > 2 || out->n == REMOTE_TLSA_MAX)
  {
    out->unusable++ ;
    return ;
  }
  t = out->rr + out->n++ ;
  t->usage = rd[0] ;
  t->selector = rd[1] ;
  t->mtype = rd[2] ;
  t->len = (uint8_t)dl ;
  memcpy(t->data, rd + 3, dl) ;
}

int remote_tlsa_parse (unsigned char const *m, size_t len, unsigned char const *q, size_t qlen, struct remote_tlsa_ans *out)
{
  size_t at ;
  unsigned int an ;
  memset(out, 0, sizeof *out) ;
  if (len < DNS_HEADER || qlen <= DNS_HEADER + 4) return -1 ;
  if (m[0] != q[0] || m[1] != q[1] || !(m[2] & 0x80) || get16(m + 4) != 1) return -1 ;
  /* the question: ours, the name in any case */
  if (len < qlen || !ci_eq(m + DNS_HEADER, q + DNS_HEADER, qlen - DNS_HEADER)) return -1 ;
  out->tc = !!(m[2] & 0x02) ;
  out->ad = !!(m[3] & 0x20) ;
  out->rcode = m[3] & 0x0f ;
  an = get16(m + 6) ;
  at = qlen ;
  for (unsigned int i = 0 ; i < an ; i++)
  {
    unsigned int type ;
    unsigned int class ;
    size_t rdlen ;
    at = skip_name(m, len, at) ;
    if (!at || at + 10 > len) return out->tc ? 0 : -1 ;   /* a truncated reply may end anywhere */
    type = get16(m + at) ;
    class = get16(m + at + 2) ;
    rdlen = get16(m + at + 8) ;
    at += 10 ;
    if (at + rdlen > len) return out->tc ? 0 : -1 ;
    /* A CNAME's target's records follow it in the answer: every TLSA
       here answers our question (the resolver chased the chain). */
    if (type == TYPE_TLSA && class == CLASS_IN) tlsa_add(m + at, rdlen, out) ;
    at += rdlen ;
  }
  return 0 ;
}
