/* rl_key.c: the client a connection is counted against. IPv4: the address.
   IPv6: the /64, because one subscriber usually gets a whole /64 (RFC 6177)
   and can pick any of its 2^64 addresses for each connection. */
#include <string.h>
#include <arpa/inet.h>
#include "ratelimit/ratelimit.h"

static uint64_t be_get (unsigned char const *p, unsigned int n)
{
  uint64_t v = 0 ;
  for (unsigned int i = 0 ; i < n ; i++) v = (v << 8) | p[i] ;
  return v ;
}

static void be_put (unsigned char *p, unsigned int n, uint64_t v)
{
  for (unsigned int i = n ; i-- ; v >>= 8) p[i] = (unsigned char)(v & 0xff) ;
}

int rl_key_parse (char const *s, size_t len, struct rl_key *k)
{
  static unsigned char const mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff } ;
  char buf[RL_IP_MAX + 1] ;
  unsigned char a[16] ;
  if (!s || !len || len > RL_IP_MAX || memchr(s, 0, len)) return 0 ;
  memcpy(buf, s, len) ;
  buf[len] = 0 ;
  if (inet_pton(AF_INET, buf, a) == 1)
  {
    k->fam = RL_FAM_4 ;
    k->addr = be_get(a, 4) ;
    return 1 ;
  }
  if (inet_pton(AF_INET6, buf, a) != 1) return 0 ;
  if (!memcmp(a, mapped, 12))
  {
    k->fam = RL_FAM_4 ;
    k->addr = be_get(a + 12, 4) ;
    return 1 ;
  }
  k->fam = RL_FAM_6 ;
  k->addr = be_get(a, 8) ;
  return 1 ;
}

size_t rl_key_fmt (struct rl_key const *k, char *buf, size_t n)
{
  unsigned char a[16] = { 0 } ;
  char tmp[INET6_ADDRSTRLEN + 4] ;
  size_t len ;
  if (!n) return 0 ;
  if (k->fam == RL_FAM_4)
  {
    be_put(a, 4, k->addr) ;
    if (!inet_ntop(AF_INET, a, tmp, sizeof tmp)) tmp[0] = 0 ;
  }
  else if (k->fam == RL_FAM_6)
  {
    be_put(a, 8, k->addr) ;
    if (!inet_ntop(AF_INET6, a, tmp, INET6_ADDRSTRLEN)) tmp[0] = 0 ;
    else memcpy(tmp + strlen(tmp), "/64", 4) ;  /* tmp has 4 spare bytes beyond INET6_ADDRSTRLEN */
  }
  else memcpy(tmp, "?", 2) ;
  len = strlen(tmp) ;
  if (len >= n) len = n - 1 ;
  memcpy(buf, tmp, len) ;
  buf[len] = 0 ;
  return len ;
}
