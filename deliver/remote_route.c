/* remote_route.c: a route ("HOST[:PORT],..." or "mx") to the addresses to
   try, in order. DNS through libowfat ($DNSCACHEIP, port 53). */
#include <string.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <stralloc.h>
#include <dns.h>
#include "lib/hostport.h"
#include "lib/u64.h"
#include "lib/log.h"
#include "deliver/remote.h"
#include "deliver/remote_guard.h"

#define REMOTE_PORT_DEFAULT 25

static int name_eq (char const *a, size_t alen, char const *b, size_t blen)
{
  if (alen && a[alen-1] == '.') alen-- ;
  if (blen && b[blen-1] == '.') blen-- ;
  return alen == blen && !strncasecmp(a, b, alen) ;
}

/* Is the host name, or the address, this relay (me or an alias)? */
static int is_me (char const *name, size_t nlen, struct remote_addr const *a, char const *me, char const *aliases)
{
  if (me && name && name_eq(name, nlen, me, strlen(me))) return 1 ;
  if (!aliases) return 0 ;
  for (char const *p = aliases ; *p ; )
  {
    size_t n = strcspn(p, " ,") ;
    if (n)
    {
      unsigned char ip[16] ;
      char tmp[64] ;
      if (name && name_eq(name, nlen, p, n)) return 1 ;
      if (a && n < sizeof tmp)
      {
        memcpy(tmp, p, n) ;
        tmp[n] = 0 ;
        if (a->family == 4 && inet_pton(AF_INET, tmp, ip) == 1 && !memcmp(ip, a->ip, 4)) return 1 ;
        if (a->family == 6 && inet_pton(AF_INET6, tmp, ip) == 1 && !memcmp(ip, a->ip, 16)) return 1 ;
      }
    }
    p += n ;
    if (*p) p++ ;
  }
  return 0 ;
}

/* Appends the addresses of host (a literal or a name) to out. */
static int add_host (char const *host, size_t hlen, uint16_t port, char const *me, char const *aliases,
  struct remote_addr *out, int n, int max, int *skipped)
{
  static stralloc fqdn, ips ;
  char name[256] ;
  if (!hlen || hlen >= sizeof name) return n ;
  memcpy(name, host, hlen) ;
  name[hlen] = 0 ;
  if (is_me(name, hlen, 0, me, aliases))
  {
    (*skipped)++ ;
    return n ;
  }
  if (!stralloc_copyb(&fqdn, name, hlen)) return n ;
  if (dns_ip6(&ips, &fqdn) == -1) return n ;
  for (size_t i = 0 ; i + 16 <= ips.len && n < max ; i += 16)
  {
    static unsigned char const mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff } ;
    struct remote_addr *a = out + n ;
    memset(a, 0, sizeof *a) ;
    if (!memcmp(ips.s + i, mapped, 12))
    {
      a->family = 4 ;
      memcpy(a->ip, ips.s + i + 12, 4) ;
    }
    else
    {
      a->family = 6 ;
      memcpy(a->ip, ips.s + i, 16) ;
    }
    a->port = port ;
    memcpy(a->name, name, hlen + 1) ;
    if (is_me(0, 0, a, me, aliases))
    {
      (*skipped)++ ;
      continue ;
    }
    n++ ;
  }
  return n ;
}

/* One "HOST[:PORT]" or "[V6]:PORT" item. */
static int add_item (char const *s, size_t len, char const *me, char const *aliases,
  struct remote_addr *out, int n, int max, int *skipped)
{
  struct span host ;
  uint16_t port ;
  if (!mx_hostport_split(s, len, REMOTE_PORT_DEFAULT, &host, &port)) return n ;
  return add_host(host.p, host.len, port, me, aliases, out, n, max, skipped) ;
}

struct mx {
  unsigned int pref ;
  char name[256] ;
} ;

static int mx_cmp (void const *a, void const *b)
{
  struct mx const *x = a ;
  struct mx const *y = b ;
  return x->pref < y->pref ? -1 : x->pref > y->pref ;
}

/* Drops the addresses out[from..n) that an MX lookup may not lead to
   (remote_guard.h), each logged; returns the new count. */
static int guard (char const *domain, struct remote_addr *out, int from, int n, int *refused)
{
  int kept = from ;
  for (int k = from ; k < n ; k++)
  {
    char const *why = remote_guard_check(out + k) ;
    if (why)
    {
      char ip[INET6_ADDRSTRLEN] ;
      if (!inet_ntop(out[k].family == 4 ? AF_INET : AF_INET6, out[k].ip, ip, sizeof ip)) strcpy(ip, "?") ;
      mx_log_kv(MX_LOG_INFO, "address-refused", "domain", domain, "host", out[k].name, "ip", ip, "reason", why, (char const *)0) ;
      (*refused)++ ;
      continue ;
    }
    if (kept != k) out[kept] = out[k] ;
    kept++ ;
  }
  return kept ;
}

