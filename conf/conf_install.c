/* conf_install.c: mxhold-conf's file I/O: read the text files of the
   config directory, put a new config.cdb in place atomically. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include "conf/conf_build.h"

#define PATH_BYTES 4096

/* Reads DIR/NAME whole. 1 read (*data malloced), 0 missing, -1 + errno. */
static int slurp (char const *path, char **data, size_t *len)
{
  struct stat st ;
  size_t got = 0 ;
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) goto err ;
  if (st.st_size < 0 || (uint64_t)st.st_size > CONF_FILE_MAX_BYTES) { errno = EFBIG ; goto err ; }
  *data = malloc((size_t)st.st_size + 1) ;
  if (!*data) goto err ;
  while (got < (size_t)st.st_size)
  {
    ssize_t r = read(fd, *data + got, (size_t)st.st_size - got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) { free(*data) ; goto err ; }
    if (!r) break ;   /* shrank while we read: take what is there */
    got += (size_t)r ;
  }
  close(fd) ;
  *len = got ;
  return 1 ;
 err:
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
  }
  return -1 ;
}

int conf_build_dir (struct conf_build *b, char const *dir)
{
  unsigned int f ;
  size_t dl = strlen(dir) ;
  b->dir = dir ;
  for (f = 0 ; f < CONF_F_N ; f++)
  {
    char path[PATH_BYTES] ;
    char *data ;
    size_t nl = strlen(conf_build_filename((enum conf_file)f)), len ;
    int r ;
    if (dl + 1 + nl >= sizeof path) return (errno = ENAMETOOLONG, -1) ;
    memcpy(path, dir, dl) ; path[dl] = '/' ; memcpy(path + dl + 1, conf_build_filename((enum conf_file)f), nl + 1) ;
    r = slurp(path, &data, &len) ;
    if (r == -1) return -1 ;
    if (!r) continue ;
    r = conf_build_text(b, (enum conf_file)f, path, data, len) ;
    free(data) ;
    if (r == -1) return -1 ;
  }
  return 0 ;
}

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
