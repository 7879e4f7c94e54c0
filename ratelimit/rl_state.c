/* rl_state.c: the state file shared by every connection on the host. See
   ratelimit.h for the layout. Invariants:
   - the header is written only under a write lock on the whole file, and
     read under a lock on one bucket (which conflicts with it), so a bucket
     update always uses the header's current seed;
   - a bucket is read and written back under a write lock on its bytes, so
     two connections from one client are counted one after the other;
   - nothing on disk is trusted: a bad header re-initialises the file, a
     bad entry is cleared; neither ever refuses a client. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "lib/fnv.h"
#include "ratelimit/ratelimit.h"

#define RL_OPEN_TRIES 3   /* header changed under us this many times in a row: give up (admit) */

static void le_put (unsigned char *p, unsigned int n, uint64_t v)
{
  for (unsigned int i = 0 ; i < n ; i++)
  {
    p[i] = (unsigned char)(v & 0xff) ;
    v >>= 8 ;
  }
}

static uint64_t le_get (unsigned char const *p, unsigned int n)
{
  uint64_t v = 0 ;
  for (unsigned int i = n ; i-- ;) v = (v << 8) | p[i] ;
  return v ;
}

static uint64_t mix64 (uint64_t x)   /* splitmix64's finaliser: every input bit moves every output bit */
{
  x ^= x >> 30 ;
  x *= 0xbf58476d1ce4e5b9ULL ;
  x ^= x >> 27 ;
  x *= 0x94d049bb133111ebULL ;
  return x ^ (x >> 31) ;
}

/* An entry's checksum: FNV-1a of its first 28 bytes. On disk: a state
   file written by an older build must still check. */
static uint32_t entry_check (unsigned char const *p)
{
  return mx_fnv1a32(MX_FNV_BASIS, p, 28) ;
}

static volatile sig_atomic_t lock_timedout ;
static void lock_alarm (int sig)
{
  (void)sig ;
  lock_timedout = 1 ;
}

/* Waits for the lock at most RL_LOCK_SECS: a holder that is stopped (not
   dead: the kernel drops a dead process's locks) must not stall every
   connection behind it. The common case, a free lock, costs one fcntl. */
static int lock_wait (int fd, struct flock *fl, unsigned int secs)
{
  struct sigaction sa = { .sa_handler = &lock_alarm } ;   /* no SA_RESTART: fcntl returns EINTR */
  struct sigaction old ;
  struct itimerval it = { .it_value = { .tv_sec = secs ? secs : RL_LOCK_SECS } } ;
  struct itimerval off = { 0 } ;
  int r ;
  int e ;
  sigemptyset(&sa.sa_mask) ;
  lock_timedout = 0 ;
  if (sigaction(SIGALRM, &sa, &old) == -1) return -1 ;
  setitimer(ITIMER_REAL, &it, 0) ;
  do
    r = fcntl(fd, F_SETLKW, fl) ;
  while (r == -1 && errno == EINTR && !lock_timedout) ;
  e = r == -1 && lock_timedout ? ETIMEDOUT : errno ;
  setitimer(ITIMER_REAL, &off, 0) ;
  sigaction(SIGALRM, &old, 0) ;
  errno = e ;
  return r ;
}

static int lock_range (struct rl_state const *st, short type, off_t start, off_t len)
{
  int fd = st->fd ;
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len } ;
  if (fcntl(fd, F_SETLK, &fl) == 0) return 0 ;
  if (type == F_UNLCK || (errno != EAGAIN && errno != EACCES && errno != EINTR)) return -1 ;
  return lock_wait(fd, &fl, st->lock_secs) ;
}

static int read_full (int fd, unsigned char *buf, size_t n, off_t off)
{
  size_t got = 0 ;
  while (got < n)
  {
    ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) return -1 ;
    if (!r)
    {
      memset(buf + got, 0, n - got) ;   /* past the end reads as empty */
      break ;
    }
    got += (size_t)r ;
  }
  return 0 ;
}

