/* conf_value.c: the value syntaxes of the config files (limit values,
   routes, client prefixes), checked and canonicalised. libc only. */
#include <string.h>
#include "lib/u64.h"
#include "conf/conf_value.h"
#include "conf/conf_floor.h"

void conf_obuf_put (struct conf_obuf *o, char const *s, size_t n)
{
  if (o->over || n > o->cap - o->len)
  {
    o->over = 1 ;
    return ;
  }
  memcpy(o->p + o->len, s, n) ;
  o->len += n ;
}

void conf_obuf_puts (struct conf_obuf *o, char const *s)
{
  conf_obuf_put(o, s, strlen(s)) ;
}

void conf_obuf_putu (struct conf_obuf *o, uint64_t v)
{
  char d[MX_U64_FMT] ;
  conf_obuf_put(o, d, mx_u64_fmt(d, v)) ;
}

int conf_word_is (struct span w, char const *s)
{
  return w.len == strlen(s) && !memcmp(w.p, s, w.len) ;
}

/* A limit value as written in limits or in key=value: decimal,
   "unlimited" where the cap is CONF_UNLIMITED, K/M/G for size, "Nd" for
   lifetime (-> *days). Returns 0 and *v, or an error reason. */
/* The floor (conf/conf_floor.h): 0, or "value below the floor of N" in msg. */
static char const *below (char *msg, unsigned int i, uint64_t v)
{
  uint64_t f = conf_floor(i) ;
  struct conf_obuf o = { msg, 0, CONF_MSG_BYTES - 1, 0 } ;
  if (v >= f || conf_floor_zero_ok(i, v)) return 0 ;
  conf_obuf_puts(&o, "value below the floor of ") ;
  conf_obuf_putu(&o, f) ;
  if (conf_floor_zero_ok(i, 0)) conf_obuf_puts(&o, " (or 0)") ;
  msg[o.len] = 0 ;
  return msg ;
}

char const *conf_value_limit (char *msg, unsigned int i, struct span s, uint64_t *v, uint64_t *days)
{
  uint64_t cap = conf_limit_cap(i) ;
  *days = UINT64_MAX ;
  if (conf_word_is(s, "unlimited"))
  {
    if (cap != CONF_UNLIMITED) return "\"unlimited\" is not allowed for this limit" ;
    *v = CONF_UNLIMITED ;
    return 0 ;
  }
  if (i == CONF_LIMIT_lifetime && s.len > 1 && s.p[s.len - 1] == 'd')
  {
    if (!conf_limit_scan(s.p, s.len - 1, days) || (s.p[s.len - 2] < '0' || s.p[s.len - 2] > '9'))
      return "bad number" ;
    if (*days > conf_limit_cap(CONF_LIMIT_lifetime_days)) goto above ;
    *v = 0 ;
    return below(msg, CONF_LIMIT_lifetime_days, *days) ;
  }
  if (!s.len || ((s.p[s.len - 1] < '0' || s.p[s.len - 1] > '9') && i != CONF_LIMIT_size && i != CONF_LIMIT_queue_free_min))
    return "bad number" ;
  if (!conf_limit_scan(s.p, s.len, v)) return "bad number" ;
  if (*v > cap) goto above ;
  return below(msg, i, *v) ;
 above:
  {
    struct conf_obuf o = { msg, 0, CONF_MSG_BYTES - 1, 0 } ;
    conf_obuf_puts(&o, "value above the cap of ") ;
    conf_obuf_putu(&o, i == CONF_LIMIT_lifetime && *days != UINT64_MAX ? conf_limit_cap(CONF_LIMIT_lifetime_days) : cap) ;
    if (i == CONF_LIMIT_lifetime && *days != UINT64_MAX) conf_obuf_puts(&o, " days") ;
    msg[o.len] = 0 ;
    return msg ;
  }
}

/* A route: "mx", or HOST[:PORT][,HOST[:PORT]...] with HOST a host name,
   an IPv4 address or [IPv6]. Writes it lower-cased to o. 0 or a reason. */
