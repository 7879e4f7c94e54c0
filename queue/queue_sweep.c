/* queue_sweep.c: garbage a crash can leave in the queue. libc only, so
   mxhold-deliver can call it at startup as well as mxhold-queuectl sweep. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "queue/queue.h"

/* tmp/: only files older than QUEUE_TMP_STALE_SECS; a younger one may
   belong to a slow writer that is still at work (qmail's rule). */
static int sweep_tmp (int qfd, char const *q, int64_t now, void (*report)(char const *, void *), void *ctx)
{
  int n = 0 ;
  int fd = openat(qfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  DIR *d ;
  struct dirent *de ;
  if (fd == -1) return -1 ;
  d = fdopendir(fd) ;
  if (!d)
  {
    close(fd) ;
    return -1 ;
  }
  while ((errno = 0, de = readdir(d)))
  {
    struct stat st ;
    char path[QUEUE_PATH_MAX] ;
    if (de->d_name[0] == '.') continue ;
    if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) continue ;   /* vanished */
    if (!S_ISREG(st.st_mode)) continue ;
    if ((int64_t)st.st_mtime > now - QUEUE_TMP_STALE_SECS) continue ;
    if (unlinkat(fd, de->d_name, 0) == -1) continue ;
    n++ ;
    if (report && queue_path(path, sizeof path, q, "tmp", de->d_name, 0) >= 0) report(path, ctx) ;
  }
  closedir(d) ;
  return n ;
}

/* state/HH/: a state file whose message is gone (neither in mess/ nor in
   new/). Only well-formed ids: anything else is not ours to judge. */
static int sweep_state (int qfd, char const *q, void (*report)(char const *, void *), void *ctx)
{
  int n = 0 ;
  for (unsigned h = 0 ; h < QUEUE_SPLIT ; h++)
  {
    char sub[16] = "state/00" ;
    int fd ;
    DIR *d ;
    struct dirent *de ;
    sub[6] = "0123456789abcdef"[h >> 4] ;
    sub[7] = "0123456789abcdef"[h & 15] ;
    fd = openat(qfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (fd == -1)
    {
      if (errno == ENOENT) continue ;
      return -1 ;
    }
    d = fdopendir(fd) ;
    if (!d)
    {
      close(fd) ;
      return -1 ;
    }
    while ((de = readdir(d)))
    {
      char mess[QUEUE_PATH_MAX] ;
      char path[QUEUE_PATH_MAX] ;
      size_t len = strlen(de->d_name) ;
      if (!queue_id_valid(de->d_name, len)) continue ;
      /* new/ too: deliver puts a message it could not load back into new/
         (to retry it) with its state. new/ first, mess/ second: a
         running deliver moves messages from new/ to mess/, so one in
         transit is seen in one or the other */
      if (queue_path_new(mess, sizeof mess, 0, de->d_name) == -1) continue ;
      if (faccessat(qfd, mess, F_OK, AT_EACCESS) == 0 || errno != ENOENT) continue ;
      if (queue_path_mess(mess, sizeof mess, 0, de->d_name) == -1) continue ;
      if (faccessat(qfd, mess, F_OK, AT_EACCESS) == 0 || errno != ENOENT) continue ;
      if (unlinkat(fd, de->d_name, 0) == -1) continue ;
      n++ ;
      if (report && queue_path(path, sizeof path, q, sub, de->d_name, 0) >= 0) report(path, ctx) ;
    }
    closedir(d) ;
  }
  return n ;
}

int queue_sweep (char const *q, int64_t now, void (*report)(char const *path, void *ctx), void *ctx)
{
  int a ;
  int b ;
  int qfd = open(q, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (qfd == -1) return -1 ;
  a = sweep_tmp(qfd, q, now, report, ctx) ;
  b = a == -1 ? -1 : sweep_state(qfd, q, report, ctx) ;
  close(qfd) ;
  if (a == -1 || b == -1) return -1 ;
  return a + b ;
}
