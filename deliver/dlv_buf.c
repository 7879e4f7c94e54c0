/* dlv_buf.c: a growable byte buffer. libc only (dlv.h). */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
#include "lib/u64.h"
#include "deliver/dlv.h"

int dlv_buf_cat (struct dlv_buf *b, char const *s, size_t len)
{
  if (len > SIZE_MAX - b->len - 1)
  {
    errno = ENOMEM ;
    return -1 ;
  }
  if (b->len + len + 1 > b->a)
  {
    size_t n = b->a ? b->a : 64 ;
    char *p ;
    while (n < b->len + len + 1)
    {
      if (n > SIZE_MAX / 2)
      {
        errno = ENOMEM ;
        return -1 ;
      }
      n *= 2 ;
    }
    p = realloc(b->s, n) ;
    if (!p) return -1 ;
    b->s = p ;
    b->a = n ;
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
  char tmp[MX_U64_FMT] ;
  return dlv_buf_cat(b, tmp, mx_u64_fmt(tmp, u)) ;
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

int dlv_buf_catwait (struct dlv_buf *b, int wstat)
{
  if (WIFEXITED(wstat)) return dlv_buf_cats(b, "exit-") == -1 ? -1 : dlv_buf_catu(b, (uint64_t)WEXITSTATUS(wstat)) ;
  return dlv_buf_cats(b, "signal-") == -1 ? -1 : dlv_buf_catu(b, (uint64_t)WTERMSIG(wstat)) ;
}

void dlv_buf_free (struct dlv_buf *b)
{
  free(b->s) ;
  b->s = 0 ;
  b->len = 0 ;
  b->a = 0 ;
}
