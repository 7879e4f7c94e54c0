/* rcpt_cache.c: the recipient cache on LMDB (rcpt_cache.h). Every change
   is one write transaction, so a process killed at any instant leaves the
   cache as the last commit made it; LMDB's lock file serialises the
   writers of every process and its robust mutex survives one that died
   holding it. libc and liblmdb only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "lib/u64.h"
#include "rcptcheck/rcpt_cache.h"

#define RCPT_VAL_BYTES 10        /* status, source, when */
#define RCPT_BUCKET_BYTES 16     /* tokens in thousandths, when */
#define RCPT_MILLI 1000
#define RCPT_HOUR_SECS 3600

uint64_t rcpt_now (void)
{
  char const *s = getenv(RCPT_NOW_ENV) ;
  uint64_t v ;
  if (s && *s && mx_u64_scan_all(s, strlen(s), UINT64_MAX, &v)) return v ;
  return (uint64_t)time(0) ;
}

size_t rcpt_key (char *key, char const *addr, size_t len)
{
  size_t i ;
  if (len && addr[len - 1] == '.') len-- ;
  if (!len || len > RCPT_ADDR_MAX || !memchr(addr, '@', len)) return 0 ;
  for (i = 0 ; i < len ; i++)
  {
    char ch = addr[i] ;
    key[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch ;
  }
  return len ;
}

static void pack64 (unsigned char *p, uint64_t v)
{
  int i ;
  for (i = 7 ; i >= 0 ; i--)
  {
    p[i] = (unsigned char)(v & 0xff) ;
    v >>= 8 ;
  }
}

static uint64_t unpack64 (unsigned char const *p)
{
  uint64_t v = 0 ;
  int i ;
  for (i = 0 ; i < 8 ; i++) v = (v << 8) | p[i] ;
  return v ;
}

/* An LMDB return code as errno: its own codes (negative) are EIO. */
static int fail (int rc)
{
  errno = rc < 0 ? EIO : rc ;
  return -1 ;
}

/* Begins a transaction; another process that grew the map is followed. */
static int begin (struct rcpt_cache *c, unsigned int flags, MDB_txn **txn)
{
  int rc = mdb_txn_begin(c->env, 0, flags, txn) ;
  if (rc == MDB_MAP_RESIZED)
  {
    mdb_env_set_mapsize(c->env, 0) ;
    rc = mdb_txn_begin(c->env, 0, flags, txn) ;
  }
  return rc ? fail(rc) : 0 ;
}

static int commit (MDB_txn *txn)
{
  int rc = mdb_txn_commit(txn) ;
  return rc ? fail(rc) : 0 ;
}

static int abort_fail (MDB_txn *txn, int rc)
{
  mdb_txn_abort(txn) ;
  return fail(rc) ;
}

static int open_dbis (struct rcpt_cache *c, int write)
{
  MDB_txn *txn ;
  unsigned int fl = write ? MDB_CREATE : 0 ;
  int rc ;
  if (begin(c, write ? 0 : MDB_RDONLY, &txn) == -1) return -1 ;
  rc = mdb_dbi_open(txn, "addr", fl, &c->addr) ;
  if (!rc) rc = mdb_dbi_open(txn, "time", fl, &c->time) ;
  if (!rc) rc = mdb_dbi_open(txn, "bucket", fl, &c->bucket) ;
  if (rc == MDB_NOTFOUND && !write)
  {
    mdb_txn_abort(txn) ;
    return 0 ;   /* no writer made them yet: an empty cache */
  }
  if (rc) return abort_fail(txn, rc) ;
  if (commit(txn) == -1) return -1 ;
  c->have = 1 ;
  return 0 ;
}

int rcpt_cache_open (struct rcpt_cache *c, char const *dir, uint64_t maxentries, int write)
{
  uint64_t map = maxentries * RCPT_ENTRY_BYTES ;
  int rc ;
  memset(c, 0, sizeof *c) ;
  if (write && mkdir(dir, 0770) == -1 && errno != EEXIST) return -1 ;
  if (!write)
  {
    struct stat st ;
    if (stat(dir, &st) == -1) return errno == ENOENT ? 0 : -1 ;
  }
  if (map < RCPT_MAP_MIN_BYTES) map = RCPT_MAP_MIN_BYTES ;
  rc = mdb_env_create(&c->env) ;
  if (rc) return fail(rc) ;
  rc = mdb_env_set_maxdbs(c->env, 3) ;
  if (!rc) rc = mdb_env_set_mapsize(c->env, (size_t)map) ;
  if (!rc) rc = mdb_env_set_maxreaders(c->env, RCPT_READERS_MAX) ;
  /* MDB_NOTLS: no thread owns a reader slot; we are single-threaded */
  if (!rc) rc = mdb_env_open(c->env, dir, MDB_NOTLS, 0660) ;
  if (rc)
  {
    mdb_env_close(c->env) ;
    c->env = 0 ;
    return fail(rc) ;
  }
  /* a process killed inside a read transaction leaves its reader slot
     taken, and the snapshot it pinned keeps freed pages from being
     reused: writers clear such slots (LMDB checks each owner's pid) */
  if (write)
  {
    int dead ;
    mdb_reader_check(c->env, &dead) ;
  }
  if (open_dbis(c, write) == -1)
  {
    int e = errno ;
    rcpt_cache_close(c) ;
    errno = e ;
    return -1 ;
  }
  return 0 ;
}

void rcpt_cache_close (struct rcpt_cache *c)
{
  if (c->env) mdb_env_close(c->env) ;
  c->env = 0 ;
  c->have = 0 ;
}

static int entry_parse (MDB_val const *v, struct rcpt_entry *e)
{
  unsigned char const *p = v->mv_data ;
  if (v->mv_size != RCPT_VAL_BYTES) return 0 ;
  if ((p[0] != 'k' && p[0] != 'u') || (p[1] != 'p' && p[1] != 'd')) return 0 ;
  e->status = (char)p[0] ;
  e->source = (char)p[1] ;
  e->when = unpack64(p + 2) ;
  return 1 ;
}

/* get within txn: 1 found, 0 not (or damaged: treated as absent), -1 */
static int txn_get (struct rcpt_cache *c, MDB_txn *txn, char const *key, size_t klen, struct rcpt_entry *e)
{
  MDB_val k = { klen, (void *)key } ;
  MDB_val v ;
  int rc = mdb_get(txn, c->addr, &k, &v) ;
  if (rc == MDB_NOTFOUND) return 0 ;
  if (rc) return fail(rc) ;
  return entry_parse(&v, e) ;
}

int rcpt_cache_get (struct rcpt_cache *c, char const *key, size_t klen, struct rcpt_entry *e)
{
  MDB_txn *txn ;
  int r ;
  if (!c->env || !c->have) return 0 ;
  if (begin(c, MDB_RDONLY, &txn) == -1) return -1 ;
  r = txn_get(c, txn, key, klen, e) ;
  mdb_txn_abort(txn) ;
  return r ;
}

/* the time index's key: when, then the address */
static size_t time_key (unsigned char *out, uint64_t when, char const *key, size_t klen)
{
  pack64(out, when) ;
  memcpy(out + 8, key, klen) ;
  return 8 + klen ;
}

/* Removes key and its time index entry, if there. 1, 0, -1. */
static int txn_del (struct rcpt_cache *c, MDB_txn *txn, char const *key, size_t klen)
{
  unsigned char tk[8 + RCPT_ADDR_MAX] ;
  struct rcpt_entry old ;
  MDB_val k = { klen, (void *)key } ;
  MDB_val t ;
  int r = txn_get(c, txn, key, klen, &old) ;
  int rc ;
  if (r <= 0) return r ;
  t.mv_data = tk ;
  t.mv_size = time_key(tk, old.when, key, klen) ;
  rc = mdb_del(txn, c->time, &t, 0) ;
  if (rc && rc != MDB_NOTFOUND) return fail(rc) ;
  rc = mdb_del(txn, c->addr, &k, 0) ;
  return rc && rc != MDB_NOTFOUND ? fail(rc) : 1 ;
}

/* Drops the oldest entries while there are more than max. */
static int evict (struct rcpt_cache *c, MDB_txn *txn, uint64_t max)
{
  MDB_stat st ;
  MDB_cursor *cur ;
  MDB_val k, v ;
  int rc = mdb_stat(txn, c->addr, &st) ;
  if (rc) return fail(rc) ;
  if (st.ms_entries <= max) return 0 ;
  rc = mdb_cursor_open(txn, c->time, &cur) ;
  if (rc) return fail(rc) ;
  while (st.ms_entries > max && !(rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)))
  {
    MDB_val a = { k.mv_size - 8, (char *)k.mv_data + 8 } ;
    if (k.mv_size < 8) break ;
    rc = mdb_del(txn, c->addr, &a, 0) ;
    if (rc && rc != MDB_NOTFOUND) break ;
    rc = mdb_cursor_del(cur, 0) ;
    if (rc) break ;
    st.ms_entries-- ;
  }
  mdb_cursor_close(cur) ;
  return rc && rc != MDB_NOTFOUND ? fail(rc) : 0 ;
}

