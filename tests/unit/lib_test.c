/* lib_test.c: the shared modules of lib/. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/counter.h"
#include "lib/dir_sync.h"
#include "lib/fnv.h"
#include "lib/fold.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "tests/unit/check.h"

/* Runs f with fd 2 on a pipe and returns what it wrote (NUL-terminated). */
static char const *captured (void (*f) (void))
{
  static char out[MX_LOG_LINE_MAX * 2] ;
  int p[2] ;
  int save = dup(2) ;
  ssize_t n ;
  if (pipe(p) == -1 || save == -1) return "" ;
  dup2(p[1], 2) ;
  close(p[1]) ;
  f() ;
  dup2(save, 2) ;
  close(save) ;
  n = read(p[0], out, sizeof out - 1) ;
  close(p[0]) ;
  out[n > 0 ? n : 0] = 0 ;
  return out ;
}

static void line_plain (void)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "accepted") ;
  mx_log_str(&l, "qid", "1.2.3") ;
  mx_log_u64(&l, "size", 18446744073709551615u) ;
  mx_log_ms(&l, "delay", 1234) ;
  mx_log_end(&l) ;
}

static void line_hostile (void)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "refused") ;
  mx_log_bytes(&l, "helo", "a b\r\nmxhold-x: info: forged k=v\"\\\0\xff", 35) ;
  mx_log_str(&l, "reply", "") ;
  mx_log_end(&l) ;
}

static void line_long (void)
{
  static char big[5000] ;
  struct mx_log l ;
  memset(big, 1, sizeof big) ;
  mx_log_start(&l, MX_LOG_INFO, "long") ;
  for (int i = 0 ; i < 8 ; i++) mx_log_bytes(&l, "v", big, sizeof big) ;
  mx_log_end(&l) ;
}

static void line_kv (void)
{
  mx_log_kv(MX_LOG_WARN, "unable-open", "path", "/q/x y", "error", "No such file", (char const *)0) ;
}

static void test_log (void)
{
  char const *s ;
  size_t n ;
  mx_log_prog = "mxhold-test" ;
  s = captured(line_plain) ;
  CHECK(!strcmp(s, "mxhold-test: info: accepted qid=1.2.3 size=18446744073709551615 delay=1.234\n"), "log: bare values, u64 max, milliseconds") ;
  s = captured(line_hostile) ;
  CHECK(!strcmp(s, "mxhold-test: warning: refused helo=\"a b\\x0d\\x0amxhold-x: info: forged k=v\\\"\\\\\\x00\\xff\" reply=\"\"\n"), "log: CR LF NUL quote backslash 0xff escaped, empty value quoted") ;
  s = captured(line_long) ;
  n = strlen(s) ;
  CHECK(n <= MX_LOG_LINE_MAX && n > 100, "log: a long line stays under MX_LOG_LINE_MAX") ;
  CHECK(n > 8 && !strcmp(s + n - 7, " cut=1\n"), "log: a cut line says cut=1 at its end") ;
  CHECK(!memchr(s, '\n', n - 1), "log: one line") ;
  s = captured(line_kv) ;
  CHECK(!strcmp(s, "mxhold-test: warning: unable-open path=\"/q/x y\" error=\"No such file\"\n"), "log: mx_log_kv") ;
}

/* A report line: the same fields, no "PROG: LEVEL: " head, on any fd. */
static void test_report (void)
{
  struct mx_log l ;
  char out[256] ;
  int p[2] ;
  ssize_t n ;
  CHECK(pipe(p) == 0, "pipe") ;
  mx_log_start_bare(&l, "message") ;
  mx_log_str(&l, "qid", "1.2.3") ;
  mx_log_str(&l, "reply", "451 busy") ;
  CHECK(mx_log_end_fd(&l, p[1]) == 0, "report: written") ;
  n = read(p[0], out, sizeof out - 1) ;
  out[n > 0 ? n : 0] = 0 ;
  CHECK(!strcmp(out, "message qid=1.2.3 reply=\"451 busy\"\n"), "report: EVENT key=value, no head") ;
  close(p[0]) ;
  signal(SIGPIPE, SIG_IGN) ;
  mx_log_start_bare(&l, "message") ;
  CHECK(mx_log_end_fd(&l, p[1]) == -1 && errno == EPIPE, "report: a closed reader is -1 EPIPE") ;
  CHECK(l.len == 0, "report: the line is reset after a failure") ;
  close(p[1]) ;
}

static void test_u64 (void)
{
  char b[MX_U64_FMT] ;
  uint64_t u = 7 ;
  CHECK(mx_u64_fmt(b, 0) == 1 && b[0] == '0', "u64: 0") ;
  CHECK(mx_u64_fmt(b, UINT64_MAX) == 20 && !memcmp(b, "18446744073709551615", 20), "u64: max") ;
  CHECK(mx_u64_scan_all("18446744073709551615", 20, UINT64_MAX, &u) && u == UINT64_MAX, "u64 scan: max") ;
  CHECK(!mx_u64_scan_all("18446744073709551616", 20, UINT64_MAX, &u) && u == UINT64_MAX, "u64 scan: max + 1 refused, value untouched") ;
  CHECK(!mx_u64_scan_all("", 0, 10, &u), "u64 scan: empty refused") ;
  CHECK(!mx_u64_scan_all("1 ", 2, 10, &u) && !mx_u64_scan_all("-1", 2, 10, &u), "u64 scan: space, sign refused") ;
  CHECK(mx_u64_scan_all("010", 3, 10, &u) && u == 10 && !mx_u64_scan_all("11", 2, 10, &u), "u64 scan: cap inclusive") ;
}

