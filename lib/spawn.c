/* spawn.c: posix_spawn with an exact descriptor set (spawn.h). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include "lib/spawn.h"

#define MX_SPAWN_FDS_MAX 4096   /* without /proc: the highest fd looked at */

extern char **environ ;

#ifdef __GLIBC__
static int close_from (posix_spawn_file_actions_t *fa, int from)
{
  return posix_spawn_file_actions_addclosefrom_np(fa, from) ;
}
#else
/* musl has no addclosefrom_np (issue 18 builds the hot programs with it):
   one close action for each descriptor open now from `from` up, read from
   /proc/self/fd (one getdents); musl's child ignores a close that fails. */
static int close_from (posix_spawn_file_actions_t *fa, int from)
{
  DIR *d = opendir("/proc/self/fd") ;
  struct dirent *e ;
  int err = 0 ;
  if (!d)
  {
    struct rlimit rl ;
    int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MX_SPAWN_FDS_MAX ? (int)rl.rlim_cur : MX_SPAWN_FDS_MAX ;
    for (int fd = from ; fd < max && !err ; fd++)
      if (fcntl(fd, F_GETFD) != -1) err = posix_spawn_file_actions_addclose(fa, fd) ;
    return err ;
  }
  while (!err && (e = readdir(d)))
  {
    char *end ;
    long fd = strtol(e->d_name, &end, 10) ;
    if (*end || end == e->d_name || fd < from || fd == dirfd(d)) continue ;
    err = posix_spawn_file_actions_addclose(fa, (int)fd) ;
  }
  closedir(d) ;
  return err ;
}
#endif

static int actions (posix_spawn_file_actions_t *fa, int const *fds, unsigned int nfds)
{
  int err ;
  /* dups first, closes after: a source that is also a closed slot (a
     pipe end at fd 3 made into fd 4, with fd 3 closed) is read before it
     goes */
  for (unsigned int i = 0 ; i < nfds ; i++)
  {
    if (fds[i] < 0) continue ;
    err = posix_spawn_file_actions_adddup2(fa, fds[i], (int)i) ;
    if (err) return err ;
  }
  for (unsigned int i = 0 ; i < nfds ; i++)
  {
    if (fds[i] >= 0) continue ;
    err = posix_spawn_file_actions_addclose(fa, (int)i) ;
    if (err) return err ;
  }
  return close_from(fa, (int)nfds) ;
}

static int attributes (posix_spawnattr_t *at)
{
  sigset_t all ;
  sigset_t none ;
  int err ;
  sigfillset(&all) ;
  sigemptyset(&none) ;
  err = posix_spawnattr_setsigdefault(at, &all) ;
  if (!err) err = posix_spawnattr_setsigmask(at, &none) ;
  if (!err) err = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) ;
  return err ;
}

int mx_spawn (pid_t *pid, char const *const *argv, int const *fds, unsigned int nfds)
{
  posix_spawn_file_actions_t fa ;
  posix_spawnattr_t at ;
  int err = posix_spawn_file_actions_init(&fa) ;
  if (err) return err ;
  err = posix_spawnattr_init(&at) ;
  if (err)
  {
    posix_spawn_file_actions_destroy(&fa) ;
    return err ;
  }
  err = actions(&fa, fds, nfds) ;
  if (!err) err = attributes(&at) ;
  if (!err) err = posix_spawnp(pid, argv[0], &fa, &at, (char *const *)argv, environ) ;
  posix_spawnattr_destroy(&at) ;
  posix_spawn_file_actions_destroy(&fa) ;
  return err ;
}
