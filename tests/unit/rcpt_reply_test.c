/* rcpt_reply_test.c: rcptcheck/rcpt_reply.c, one reply line. */
#include <string.h>
#include "tests/unit/check.h"
#include "rcptcheck/rcptcheck.h"

static long one (char const *s, unsigned int *code, int *last, char *text, size_t tmax)
{
  return rcpt_reply_line(s, strlen(s), code, last, text, tmax) ;
}

int main (void)
{
  char t[16] ;
  unsigned int code = 0 ;
  int last = -1 ;
  CHECK(one("250 2.1.5 ok\r\n", &code, &last, t, sizeof t) == 14 && code == 250 && last == 1 && !strcmp(t, "250 2.1.5 ok"), "a last line: its length, code, text without CRLF") ;
  CHECK(one("250-PIPELINING\r\n250 X\r\n", &code, &last, t, sizeof t) == 16 && last == 0, "a continued line: not the last, only it consumed") ;
  CHECK(one("550\n", &code, &last, t, sizeof t) == 4 && code == 550 && last == 1, "a bare code, bare LF") ;
  CHECK(one("250 ok", &code, &last, t, sizeof t) == 0, "no LF yet: 0, read more") ;
  CHECK(one("", &code, &last, t, sizeof t) == 0, "empty: 0") ;
  CHECK(one("25\r\n", &code, &last, t, sizeof t) == -1, "a short code: not a reply") ;
  CHECK(one("600 x\r\n", &code, &last, t, sizeof t) == -1, "600: not a reply") ;
  CHECK(one("199 x\r\n", &code, &last, t, sizeof t) == -1, "199: not a reply") ;
  CHECK(one("250x\r\n", &code, &last, t, sizeof t) == -1, "a fourth byte neither space nor dash") ;
  CHECK(one("2a0 x\r\n", &code, &last, t, sizeof t) == -1, "a code that is not digits") ;
  CHECK(one("250 a very long text indeed\r\n", &code, &last, t, sizeof t) == 29 && strlen(t) == sizeof t - 1, "long text is cut to tmax, the line still consumed") ;
  {
    char const s[] = "250 a\0b\x01\r\n" ;
    CHECK(rcpt_reply_line(s, sizeof s - 1, &code, &last, t, sizeof t) == 10 && !memcmp(t, "250 a?b?", 9), "NUL and control bytes become '?'") ;
  }
  CHECK(one("250 x\r\n", &code, &last, t, 0) == 7, "tmax 0: no text written") ;
  return check_done() ;
}
