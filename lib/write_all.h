/* write_all.h: write every byte or fail, for the libc-only modules. A
   program that links skalibs uses its allwrite() instead. */
#ifndef MXHOLD_LIB_WRITE_ALL_H
#define MXHOLD_LIB_WRITE_ALL_H

#include <stddef.h>

/* Writes n bytes from p to fd, retrying short writes and EINTR.
   0 when all were written, -1 and errno (EPIPE, ENOSPC, EAGAIN on a
   non-blocking fd, ...) otherwise; some bytes may have been written. */
int mx_write_all (int fd, void const *p, size_t n) ;

#endif
