/* write_all.c: write every byte (write_all.h). */
#include <errno.h>
#include <unistd.h>
#include "lib/write_all.h"

int mx_write_all (int fd, void const *p, size_t n)
{
  char const *s = p ;
  while (n)
  {
    ssize_t w = write(fd, s, n) ;
    if (w < 0)
    {
      if (errno == EINTR) continue ;
      return -1 ;
    }
    s += w ;
    n -= (size_t)w ;
  }
  return 0 ;
}
