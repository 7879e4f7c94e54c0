/* conf_cdb.c: cdb reader over a map, cdb writer into memory. libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf_cdb.h"

#define SLOT_BYTES 8

static uint32_t rd32 (char const *p)
{
  unsigned char const *u = (unsigned char const *)p ;
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24 ;
}

static void wr32 (char *p, uint32_t v)
{
  p[0] = (char)(v & 0xff) ;
  p[1] = (char)(v >> 8 & 0xff) ;
  p[2] = (char)(v >> 16 & 0xff) ;
  p[3] = (char)(v >> 24 & 0xff) ;
}

uint32_t conf_cdb_hash (char const *key, size_t len)
{
  uint32_t h = 5381 ;
  while (len--) h = ((h << 5) + h) ^ (unsigned char)*key++ ;
  return h ;
}

/* The record at pos: 1 and its key and value if it lies inside the map. */
static int record_at (char const *map, size_t maplen, size_t pos, struct span *k, struct span *d)
{
  size_t kl ;
  size_t dl ;
  if (pos < CONF_CDB_HEADER_BYTES || pos > maplen || maplen - pos < 8) return 0 ;
  kl = rd32(map + pos) ;
  dl = rd32(map + pos + 4) ;
  if (kl > maplen - pos - 8 || dl > maplen - pos - 8 - kl) return 0 ;
  k->p = map + pos + 8 ;
  k->len = kl ;
  d->p = map + pos + 8 + kl ;
  d->len = dl ;
  return 1 ;
}

int conf_cdb_find (char const *map, size_t maplen, char const *key, size_t klen, struct span *val)
{
  uint32_t h ;
  uint32_t tpos ;
  uint32_t tlen ;
  uint32_t slot ;
  uint32_t i ;
  if (!map || maplen < CONF_CDB_HEADER_BYTES) return 0 ;
  h = conf_cdb_hash(key, klen) ;
  tpos = rd32(map + (h & 255) * SLOT_BYTES) ;
  tlen = rd32(map + (h & 255) * SLOT_BYTES + 4) ;
  if (!tlen) return 0 ;
  if (tpos > maplen || tlen > (maplen - tpos) / SLOT_BYTES) return 0 ;
  slot = (h >> 8) % tlen ;
  for (i = 0 ; i < tlen ; i++)
  {
    char const *s = map + tpos + (size_t)slot * SLOT_BYTES ;
    uint32_t sh = rd32(s) ;
    uint32_t spos = rd32(s + 4) ;
    struct span k ;
    struct span d ;
    if (!spos) return 0 ;
    if (sh == h && record_at(map, maplen, spos, &k, &d)
     && k.len == klen && !memcmp(k.p, key, klen))
    {
      *val = d ;
      return 1 ;
    }
    if (++slot == tlen) slot = 0 ;
  }
  return 0 ;
}

int conf_cdb_next (char const *map, size_t maplen, size_t *pos, struct span *key, struct span *val)
{
  size_t end = maplen ;
  size_t i ;
  if (!map || maplen < CONF_CDB_HEADER_BYTES) return -1 ;
  /* Records end where the first hash table starts. */
  for (i = 0 ; i < 256 ; i++)
  {
    uint32_t tpos = rd32(map + i * SLOT_BYTES) ;
    uint32_t tlen = rd32(map + i * SLOT_BYTES + 4) ;
    if (tlen && tpos < end) end = tpos ;
  }
  if (end < CONF_CDB_HEADER_BYTES) return -1 ;
  if (!*pos) *pos = CONF_CDB_HEADER_BYTES ;
  if (*pos >= end) return 0 ;
  if (!record_at(map, end, *pos, key, val)) return -1 ;
  *pos += 8 + key->len + val->len ;
  return 1 ;
}

static int grow (struct conf_cdbw *w, size_t more)
{
  size_t cap ;
  char *p ;
  if (more > CONF_CDB_MAX_BYTES - w->len) return (errno = EFBIG, -1) ;
  if (w->len + more <= w->cap) return 0 ;
  cap = w->cap ? w->cap : 65536 ;
  while (cap < w->len + more) cap *= 2 ;
  p = realloc(w->buf, cap) ;
  if (!p) return -1 ;
  w->buf = p ;
  w->cap = cap ;
  return 0 ;
}

