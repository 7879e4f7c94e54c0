/* queue_fmt.c: the queue's file formats (queue.h): ids, hashed paths, the
   envelope header, state lines. libc only: deliver (skalibs), remote
   (libowfat) and queuectl all link it. Input may come from a file a crash
   cut short, so every parser works on (pointer, length) and never trusts
   termination. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/time.h>
#include <time.h>
#include "lib/fnv.h"
#include "lib/u64.h"
#include "queue/queue.h"

/* The bucket names files already on disk: it must never change (FNV-1a
   from the standard basis, modulo QUEUE_SPLIT). */
unsigned int queue_hash (char const *id, size_t len)
{
  return mx_fnv1a32(MX_FNV_BASIS, id, len) % QUEUE_SPLIT ;
}

static char const hexdigit[] = "0123456789abcdef" ;

int queue_id_valid (char const *s, size_t len)
{
  if (!len || len > QUEUE_ID_MAX) return 0 ;
  if (s[0] < '0' || s[0] > '9') return 0 ;   /* never "." or ".." */
  for (size_t i = 0 ; i < len ; i++)
    if ((s[i] < '0' || s[i] > '9') && s[i] != '.') return 0 ;
  return 1 ;
}

size_t queue_id_make (char *buf)
{
  struct timeval tv ;
  uint64_t us ;
  size_t n ;
  gettimeofday(&tv, 0) ;
  n = mx_u64_fmt(buf, (uint64_t)tv.tv_sec) ;
  buf[n++] = '.' ;
  /* fixed 6 digits so ids of one second sort by time */
  us = (uint64_t)tv.tv_usec ;
  for (int i = 5 ; i >= 0 ; i--)
  {
    buf[n + (size_t)i] = '0' + (char)(us % 10) ;
    us /= 10 ;
  }
  n += 6 ;
  buf[n++] = '.' ;
  n += mx_u64_fmt(buf + n, (uint64_t)getpid()) ;
  buf[n] = 0 ;
  return n ;
}

int queue_path (char *buf, size_t size, char const *q, char const *sub, char const *id, int hashed)
{
  size_t ql = q ? strlen(q) : 0 ;
  size_t sl = strlen(sub) ;
  size_t il = strlen(id) ;
  size_t need = (q ? ql + 1 : 0) + sl + 1 + (hashed ? 3 : 0) + il + 1 ;
  size_t n = 0 ;
  if (need > size)
  {
    errno = ENAMETOOLONG ;
    return -1 ;
  }
  if (q)
  {
    memcpy(buf, q, ql) ;
    buf[ql] = '/' ;
    n = ql + 1 ;
  }
  memcpy(buf + n, sub, sl) ;
  n += sl ;
  buf[n++] = '/' ;
  if (hashed)
  {
    unsigned h = queue_hash(id, il) ;
    buf[n++] = hexdigit[h >> 4] ;
    buf[n++] = hexdigit[h & 15] ;
    buf[n++] = '/' ;
  }
  memcpy(buf + n, id, il) ;
  n += il ;
  buf[n] = 0 ;
  return (int)n ;
}

/* ---- envelope header ---- */

/* If line (no LF) starts with key and a space (or is exactly key), sets
   *val to the rest and returns 1. */
static int env_key (char const *s, size_t len, char const *key, struct span *val)
{
  size_t kl = strlen(key) ;
  if (len < kl || memcmp(s, key, kl)) return 0 ;
  if (len == kl)
  {
    val->p = s + kl ;
    val->len = 0 ;
    return 1 ;
  }
  if (s[kl] != ' ') return 0 ;
  val->p = s + kl + 1 ;
  val->len = len - kl - 1 ;
  return 1 ;
}

int queue_env_flag (char const *name)
{
  char const *x = getenv(name) ;
  return x && x[0] == '1' && !x[1] ;
}

