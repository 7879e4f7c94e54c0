/* queue_env_fuzz.c: the envelope-header parser on any bytes (a message
   file a crash or a bad disk cut short), its DSN lines, and the check of
   $MXHOLD_DSN. Checks the parser's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "queue/queue.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct queue_env e ;
  char *buf = malloc(size ? size : 1) ;   /* exact size: ASan sees any overread */
  memcpy(buf, data, size) ;
  if (queue_env_parse(buf, size, &e) == 1)
  {
    size_t pos = 0, n = 0 ;
    struct span to ;
    if (e.hdrlen > size || !e.nto) abort() ;
    while (queue_env_to_next(buf, &e, &pos, &to))
    {
      if (to.p < buf || to.p + to.len > buf + e.hdrlen || !to.len) abort() ;
      n++ ;
    }
    if (n != e.nto) abort() ;
    for (size_t r = 0 ; r < n + 1 ; r++)   /* DSN lines: spans inside the header */
    {
      struct span nt ;
      struct span oc ;
      if (queue_env_dsn(buf, &e, r, &nt, &oc) && (nt.p < buf || oc.p + oc.len > buf + e.hdrlen || !nt.len || !oc.len)) abort() ;
    }
    if (queue_env_parse(buf, e.hdrlen, &e) != 1) abort() ;   /* the header alone parses */
  }
  if (queue_dsn_valid(buf, size))   /* what mxhold-queue lets into a header: no LF-less line, no control byte */
  {
    if (size && buf[size - 1] != '\n') abort() ;
    for (size_t k = 0 ; k < size ; k++) if (buf[k] != '\n' && ((unsigned char)buf[k] < 32 || (unsigned char)buf[k] > 126)) abort() ;
  }
  free(buf) ;
  return 0 ;
}
