/* rcpt_reply_fuzz.c: mxhold-rcptcheck's reply line parser on arbitrary
   bytes from a customer's server, fed as a stream the way a probe reads
   it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rcptcheck/rcptcheck.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char text[64] ;
  size_t pos = 0 ;
  while (pos < size)
  {
    unsigned int code = 0 ;
    int last = 0 ;
    long r = rcpt_reply_line((char const *)data + pos, size - pos, &code, &last, text, (pos & 1) ? sizeof text : 0) ;
    if (r <= 0) break ;
    if ((size_t)r > size - pos || code < 200 || code > 599) __builtin_trap() ;
    if ((pos & 1) && strlen(text) >= sizeof text) __builtin_trap() ;
    pos += (size_t)r ;
  }
  return 0 ;
}
