/* rc_reply.c: parse an SMTP reply (RFC 5321 4.2) from untrusted bytes.
   libc only. Lines may end in CRLF or bare LF (we are the client, and being
   lenient costs nothing here); everything else is checked. */

#include <errno.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

void rc_reply_init (struct rc_reply *r)
{
  r->code = 0 ;
  r->lines = 0 ;
  r->done = 0 ;
  r->textlen = 0 ;
  r->text[0] = 0 ;
}

/* Appends b to the display text, unsafe bytes as '?', quietly cut at the
   display maximum (the text is for people; parsing never depends on it). */
static void text_add (struct rc_reply *r, char const *b, size_t n)
{
  size_t i ;
  for (i = 0 ; i < n && r->textlen < RC_REPLY_TEXT_MAX ; i++)
  {
    unsigned char ch = (unsigned char)b[i] ;
    r->text[r->textlen++] = (ch >= 32 && ch <= 126) ? (char)ch : '?' ;
  }
  r->text[r->textlen] = 0 ;
}

/* One line without its LF (and CR). 1 final, 0 continuation, -1 bad. */
static int line_take (struct rc_reply *r, char const *s, size_t n)
{
  unsigned code ;
  int final ;
  if (n && s[n-1] == '\r') n-- ;
  if (n < 3) return -1 ;
  if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9') return -1 ;
  code = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0') ;
  if (n == 3 || s[3] == ' ') final = 1 ;
  else if (s[3] == '-') final = 0 ;
  else return -1 ;
  if (r->lines && code != r->code) return -1 ;
  if (r->lines >= RC_REPLY_LINES_MAX) return -1 ;
  if (!r->lines)
  {
    r->code = code ;
    text_add(r, s, 3) ;
  }
  r->lines++ ;
  if (n > 4)
  {
    text_add(r, " ", 1) ;
    text_add(r, s + 4, n - 4) ;
  }
  return final ;
}

int rc_reply_feed (struct rc_reply *r, char const *s, size_t len, size_t *used)
{
  size_t pos = 0 ;
  *used = 0 ;
  if (r->done) return 1 ;
  while (pos < len)
  {
    char const *lf = memchr(s + pos, '\n', len - pos) ;
    size_t n ;
    int f ;
    if (!lf)
    {
      /* no end of line yet: fine unless it is already too long */
      if (len - pos >= RC_REPLY_LINE_MAX)
      {
        errno = EPROTO ;
        return -1 ;
      }
      break ;
    }
    n = (size_t)(lf - (s + pos)) ;
    if (n + 1 > RC_REPLY_LINE_MAX)
    {
      errno = EPROTO ;
      return -1 ;
    }
    f = line_take(r, s + pos, n) ;
    if (f < 0)
    {
      errno = EPROTO ;
      return -1 ;
    }
    pos += n + 1 ;
    *used = pos ;
    if (f)
    {
      r->done = 1 ;
      return 1 ;
    }
  }
  return 0 ;
}
