/* rl_conc_test.c: slots of the sessions-at-once limit, held by other
   processes (POSIX locks are per process: each holder is a child), kept
   through an exec, released by the kernel when the holder dies. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ratelimit/rl_conc.h"
#include "tests/unit/check.h"

static char path[] = "/tmp/rl_conc_test.XXXXXX" ;

/* A child that takes one of k's first limit slots on its own fd, says
   its result on a pipe, then holds it: sleeping, or as `sleep` after an
   exec (the fd is not close-on-exec). Returns its pid, *took the result. */
static pid_t holder (struct rl_key const *k, uint64_t limit, int viaexec, int *took)
{
  int p[2] ;
  char c = '?' ;
  pid_t pid ;
  if (pipe(p) == -1) return -1 ;
  pid = fork() ;
  if (!pid)
  {
    int fd = open(path, O_RDWR) ;
    char r = (char)('0' + (fd == -1 ? 9 : rl_conc_take(fd, k, limit))) ;
    if (write(p[1], &r, 1) != 1) _exit(1) ;
    if (viaexec) execlp("sleep", "sleep", "60", (char *)0) ;
    pause() ;
    _exit(0) ;
  }
  close(p[1]) ;
  if (read(p[0], &c, 1) != 1) c = '?' ;
  close(p[0]) ;
  *took = c - '0' ;
  return pid ;
}

static void reap (pid_t pid)
{
  kill(pid, SIGKILL) ;
  waitpid(pid, 0, 0) ;
}

int main (void)
{
  struct rl_key a, b, c6, d6 ;
  pid_t h1, h2, h3 ;
  int took ;
  int tmp = mkstemp(path) ;
  int fd ;
  CHECK(tmp != -1, "a slots file") ;
  fd = open(path, O_RDWR) ;
  CHECK(rl_key_parse("192.0.2.7", 9, &a) && rl_key_parse("192.0.2.8", 9, &b), "keys") ;
  CHECK(rl_key_parse("2001:db8:1:2::1", 15, &c6) && rl_key_parse("2001:db8:1:3::1", 15, &d6), "v6 keys") ;
  CHECK(rl_conc_base(&a) + RL_CONC_SLOTS == rl_conc_base(&b), "IPv4 neighbours: adjacent ranges, no overlap") ;
  CHECK(rl_conc_base(&c6) >= (1ULL << RL_CONC_V6_BITS) * RL_CONC_SLOTS, "an IPv6 /64 above every IPv4 range") ;
  CHECK(rl_conc_base(&c6) != rl_conc_base(&d6), "two /64s: two ranges") ;
  CHECK(rl_conc_base(&c6) % RL_CONC_SLOTS == 0 && rl_conc_base(&c6) < (1ULL << 62), "a range is aligned, inside off_t") ;
  {
    struct rl_key same ;
    rl_key_parse("2001:db8:1:2:ffff::9", 20, &same) ;
    CHECK(rl_conc_base(&same) == rl_conc_base(&c6), "one /64: one range") ;
  }

  h1 = holder(&a, 2, 0, &took) ;
  CHECK(took == 1, "first session of 192.0.2.7: a slot") ;
  CHECK(rl_conc_count(fd, &a, 2) == 1, "count: 1 held") ;
  h2 = holder(&a, 2, 1, &took) ;
  CHECK(took == 1, "second session (then exec'd): a slot") ;
  CHECK(rl_conc_count(fd, &a, 2) == 2, "count: 2 held, one of them through an exec") ;
  h3 = holder(&a, 2, 0, &took) ;
  CHECK(took == 0, "third session with a limit of 2: refused") ;
  reap(h3) ;
  CHECK(rl_conc_take(fd, &b, 2) == 1, "another address is not affected") ;
  CHECK(rl_conc_take(fd, &a, 3) == 1, "a higher limit (a clients override) finds slot 3") ;
  close(fd) ;   /* drops our own locks */
  fd = open(path, O_RDWR) ;
  reap(h1) ;
  CHECK(rl_conc_count(fd, &a, 2) == 1, "a killed holder's slot is free again") ;
  h1 = holder(&a, 2, 0, &took) ;
  CHECK(took == 1, "and taken by the next session") ;
  reap(h1) ;
  reap(h2) ;
  CHECK(rl_conc_count(fd, &a, 2) == 0, "all holders gone: nothing held") ;
  CHECK(rl_conc_take(fd, &a, 0) == 0, "a limit of 0: no slot") ;
  {
    char buf[64] ;
    CHECK(rl_conc_path(buf, sizeof buf, "/x/rl.state", 0, 0) == 0 && !strcmp(buf, "/x/rl.state.slots"), "path: -f STATE gives STATE.slots") ;
    CHECK(rl_conc_path(buf, sizeof buf, 0, "/var/q", 6) == 0 && !strcmp(buf, "/var/q/" RL_CONC_NAME), "path: QUEUE/ratelimit.slots") ;
    CHECK(rl_conc_path(buf, 10, 0, "/var/q", 6) == -1, "path: too long") ;
    CHECK(rl_conc_path(buf, sizeof buf, 0, 0, 0) == -1, "path: none") ;
  }
  close(fd) ;
  close(tmp) ;
  unlink(path) ;
  return check_done() ;
}
