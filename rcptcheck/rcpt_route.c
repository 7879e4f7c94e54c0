/* rcpt_route.c: a domain's route ("HOST[:PORT],...", never "mx": mxhold-conf
   refuses verify and learn there) to the addresses to probe. Literals
   with inet_pton, names through libowfat's DNS client ($DNSCACHEIP). */
#include <string.h>
#include <arpa/inet.h>
#include <stralloc.h>
#include <dns.h>
#include "lib/hostport.h"
#include "lib/u64.h"
#include "rcptcheck/rcptcheck.h"

static int add_name (char const *name, size_t hlen, uint16_t port, struct rcpt_addr *out, int n, int max)
{
  static unsigned char const mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff } ;
  static stralloc fqdn, ips ;
  if (!stralloc_copyb(&fqdn, name, hlen) || dns_ip6(&ips, &fqdn) == -1) return n ;
  for (size_t i = 0 ; i + 16 <= ips.len && n < max ; i += 16)
  {
    struct rcpt_addr *a = out + n++ ;
    int v4 = !memcmp(ips.s + i, mapped, 12) ;
    a->family = v4 ? 4 : 6 ;
    memcpy(a->ip, ips.s + i + (v4 ? 12 : 0), v4 ? 4 : 16) ;
    a->port = port ;
    memcpy(a->name, name, hlen) ;
    a->name[hlen] = 0 ;
  }
  return n ;
}

/* One "HOST[:PORT]" or "[V6]:PORT" item. */
static int add_item (char const *s, size_t len, struct rcpt_addr *out, int n, int max)
{
  char name[256] ;
  struct span host ;
  uint16_t port ;
  struct rcpt_addr *a = out + n ;
  if (!mx_hostport_split(s, len, RCPT_PORT_DEFAULT, &host, &port)) return n ;
  if (!host.len || host.len >= sizeof name || n >= max) return n ;
  memcpy(name, host.p, host.len) ;
  name[host.len] = 0 ;
  memset(a, 0, sizeof *a) ;
  if (inet_pton(AF_INET, name, a->ip) == 1) a->family = 4 ;
  else if (inet_pton(AF_INET6, name, a->ip) == 1) a->family = 6 ;
  else return add_name(name, host.len, port, out, n, max) ;
  a->port = port ;
  memcpy(a->name, name, host.len + 1) ;
  return n + 1 ;
}

int rcpt_route_resolve (struct span route, struct rcpt_addr *out, int max)
{
  int n = 0 ;
  size_t i = 0 ;
  while (i < route.len)
  {
    char const *comma = memchr(route.p + i, ',', route.len - i) ;
    size_t l = comma ? (size_t)(comma - route.p) - i : route.len - i ;
    n = add_item(route.p + i, l, out, n, max) ;
    i += l + 1 ;
  }
  return n ;
}