int rcpt_cache_put (struct rcpt_cache *c, char const *key, size_t klen, struct rcpt_entry const *e, uint64_t max)
{
  unsigned char val[RCPT_VAL_BYTES] ;
  unsigned char tk[8 + RCPT_ADDR_MAX] ;
  MDB_val k = { klen, (void *)key } ;
  MDB_val v = { sizeof val, val } ;
  MDB_val t = { 0, tk } ;
  MDB_val none = { 0, (void *)"" } ;
  MDB_txn *txn ;
  int rc ;
  if (!klen || klen > RCPT_ADDR_MAX) return (errno = EINVAL, -1) ;
  val[0] = (unsigned char)e->status ;
  val[1] = (unsigned char)e->source ;
  pack64(val + 2, e->when) ;
  t.mv_size = time_key(tk, e->when, key, klen) ;
  if (begin(c, 0, &txn) == -1) return -1 ;
  if (txn_del(c, txn, key, klen) == -1 || evict(c, txn, max ? max - 1 : 0) == -1)
  {
    mdb_txn_abort(txn) ;
    return -1 ;
  }
  if (!max) return (mdb_txn_abort(txn), 0) ;
  rc = mdb_put(txn, c->addr, &k, &v, 0) ;
  if (!rc) rc = mdb_put(txn, c->time, &t, &none, 0) ;
  if (rc) return abort_fail(txn, rc) ;
  return commit(txn) ;
}

