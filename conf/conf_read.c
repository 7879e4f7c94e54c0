/* conf_read.c: what every program uses to read the compiled config
   (config.cdb): open/reopen, lookups, limits, options. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include "lib/u64.h"
#include "conf/conf.h"
#include "conf/conf_cdb.h"
#include "conf/conf_floor.h"

#define IP_TEXT_MAX 45          /* INET6_ADDRSTRLEN - 1: "ffff:...:255.255.255.255" */

char const *conf_dir (char const *dir)
{
  char const *e ;
  if (dir && *dir) return dir ;
  e = getenv(CONF_ENV) ;
  return e && *e ? e : CONF_DIR_DEFAULT ;
}

int conf_path (char *buf, char const *dir, char const *name)
{
  size_t dl = strlen(dir) ;
  size_t nl = strlen(name) ;
  if (dl + 1 + nl + 1 > CONF_PATH_MAX)
  {
    errno = ENAMETOOLONG ;
    return -1 ;
  }
  memcpy(buf, dir, dl) ;
  buf[dl] = '/' ;
  memcpy(buf + dl + 1, name, nl + 1) ;
  return 0 ;
}

int conf_open (struct conf *c, char const *dir)
{
  char path[CONF_PATH_MAX] ;
  struct stat st ;
  void *m ;
  int fd ;
  dir = conf_dir(dir) ;
  if (conf_path(path, dir, CONF_CDB) == -1) return -1 ;
  fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (fstat(fd, &st) == -1) goto err ;
  if (!S_ISREG(st.st_mode) || st.st_size < CONF_CDB_HEADER_BYTES
   || (uint64_t)st.st_size > CONF_CDB_MAX_BYTES)
  {
    errno = EPROTO ;
    goto err ;
  }
  m = mmap(0, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0) ;
  if (m == MAP_FAILED) goto err ;
  close(fd) ;   /* the mapping keeps the inode */
  c->dir = dir ;
  c->map = m ;
  c->maplen = (size_t)st.st_size ;
  c->dev = (uint64_t)st.st_dev ;
  c->ino = (uint64_t)st.st_ino ;
  return 0 ;
 err:
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
  }
  return -1 ;
}

void conf_close (struct conf *c)
{
  if (c->map) munmap((void *)c->map, c->maplen) ;
  c->map = 0 ;
  c->maplen = 0 ;
}

int conf_reopen (struct conf *c)
{
  char path[CONF_PATH_MAX] ;
  struct stat st ;
  struct conf n ;
  if (conf_path(path, c->dir, CONF_CDB) == -1) return -1 ;
  if (stat(path, &st) == -1) return -1 ;
  if (c->map && (uint64_t)st.st_dev == c->dev && (uint64_t)st.st_ino == c->ino) return 0 ;
  if (conf_open(&n, c->dir) == -1) return -1 ;
  conf_close(c) ;
  *c = n ;
  return 1 ;
}

int conf_get (struct conf const *c, char const *key, size_t keylen, struct span *val)
{
  return conf_cdb_find(c->map, c->maplen, key, keylen, val) ;
}

int conf_me (struct conf const *c, struct span *me)
{
  return conf_get(c, "me", 2, me) ;
}

int conf_queue (struct conf const *c, struct span *path)
{
  return conf_get(c, "queue", 5, path) ;
}

int conf_domain_find (struct conf const *c, char const *dom, size_t len, struct span *val)
{
  char key[2 + CONF_HOST_MAX] = "d:" ;
  size_t i ;
  if (len && dom[len - 1] == '.') len-- ;
  if (!len || len > CONF_HOST_MAX) return 0 ;
  for (i = 0 ; i < len ; i++)
  {
    unsigned char ch = (unsigned char)dom[i] ;
    if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch - 'A' + 'a') ;
    else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.')) return 0 ;
    key[2 + i] = (char)ch ;
  }
  return conf_get(c, key, 2 + len, val) ;
}

/* ---- limits ---- */