int queue_env_parse (char const *buf, size_t len, struct queue_env *e)
{
  static struct span const dash = { "-", 1 } ;
  size_t fl = sizeof(QUEUE_FORMAT_LINE) - 1 ;
  size_t pos ;
  int have_from = 0 ;
  int have_arrived = 0 ;
  struct span v ;
  if (len < fl + 1) return 0 ;
  if (memcmp(buf, QUEUE_FORMAT_LINE "\n", fl + 1)) goto bad ;
  e->arrived = 0 ;
  e->nto = 0 ;
  e->hdrlen = 0 ;
  e->client = dash ;
  e->helo = dash ;
  e->spf = dash ;
  e->smtputf8 = 0 ;
  e->ret.p = buf ;
  e->ret.len = 0 ;
  e->envid = e->ret ;
  e->from.p = buf ;
  e->from.len = 0 ;
  for (pos = fl + 1 ; ; )
  {
    char const *lf = memchr(buf + pos, '\n', len - pos) ;
    size_t ll ;
    if (!lf) return 0 ;
    ll = (size_t)(lf - (buf + pos)) ;
    if (!ll)
    {
      pos++ ;
      break ;
    }
    if (env_key(buf + pos, ll, "to", &v))
    {
      if (!v.len) goto bad ;
      e->nto++ ;
    }
    else if (env_key(buf + pos, ll, "from", &v))
    {
      e->from = v ;
      have_from = 1 ;
    }
    else if (env_key(buf + pos, ll, "arrived", &v))
    {
      if (!mx_u64_scan_all(v.p, v.len, UINT64_MAX, &e->arrived)) goto bad ;
      have_arrived = 1 ;
    }
    else if (env_key(buf + pos, ll, "client", &v) && v.len) e->client = v ;
    else if (env_key(buf + pos, ll, "helo", &v) && v.len) e->helo = v ;
    else if (env_key(buf + pos, ll, "spf", &v) && v.len) e->spf = v ;
    else if (env_key(buf + pos, ll, "smtputf8", &v)) e->smtputf8 = v.len == 1 && v.p[0] == '1' ;
    else if (env_key(buf + pos, ll, "ret", &v)) e->ret = v ;
    else if (env_key(buf + pos, ll, "envid", &v)) e->envid = v ;
    pos += ll + 1 ;
  }
  if (!have_from || !have_arrived || !e->nto) goto bad ;
  e->hdrlen = pos ;
  return 1 ;
 bad:
  errno = EPROTO ;
  return -1 ;
}

/* One word of a dsn line: bytes up to the next space. */
static struct span word (char const *s, size_t len, size_t *pos)
{
  struct span w = { s + *pos, 0 } ;
  while (*pos < len && s[*pos] != ' ')
  {
    (*pos)++ ;
    w.len++ ;
  }
  if (*pos < len) (*pos)++ ;
  return w ;
}

static int dsn_line_ok (char const *s, size_t len)
{
  size_t pos = 0 ;
  struct span k ;
  uint64_t u ;
  for (size_t i = 0 ; i < len ; i++) if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126) return 0 ;
  k = word(s, len, &pos) ;
  if (k.len == 3 && !memcmp(k.p, "ret", 3)) return len - pos == 4 && (!memcmp(s + pos, "FULL", 4) || !memcmp(s + pos, "HDRS", 4)) ;
  if (k.len == 5 && !memcmp(k.p, "envid", 5)) return pos < len && !memchr(s + pos, ' ', len - pos) ;
  if (k.len != 3 || memcmp(k.p, "dsn", 3)) return 0 ;
  k = word(s, len, &pos) ;
  if (!mx_u64_scan_all(k.p, k.len, QUEUE_RCPT_MAX, &u)) return 0 ;
  k = word(s, len, &pos) ;
  if (!k.len) return 0 ;
  k = word(s, len, &pos) ;
  return k.len && pos == len && k.p + k.len == s + len ;
}

int queue_dsn_valid (char const *s, size_t len)
{
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *lf = memchr(s + pos, '\n', len - pos) ;
    size_t ll ;
    if (!lf) return 0 ;
    ll = (size_t)(lf - (s + pos)) ;
    if (ll + 1 > QUEUE_DSN_LINE_MAX || !dsn_line_ok(s + pos, ll)) return 0 ;
    pos += ll + 1 ;
  }
  return 1 ;
}

int queue_env_dsn (char const *buf, struct queue_env const *e, size_t index, struct span *notify, struct span *orcpt)
{
  size_t p = sizeof(QUEUE_FORMAT_LINE) ;
  while (p < e->hdrlen)
  {
    char const *lf = memchr(buf + p, '\n', e->hdrlen - p) ;
    size_t ll ;
    struct span v ;
    if (!lf) break ;
    ll = (size_t)(lf - (buf + p)) ;
    if (env_key(buf + p, ll, "dsn", &v))
    {
      size_t q = 0 ;
      uint64_t u ;
      struct span n = word(v.p, v.len, &q) ;
      if (mx_u64_scan_all(n.p, n.len, UINT64_MAX, &u) && u == index)
      {
        *notify = word(v.p, v.len, &q) ;
        *orcpt = word(v.p, v.len, &q) ;
        return notify->len && orcpt->len ;
      }
    }
    p += ll + 1 ;
  }
  return 0 ;
}