#define REMOTE_DNS_RCODE_NXDOMAIN 3   /* RFC 1035 4.1.1: the name does not exist */

/* dns_mx(3), which frees the answer before its rcode can be read: the MX
   records of domain into res. 1 found (res may be empty: no MX), 0 the
   domain does not exist (NXDOMAIN), -1 a temporary DNS error. */
static int mx_lookup (char const *domain, stralloc *res)
{
  char *q = 0 ;
  int r = -1 ;
  if (!dns_domain_fromdot(&q, domain, strlen(domain))) return -1 ;
  if (dns_resolve(q, DNS_T_MX) == 0)
  {
    r = dns_resolve_tx.packetlen >= 4 && (dns_resolve_tx.packet[3] & 15) == REMOTE_DNS_RCODE_NXDOMAIN ? 0 : 1 ;
    if (r == 1 && dns_mx_packet(res, dns_resolve_tx.packet, dns_resolve_tx.packetlen) == -1) r = -1 ;
    dns_transmit_free(&dns_resolve_tx) ;
  }
  dns_domain_free(&q) ;
  return r ;
}

static int route_mx (char const *domain, char const *me, char const *aliases,
  struct remote_addr *out, int max, int *skipped, int *refused, struct remote_why *why)
{
  static stralloc res ;
  struct mx mx[REMOTE_HOSTS_MAX] ;
  int nmx = 0 ;
  int n = 0 ;
  int found = mx_lookup(domain, &res) ;
  if (found == -1)
  {
    why->reason = "dns-temporary" ;
    why->text = "MX lookup failed (temporary DNS error)" ;
    return -1 ;
  }
  if (!found)   /* an answer, not a failure: no retry can make the domain exist */
  {
    why->reason = "nxdomain" ;
    why->text = "the domain does not exist (NXDOMAIN)" ;
    why->permanent = 1 ;
    return -1 ;
  }
  for (size_t i = 0 ; i + 3 <= res.len && nmx < REMOTE_HOSTS_MAX ; )
  {
    size_t l = strnlen(res.s + i + 2, res.len - i - 2) ;
    if (i + 2 + l >= res.len) break ;
    if (l && l < sizeof mx[0].name)
    {
      mx[nmx].pref = ((unsigned int)(unsigned char)res.s[i] << 8) | (unsigned char)res.s[i+1] ;
      memcpy(mx[nmx].name, res.s + i + 2, l + 1) ;
      nmx++ ;
    }
    i += 2 + l + 1 ;
  }
  if (!nmx)   /* RFC 5321 5.1: no MX, the domain itself is the implicit MX */
  {
    size_t l = strlen(domain) ;
    if (l >= sizeof mx[0].name)
    {
      why->reason = "bad-domain" ;
      why->text = "domain too long" ;
      return -1 ;
    }
    mx[0].pref = 0 ;
    memcpy(mx[0].name, domain, l + 1) ;
    nmx = 1 ;
  }
  qsort(mx, (size_t)nmx, sizeof mx[0], mx_cmp) ;
  for (int i = 0, group = 0 ; i < nmx && n < max ; i++)
  {
    int was = *skipped ;
    if (!i || mx[i].pref != mx[i-1].pref) group = n ;   /* first address of this preference */
    int from = n ;
    n = add_host(mx[i].name, strlen(mx[i].name), REMOTE_PORT_DEFAULT, me, aliases, out, n, max, skipped) ;
    /* RFC 5321 5.1: the relay is an MX here (by name or by an address), so
       every MX with its preference or a worse one is dropped: a backup MX
       would only hand the mail back to us */
    if (*skipped > was)
    {
      n = group ;
      break ;
    }
    n = guard(domain, out, from, n, refused) ;
  }
  return n ;
}

int remote_route_resolve (char const *route, char const *domain, char const *me,
  char const *aliases, struct remote_addr *out, int max, struct remote_why *why)
{
  int n = 0 ;
  int skipped = 0 ;
  int refused = 0 ;
  why->permanent = 0 ;
  if (!strcmp(route, "mx"))
  {
    n = route_mx(domain, me, aliases, out, max, &skipped, &refused, why) ;
    if (n < 0) return -1 ;
  }
  else
  {
    for (char const *p = route ; *p ; )
    {
      size_t l = strcspn(p, ",") ;
      n = add_item(p, l, me, aliases, out, n, max, &skipped) ;
      p += l ;
      if (*p) p++ ;
    }
  }
  if (!n && refused && !skipped)
  {
    why->reason = "non-public-address" ;
    why->text = "the MX hosts of the domain have no public address (loopback, private, link-local, reserved or the relay's own); refusing to connect" ;
    why->permanent = 1 ;
    return -1 ;
  }
  if (!n)
  {
    why->reason = skipped ? "loop" : "no-address" ;
    why->text = skipped ? "route leads back to this relay (me or an alias); refusing to loop"
                        : "no address for any host of the route" ;
    return -1 ;
  }
  return n ;
}