#define X_NAME(name, def, cap, doc) #name,
#define X_DEF(name, def, cap, doc) (uint64_t)(def),
#define X_CAP(name, def, cap, doc) (uint64_t)(cap),
static char const *const limit_names[CONF_LIMIT_N] = { CONF_LIMITS(X_NAME) } ;
static uint64_t const limit_defs[CONF_LIMIT_N] = { CONF_LIMITS(X_DEF) } ;
static uint64_t const limit_caps[CONF_LIMIT_N] = { CONF_LIMITS(X_CAP) } ;

char const *conf_limit_name (unsigned int i)
{
  return i < CONF_LIMIT_N ? limit_names[i] : 0 ;
}

uint64_t conf_limit_default (unsigned int i)
{
  return i < CONF_LIMIT_N ? limit_defs[i] : 0 ;
}

uint64_t conf_limit_cap (unsigned int i)
{
  return i < CONF_LIMIT_N ? limit_caps[i] : 0 ;
}

int conf_limit_index (char const *s, size_t len)
{
  unsigned int i ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++)
    if (strlen(limit_names[i]) == len && !memcmp(limit_names[i], s, len)) return (int)i ;
  return -1 ;
}

int conf_limit_scan (char const *s, size_t len, uint64_t *v)
{
  uint64_t x ;
  uint64_t mul = 1 ;
  if (len == 9 && !memcmp(s, "unlimited", 9))
  {
    *v = CONF_UNLIMITED ;
    return 1 ;
  }
  if (len > 1)
    switch (s[len - 1])
    {
      case 'k' :
      case 'K' :
        mul = 1024 ;
        break ;
      case 'm' :
      case 'M' :
        mul = 1024 * 1024 ;
        break ;
      case 'g' :
      case 'G' :
        mul = 1024 * 1024 * 1024 ;
        break ;
    }
  if (mul > 1) len-- ;
  if (!mx_u64_scan_all(s, len, UINT64_MAX, &x)) return 0 ;
  if (x > UINT64_MAX / mul) return 0 ;
  *v = x * mul ;
  return 1 ;
}

/* The next space- or tab-separated word of s from *pos; 0 at the end. */
static int next_word (struct span s, size_t *pos, struct span *w)
{
  size_t i = *pos ;
  size_t j ;
  while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t')) i++ ;
  if (i >= s.len) return 0 ;
  for (j = i ; j < s.len && s.p[j] != ' ' && s.p[j] != '\t' ; j++) ;
  w->p = s.p + i ;
  w->len = j - i ;
  *pos = j ;
  return 1 ;
}

int conf_opt (struct span opts, char const *key, struct span *val)
{
  size_t pos = 0 ;
  size_t kl = strlen(key) ;
  struct span w ;
  while (next_word(opts, &pos, &w))
  {
    if (w.len < kl || memcmp(w.p, key, kl)) continue ;
    if (w.len != kl && w.p[kl] != '=') continue ;
    val->p = w.p + kl + (w.len != kl) ;
    val->len = w.len - kl - (w.len != kl) ;
    return 1 ;
  }
  return 0 ;
}

struct span conf_route (struct span domval)
{
  size_t pos = 0 ;
  struct span w = { domval.p, 0 } ;
  next_word(domval, &pos, &w) ;
  return w ;
}

void conf_limits_apply (struct span opts, struct conf_limits *l)
{
  size_t pos = 0 ;
  struct span w ;
  while (next_word(opts, &pos, &w))
  {
    char const *eq = memchr(w.p, '=', w.len) ;
    uint64_t v ;
    int i ;
    if (!eq) continue ;
    i = conf_limit_index(w.p, (size_t)(eq - w.p)) ;
    if (i < 0) continue ;
    if (conf_limit_scan(eq + 1, w.len - (size_t)(eq + 1 - w.p), &v)) l->v[i] = v ;
  }
  conf_floor_clamp(l) ;
}