int queue_env_to_next (char const *buf, struct queue_env const *e, size_t *pos, struct span *to)
{
  size_t p = *pos ? *pos : sizeof(QUEUE_FORMAT_LINE) ;
  while (p < e->hdrlen)
  {
    char const *lf = memchr(buf + p, '\n', e->hdrlen - p) ;
    size_t ll ;
    if (!lf) break ;
    ll = (size_t)(lf - (buf + p)) ;
    if (!ll) break ;
    if (env_key(buf + p, ll, "to", to))
    {
      *pos = p + ll + 1 ;
      return 1 ;
    }
    p += ll + 1 ;
  }
  *pos = e->hdrlen ;
  return 0 ;
}

/* ---- state lines ---- */

/* Next space-separated field of s[*pos..len); 0 if none. */
static int field (char const *s, size_t len, size_t *pos, struct span *f)
{
  char const *sp ;
  if (*pos >= len) return 0 ;
  sp = memchr(s + *pos, ' ', len - *pos) ;
  f->p = s + *pos ;
  f->len = sp ? (size_t)(sp - f->p) : len - *pos ;
  *pos += f->len + (sp ? 1 : 0) ;
  return f->len > 0 ;
}

int queue_state_parse (char const *s, size_t len, struct queue_state *st)
{
  struct span f ;
  size_t pos = 0 ;
  uint64_t u ;
  if (!field(s, len, &pos, &f) || !mx_u64_scan_all(f.p, f.len, UINT32_MAX, &u)) return 0 ;
  st->index = (uint32_t)u ;
  if (!field(s, len, &pos, &f) || f.len != 1 || !memchr("pdbx", f.p[0], 4)) return 0 ;
  st->status = f.p[0] ;
  if (!field(s, len, &pos, &f) || !mx_u64_scan_all(f.p, f.len, UINT32_MAX, &u)) return 0 ;
  st->attempts = (uint32_t)u ;
  if (!field(s, len, &pos, &f) || !mx_u64_scan_all(f.p, f.len, UINT64_MAX, &st->next)) return 0 ;
  if (!field(s, len, &pos, &f) || !mx_u64_scan_all(f.p, f.len, UINT64_MAX, &st->last)) return 0 ;
  st->reply.p = s + pos ;
  st->reply.len = pos < len ? len - pos : 0 ;
  return 1 ;
}

int queue_state_next (char const *buf, size_t len, size_t *pos, struct queue_state *st)
{
  while (*pos < len)
  {
    char const *lf = memchr(buf + *pos, '\n', len - *pos) ;
    size_t start = *pos ;
    size_t ll ;
    if (!lf)
    {
      *pos = len ;   /* cut last line: ignore */
      return 0 ;
    }
    ll = (size_t)(lf - (buf + start)) ;
    *pos = start + ll + 1 ;
    if (queue_state_parse(buf + start, ll, st)) return 1 ;
  }
  return 0 ;
}

size_t queue_state_fmt (char *buf, size_t size, struct queue_state const *st)
{
  size_t rl = st->reply.len > QUEUE_REPLY_MAX ? QUEUE_REPLY_MAX : st->reply.len ;
  size_t n = 0 ;
  /* 4 numbers of at most MX_U64_FMT digits, status, 5 spaces, reply, LF */
  if (size < 4 * MX_U64_FMT + 1 + 5 + rl + 1) return 0 ;
  n += mx_u64_fmt(buf + n, st->index) ;
  buf[n++] = ' ' ;
  buf[n++] = st->status ;
  buf[n++] = ' ' ;
  n += mx_u64_fmt(buf + n, st->attempts) ;
  buf[n++] = ' ' ;
  n += mx_u64_fmt(buf + n, st->next) ;
  buf[n++] = ' ' ;
  n += mx_u64_fmt(buf + n, st->last) ;
  buf[n++] = ' ' ;
  for (size_t i = 0 ; i < rl ; i++)
  {
    unsigned char c = (unsigned char)st->reply.p[i] ;
    buf[n++] = (c < 32 || c > 126) ? '?' : (char)c ;
  }
  buf[n++] = '\n' ;
  return n ;
}

uint64_t queue_expiry (uint64_t arrived, uint64_t lifetime, uint64_t days)
{
  struct tm tm ;
  time_t t = (time_t)arrived ;
  if (lifetime) return arrived + lifetime ;
  if (!localtime_r(&t, &tm)) return arrived + 86400 * (days + 1) ;
  tm.tm_sec = 0 ;
  tm.tm_min = 0 ;
  tm.tm_hour = 0 ;
  tm.tm_mday += 1 + (int)days ;
  tm.tm_isdst = -1 ;
  t = mktime(&tm) ;
  return t == (time_t)-1 ? arrived + 86400 * (days + 1) : (uint64_t)t ;
}