int conf_cdbw_init (struct conf_cdbw *w)
{
  memset(w, 0, sizeof *w) ;
  if (grow(w, CONF_CDB_HEADER_BYTES) == -1) return -1 ;
  memset(w->buf, 0, CONF_CDB_HEADER_BYTES) ;
  w->len = CONF_CDB_HEADER_BYTES ;
  return 0 ;
}

int conf_cdbw_add (struct conf_cdbw *w, char const *k, size_t klen, char const *d, size_t dlen)
{
  size_t pos = w->len ;
  if (klen > CONF_CDB_MAX_BYTES || dlen > CONF_CDB_MAX_BYTES - klen) return (errno = EFBIG, -1) ;
  if (grow(w, 8 + klen + dlen) == -1) return -1 ;
  if (w->n == w->ncap)
  {
    size_t nc = w->ncap ? w->ncap * 2 : 1024 ;
    struct conf_cdbw_ent *e = realloc(w->ent, nc * sizeof *e) ;
    if (!e) return -1 ;
    w->ent = e ;
    w->ncap = nc ;
  }
  wr32(w->buf + pos, (uint32_t)klen) ;
  wr32(w->buf + pos + 4, (uint32_t)dlen) ;
  if (klen) memcpy(w->buf + pos + 8, k, klen) ;
  if (dlen) memcpy(w->buf + pos + 8 + klen, d, dlen) ;
  w->len += 8 + klen + dlen ;
  w->ent[w->n].h = conf_cdb_hash(k, klen) ;
  w->ent[w->n].pos = (uint32_t)pos ;
  w->n++ ;
  return 0 ;
}

/* Appends the 256 hash tables (each twice as many slots as entries, so
   probing stays short) and fills in the header. */
int conf_cdbw_finish (struct conf_cdbw *w)
{
  size_t count[256] = { 0 } ;
  size_t start[256] ;
  size_t i ;
  size_t b ;
  struct conf_cdbw_ent *sorted ;
  if (w->n > (CONF_CDB_MAX_BYTES / 2 / SLOT_BYTES)) return (errno = EFBIG, -1) ;
  if (grow(w, w->n * 2 * SLOT_BYTES) == -1) return -1 ;
  sorted = malloc((w->n ? w->n : 1) * sizeof *sorted) ;
  if (!sorted) return -1 ;
  for (i = 0 ; i < w->n ; i++) count[w->ent[i].h & 255]++ ;
  for (b = 0, i = 0 ; b < 256 ; b++)
  {
    start[b] = i ;
    i += count[b] ;
  }
  for (i = 0 ; i < w->n ; i++) sorted[start[w->ent[i].h & 255]++] = w->ent[i] ;
  for (b = 0, i = 0 ; b < 256 ; b++)
  {
    size_t slen = count[b] * 2 ;
    size_t j ;
    char *t = w->buf + w->len ;
    wr32(w->buf + b * SLOT_BYTES, (uint32_t)w->len) ;
    wr32(w->buf + b * SLOT_BYTES + 4, (uint32_t)slen) ;
    memset(t, 0, slen * SLOT_BYTES) ;
    for (j = 0 ; j < count[b] ; j++, i++)
    {
      size_t s = (sorted[i].h >> 8) % slen ;
      while (rd32(t + s * SLOT_BYTES + 4)) if (++s == slen) s = 0 ;
      wr32(t + s * SLOT_BYTES, sorted[i].h) ;
      wr32(t + s * SLOT_BYTES + 4, sorted[i].pos) ;
    }
    w->len += slen * SLOT_BYTES ;
  }
  free(sorted) ;
  return 0 ;
}

void conf_cdbw_free (struct conf_cdbw *w)
{
  free(w->buf) ;
  free(w->ent) ;
  memset(w, 0, sizeof *w) ;
}