static void test_fnv (void)
{
  CHECK(mx_fnv1a32(MX_FNV_BASIS, "", 0) == 2166136261u, "fnv: empty is the basis") ;
  CHECK(mx_fnv1a32(MX_FNV_BASIS, "a", 1) == 0xe40c292cu, "fnv: 'a' (published vector)") ;
  CHECK(mx_fnv1a32(MX_FNV_BASIS, "foobar", 6) == 0xbf9cf968u, "fnv: 'foobar' (published vector)") ;
  CHECK(mx_fnv1a32(mx_fnv1a32(MX_FNV_BASIS, "foo", 3), "bar", 3) == 0xbf9cf968u, "fnv: continues") ;
}

static void test_write_dir (void)
{
  char dir[] = "/tmp/mxhold-lib-test.XXXXXX" ;
  char path[64] ;
  char back[8] ;
  int fd ;
  int p[2] ;
  CHECK(mkdtemp(dir) != 0, "mkdtemp") ;
  memcpy(path, dir, sizeof dir - 1) ;
  memcpy(path + sizeof dir - 1, "/f", 3) ;
  fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600) ;
  CHECK(fd >= 0 && mx_write_all(fd, "abcdef", 6) == 0, "write_all: file") ;
  CHECK(pread(fd, back, 6, 0) == 6 && !memcmp(back, "abcdef", 6), "write_all: every byte") ;
  close(fd) ;
  CHECK(mx_dir_sync(AT_FDCWD, dir) == 0, "dir_sync: a directory") ;
  errno = 0 ;
  CHECK(mx_dir_sync(AT_FDCWD, path) == -1 && errno == ENOTDIR, "dir_sync: a file is ENOTDIR") ;
  unlink(path) ;
  rmdir(dir) ;
  signal(SIGPIPE, SIG_IGN) ;
  CHECK(pipe(p) == 0, "pipe") ;
  close(p[0]) ;
  errno = 0 ;
  CHECK(mx_write_all(p[1], "x", 1) == -1 && errno == EPIPE, "write_all: EPIPE comes back") ;
  close(p[1]) ;
}

/* The child lists its own fds by stat (no fd opened while counting). */
static void test_spawn (void)
{
  char const *argv[] = { "/bin/sh", "-c", "i=0; while [ $i -le 64 ]; do [ -e /proc/$$/fd/$i ] && printf '%s ' $i; i=$((i+1)); done", 0 } ;
  char const *missing[] = { "mxhold-no-such-program", 0 } ;
  char out[256] ;
  int o[2] ;
  int extra = open("/dev/null", O_RDONLY) ;   /* not close-on-exec: must not leak */
  int fds[5] ;
  pid_t pid ;
  int st ;
  ssize_t n ;
  size_t used ;
  signal(SIGPIPE, SIG_IGN) ;   /* the child must get it back at its default */
  CHECK(pipe(o) == 0, "pipe") ;
  fds[0] = -1 ;
  fds[1] = o[1] ;
  fds[2] = 2 ;
  fds[3] = -1 ;
  fds[4] = o[1] ;
  CHECK(mx_spawn(&pid, argv, fds, 5) == 0, "spawn: started") ;
  close(o[1]) ;
  used = 0 ;
  while (used < sizeof out - 1 && (n = read(o[0], out + used, sizeof out - 1 - used)) > 0) used += (size_t)n ;
  out[used] = 0 ;
  close(o[0]) ;
  st = 0 ;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "spawn: child exited") ;
  CHECK(!strcmp(out, "1 2 4 "), "spawn: exactly fds 1 2 4 (0 and 3 closed, nothing from 5 up)") ;
  CHECK(mx_spawn(&pid, missing, fds, 0) == ENOENT, "spawn: a missing program is ENOENT") ;
  close(extra) ;
}

static uint64_t got ;
static unsigned int seen ;
static void sum (char const *name, uint64_t count, void *ctx)
{
  if (!strcmp(name, (char const *)ctx))
  {
    got += count ;
    seen++ ;
  }
}

/* Counters: 8 processes x 500 adds to one name lose nothing; names are
   escaped; an overlong name is refused. */