char const *conf_value_route (struct span r, struct conf_obuf *o)
{
  size_t i = 0 ;
  size_t nhosts = 0 ;
  if (conf_word_is(r, "mx"))
  {
    conf_obuf_puts(o, "mx") ;
    return 0 ;
  }
  while (i <= r.len)
  {
    char const *c = memchr(r.p + i, ',', r.len - i) ;
    size_t end = c ? (size_t)(c - r.p) : r.len ;
    size_t hend ;
    size_t pstart ;
    struct span host ;
    char h[CONF_HOST_MAX + 1] ;
    unsigned char ip[16] ;
    if (++nhosts > CONF_ROUTE_HOSTS_MAX) return "too many hosts in route" ;
    if (end == i) return "empty host in route" ;
    if (r.p[i] == '[')
    {
      char const *rb = memchr(r.p + i, ']', end - i) ;
      if (!rb) return "bad IPv6 address in route (missing ])" ;
      host.p = r.p + i + 1 ;
      host.len = (size_t)(rb - host.p) ;
      if (conf_ip_parse(host.p, host.len, ip) != 6) return "bad IPv6 address in route" ;
      hend = (size_t)(rb - r.p) + 1 ;
      conf_obuf_put(o, r.p + i, hend - i) ;
    }
    else
    {
      char const *col = memchr(r.p + i, ':', end - i) ;
      hend = col ? (size_t)(col - r.p) : end ;
      host.p = r.p + i ;
      host.len = hend - i ;
      if (conf_ip_parse(host.p, host.len, ip) == 4) conf_obuf_put(o, host.p, host.len) ;
      else
      {
        size_t n = conf_host_norm(host.p, host.len, h) ;
        if (!n) return "bad host in route" ;
        conf_obuf_put(o, h, n) ;
      }
    }
    if (hend < end)
    {
      uint64_t port ;
      if (r.p[hend] != ':') return "bad route (junk after host)" ;
      pstart = hend + 1 ;
      if (pstart == end || end - pstart > 5 || !conf_limit_scan(r.p + pstart, end - pstart, &port)
       || r.p[end - 1] < '0' || r.p[end - 1] > '9' || !port || port > 65535)
        return "bad port in route" ;
      conf_obuf_put(o, r.p + hend, end - hend) ;
    }
    if (!c) break ;
    conf_obuf_put(o, ",", 1) ;
    i = end + 1 ;
    if (i == r.len) return "empty host in route" ;
  }
  return 0 ;
}

/* "ADDR[/LEN]" -> key "c:" FAM LEN ADDR; 0 or a reason. */
char const *conf_value_client (struct span a, char *key, size_t *klen, int *fam, unsigned int *bits)
{
  char const *sl = memchr(a.p, '/', a.len) ;
  unsigned char ip[16] ;
  size_t alen ;
  unsigned int b ;
  uint64_t len ;
  *fam = conf_ip_parse(a.p, sl ? (size_t)(sl - a.p) : a.len, ip) ;
  if (!*fam) return "bad address" ;
  alen = *fam == 4 ? 4 : 16 ;
  len = alen * 8 ;
  if (sl)
  {
    size_t ll = a.len - (size_t)(sl + 1 - a.p) ;
    if (!ll || ll > 3 || sl[ll] < '0' || sl[ll] > '9' || !conf_limit_scan(sl + 1, ll, &len) || len > alen * 8)
      return "bad prefix length" ;
  }
  if (*fam == 6 && len >= 96 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
  {
    memmove(ip, ip + 12, 4) ;
    *fam = 4 ;
    alen = 4 ;
    len -= 96 ;
  }
  for (b = 0 ; b < alen ; b++)
  {
    unsigned int keep = len >= (b + 1) * 8 ? 8 : len > b * 8 ? (unsigned int)len - b * 8 : 0 ;
    unsigned char mask = keep ? (unsigned char)(0xff << (8 - keep)) : 0 ;
    if (ip[b] & (unsigned char)~mask) return "bad CIDR (address has bits set past the prefix length)" ;
  }
  key[0] = 'c' ;
  key[1] = ':' ;
  key[2] = *fam == 4 ? '4' : '6' ;
  key[3] = (char)len ;
  memcpy(key + 4, ip, alen) ;
  *klen = 4 + alen ;
  *bits = (unsigned int)len ;
  return 0 ;
}
