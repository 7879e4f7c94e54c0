/* rl_once.c: log an outage once per interval across short-lived
   processes. A marker file's mtime is the time of the last line: the
   process that finds it stale (under a non-blocking flock, so two never
   both decide) touches it and logs; every other process stays quiet. */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
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