static int write_full (int fd, unsigned char const *buf, size_t n, off_t off)
{
  size_t done = 0 ;
  while (done < n)
  {
    ssize_t r = pwrite(fd, buf + done, n - done, off + (off_t)done) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) return -1 ;
    done += (size_t)r ;
  }
  return 0 ;
}

static void warn (struct rl_state const *st, char const *event)
{
  if (st->warn) st->warn(event) ;
}

/* header: magic 8, nbuckets 4, ways 4, entry 4, zero 4, seed 16, check 8, zero 16 */
static void hdr_make (unsigned char *h, uint64_t const seed[2])
{
  memset(h, 0, RL_HDR_BYTES) ;
  memcpy(h, RL_MAGIC, 8) ;
  le_put(h + 8, 4, RL_BUCKETS) ;
  le_put(h + 12, 4, RL_WAYS) ;
  le_put(h + 16, 4, RL_ENTRY_BYTES) ;
  le_put(h + 24, 8, seed[0]) ;
  le_put(h + 32, 8, seed[1]) ;
  le_put(h + 40, 8, mix64(le_get(h + 8, 8) ^ mix64(le_get(h + 16, 8) ^ mix64(seed[0] ^ mix64(seed[1]))))) ;
}

/* 1 valid (seed filled), 0 not, -1 error. With size: the file's size is
   checked too (at open and recovery; under a bucket lock the header alone
   tells, since every re-initialisation rewrites it). */
static int hdr_check (int fd, uint64_t seed[2], int size)
{
  unsigned char h[RL_HDR_BYTES] ;
  unsigned char want[RL_HDR_BYTES] ;
  struct stat sb ;
  uint64_t s[2] ;
  if (size && fstat(fd, &sb) == -1) return -1 ;
  if (size && (uint64_t)sb.st_size != RL_FILE_BYTES) return 0 ;
  if (read_full(fd, h, RL_HDR_BYTES, 0) == -1) return -1 ;
  s[0] = le_get(h + 24, 8) ;
  s[1] = le_get(h + 32, 8) ;
  hdr_make(want, s) ;
  if (memcmp(h, want, RL_HDR_BYTES)) return 0 ;
  seed[0] = s[0] ;
  seed[1] = s[1] ;
  return 1 ;
}

/* Under a whole-file write lock: check again (another connection may have
   fixed it meanwhile), else start afresh. */
static int hdr_recover (struct rl_state *st)
{
  unsigned char h[RL_HDR_BYTES] ;
  struct stat sb ;
  int r ;
  int e ;
  if (lock_range(st, F_WRLCK, 0, 0) == -1) return -1 ;
  r = hdr_check(st->fd, st->seed, 1) ;
  if (r) goto done ;
  r = -1 ;
  if (fstat(st->fd, &sb) == -1) goto done ;
  if (getrandom(st->seed, sizeof st->seed, 0) != sizeof st->seed) goto done ;
  if (ftruncate(st->fd, 0) == -1 || ftruncate(st->fd, (off_t)RL_FILE_BYTES) == -1) goto done ;
  hdr_make(h, st->seed) ;
  if (write_full(st->fd, h, RL_HDR_BYTES, 0) == -1) goto done ;
  warn(st, sb.st_size ? "state-reset" : "state-created") ;
  r = 1 ;
 done:
  e = errno ;
  lock_range(st, F_UNLCK, 0, 0) ;
  errno = e ;
  return r < 0 ? -1 : 0 ;
}

int rl_state_open (struct rl_state *st, char const *path)
{
  int r ;
  st->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) ;
  if (st->fd == -1) return -1 ;
  r = hdr_check(st->fd, st->seed, 1) ;
  if (r == 1) return 0 ;
  if (r == 0 && hdr_recover(st) == 0) return 0 ;
  r = errno ;
  close(st->fd) ;
  st->fd = -1 ;
  errno = r ;
  return -1 ;
}

