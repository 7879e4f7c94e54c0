/* remote_reply_fuzz.c: mxhold-remote's SMTP reply parser on arbitrary
   downstream bytes, fed as a stream the way remote reads it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "deliver/remote.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  struct remote_ext x ;
  char const *s = (char const *)data ;
  size_t pos = 0 ;
  memset(&x, 0, sizeof x) ;
  while (pos < size)
  {
    unsigned int code = 0 ;
    long r ;
    t.len = 0 ;
    r = remote_reply_parse(s + pos, size - pos, &code, &t, &x) ;
    if (r <= 0) break ;
    if ((size_t)r > size - pos || code < 200 || code > 599 || t.len > REMOTE_TEXT_MAX) __builtin_trap() ;
    { struct span st ; if (t.s) dlv_reply_status(t.s, t.len, &st) ; }
    pos += (size_t)r ;
  }
  dlv_buf_free(&t) ;
  return 0 ;
}
