/* smtp_log.c: one line per event on stderr, "smtpd: info: ...". libc
   only. Network bytes are never logged raw. */
#include <string.h>
#include <unistd.h>
#include "smtpd/smtpd.h"

#define SMTPD_LOG_FIELD_MAX 300   /* one logged network field, bytes */

static void cat (struct smtp_log *l, char const *s, size_t n)
{
  size_t room = sizeof l->buf - 1 - l->len ;   /* keep one byte for the LF */
  if (n > room) n = room ;
  memcpy(l->buf + l->len, s, n) ;
  l->len += n ;
}

void smtp_log_start (struct smtp_log *l, char const *level)
{
  l->len = 0 ;
  smtp_log_s(l, "smtpd: ") ;
  smtp_log_s(l, level) ;
  smtp_log_s(l, ": ") ;
}

void smtp_log_s (struct smtp_log *l, char const *s)
{
  cat(l, s, strlen(s)) ;
}

void smtp_log_safe (struct smtp_log *l, char const *s, size_t n)
{
  size_t i ;
  if (n > SMTPD_LOG_FIELD_MAX) n = SMTPD_LOG_FIELD_MAX ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    char o = c >= 33 && c <= 126 ? (char)c : '?' ;
    cat(l, &o, 1) ;
  }
}

void smtp_log_u (struct smtp_log *l, uint64_t u)
{
  char b[20] ;
  size_t i = sizeof b ;
  do { b[--i] = (char)('0' + u % 10) ; u /= 10 ; } while (u) ;
  cat(l, b + i, sizeof b - i) ;
}

void smtp_log_end (struct smtp_log *l)
{
  l->buf[l->len++] = '\n' ;
  if (write(2, l->buf, l->len) < 0) { /* nowhere else to say it */ }
  l->len = 0 ;
}