void rl_state_close (struct rl_state *st)
{
  if (st->fd >= 0) close(st->fd) ;
  st->fd = -1 ;
}

static int entry_zero (unsigned char const *p)
{
  for (unsigned int i = 0 ; i < RL_ENTRY_BYTES ; i++)
    if (p[i]) return 0 ;
  return 1 ;
}

/* addr 0..8, tat 8..16, admitted 16..20, denied 20..24, fam 24, zero 25..28, check 28..32 */
int rl_bucket_get (unsigned char const *bucket, unsigned int i, struct rl_entry *e)
{
  unsigned char const *p = bucket + (size_t)i * RL_ENTRY_BYTES ;
  e->addr = le_get(p, 8) ;
  e->tat = le_get(p + 8, 8) ;
  e->admitted = (uint32_t)le_get(p + 16, 4) ;
  e->denied = (uint32_t)le_get(p + 20, 4) ;
  e->fam = p[24] ;
  return e->fam != RL_FAM_EMPTY ;
}

void rl_bucket_put (unsigned char *bucket, unsigned int i, struct rl_entry const *e)
{
  unsigned char *p = bucket + (size_t)i * RL_ENTRY_BYTES ;
  memset(p, 0, RL_ENTRY_BYTES) ;
  if (e->fam == RL_FAM_EMPTY) return ;
  le_put(p, 8, e->addr) ;
  le_put(p + 8, 8, e->tat) ;
  le_put(p + 16, 4, e->admitted) ;
  le_put(p + 20, 4, e->denied) ;
  p[24] = e->fam ;
  le_put(p + 28, 4, entry_check(p)) ;
}

unsigned int rl_bucket_repair (unsigned char *bucket)
{
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < RL_WAYS ; i++)
  {
    unsigned char *p = bucket + (size_t)i * RL_ENTRY_BYTES ;
    if (entry_zero(p)) continue ;
    if ((p[24] == RL_FAM_4 || p[24] == RL_FAM_6) && !p[25] && !p[26] && !p[27]
     && (uint32_t)le_get(p + 28, 4) == entry_check(p)) continue ;
    memset(p, 0, RL_ENTRY_BYTES) ;
    n++ ;
  }
  return n ;
}

static uint32_t bucket_of (uint64_t const seed[2], struct rl_key const *k)
{
  return (uint32_t)(mix64(mix64(k->addr ^ seed[0]) ^ seed[1] ^ k->fam) % RL_BUCKETS) ;
}

/* The key's way in the bucket: its own, else an empty one, else the one
   with the smallest TAT, the key closest to (or longest past) empty. */
static unsigned int bucket_slot (unsigned char const *bucket, struct rl_key const *k, int *found)
{
  unsigned int best = 0 ;
  unsigned int i ;
  uint64_t besttat = UINT64_MAX ;
  struct rl_entry e ;
  for (i = 0 ; i < RL_WAYS ; i++)
  {
    if (!rl_bucket_get(bucket, i, &e))
    {
      if (besttat)
      {
        best = i ;
        besttat = 0 ;
      }
      continue ;
    }
    if (e.fam == k->fam && e.addr == k->addr)
    {
      *found = 1 ;
      return i ;
    }
    if (e.tat < besttat)
    {
      best = i ;
      besttat = e.tat ;
    }
  }
  *found = 0 ;
  return best ;
}

static void count (struct rl_entry *e, struct rl_key const *k, uint64_t now, struct rl_limit const *l, struct rl_verdict *v)
{
  v->admitted = rl_gcra_take(&e->tat, now, l, &v->retry_usec) ;
  if (v->admitted)
  {
    if (e->admitted < UINT32_MAX) e->admitted++ ;
  }
  else if (e->denied < UINT32_MAX) e->denied++ ;
  e->fam = k->fam ;
  e->addr = k->addr ;
  v->level = rl_gcra_level(e->tat, now, l->interval) ;
  v->admitted_total = e->admitted ;
  v->denied_total = e->denied ;
}

