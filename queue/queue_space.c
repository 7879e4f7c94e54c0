/* queue_space.c: the free-space floor (queue_space.h). */
#include <sys/statvfs.h>
#include "conf/conf.h"
#include "queue/queue_space.h"

uint64_t queue_space_min (void)
{
  struct conf c ;
  struct conf_limits l ;
  if (conf_open(&c, 0) == -1) return conf_limit_default(CONF_LIMIT_queue_free_min) ;
  conf_limits_get(&c, 0, &l, 0) ;
  conf_close(&c) ;
  return CONF_LIM(&l, queue_free_min) ;
}

int queue_space_avail (int dirfd, uint64_t *avail)
{
  struct statvfs st ;
  if (fstatvfs(dirfd, &st) == -1) return -1 ;
  *avail = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize ;
  return 0 ;
}