int rcpt_cache_forget (struct rcpt_cache *c, char const *key, size_t klen)
{
  MDB_txn *txn ;
  int r ;
  if (begin(c, 0, &txn) == -1) return -1 ;
  r = txn_del(c, txn, key, klen) ;
  if (r <= 0)
  {
    mdb_txn_abort(txn) ;
    return r ;
  }
  return commit(txn) == -1 ? -1 : 1 ;
}

int rcpt_cache_forget_domain (struct rcpt_cache *c, char const *dom, size_t dlen, uint64_t *n)
{
  MDB_txn *txn ;
  MDB_cursor *cur ;
  MDB_val k, v ;
  int rc ;
  *n = 0 ;
  if (begin(c, 0, &txn) == -1) return -1 ;
  rc = mdb_cursor_open(txn, c->addr, &cur) ;
  if (rc) return abort_fail(txn, rc) ;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST) ; !rc ; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
  {
    char const *p = k.mv_data ;
    struct rcpt_entry e ;
    unsigned char tk[8 + RCPT_ADDR_MAX] ;
    MDB_val t = { 0, tk } ;
    if (k.mv_size <= dlen || p[k.mv_size - dlen - 1] != '@' || memcmp(p + k.mv_size - dlen, dom, dlen)) continue ;
    if (k.mv_size <= RCPT_ADDR_MAX && entry_parse(&v, &e))
    {
      t.mv_size = time_key(tk, e.when, p, k.mv_size) ;
      mdb_del(txn, c->time, &t, 0) ;
    }
    rc = mdb_cursor_del(cur, 0) ;
    if (rc) break ;
    (*n)++ ;
  }
  mdb_cursor_close(cur) ;
  if (rc != MDB_NOTFOUND) return abort_fail(txn, rc) ;
  return commit(txn) ;
}