int conf_ip_parse (char const *s, size_t len, unsigned char out[16])
{
  char buf[IP_TEXT_MAX + 1] ;
  if (!len || len > IP_TEXT_MAX || memchr(s, 0, len)) return 0 ;
  memcpy(buf, s, len) ;
  buf[len] = 0 ;
  memset(out, 0, 16) ;
  if (inet_pton(AF_INET, buf, out) == 1) return 4 ;
  if (inet_pton(AF_INET6, buf, out) == 1) return 6 ;
  return 0 ;
}

static unsigned char const v4mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff } ;

/* The longest prefix among keys PFX ":" FAM LEN ADDR that holds ip (the
   clients and proxies tables share this shape). */
static int prefix_find (struct conf const *c, char pfx, char const *ip, struct span *val)
{
  unsigned char a[16] ;
  struct span lens ;
  char lenkey[7] = { pfx, ':', 'l', 'e', 'n', 's', '4' } ;
  int fam ;
  size_t i ;
  if (!ip) return 0 ;
  fam = conf_ip_parse(ip, strlen(ip), a) ;
  if (!fam) return 0 ;
  if (fam == 6 && !memcmp(a, v4mapped, 12))
  {
    memmove(a, a + 12, 4) ;
    fam = 4 ;
  }
  if (fam == 6) lenkey[6] = '6' ;
  if (!conf_get(c, lenkey, 7, &lens)) return 0 ;
  for (i = 0 ; i < lens.len ; i++)
  {
    unsigned int bits = (unsigned char)lens.p[i] ;
    unsigned int alen = fam == 4 ? 4 : 16 ;
    unsigned int b ;
    char key[4 + 16] = { pfx, ':', fam == 4 ? '4' : '6', (char)bits } ;
    if (bits > alen * 8) continue ;
    for (b = 0 ; b < alen ; b++)
    {
      unsigned int keep = bits >= (b + 1) * 8 ? 8 : bits > b * 8 ? bits - b * 8 : 0 ;
      unsigned char mask = keep ? (unsigned char)(0xff << (8 - keep)) : 0 ;
      key[4 + b] = (char)(a[b] & mask) ;
    }
    if (conf_get(c, key, 4 + alen, val)) return 1 ;
  }
  return 0 ;
}

int conf_client_find (struct conf const *c, char const *ip, struct span *val)
{
  return prefix_find(c, 'c', ip, val) ;
}

int conf_proxy_trusted (struct conf const *c, char const *ip)
{
  struct span v ;
  return prefix_find(c, 'p', ip, &v) ;
}

void conf_limits_get (struct conf const *c, char const *ip, struct conf_limits *l, int *trusted)
{
  char key[2 + 32] = "l:" ;
  unsigned int i ;
  struct span v ;
  if (trusted) *trusted = 0 ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++)
  {
    size_t n = strlen(limit_names[i]) ;
    uint64_t x ;
    l->v[i] = limit_defs[i] ;
    memcpy(key + 2, limit_names[i], n) ;
    if (conf_get(c, key, 2 + n, &v) && conf_limit_scan(v.p, v.len, &x)) l->v[i] = x ;
  }
  if (conf_client_find(c, ip, &v))
  {
    struct span t ;
    conf_limits_apply(v, l) ;
    if (trusted && conf_opt(v, "trusted", &t)) *trusted = 1 ;
  }
  conf_floor_clamp(l) ;
}

static char const *const spf_results[CONF_SPF_N + 1] = { "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror", 0 } ;
static char const *const spf_defaults[CONF_SPF_N] = { "accept", "reject", "mark", "accept", "accept", "mark", "defer" } ;

char const *conf_spf_result (unsigned int i)
{
  return i < CONF_SPF_N ? spf_results[i] : 0 ;
}

char const *conf_spf_default (unsigned int i)
{
  return i < CONF_SPF_N ? spf_defaults[i] : 0 ;
}

int conf_spf_action (struct conf const *c, char const *result, struct span *action)
{
  char key[2 + 16] = "s:" ;
  size_t n = strlen(result) ;
  unsigned int i ;
  for (i = 0 ; spf_results[i] ; i++) if (!strcmp(spf_results[i], result)) break ;
  if (!spf_results[i]) return 0 ;
  memcpy(key + 2, result, n) ;
  if (conf_get(c, key, 2 + n, action)) return 1 ;
  action->p = spf_defaults[i] ;
  action->len = strlen(spf_defaults[i]) ;
  return 1 ;
}

