/* rl_state_test.c: the shared state file: counting, races between
   processes, eviction, corruption and recovery. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ratelimit/ratelimit.h"

static int fails, warnings ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)
#define S RL_USEC_PER_SEC
#define NOW (1700000000ULL * S)

static void w (char const *what) { (void)what ; warnings++ ; }

static unsigned int lock_secs ;

static int take (char const *path, char const *ip, uint64_t now, struct rl_limit const *l, struct rl_verdict *v)
{
  struct rl_state st = { .fd = -1, .warn = &w, .lock_secs = lock_secs } ;
  struct rl_key k ;
  int r ;
  if (!rl_key_parse(ip, strlen(ip), &k)) return -1 ;
  if (rl_state_open(&st, path) == -1) return -1 ;
  r = rl_state_take(&st, &k, now, l, v) ;
  rl_state_close(&st) ;
  return r ;
}

static unsigned int admit_n (char const *path, char const *ip, uint64_t now, struct rl_limit const *l, unsigned int n)
{
  struct rl_verdict v ;
  unsigned int ok = 0 ;
  for (unsigned int i = 0 ; i < n ; i++) if (take(path, ip, now, l, &v) == 0 && v.admitted) ok++ ;
  return ok ;
}

/* n processes at once, each one connection; returns how many were admitted */
static unsigned int parallel (char const *path, char const *ip, struct rl_limit const *l, unsigned int n)
{
  unsigned int ok = 0 ;
  int go[2] ;
  if (pipe(go) == -1) return 0 ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    pid_t p = fork() ;
    if (!p)
    {
      struct rl_verdict v ;
      char c ;
      close(go[1]) ;
      if (read(go[0], &c, 1) < 0) _exit(3) ;   /* all start together when the pipe closes */
      _exit(take(path, ip, NOW, l, &v) == -1 ? 2 : v.admitted ? 0 : 1) ;
    }
  }
  close(go[0]) ; close(go[1]) ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    int status ;
    if (wait(&status) > 0 && WIFEXITED(status) && !WEXITSTATUS(status)) ok++ ;
  }
  return ok ;
}

static void corrupt (char const *path, off_t off, char const *bytes, size_t n)
{
  int fd = open(path, O_WRONLY) ;
  if (fd == -1 || pwrite(fd, bytes, n, off) != (ssize_t)n) perror("corrupt") ;
  close(fd) ;
}

/* offset of the entry of IPv4 address a, by its bytes (addr LE, fam 4 at 24) */
static off_t find_entry (char const *path, uint64_t a)
{
  static unsigned char b[RL_FILE_BYTES] ;
  int fd = open(path, O_RDONLY) ;
  ssize_t r = fd == -1 ? -1 : pread(fd, b, sizeof b, 0) ;
  close(fd) ;
  for (ssize_t off = RL_HDR_BYTES ; off + RL_ENTRY_BYTES <= r ; off += RL_ENTRY_BYTES)
  {
    uint64_t v = 0 ;
    for (int i = 7 ; i >= 0 ; i--) v = (v << 8) | b[off + i] ;
    if (v == a && b[off + 24] == RL_FAM_4) return off ;
  }
  return -1 ;
}

static int file_size_ok (char const *path)
{
  struct stat sb ;
  return stat(path, &sb) == 0 && (uint64_t)sb.st_size == RL_FILE_BYTES && (uint64_t)sb.st_blocks * 512 < RL_FILE_BYTES ;
}

