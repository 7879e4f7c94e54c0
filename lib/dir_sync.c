/* dir_sync.c: fsync a directory by name (dir_sync.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "lib/dir_sync.h"

int mx_dir_sync (int dirfd, char const *path)
{
  int e ;
  int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (fsync(fd) == -1)
  {
    e = errno ;
    close(fd) ;
    errno = e ;
    return -1 ;
  }
  close(fd) ;
  return 0 ;
}
