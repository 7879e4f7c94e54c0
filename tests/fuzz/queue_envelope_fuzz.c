/* queue_envelope_fuzz.c: the writer's qmail-queue envelope reader
   (queue_env_read) on any bytes, through a memfd as its fd 1 would be.
   Whatever it accepts must give a header that the reader's parser
   (queue_env_parse) accepts with the same sender (the one the writer
   logs) and the same recipients. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "queue/queue.h"
#include "queue/queue_write.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct queue_hdr h ;
  struct queue_env e ;
  char const *err ;
  int r ;
  int fd = memfd_create("env", MFD_CLOEXEC) ;
  if (fd == -1) return 0 ;
  if (size && write(fd, data, size) != (ssize_t)size)
  {
    close(fd) ;
    return 0 ;
  }
  lseek(fd, 0, SEEK_SET) ;
  if (queue_hdr_start(&h, 1795800000, "192.0.2.1", "helo", "pass") == -1) abort() ;
  r = queue_env_read(&h, fd, &err) ;
  close(fd) ;
  if (r == 1)
  {
    size_t pos = 0 ;
    size_t n = 0 ;
    struct span to ;
    if (queue_env_parse(h.s, h.len, &e) != 1 || e.hdrlen != h.len || e.nto != h.nrcpt) abort() ;
    if (e.from.len != h.fromlen || (h.fromlen && e.from.p != h.s + h.fromoff)) abort() ;
    while (queue_env_to_next(h.s, &e, &pos, &to))
    {
      for (size_t i = 0 ; i < to.len ; i++) if ((unsigned char)to.p[i] < 33) abort() ;
      if (to.len > QUEUE_ADDR_MAX) abort() ;
      n++ ;
    }
    if (n != h.nrcpt) abort() ;
  }
  else if ((r == -2 || r == 0) && !err) abort() ;
  free(h.s) ;
  return 0 ;
}
