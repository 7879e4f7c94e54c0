/* conf_install.c: mxhold-conf's file I/O: read the text files of the
   config directory, put a new config.cdb in place atomically. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>      /* rename */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "lib/dir_sync.h"
#include "lib/write_all.h"
#include "conf/conf_build.h"
#include "conf/conf_value.h"

/* Closes fd, keeping errno; returns -1. */
static int close_fail (int fd)
{
  int e = errno ;
  close(fd) ;
  errno = e ;
  return -1 ;
}

/* Reads path whole. 1 read (*data malloced), 0 missing, -1 + errno. */
static int slurp (char const *path, char **data, size_t *len)
{
  struct stat st ;
  size_t got = 0 ;
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) return close_fail(fd) ;
  if (st.st_size < 0 || (uint64_t)st.st_size > CONF_FILE_MAX_BYTES)
  {
    errno = EFBIG ;
    return close_fail(fd) ;
  }
  *data = malloc((size_t)st.st_size + 1) ;
  if (!*data) return close_fail(fd) ;
  while (got < (size_t)st.st_size)
  {
    ssize_t r = read(fd, *data + got, (size_t)st.st_size - got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1)
    {
      free(*data) ;
      return close_fail(fd) ;
    }
    if (!r) break ;   /* shrank while we read: take what is there */
    got += (size_t)r ;
  }
  close(fd) ;
  *len = got ;
  return 1 ;
}

/* recipients/DOMAIN of every recipients=list domain (conf_rcpt.c checks
   the lines) */
int conf_rcpt_files (struct conf_build *b, char const *dir)
{
  char rel[sizeof CONF_RCPT_DIR + 1 + CONF_HOST_MAX + 1] ;
  char dpath[CONF_PATH_MAX] ;
  size_t i ;
  for (i = 0 ; i < b->nrdoms ; i++)
  {
    char *data ;
    size_t len ;
    int r ;
    memcpy(rel, CONF_RCPT_DIR "/", sizeof CONF_RCPT_DIR) ;
    memcpy(rel + sizeof CONF_RCPT_DIR, b->rdoms[i].name, strlen(b->rdoms[i].name) + 1) ;
    if (conf_path(b->path, dir, rel) == -1) return -1 ;
    r = slurp(b->path, &data, &len) ;
    if (r == -1) return -1 ;
    if (!r)
    {
      char msg[CONF_MSG_BYTES] ;
      struct conf_obuf o = { msg, 0, sizeof msg - 1, 0 } ;
      conf_obuf_puts(&o, "recipients=list but no file ") ;
      conf_obuf_puts(&o, b->path) ;
      msg[o.len] = 0 ;
      if (conf_path(dpath, dir, conf_build_filename(CONF_F_DOMAINS)) == -1) return -1 ;
      conf_build_fail(b, dpath, b->rdoms[i].line, msg, 0) ;
      continue ;
    }
    b->rdom = b->rdoms[i].name ;
    r = conf_build_text(b, CONF_F_RCPTS, b->path, data, len) ;
    free(data) ;
    if (r == -1) return -1 ;
  }
  b->path[0] = 0 ;
  return 0 ;
}

int conf_build_dir (struct conf_build *b, char const *dir)
{
  b->dir = dir ;
  for (unsigned int f = 0 ; f < CONF_F_N ; f++)
  {
    char *data ;
    size_t len ;
    int r ;
    if (conf_path(b->path, dir, conf_build_filename((enum conf_file)f)) == -1) return -1 ;
    r = slurp(b->path, &data, &len) ;
    if (r == -1) return -1 ;
    if (!r) continue ;
    r = conf_build_text(b, (enum conf_file)f, b->path, data, len) ;
    free(data) ;
    if (r == -1) return -1 ;
  }
  return conf_rcpt_files(b, dir) ;
}

int conf_build_install (char const *dir, char const *data, size_t len)
{
  char tmp[CONF_PATH_MAX] ;
  char dst[CONF_PATH_MAX] ;
  int fd ;
  int dfd ;
  if (conf_path(tmp, dir, CONF_CDB ".tmp") == -1) return -1 ;
  if (conf_path(dst, dir, CONF_CDB) == -1) return -1 ;
  /* Two compiles at once would share the one tmp name: the second's
     O_TRUNC would cut the first's file just before it is renamed into
     place, and readers would see a config with holes. A lock on the
     directory (released at exit, so never stale) makes them take turns. */
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd == -1) return -1 ;
  while (flock(dfd, LOCK_EX) == -1)
    if (errno != EINTR) return close_fail(dfd) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
  if (fd == -1) goto err ;
  /* The data must be on disk before the name points at it, or a crash
     could leave config.cdb empty. */
  if (mx_write_all(fd, data, len) == -1 || fsync(fd) == -1)
  {
    close_fail(fd) ;
    goto err ;
  }
  if (close(fd) == -1) goto err ;
  if (rename(tmp, dst) == -1) goto err ;
  /* the rename reaches the disk (doc/design.md, "Crash safety") */
  if (mx_dir_sync(dfd, ".") == -1) return close_fail(dfd) ;
  close(dfd) ;
  return 0 ;
 err:
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
  }
  return close_fail(dfd) ;
}
