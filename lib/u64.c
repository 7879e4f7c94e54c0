/* u64.c: decimal uint64_t (u64.h). */
#include "lib/u64.h"

size_t mx_u64_fmt (char *s, uint64_t u)
{
  char b[MX_U64_FMT] ;
  size_t i = sizeof b ;
  size_t n ;
  do
  {
    b[--i] = (char)('0' + u % 10) ;
    u /= 10 ;
  } while (u) ;
  n = sizeof b - i ;
  for (size_t k = 0 ; k < n ; k++) s[k] = b[i + k] ;
  return n ;
}

int mx_u64_scan_all (char const *s, size_t len, uint64_t max, uint64_t *u)
{
  uint64_t v = 0 ;
  if (!len) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int d = (unsigned char)s[i] - '0' ;
    if (d > 9) return 0 ;
    if (v > (max - d) / 10) return 0 ;   /* v * 10 + d would pass max */
    v = v * 10 + d ;
  }
  *u = v ;
  return 1 ;
}
