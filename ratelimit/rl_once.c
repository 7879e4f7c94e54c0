/* rl_once.c: log an outage once per interval across short-lived
   processes. A marker file's mtime is the time of the last line: the
   process that finds it stale (under a non-blocking flock, so two never
   both decide) touches it and logs; every other process stays quiet. */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "lib/fnv.h"
#include "lib/u64.h"
#include "ratelimit/rl_redis.h"

int rl_once (char const *path, unsigned int secs)
{
  struct stat st ;
  struct timespec now ;
  int r = 0 ;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd >= 0)
  {
    close(fd) ;   /* made it: the first of this outage */
    return 1 ;
  }
  if (errno != EEXIST) return -1 ;
  fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (flock(fd, LOCK_EX | LOCK_NB) == -1)
  {
    close(fd) ;
    return 0 ;
  }
  clock_gettime(CLOCK_REALTIME, &now) ;
  /* a clock set back (mtime in the future) counts as stale, or it would
     silence the line for as long as the step */
  if (fstat(fd, &st) == 0 && (st.st_mtime + (time_t)secs <= now.tv_sec || st.st_mtime > now.tv_sec))
  {
    futimens(fd, 0) ;
    r = 1 ;
  }
  close(fd) ;
  return r ;
}

int rl_once_clear (char const *path)
{
  return unlink(path) == 0 ;
}

/* The marker in /dev/shm for this user and this state file. */
static void shm_path (char *path, char const *state, char const *suffix)
{
  uint32_t h = mx_fnv1a32(MX_FNV_BASIS, state, strlen(state)) ;
  size_t n = sizeof RL_ONCE_SHM - 1 ;
  memcpy(path, RL_ONCE_SHM, n) ;
  n += mx_u64_fmt(path + n, geteuid()) ;
  path[n++] = '.' ;
  for (int i = 7 ; i >= 0 ; i--) path[n++] = "0123456789abcdef"[h >> (4 * i) & 15] ;
  memcpy(path + n, suffix, strlen(suffix) + 1) ;
}

/* STATE SUFFIX into path, 1; 0 if there is no state or it is too long. */
static int state_path (char *path, char const *state, char const *suffix)
{
  if (!state[0] || strlen(state) + strlen(suffix) >= RL_ONCE_PATH_MAX) return 0 ;
  memcpy(path, state, strlen(state)) ;
  memcpy(path + strlen(state), suffix, strlen(suffix) + 1) ;
  return 1 ;
}

int rl_once_for (char const *state, char const *suffix, unsigned int secs)
{
  char path[RL_ONCE_PATH_MAX] ;
  int r = state_path(path, state, suffix) ? rl_once(path, secs) : -1 ;
  if (r != -1) return r ;
  shm_path(path, state, suffix) ;
  return rl_once(path, secs) != 0 ;
}

int rl_once_clear_for (char const *state, char const *suffix)
{
  char path[RL_ONCE_PATH_MAX] ;
  int r = state_path(path, state, suffix) && rl_once_clear(path) ;
  shm_path(path, state, suffix) ;
  return rl_once_clear(path) || r ;
}
