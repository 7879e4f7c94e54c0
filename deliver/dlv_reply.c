/* dlv_reply.c: the enhanced status code of an SMTP reply (RFC 3463).
   libc only (dlv.h). */
#include <string.h>
#include "deliver/dlv.h"

/* "X.Y.Z" with X in 2,4,5, Y 1..3 digits, Z 1..3 digits (RFC 3463). */
static size_t status_len (char const *s, size_t len)
{
  size_t i = 1, n ;
  if (!len || (s[0] != '2' && s[0] != '4' && s[0] != '5')) return 0 ;
  for (int part = 0 ; part < 2 ; part++)
  {
    if (i >= len || s[i] != '.') return 0 ;
    i++ ;
    for (n = 0 ; i < len && s[i] >= '0' && s[i] <= '9' ; i++, n++) ;
    if (!n || n > 3) return 0 ;
  }
  if (i < len && s[i] != ' ') return 0 ;
  return i ;
}

int dlv_reply_status (char const *s, size_t len, struct span *st)
{
  size_t n ;
  if (len < 5 || (s[3] != ' ' && s[3] != '-')) return 0 ;
  n = status_len(s + 4, len - 4) ;
  if (!n || s[4] != s[0]) return 0 ;
  st->p = s + 4 ;
  st->len = n ;
  return 1 ;
}