int rcpt_cache_list (struct rcpt_cache *c, rcpt_cache_fn *f, void *ctx)
{
  MDB_txn *txn ;
  MDB_cursor *cur ;
  MDB_val k, v ;
  int rc ;
  if (!c->env || !c->have) return 0 ;
  if (begin(c, MDB_RDONLY, &txn) == -1) return -1 ;
  rc = mdb_cursor_open(txn, c->time, &cur) ;
  if (rc) return abort_fail(txn, rc) ;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST) ; !rc ; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
  {
    struct rcpt_entry e ;
    char const *a = (char const *)k.mv_data + 8 ;
    if (k.mv_size < 8 || txn_get(c, txn, a, k.mv_size - 8, &e) != 1) continue ;
    if (f(ctx, a, k.mv_size - 8, &e)) break ;
  }
  mdb_cursor_close(cur) ;
  mdb_txn_abort(txn) ;
  return rc && rc != MDB_NOTFOUND ? fail(rc) : 0 ;
}

/* The tokens (thousandths) in the bucket at now: full if never used. */
static uint64_t level (MDB_val const *v, int found, uint64_t now, uint64_t rate, uint64_t burst)
{
  uint64_t full = burst * RCPT_MILLI ;
  uint64_t tokens, when, elapsed ;
  if (!found || v->mv_size != RCPT_BUCKET_BYTES) return full ;
  tokens = unpack64(v->mv_data) ;
  when = unpack64((unsigned char const *)v->mv_data + 8) ;
  elapsed = now > when ? now - when : 0 ;
  if (rate && elapsed > (full / rate + 1) * RCPT_HOUR_SECS) return full ;   /* long enough to fill it */
  tokens += elapsed * rate * RCPT_MILLI / RCPT_HOUR_SECS ;
  return tokens > full ? full : tokens ;
}

static int bucket (struct rcpt_cache *c, char const *route, size_t rlen, uint64_t now, uint64_t rate, uint64_t burst, int take)
{
  unsigned char val[RCPT_BUCKET_BYTES] ;
  MDB_val k = { rlen > RCPT_ROUTE_KEY_MAX ? RCPT_ROUTE_KEY_MAX : rlen, (void *)route } ;
  MDB_val v ;
  MDB_txn *txn ;
  uint64_t lv ;
  int rc ;
  if (!take && (!c->env || !c->have)) return burst > 0 ;
  if (begin(c, take ? 0 : MDB_RDONLY, &txn) == -1) return -1 ;
  rc = mdb_get(txn, c->bucket, &k, &v) ;
  if (rc && rc != MDB_NOTFOUND) return abort_fail(txn, rc) ;
  lv = level(&v, !rc, now, rate, burst) ;
  if (lv < RCPT_MILLI || !take)
  {
    mdb_txn_abort(txn) ;
    return lv >= RCPT_MILLI ;
  }
  pack64(val, lv - RCPT_MILLI) ;
  pack64(val + 8, now) ;
  v.mv_size = sizeof val ;
  v.mv_data = val ;
  rc = mdb_put(txn, c->bucket, &k, &v, 0) ;
  if (rc) return abort_fail(txn, rc) ;
  return commit(txn) == -1 ? -1 : 1 ;
}

int rcpt_cache_take (struct rcpt_cache *c, char const *route, size_t rlen, uint64_t now, uint64_t rate, uint64_t burst)
{
  return bucket(c, route, rlen, now, rate, burst, 1) ;
}

int rcpt_cache_peek (struct rcpt_cache *c, char const *route, size_t rlen, uint64_t now, uint64_t rate, uint64_t burst)
{
  return bucket(c, route, rlen, now, rate, burst, 0) ;
}

int rcpt_entry_fresh (struct rcpt_entry const *e, uint64_t now, uint64_t positive, uint64_t negative)
{
  uint64_t life = e->status == 'k' ? positive : negative ;
  if (now < e->when) return 1 ;   /* the clock went back: keep it */
  return now - e->when < life ;
}
