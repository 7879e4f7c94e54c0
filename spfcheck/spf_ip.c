/* spf_ip.c: the client address: parsing, CIDR matching, the texts the
   macros and the reverse lookups need. libc only. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "spfcheck/spfcheck.h"

int spf_ip_match (unsigned char const *a, unsigned char const *b, unsigned int bits)
{
  unsigned int full = bits / 8, rest = bits % 8 ;
  if (memcmp(a, b, full)) return 0 ;
  if (!rest) return 1 ;
  return !((a[full] ^ b[full]) & (0xff00u >> rest) & 0xff) ;
}

size_t spf_ip_revname (struct spf_check const *c, char *out)
{
  static char const hex[] = "0123456789abcdef" ;
  size_t n = 0 ;
  if (c->ipv4)
    return (size_t)sprintf(out, "%u.%u.%u.%u.in-addr.arpa", c->ip[3], c->ip[2], c->ip[1], c->ip[0]) ;
  for (int i = 15 ; i >= 0 ; i--)
  {
    out[n++] = hex[c->ip[i] & 15] ;
    out[n++] = '.' ;
    out[n++] = hex[c->ip[i] >> 4] ;
    out[n++] = '.' ;
  }
  memcpy(out + n, "ip6.arpa", 8) ;
  return n + 8 ;
}

int spf_ip_parse (struct spf_check *c, char const *s)
{
  static unsigned char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } ;
  unsigned char b[16] ;
  memset(c->ip, 0, sizeof c->ip) ;
  if (inet_pton(AF_INET, s, b) == 1)
  {
    memcpy(c->ip, b, 4) ;
    c->ipv4 = 1 ;
    return 1 ;
  }
  if (inet_pton(AF_INET6, s, b) != 1) return 0 ;
  c->ipv4 = !memcmp(b, mapped, 12) ;   /* RFC 7208 5: an IPv4-mapped client is an IPv4 client */
  if (c->ipv4) memcpy(c->ip, b + 12, 4) ;
  else memcpy(c->ip, b, 16) ;
  return 1 ;
}

void spf_ip_texts (struct spf_check const *c, char *ibuf, size_t imax, char *cbuf, size_t cmax)
{
  static char const hex[] = "0123456789abcdef" ;
  if (c->ipv4)
  {
    snprintf(ibuf, imax, "%u.%u.%u.%u", c->ip[0], c->ip[1], c->ip[2], c->ip[3]) ;
    snprintf(cbuf, cmax, "%s", ibuf) ;
    return ;
  }
  for (unsigned int i = 0, n = 0 ; i < 16 ; i++)
  {
    ibuf[n++] = hex[c->ip[i] >> 4] ;
    ibuf[n++] = '.' ;
    ibuf[n++] = hex[c->ip[i] & 15] ;
    ibuf[n++] = i < 15 ? '.' : 0 ;
  }
  if (!inet_ntop(AF_INET6, c->ip, cbuf, (socklen_t)cmax)) cbuf[0] = 0 ;
}

