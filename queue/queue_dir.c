/* queue_dir.c: where the queue is. libc + conf (conf is libc only). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "queue/queue.h"
#ifndef QUEUE_NO_CONF
#include "conf/conf.h"
#endif

int queue_dir_find (char const *confdir, char *buf, size_t size)
{
  char const *x = getenv(QUEUE_ENV_DIR) ;
  size_t n ;
  if (x && *x)
  {
    n = strlen(x) ;
    if (n + 1 > size)
    {
      errno = ENAMETOOLONG ;
      return -1 ;
    }
    memcpy(buf, x, n + 1) ;
    return 0 ;
  }
#ifdef QUEUE_NO_CONF
  (void)confdir ;
  errno = ENOSYS ;
  return -1 ;
#else
  {
    struct conf c ;
    struct span q ;
    int e = 0 ;
    if (conf_open(&c, confdir) == -1) return -1 ;
    if (!conf_queue(&c, &q) || !q.len) e = ENOENT ;
    else if (q.len + 1 > size || memchr(q.p, 0, q.len)) e = ENAMETOOLONG ;
    else
    {
      memcpy(buf, q.p, q.len) ;
      buf[q.len] = 0 ;
    }
    conf_close(&c) ;
    if (!e) return 0 ;
    errno = e ;
    return -1 ;
  }
#endif
}

void queue_dir_source (char const *confdir, char *buf, size_t size)
{
  char const *x = getenv(QUEUE_ENV_DIR) ;
  char const *a = x && *x ? x : "-" ;
  char const *b = "" ;
  size_t al ;
  size_t bl ;
#ifndef QUEUE_NO_CONF
  if (!(x && *x))
  {
    a = conf_dir(confdir) ;
    b = "/" CONF_CDB ;
  }
#else
  (void)confdir ;
#endif
  if (!size) return ;
  al = strlen(a) ;
  bl = strlen(b) ;
  if (al > size - 1) al = size - 1 ;
  if (bl > size - 1 - al) bl = size - 1 - al ;
  memcpy(buf, a, al) ;
  memcpy(buf + al, b, bl) ;
  buf[al + bl] = 0 ;
}
