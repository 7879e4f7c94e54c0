/* conf_install.c: put a new config.cdb in place atomically. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "conf/conf_build.h"

#define PATH_BYTES 4096

int conf_build_install (char const *dir, char const *data, size_t len)
{
  char tmp[PATH_BYTES], dst[PATH_BYTES] ;
  size_t dl = strlen(dir), got = 0 ;
  int fd, dfd, e ;
  if (dl + sizeof("/" CONF_CDB ".tmp") > sizeof tmp) return (errno = ENAMETOOLONG, -1) ;
  memcpy(tmp, dir, dl) ; memcpy(tmp + dl, "/" CONF_CDB ".tmp", sizeof("/" CONF_CDB ".tmp")) ;
  memcpy(dst, dir, dl) ; memcpy(dst + dl, "/" CONF_CDB, sizeof("/" CONF_CDB)) ;
  /* Two compiles at once would share the one tmp name: the second's
     O_TRUNC would cut the first's file just before it is renamed into
     place, and readers would see a config with holes. A lock on the
     directory (released at exit, so never stale) makes them take turns. */
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd == -1) return -1 ;
  while (flock(dfd, LOCK_EX) == -1)
    if (errno != EINTR) { e = errno ; close(dfd) ; errno = e ; return -1 ; }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
  if (fd == -1) goto err ;
  while (got < len)
  {
    ssize_t r = write(fd, data + got, len - got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) goto err ;
    got += (size_t)r ;
  }
  /* The data must be on disk before the name points at it, or a crash
     could leave config.cdb empty. */
  if (fsync(fd) == -1) goto err ;
  if (close(fd) == -1) { fd = -1 ; goto err ; }
  fd = -1 ;
  if (rename(tmp, dst) == -1) goto err ;
  if (fsync(dfd) == -1) { e = errno ; close(dfd) ; errno = e ; return -1 ; }
  close(dfd) ;
  return 0 ;
 err:
  e = errno ;
  if (fd != -1) close(fd) ;
  unlink(tmp) ;
  close(dfd) ;
  errno = e ;
  return -1 ;
}