static void test_counter (void)
{
  char path[] = "/tmp/mxhold-counter-test.XXXXXX" ;
  char name[MX_COUNTER_NAME_MAX + 8] ;
  int fd = mkstemp(path) ;
  unsigned int ok = 1 ;
  CHECK(fd >= 0, "counter: a scratch file") ;
  close(fd) ;
  unlink(path) ;
  CHECK(mx_counter_name(name, sizeof name, "m_total", "domain", "a\"b\\c\n", (char const *)0) == strlen("m_total{domain=\"a\\\"b\\\\c?\"}")
    && !strcmp(name, "m_total{domain=\"a\\\"b\\\\c?\"}"), "counter: label values escaped") ;
  CHECK(mx_counter_name(name, 10, "m_total", "domain", "example.com", (char const *)0) == 0, "counter: a name that does not fit") ;
  for (int p = 0 ; p < 8 ; p++)
    if (fork() == 0)
    {
      for (int i = 0 ; i < 500 ; i++) if (mx_counter_add(path, "x_total{k=\"v\"}", 1) == -1) _exit(1) ;
      _exit(0) ;
    }
  for (int p = 0 ; p < 8 ; p++)
  {
    int st ;
    wait(&st) ;
    if (!WIFEXITED(st) || WEXITSTATUS(st)) ok = 0 ;
  }
  CHECK(ok, "counter: 8 processes added") ;
  CHECK(mx_counter_add(path, "y_total", 5) == 0, "counter: another name") ;
  CHECK(mx_counter_each(path, &sum, "x_total{k=\"v\"}") == 0 && got == 4000 && seen == 1, "counter: 4000 adds, none lost, one slot") ;
  memset(name, 'n', sizeof name) ;
  name[MX_COUNTER_NAME_MAX + 1] = 0 ;
  CHECK(mx_counter_add(path, name, 1) == -1 && errno == EINVAL, "counter: an overlong name refused") ;
  unlink(path) ;
  CHECK(mx_counter_each(path, &sum, "x") == -1 && errno == ENOENT, "counter: no file, ENOENT") ;
}

/* the longest line of a field (CRLF excluded), and whether a line is only white space */
static size_t longest (char const *s, size_t n, int *blank)
{
  size_t best = 0 ;
  size_t start = 0 ;
  *blank = 0 ;
  for (size_t i = 0 ; i + 1 < n ; i++)
  {
    if (s[i] != '\r' || s[i + 1] != '\n') continue ;
    size_t len = i - start ;
    size_t k = start ;
    while (k < i && (s[k] == ' ' || s[k] == '\t')) k++ ;
    if (k == i) *blank = 1 ;
    if (len > best) best = len ;
    start = i + 2 ;
  }
  return best ;
}

static void test_fold (void)
{
  char buf[4096] ;
  char word[400] ;
  struct mx_fold f ;
  size_t n ;
  int blank ;
  mx_fold_start(&f, buf, sizeof buf, "X-Test:") ;
  mx_fold_word(&f, "a", 1) ;
  mx_fold_word(&f, "b", 1) ;
  n = mx_fold_end(&f) ;
  CHECK(n == 13 && !memcmp(buf, "X-Test: a b\r\n", 13), "fold: short words stay on one line") ;
  mx_fold_start(&f, buf, sizeof buf, "X-Test:") ;
  for (int i = 0 ; i < 40 ; i++) mx_fold_word(&f, "abcdefghi", 9) ;
  n = mx_fold_end(&f) ;
  CHECK(n && longest(buf, n, &blank) <= MX_FOLD_LINE && !blank, "fold: 40 words, every line at most 78, none blank") ;
  CHECK(n > 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n' && buf[n - 3] == 'i', "fold: ends in CRLF after the last word") ;
  memset(word, 'w', sizeof word) ;
  mx_fold_start(&f, buf, sizeof buf, "X-Test:") ;
  mx_fold_word(&f, "x", 1) ;
  mx_fold_word(&f, word, 300) ;
  mx_fold_word(&f, "y", 1) ;
  n = mx_fold_end(&f) ;
  CHECK(n && longest(buf, n, &blank) == 301 && !blank, "fold: a 300-byte word on its own line (TAB + word)") ;
  CHECK(!memcmp(buf, "X-Test: x\r\n\tw", 13) && !memcmp(buf + 12 + 300, "\r\n\ty\r\n", 6), "fold: folded before and after it") ;
  mx_fold_start(&f, buf, sizeof buf, "X-Test:") ;
  mx_fold_word(&f, "a", 1) ;
  mx_fold_break(&f) ;
  mx_fold_break(&f) ;
  mx_fold_word(&f, "b", 1) ;
  mx_fold_raw(&f, ";", 1) ;
  n = mx_fold_end(&f) ;
  CHECK(n && !memcmp(buf, "X-Test: a\r\n\tb;\r\n", n), "fold: a forced break, once; raw bytes glued") ;
  mx_fold_start(&f, buf, 20, "X-Test:") ;
  mx_fold_word(&f, word, 30) ;
  CHECK(mx_fold_end(&f) == 0, "fold: too small a buffer: 0") ;
}

int main (void)
{
  test_counter() ;
  test_fold() ;
  test_log() ;
  test_report() ;
  test_u64() ;
  test_fnv() ;
  test_write_dir() ;
  test_spawn() ;
  return check_done() ;
}