/* One attempt: 1 done, 0 the header changed (retry), -1 error. */
static int take_once (struct rl_state *st, struct rl_key const *k, uint64_t now, struct rl_limit const *l, struct rl_verdict *v)
{
  unsigned char bucket[RL_BUCKET_BYTES] ;
  uint64_t seed[2] ;
  uint32_t b = bucket_of(st->seed, k) ;
  off_t off = RL_HDR_BYTES + (off_t)b * RL_BUCKET_BYTES ;
  struct rl_entry e = { 0, 0, 0, 0, 0 } ;
  unsigned int i ;
  unsigned int bad ;
  int found ;
  int r = -1 ;
  int er ;
  if (lock_range(st, F_WRLCK, off, RL_BUCKET_BYTES) == -1) return -1 ;
  r = hdr_check(st->fd, seed, 0) ;
  if (r != 1 || seed[0] != st->seed[0] || seed[1] != st->seed[1])
  {
    if (r == 1) r = 0 ;
    goto done ;
  }
  r = -1 ;
  if (read_full(st->fd, bucket, RL_BUCKET_BYTES, off) == -1) goto done ;
  bad = rl_bucket_repair(bucket) ;
  if (bad) warn(st, "state-repaired") ;
  i = bucket_slot(bucket, k, &found) ;
  if (found) rl_bucket_get(bucket, i, &e) ;
  count(&e, k, now, l, v) ;
  rl_bucket_put(bucket, i, &e) ;
  if (write_full(st->fd, bucket, RL_BUCKET_BYTES, off) == -1) goto done ;
  r = 1 ;
 done:
  er = errno ;
  lock_range(st, F_UNLCK, off, RL_BUCKET_BYTES) ;
  errno = er ;
  return r ;
}

int rl_state_take (struct rl_state *st, struct rl_key const *k, uint64_t now, struct rl_limit const *l, struct rl_verdict *v)
{
  for (unsigned int t = 0 ; t < RL_OPEN_TRIES ; t++)
  {
    int r = take_once(st, k, now, l, v) ;
    if (r) return r > 0 ? 0 : -1 ;
    if (hdr_recover(st) == -1) return -1 ;  /* re-reads the seed, or re-initialises */
  }
  errno = EAGAIN ;
  return -1 ;
}

int rl_state_list (struct rl_state *st, struct rl_entry **out, size_t *n)
{
  enum { CHUNK = 256 } ;   /* buckets per read */
  static unsigned char buf[CHUNK * RL_BUCKET_BYTES] ;
  size_t cap = 1024 ;
  size_t len = 0 ;
  struct rl_entry *a = malloc(cap * sizeof *a) ;
  struct rl_entry e ;
  if (!a) return -1 ;
  for (uint32_t b = 0 ; b < RL_BUCKETS ; b += CHUNK)
  {
    if (read_full(st->fd, buf, sizeof buf, RL_HDR_BYTES + (off_t)b * RL_BUCKET_BYTES) == -1)
    {
      free(a) ;
      return -1 ;
    }
    for (unsigned int j = 0 ; j < CHUNK ; j++)
    {
      unsigned char *bk = buf + (size_t)j * RL_BUCKET_BYTES ;
      rl_bucket_repair(bk) ;
      for (unsigned int i = 0 ; i < RL_WAYS ; i++)
      {
        if (!rl_bucket_get(bk, i, &e)) continue ;
        if (len == cap)
        {
          struct rl_entry *na = realloc(a, 2 * cap * sizeof *a) ;
          if (!na)
          {
            free(a) ;
            return -1 ;
          }
          a = na ;
          cap *= 2 ;
        }
        a[len++] = e ;
      }
    }
  }
  *out = a ;
  *n = len ;
  return 0 ;
}
