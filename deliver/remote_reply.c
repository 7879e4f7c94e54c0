/* remote_reply.c: SMTP reply parser (RFC 5321 4.2). libc only; every byte
   comes from the downstream, so nothing here trusts termination or length. */
#include <string.h>
#include "lib/u64.h"
#include "deliver/remote.h"

static int ci_prefix (char const *s, size_t len, char const *w)
{
  size_t n = strlen(w) ;
  if (len < n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] ;
    if (c >= 'a' && c <= 'z') c -= 32 ;
    if (c != w[i]) return 0 ;
  }
  return len == n || s[n] == ' ' || s[n] == '=' ;
}

static void ext_line (char const *s, size_t len, struct remote_ext *ext)
{
  if (ci_prefix(s, len, "PIPELINING")) ext->pipelining = 1 ;
  else if (ci_prefix(s, len, "STARTTLS")) ext->starttls = 1 ;
  else if (ci_prefix(s, len, "CHUNKING")) ext->chunking = 1 ;
  else if (ci_prefix(s, len, "SMTPUTF8")) ext->smtputf8 = 1 ;
  else if (ci_prefix(s, len, "DSN")) ext->dsn = 1 ;
  else if (ci_prefix(s, len, "SIZE"))
  {
    uint64_t u = 0 ;
    ext->size = 1 ;
    ext->sizemax = 0 ;
    if (len > 5 && mx_u64_scan_all(s + 5, len - 5, UINT64_MAX, &u)) ext->sizemax = u ;
  }
}

static int text_add (struct dlv_buf *text, char const *s, size_t len)
{
  size_t room ;
  if (text->len >= REMOTE_TEXT_MAX) return 0 ;
  room = REMOTE_TEXT_MAX - text->len ;
  return dlv_buf_catsafe(text, s, len < room ? len : room) ;
}

long remote_reply_parse (char const *s, size_t len, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext)
{
  size_t pos = 0, start = text->len ;
  unsigned int first = 0, lines = 0 ;
  for (;;)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t l, n ;
    unsigned int c ;
    if (!nl)
    {
      if (len - pos > REMOTE_LINE_MAX) goto bad ;
      text->len = start ;
      return 0 ;
    }
    l = (size_t)(nl - (s + pos)) ;
    n = l ;
    if (n && s[pos + n - 1] == '\r') n-- ;
    if (l > REMOTE_LINE_MAX || n < 3 || ++lines > REMOTE_REPLY_LINES_MAX) goto bad ;
    if (s[pos] < '2' || s[pos] > '5' || s[pos+1] < '0' || s[pos+1] > '9' || s[pos+2] < '0' || s[pos+2] > '9') goto bad ;
    c = (unsigned int)(s[pos] - '0') * 100 + (unsigned int)(s[pos+1] - '0') * 10 + (unsigned int)(s[pos+2] - '0') ;
    if (lines == 1) first = c ;
    else if (c != first) goto bad ;
    if (n > 3 && s[pos+3] != ' ' && s[pos+3] != '-') goto bad ;
    if (lines == 1)
    {
      if (text_add(text, s + pos, n) == -1) goto bad ;
    }
    else
    {
      if (text_add(text, " / ", 3) == -1 || text_add(text, s + pos + 4, n > 4 ? n - 4 : 0) == -1) goto bad ;
      if (ext && n > 4) ext_line(s + pos + 4, n - 4, ext) ;
    }
    pos += l + 1 ;
    if (n == 3 || s[pos - l - 1 + 3] == ' ') break ;
  }
  *code = first ;
  return (long)pos ;
 bad:
  text->len = start ;
  if (text->s) text->s[start] = 0 ;
  return -1 ;
}