size_t conf_host_norm (char const *s, size_t len, char *out)
{
  size_t i ;
  size_t lab = 0 ;
  int alldigits = 1 ;
  if (len && s[len - 1] == '.') len-- ;
  if (!len || len > CONF_HOST_MAX) return 0 ;
  for (i = 0 ; i < len ; i++)
  {
    unsigned char ch = (unsigned char)s[i] ;
    if (ch == '.')
    {
      if (!lab || out[i - 1] == '-') return 0 ;
      lab = 0 ;
      alldigits = 1 ;
      out[i] = '.' ;
      continue ;
    }
    if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch - 'A' + 'a') ;
    if (ch == '-' && !lab) return 0 ;
    if (ch != '-' && !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return 0 ;
    if (ch < '0' || ch > '9') alldigits = 0 ;
    if (++lab > CONF_LABEL_MAX) return 0 ;
    out[i] = (char)ch ;
  }
  /* RFC 3696 2: a top-level label is never all-numeric, so "1.2.3.400"
     is a bad address, not a host name. */
  if (!lab || out[len - 1] == '-' || alldigits) return 0 ;
  return len ;
}

/* ---- recipient validation ---- */

static char const *const rcpt_policies[] = { "any", "list", "verify", "learn", 0 } ;

char const *conf_rcpt_policy_name (unsigned int i)
{
  return i < sizeof rcpt_policies / sizeof *rcpt_policies ? rcpt_policies[i] : 0 ;
}

enum conf_rcpt_policy conf_rcpt_policy (struct span domval)
{
  struct span v ;
  unsigned int i ;
  if (!conf_opt(domval, "recipients", &v)) return CONF_RCPT_ANY ;
  for (i = 0 ; rcpt_policies[i] ; i++)
    if (v.len == strlen(rcpt_policies[i]) && !memcmp(v.p, rcpt_policies[i], v.len)) return (enum conf_rcpt_policy)i ;
  return CONF_RCPT_ANY ;
}

int conf_rcpt_defer (struct span domval)
{
  struct span v ;
  return conf_opt(domval, "verify_fail", &v) && v.len == 5 && !memcmp(v.p, "defer", 5) ;
}

/* "r:" LOCAL "@" DOMAIN lower case into key; its length, 0 if it cannot be listed */
static size_t rcpt_key (char *key, char const *local, size_t llen, char const *dom, size_t dlen)
{
  size_t n = 2 ;
  size_t i ;
  if (dlen && dom[dlen - 1] == '.') dlen-- ;
  if (!llen || llen > CONF_LOCAL_MAX || !dlen || dlen > CONF_HOST_MAX) return 0 ;
  memcpy(key, "r:", 2) ;
  for (i = 0 ; i < llen + 1 + dlen ; i++)
  {
    char ch = i < llen ? local[i] : i == llen ? '@' : dom[i - llen - 1] ;
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a') ;
    key[n++] = ch ;
  }
  return n ;
}

int conf_rcpt_listed (struct conf const *c, char const *local, size_t llen, char const *dom, size_t dlen)
{
  char key[2 + CONF_LOCAL_MAX + 1 + CONF_HOST_MAX] ;
  struct span v ;
  size_t n = rcpt_key(key, local, llen, dom, dlen) ;
  if (n && conf_get(c, key, n, &v)) return 1 ;
  n = rcpt_key(key, "*", 1, dom, dlen) ;
  return n && conf_get(c, key, n, &v) ;
}

void conf_rcptcache (struct conf const *c, struct span *path)
{
  if (conf_get(c, "rcptcache", 9, path) && path->len) return ;
  path->p = CONF_RCPTCACHE_DEFAULT ;
  path->len = sizeof CONF_RCPTCACHE_DEFAULT - 1 ;
}