int main (void)
{
  char dir[] = "/tmp/rl_state_test.XXXXXX", path[64], buf[2 * RL_BUCKET_BYTES] ;
  struct rl_limit l, big ;
  struct rl_verdict v ;
  struct rl_state st = { .fd = -1, .warn = &w } ;
  struct rl_entry *all, e ;
  size_t n ;
  if (!mkdtemp(dir)) return 1 ;
  snprintf(path, sizeof path, "%s/state", dir) ;
  rl_limit_make(&l, 200, 3600, 200) ;

  CHECK(take(path, "192.0.2.1", NOW, &l, &v) == 0 && v.admitted && warnings == 1, "missing file: created, one log line, admitted") ;
  CHECK(file_size_ok(path), "file has its fixed size, sparse") ;
  CHECK(admit_n(path, "192.0.2.1", NOW, &l, 250) == 199, "200 admitted in all, the rest refused") ;
  CHECK(take(path, "192.0.2.1", NOW, &l, &v) == 0 && !v.admitted && v.level == 200 && v.denied_total == 52 && v.admitted_total == 200
    && v.retry_usec == 18 * S, "verdict: level, counters, retry") ;
  CHECK(take(path, "192.0.2.2", NOW, &l, &v) == 0 && v.admitted, "another address admitted") ;
  CHECK(take(path, "2001:db8:0:1::1", NOW, &l, &v) == 0 && v.admitted && admit_n(path, "2001:db8:0:1::2", NOW, &l, 300) == 199, "IPv6 /64 counted as one") ;
  CHECK(take(path, "192.0.2.1", NOW + 18 * S, &l, &v) == 0 && v.admitted, "state survives closing: 18 s later one more") ;

  CHECK(parallel(path, "198.51.100.1", &l, 260) == 200, "260 processes at once: exactly 200 admitted") ;

  CHECK(rl_state_open(&st, path) == 0 && rl_state_list(&st, &all, &n) == 0 && n == 4, "list: 4 clients") ;
  rl_state_close(&st) ;
  free(all) ;

  /* eviction: a bucket's full set of ways, then one more key; fill many keys */
  rl_limit_make(&big, 1000, 3600, 1000) ;
  {
    unsigned int ok = 0, total = 20000 ;
    char ip[32] ;
    for (unsigned int i = 0 ; i < total ; i++)
    {
      snprintf(ip, sizeof ip, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255) ;
      ok += take(path, ip, NOW, &big, &v) == 0 && v.admitted ;
    }
    CHECK(ok == total, "20000 distinct clients admitted") ;
  }
  CHECK(rl_state_open(&st, path) == 0 && rl_state_list(&st, &all, &n) == 0 && n > 4 && n <= (size_t)RL_BUCKETS * RL_WAYS, "table bounded") ;
  rl_state_close(&st) ;
  free(all) ;

  /* corrupt entries: garbage over the first two buckets */
  memset(buf, 0xa5, sizeof buf) ;
  corrupt(path, RL_HDR_BYTES, buf, sizeof buf) ;
  warnings = 0 ;
  {
    unsigned int ok = 0 ;
    char ip[32] ;
    for (unsigned int i = 0 ; i < 3000 ; i++)
    {
      snprintf(ip, sizeof ip, "172.16.%u.%u", i >> 8, i & 255) ;
      ok += take(path, ip, NOW, &l, &v) == 0 && v.admitted ;
    }
    CHECK(ok == 3000 && warnings <= 2, "garbage buckets: clients admitted, at most a log line per bucket") ;
  }
  {
    off_t off = find_entry(path, 0xc0000202) ;   /* 192.0.2.2, seen once */
    warnings = 0 ;
    CHECK(off > 0, "entry found on disk") ;
    corrupt(path, off + 9, "\x77", 1) ;
    CHECK(take(path, "192.0.2.2", NOW, &l, &v) == 0 && v.admitted && v.admitted_total == 1 && warnings == 1, "one corrupt entry: cleared with one log line, counted afresh") ;
  }
  CHECK(take(path, "192.0.2.1", NOW + 18 * S, &l, &v) == 0 && !v.admitted, "counts outside the corrupt buckets kept") ;

  /* corrupt header: the whole file is started afresh, once */
  corrupt(path, 0, "garbage!", 8) ;
  warnings = 0 ;
  CHECK(take(path, "192.0.2.1", NOW + 18 * S, &l, &v) == 0 && v.admitted && warnings == 1, "bad header: reset with one log line, admitted") ;
  CHECK(take(path, "192.0.2.9", NOW, &l, &v) == 0 && v.admitted && warnings == 1, "and valid afterwards") ;
  CHECK(truncate(path, 100) == 0 && take(path, "192.0.2.1", NOW, &l, &v) == 0 && v.admitted && warnings == 2 && file_size_ok(path), "truncated file: reset") ;
  CHECK(truncate(path, 0) == 0 && parallel(path, "198.51.100.7", &l, 100) == 100 && warnings == 2, "empty file under 100 racing processes: recovered, all admitted") ;
  CHECK(parallel(path, "198.51.100.7", &l, 150) == 100, "...and counted exactly after it") ;

  /* a bucket in memory */
  memset(buf, 0, sizeof buf) ;
  e.addr = 42 ; e.tat = 7 ; e.admitted = 1 ; e.denied = 2 ; e.fam = RL_FAM_4 ;
  rl_bucket_put((unsigned char *)buf, 3, &e) ;
  CHECK(rl_bucket_repair((unsigned char *)buf) == 0, "a written entry checks") ;
  memset(&e, 0, sizeof e) ;
  CHECK(rl_bucket_get((unsigned char *)buf, 3, &e) && e.addr == 42 && e.tat == 7 && e.admitted == 1 && e.denied == 2, "and reads back") ;
  buf[3 * RL_ENTRY_BYTES + 9] ^= 1 ;
  CHECK(rl_bucket_repair((unsigned char *)buf) == 1 && !rl_bucket_get((unsigned char *)buf, 3, &e), "one flipped bit: entry cleared") ;
  buf[5 * RL_ENTRY_BYTES + 24] = RL_FAM_6 ;
  CHECK(rl_bucket_repair((unsigned char *)buf) == 1, "family without checksum: cleared") ;

  {
    /* a holder that is stopped: a child locks the whole file and sleeps */
    int ready[2] ;
    pid_t p ;
    char c ;
    if (pipe(ready) == -1) return 1 ;
    p = fork() ;
    if (!p)
    {
      int fd = open(path, O_RDWR) ;
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET } ;
      if (fd == -1 || fcntl(fd, F_SETLK, &fl) == -1) _exit(1) ;
      if (write(ready[1], "x", 1) != 1) _exit(1) ;
      sleep(30) ;
      _exit(0) ;
    }
    close(ready[1]) ;
    CHECK(read(ready[0], &c, 1) == 1, "a child holds a lock on the whole file") ;
    lock_secs = 1 ;
    CHECK(take(path, "192.0.2.1", NOW, &l, &v) == -1 && errno == ETIMEDOUT, "take gives up after lock_secs with ETIMEDOUT (the caller admits)") ;
    lock_secs = 0 ;
    kill(p, SIGKILL) ; waitpid(p, 0, 0) ; close(ready[0]) ;
    CHECK(take(path, "192.0.2.1", NOW, &l, &v) == 0, "the holder gone, the lock is free again") ;
  }
  snprintf(buf, sizeof buf, "%s/nodir/state", dir) ;
  CHECK(take(buf, "192.0.2.1", NOW, &l, &v) == -1 && errno == ENOENT, "missing directory: error returned (the caller admits)") ;
  unlink(path) ; rmdir(dir) ;
  return fails ? 1 : 0 ;
}
