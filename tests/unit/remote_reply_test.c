/* remote_reply_test.c: the SMTP reply parser of mxhold-remote. */
#include <stdio.h>
#include <string.h>
#include "deliver/remote.h"
#include "tests/unit/check.h"

static long parse (char const *s, size_t len, unsigned int *code, struct dlv_buf *t, struct remote_ext *x)
{
  t->len = 0 ;
  return remote_reply_parse(s, len, code, t, x) ;
}

int main (void)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  struct remote_ext x ;
  unsigned int code = 0 ;
  long r ;
  char big[REMOTE_LINE_MAX + 10] ;
  struct span st ;

  r = parse("250 ok\r\n", 8, &code, &t, 0) ;
  CHECK(r == 8 && code == 250 && t.len == 6 && !memcmp(t.s, "250 ok", 6), "single line") ;
  r = parse("250 ok\r\n220", 11, &code, &t, 0) ;
  CHECK(r == 8, "consumes only one reply") ;
  r = parse("250 ok", 6, &code, &t, 0) ;
  CHECK(r == 0, "incomplete line: need more") ;
  r = parse("", 0, &code, &t, 0) ;
  CHECK(r == 0, "empty: need more") ;
  r = parse("250-a\r\n250", 10, &code, &t, 0) ;
  CHECK(r == 0, "incomplete multiline: need more") ;
  memset(&x, 0, sizeof x) ;
  r = parse("250-relay hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n", 62, &code, &t, &x) ;
  CHECK(r == 62 && code == 250, "multiline EHLO") ;
  CHECK(x.pipelining && x.starttls && x.size && x.sizemax == 1000, "EHLO keywords") ;
  CHECK(!x.chunking, "no CHUNKING unless offered") ;
  memset(&x, 0, sizeof x) ;
  r = parse("250-relay\r\n250-chunking\r\n250 CHUNKINGX\r\n", 40, &code, &t, &x) ;
  CHECK(r == 40 && x.chunking, "CHUNKING, any case") ;
  memset(&x, 0, sizeof x) ;
  r = parse("250-relay\r\n250 CHUNKINGX\r\n", 26, &code, &t, &x) ;
  CHECK(r == 26 && !x.chunking, "CHUNKINGX is not CHUNKING") ;
  memset(&x, 0, sizeof x) ;
  r = parse("250-relay\r\n250 SMTPUTF8\r\n", 25, &code, &t, &x) ;
  CHECK(r == 25 && x.smtputf8 && !x.chunking, "SMTPUTF8") ;
  memset(&x, 0, sizeof x) ;
  r = parse("250-x\r\n250 size\r\n", 17, &code, &t, &x) ;
  CHECK(r == 17 && x.size && !x.sizemax, "SIZE without a number, lower case") ;
  r = parse("250-x\r\n251 y\r\n", 14, &code, &t, 0) ;
  CHECK(r == -1, "codes differ between lines") ;
  r = parse("25 x\r\n", 6, &code, &t, 0) ;
  CHECK(r == -1, "short code") ;
  r = parse("650 x\r\n", 7, &code, &t, 0) ;
  CHECK(r == -1, "code out of range") ;
  r = parse("250x\r\n", 6, &code, &t, 0) ;
  CHECK(r == -1, "no separator") ;
  r = parse("250\r\n", 5, &code, &t, 0) ;
  CHECK(r == 5 && code == 250, "code alone") ;
  r = parse("550 5.1.1 no\n", 13, &code, &t, 0) ;
  CHECK(r == 13 && code == 550, "bare LF tolerated") ;
  r = parse("550 a\0b\r\n", 9, &code, &t, 0) ;
  CHECK(r == 9 && t.len == 7 && t.s[5] == '?', "NUL inside becomes ?") ;
  memset(big, 'a', sizeof big) ; memcpy(big, "250 ", 4) ;
  r = parse(big, sizeof big, &code, &t, 0) ;
  CHECK(r == -1, "line over REMOTE_LINE_MAX without LF") ;
  big[REMOTE_LINE_MAX + 1] = '\n' ;
  r = parse(big, sizeof big, &code, &t, 0) ;
  CHECK(r == -1, "line over REMOTE_LINE_MAX with LF") ;
  big[REMOTE_LINE_MAX + 1] = 'a' ; big[REMOTE_LINE_MAX - 1] = '\n' ;
  r = parse(big, REMOTE_LINE_MAX, &code, &t, 0) ;
  CHECK(r == REMOTE_LINE_MAX && t.len == REMOTE_TEXT_MAX, "line at the max; text capped") ;
  {
    static char many[(REMOTE_REPLY_LINES_MAX + 2) * 6] ;
    size_t n = 0 ;
    for (int k = 0 ; k <= REMOTE_REPLY_LINES_MAX ; k++) { memcpy(many + n, "250-\r\n", 6) ; n += 6 ; }
    memcpy(many + n, "250 \r\n", 6) ; n += 6 ;
    CHECK(parse(many, n, &code, &t, 0) == -1, "too many lines") ;
  }
  CHECK(dlv_reply_status("550 5.1.1 no such user", 22, &st) && st.len == 5 && !memcmp(st.p, "5.1.1", 5), "enhanced status") ;
  CHECK(!dlv_reply_status("550 no such user", 16, &st), "no enhanced status") ;
  CHECK(!dlv_reply_status("550 4.1.1 x", 11, &st), "class must match the code") ;
  CHECK(!dlv_reply_status("550 5.1.1234 x", 14, &st), "detail too long") ;
  dlv_buf_free(&t) ;
  return check_done() ;
}
