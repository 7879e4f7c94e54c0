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
    if (n + 1 > size) { errno = ENAMETOOLONG ; return -1 ; }
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
    if (conf_open(&c, confdir) == -1) return -1 ;
    if (!conf_queue(&c, &q) || !q.len) { conf_close(&c) ; errno = ENOENT ; return -1 ; }
    if (q.len + 1 > size || memchr(q.p, 0, q.len)) { conf_close(&c) ; errno = ENAMETOOLONG ; return -1 ; }
    memcpy(buf, q.p, q.len) ;
    buf[q.len] = 0 ;
    conf_close(&c) ;
    return 0 ;
  }
#endif
}
