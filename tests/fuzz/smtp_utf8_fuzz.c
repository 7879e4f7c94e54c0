/* smtp_utf8_fuzz.c: UTF-8 validation and A-labels. Invariants: what the
   validator accepts encodes back to the same bytes (so no overlong form,
   surrogate or code point above U+10FFFF gets through), and an A-label
   result is ASCII, NUL-terminated and fits its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd/smtp_utf8.h"

static size_t encode (uint32_t c, unsigned char *o)
{
  if (c < 0x80)
  {
    o[0] = (unsigned char)c ;
    return 1 ;
  }
  if (c < 0x800)
  {
    o[0] = (unsigned char)(0xc0 | c >> 6) ;
    o[1] = (unsigned char)(0x80 | (c & 0x3f)) ;
    return 2 ;
  }
  if (c < 0x10000)
  {
    o[0] = (unsigned char)(0xe0 | c >> 12) ;
    o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f)) ;
    o[2] = (unsigned char)(0x80 | (c & 0x3f)) ;
    return 3 ;
  }
  o[0] = (unsigned char)(0xf0 | c >> 18) ;
  o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f)) ;
  o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f)) ;
  o[3] = (unsigned char)(0x80 | (c & 0x3f)) ;
  return 4 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *copy = malloc(size ? size : 1) ;   /* exact size: ASan sees overreads */
  char out[256] ;
  size_t i = 0 ;
  size_t n ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  while (i < size)
  {
    uint32_t cp ;
    unsigned char re[4] ;
    size_t k = smtp_utf8_char(copy + i, size - i, &cp) ;
    if (!k) break ;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) abort() ;
    if (encode(cp, re) != k || memcmp(re, copy + i, k)) abort() ;   /* shortest form only */
    i += k ;
  }
  if ((i == size) != smtp_utf8_valid((struct span){ copy, size })) abort() ;
  n = smtp_utf8_alabels((struct span){ copy, size }, out, sizeof out) ;
  if (n)
  {
    if (n >= sizeof out || out[n]) abort() ;
    for (i = 0 ; i < n ; i++) if ((unsigned char)out[i] >= 0x80) abort() ;
  }
  free(copy) ;
  return 0 ;
}
