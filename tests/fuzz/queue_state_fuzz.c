/* queue_state_fuzz.c: the state-file parser on any bytes, and the
   formatter's round trip on what it accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "queue/queue.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct queue_state st, back ;
  char line[QUEUE_STATE_LINE_MAX] ;
  char *buf = malloc(size ? size : 1) ;
  size_t pos = 0 ;
  memcpy(buf, data, size) ;
  while (queue_state_next(buf, size, &pos, &st))
  {
    size_t n ;
    if (pos > size) abort() ;
    n = queue_state_fmt(line, sizeof line, &st) ;
    if (!n || line[n - 1] != '\n') abort() ;
    if (!queue_state_parse(line, n - 1, &back)) abort() ;
    if (back.index != st.index || back.status != st.status || back.attempts != st.attempts
     || back.next != st.next || back.last != st.last) abort() ;
  }
  free(buf) ;
  return 0 ;
}
