/* queue_space.h: the free-space floor of the queue (queue_space.c, libc
   + conf). A flood of accepted mail must not fill the filesystem that
   holds the mail accepted before it: below `queue_free_min` bytes free,
   mxhold-queue takes no message (451 4.3.1, RFC 3463 "mail system
   full"), and the senders retry later. */
#ifndef MXHOLD_QUEUE_SPACE_H
#define MXHOLD_QUEUE_SPACE_H

#include <stdint.h>

#define QUEUE_SPACE_REPLY "451 4.3.1 Insufficient system storage, try again later"

/* The floor: queue_free_min of the config, or its default when the
   config cannot be read. */
uint64_t queue_space_min (void) ;
/* Bytes free for an unprivileged writer on the filesystem of dirfd
   (statvfs: f_bavail * f_frsize) into *avail. 0, or -1 with errno. */
int queue_space_avail (int dirfd, uint64_t *avail) ;

#endif
