/* fnv.c: FNV-1a, 32 bits (fnv.h). */
#include "lib/fnv.h"

#define MX_FNV_PRIME 16777619u

uint32_t mx_fnv1a32 (uint32_t h, void const *p, size_t n)
{
  unsigned char const *s = p ;
  while (n--)
  {
    h ^= *s++ ;
    h *= MX_FNV_PRIME ;
  }
  return h ;
}
