/* remote_guard.c: only public unicast addresses after an MX lookup
   (remote_guard.h). */
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include "deliver/remote_guard.h"

struct range { unsigned char net[16] ; unsigned int bits ; char const *why ; } ;

/* IPv4 ranges (RFC 6890 and its updates), net in the first 4 bytes */
static struct range const v4[] = {
  { { 0 }, 8, "unspecified" },                  /* 0.0.0.0/8 "this network" */
  { { 10 }, 8, "private" },                     /* RFC 1918 */
  { { 100, 64 }, 10, "private" },               /* RFC 6598 shared address space (CGN) */
  { { 127 }, 8, "loopback" },
  { { 169, 254 }, 16, "link-local" },
  { { 172, 16 }, 12, "private" },               /* RFC 1918 */
  { { 192, 0, 0 }, 24, "reserved" },            /* IETF protocol assignments */
  { { 192, 0, 2 }, 24, "reserved" },            /* TEST-NET-1 */
  { { 192, 88, 99 }, 24, "reserved" },          /* 6to4 relay anycast */
  { { 192, 168 }, 16, "private" },              /* RFC 1918 */
  { { 198, 18 }, 15, "reserved" },              /* benchmarking */
  { { 198, 51, 100 }, 24, "reserved" },         /* TEST-NET-2 */
  { { 203, 0, 113 }, 24, "reserved" },          /* TEST-NET-3 */
  { { 224 }, 4, "multicast" },
  { { 240 }, 4, "reserved" },                   /* and 255.255.255.255 */
} ;

/* IPv6 ranges; mapped, NAT64 and 6to4 addresses are judged by the IPv4
   address in them (embedded below) */
static struct range const v6[] = {
  { { 0 }, 128, "unspecified" },                /* :: */
  { { 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 }, 128, "loopback" },   /* ::1 */
  { { 0 }, 96, "reserved" },                    /* ::/96 IPv4-compatible (deprecated) */
  { { 1 }, 64, "reserved" },                    /* 100::/64 discard */
  { { 0x20, 0x01, 0x0d, 0xb8 }, 32, "reserved" },   /* documentation */
  { { 0xfc }, 7, "private" },                   /* unique local */
  { { 0xfe, 0x80 }, 10, "link-local" },
  { { 0xfe, 0xc0 }, 10, "private" },            /* site-local (deprecated) */
  { { 0xff }, 8, "multicast" },
} ;

static int in_range (unsigned char const *ip, struct range const *r)
{
  unsigned int full = r->bits / 8 ;
  unsigned int rest = r->bits % 8 ;
  if (memcmp(ip, r->net, full)) return 0 ;
  if (!rest) return 1 ;
  return ((ip[full] ^ r->net[full]) & (0xff00 >> rest) & 0xff) == 0 ;
}

static char const *classify4 (unsigned char const *ip)
{
  for (size_t k = 0 ; k < sizeof v4 / sizeof *v4 ; k++) if (in_range(ip, v4 + k)) return v4[k].why ;
  return 0 ;
}

static char const *classify6 (unsigned char const *ip)
{
  static unsigned char const mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff } ;
  static unsigned char const nat64[12] = { 0,0x64,0xff,0x9b,0,0,0,0,0,0,0,0 } ;
  if (!memcmp(ip, mapped, 12) || !memcmp(ip, nat64, 12)) return classify4(ip + 12) ;
  if (ip[0] == 0x20 && ip[1] == 0x02) return classify4(ip + 2) ;   /* 6to4 2002:V4::/48 */
  for (size_t k = 0 ; k < sizeof v6 / sizeof *v6 ; k++) if (in_range(ip, v6 + k)) return v6[k].why ;
  return 0 ;
}

/* The relay's own interface addresses, read once (getifaddrs). */
static struct own { int family ; unsigned char ip[16] ; } *owns ;
static size_t nowns ;
static int owns_read ;

static void own_load (void)
{
  struct ifaddrs *ifa ;
  size_t n = 0 ;
  owns_read = 1 ;
  if (getifaddrs(&ifa) == -1) return ;
  for (struct ifaddrs *p = ifa ; p ; p = p->ifa_next) n++ ;
  owns = calloc(n ? n : 1, sizeof *owns) ;
  if (owns)
    for (struct ifaddrs *p = ifa ; p ; p = p->ifa_next)
    {
      if (!p->ifa_addr) continue ;
      if (p->ifa_addr->sa_family == AF_INET)
      {
        owns[nowns].family = 4 ;
        memcpy(owns[nowns++].ip, &((struct sockaddr_in const *)(void const *)p->ifa_addr)->sin_addr, 4) ;
      }
      else if (p->ifa_addr->sa_family == AF_INET6)
      {
        owns[nowns].family = 6 ;
        memcpy(owns[nowns++].ip, &((struct sockaddr_in6 const *)(void const *)p->ifa_addr)->sin6_addr, 16) ;
      }
    }
  freeifaddrs(ifa) ;
}

static int is_own (struct remote_addr const *a)
{
  if (!owns_read) own_load() ;
  for (size_t k = 0 ; k < nowns ; k++)
    if (owns[k].family == a->family && !memcmp(owns[k].ip, a->ip, a->family == 4 ? 4 : 16)) return 1 ;
  return 0 ;
}

static int test_loopback (void)
{
  char const *e = getenv(REMOTE_GUARD_TEST_ENV) ;
  return e && !strcmp(e, "1") ;
}

char const *remote_guard_check (struct remote_addr const *a)
{
  char const *why = a->family == 4 ? classify4(a->ip) : classify6(a->ip) ;
  if (why && !strcmp(why, "loopback") && test_loopback()) return 0 ;   /* and not "own" either */
  if (why) return why ;
  return is_own(a) ? "own-address" : 0 ;
}
