/* conf_redis.c: the redis file's one word (conf/conf.md, redis): an IPv4
   address and a port, [IPv6]:PORT, or a unix socket's absolute path.
   Shared by mxhold-conf (which checks it) and mxhold-ratelimit (which
   connects to it). libc only. */
#include <string.h>
#include "lib/u64.h"
#include "conf/conf.h"

int conf_redis_parse (char const *s, size_t len, struct conf_redis_addr *a)
{
  unsigned char ip[16] ;
  char const *colon ;
  size_t hl ;
  uint64_t port ;
  memset(a, 0, sizeof *a) ;
  if (!len || len > CONF_REDIS_PATH_MAX || memchr(s, 0, len)) return 0 ;
  if (s[0] == '/')
  {
    memcpy(a->host, s, len) ;
    return 1 ;
  }
  colon = memrchr(s, ':', len) ;
  if (!colon || colon == s) return 0 ;
  hl = (size_t)(colon - s) ;
  if (s[0] == '[')
  {
    if (hl < 3 || s[hl - 1] != ']') return 0 ;
    if (conf_ip_parse(s + 1, hl - 2, ip) != 6) return 0 ;
    memcpy(a->host, s + 1, hl - 2) ;
    a->fam = 6 ;
  }
  else
  {
    if (conf_ip_parse(s, hl, ip) != 4) return 0 ;
    memcpy(a->host, s, hl) ;
    a->fam = 4 ;
  }
  if (len - hl - 1 < 1 || len - hl - 1 > 5) return 0 ;
  if (!mx_u64_scan_all(colon + 1, len - hl - 1, 65535, &port) || !port) return 0 ;
  a->port = (unsigned int)port ;
  return 1 ;
}
