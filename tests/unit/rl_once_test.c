/* rl_once_test.c: the once-per-interval marker of ratelimit's outage lines
   (Redis down, state unusable): the first caller logs, the next ones in the
   interval do not, a stale or future mtime logs again, a marker that cannot
   be made says so (-1), and clearing tells whether there was an outage. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ratelimit/rl_redis.h"
#include "tests/unit/check.h"

static void set_mtime (char const *path, long delta)
{
  struct timeval tv[2] ;
  gettimeofday(&tv[0], 0) ;
  tv[0].tv_sec += delta ;
  tv[1] = tv[0] ;
  utimes(path, tv) ;
}

int main (void)
{
  char dir[] = "/tmp/mxhold-rl-once.XXXXXX" ;
  char path[64] ;
  int logged = 0 ;
  CHECK(mkdtemp(dir) != 0, "a scratch directory") ;
  memcpy(path, dir, strlen(dir)) ;
  memcpy(path + strlen(dir), "/m", 3) ;
  CHECK(rl_once(path, 60) == 1, "no marker: log") ;
  CHECK(rl_once(path, 60) == 0, "a fresh marker: quiet") ;
  CHECK(rl_once(path, 60) == 0, "still quiet") ;
  set_mtime(path, -61) ;
  CHECK(rl_once(path, 60) == 1, "61 s later: log again") ;
  CHECK(rl_once(path, 60) == 0, "and then quiet") ;
  set_mtime(path, 3600) ;
  CHECK(rl_once(path, 60) == 1, "an mtime in the future (clock set back): log") ;
  set_mtime(path, -61) ;
  for (int p = 0 ; p < 20 ; p++)
    if (fork() == 0) _exit(rl_once(path, 60) == 1) ;
  for (int p = 0 ; p < 20 ; p++)
  {
    int st ;
    wait(&st) ;
    if (WIFEXITED(st)) logged += WEXITSTATUS(st) ;
  }
  CHECK(logged == 1, "20 processes at once on a stale marker: exactly one logs") ;
  CHECK(rl_once_clear(path) == 1, "clear: there was an outage") ;
  CHECK(rl_once_clear(path) == 0, "clear again: none") ;
  CHECK(rl_once("/nonexistent-dir/m", 60) == -1, "a marker that cannot be made: -1") ;
  rl_once_clear_for("/nonexistent-dir/state", ".test") ;
  CHECK(rl_once_for("/nonexistent-dir/state", ".test", 60) == 1, "for a state whose directory is unwritable: the /dev/shm marker, first logs") ;
  CHECK(rl_once_for("/nonexistent-dir/state", ".test", 60) == 0, "then quiet") ;
  CHECK(rl_once_for("/nonexistent-dir/other", ".test", 60) == 1, "another state file has its own") ;
  CHECK(rl_once_clear_for("/nonexistent-dir/state", ".test") == 1 && rl_once_clear_for("/nonexistent-dir/state", ".test") == 0, "cleared once") ;
  rl_once_clear_for("/nonexistent-dir/other", ".test") ;
  memcpy(path + strlen(dir), "/st", 4) ;
  CHECK(rl_once_for(path, ".x", 60) == 1, "a writable directory: logs") ;
  memcpy(path + strlen(dir), "/st.x", 6) ;
  CHECK(access(path, F_OK) == 0, "with the marker beside the state") ;
  unlink(path) ;
  rmdir(dir) ;
  return check_done() ;
}
