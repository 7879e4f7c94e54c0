/* hostport.c: route items and socket addresses (hostport.h). */
#include <string.h>
#include <netinet/in.h>
#include "lib/hostport.h"
#include "lib/u64.h"

int mx_hostport_split (char const *s, size_t len, uint16_t dflt, struct span *host, uint16_t *port)
{
  char const *colon = 0 ;
  uint64_t p = dflt ;
  host->p = s ;
  host->len = len ;
  if (len && s[0] == '[')
  {
    char const *rb = memchr(s, ']', len) ;
    if (!rb) return 0 ;
    host->p = s + 1 ;
    host->len = (size_t)(rb - s - 1) ;
    if ((size_t)(rb - s) + 1 < len && rb[1] == ':') colon = rb + 1 ;
  }
  else
  {
    colon = memrchr(s, ':', len) ;
    if (colon && memchr(s, ':', (size_t)(colon - s))) colon = 0 ;   /* a bare IPv6 address */
    if (colon) host->len = (size_t)(colon - s) ;
  }
  if (colon && (!mx_u64_scan_all(colon + 1, len - (size_t)(colon + 1 - s), 65535, &p) || !p)) return 0 ;
  *port = (uint16_t)p ;
  return 1 ;
}

socklen_t mx_sockaddr_fill (struct sockaddr_storage *ss, int family, unsigned char const *ip, uint16_t port)
{
  memset(ss, 0, sizeof *ss) ;
  if (family == 4)
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss ;
    s4->sin_family = AF_INET ;
    s4->sin_port = htons(port) ;
    memcpy(&s4->sin_addr, ip, 4) ;
    return sizeof *s4 ;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss ;
  s6->sin6_family = AF_INET6 ;
  s6->sin6_port = htons(port) ;
  memcpy(&s6->sin6_addr, ip, 16) ;
  return sizeof *s6 ;
}
