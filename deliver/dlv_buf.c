/* dlv_buf.c: a growable byte buffer and a checked decimal scanner. libc only. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "deliver/dlv.h"

int dlv_buf_cat (struct dlv_buf *b, char const *s, size_t len)
{
  if (len > SIZE_MAX - b->len - 1) { errno = ENOMEM ; return -1 ; }
  if (b->len + len + 1 > b->a)
  {
    size_t n = b->a ? b->a : 64 ;
    char *p ;
    while (n < b->len + len + 1) { if (n > SIZE_MAX / 2) { errno = ENOMEM ; return -1 ; } n *= 2 ; }
    p = realloc(b->s, n) ;
    if (!p) return -1 ;
    b->s = p ; b->a = n ;
  }
  if (len) memcpy(b->s + b->len, s, len) ;
  b->len += len ;
  b->s[b->len] = 0 ;   /* always terminated, for the callers that pass it to libc */
  return 0 ;
}

int dlv_buf_cats (struct dlv_buf *b, char const *s)
{
  return dlv_buf_cat(b, s, strlen(s)) ;
}

int dlv_buf_catu (struct dlv_buf *b, uint64_t u)
{
  char tmp[20] ;
  size_t i = sizeof tmp ;
  do { tmp[--i] = '0' + (char)(u % 10) ; u /= 10 ; } while (u) ;
  return dlv_buf_cat(b, tmp + i, sizeof tmp - i) ;
}

int dlv_buf_catsafe (struct dlv_buf *b, char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len)
  {
    size_t j = i ;
    while (j < len && (unsigned char)s[j] >= 32 && (unsigned char)s[j] <= 126) j++ ;
    if (dlv_buf_cat(b, s + i, j - i) == -1) return -1 ;
    if (j < len && dlv_buf_cat(b, "?", 1) == -1) return -1 ;
    i = j + 1 ;
  }
  return 0 ;
}

void dlv_buf_free (struct dlv_buf *b)
{
  free(b->s) ;
  b->s = 0 ; b->len = b->a = 0 ;
}

size_t dlv_scan_u64 (char const *s, size_t len, uint64_t *u)
{
  uint64_t r = 0 ;
  size_t i = 0 ;
  for (; i < len && s[i] >= '0' && s[i] <= '9' ; i++)
  {
    unsigned int d = (unsigned int)(s[i] - '0') ;
    if (r > (UINT64_MAX - d) / 10) return 0 ;
    r = r * 10 + d ;
  }
  if (i) *u = r ;
  return i ;
}
