/* spawn.c: posix_spawn with an exact descriptor set (spawn.h). */
#include <signal.h>
#include <spawn.h>
#include "lib/spawn.h"

extern char **environ ;

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
  return posix_spawn_file_actions_addclosefrom_np(fa, (int)nfds) ;
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
