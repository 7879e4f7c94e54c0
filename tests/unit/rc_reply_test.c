/* rc_reply_test.c: the SMTP reply parser on edges: split lines, bare LF,
   NUL inside, bad codes, mixed codes, max and max+1 line length and count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

static int fails = 0 ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)

/* Feeds s whole; returns rc_reply_feed's result. */
static int feed (struct rc_reply *r, char const *s, size_t n, size_t *used)
{
  rc_reply_init(r) ;
  return rc_reply_feed(r, s, n, used) ;
}

int main (void)
{
  struct rc_reply r ;
  size_t used ;
  char big[RC_REPLY_LINE_MAX * 2 + 8] ;
  static char many[(RC_REPLY_LINES_MAX + 2) * 8] ;
  size_t i, n ;

  CHECK(feed(&r, "250 ok\r\n", 8, &used) == 1 && r.code == 250 && used == 8 && !strcmp(r.text, "250 ok"), "single line") ;
  CHECK(feed(&r, "250\r\n", 5, &used) == 1 && r.code == 250 && !strcmp(r.text, "250"), "code alone") ;
  CHECK(feed(&r, "", 0, &used) == 0 && used == 0, "empty input needs more") ;
  CHECK(feed(&r, "250 ok", 6, &used) == 0 && used == 0, "no line end yet") ;
  CHECK(feed(&r, "250-a\r\n250-b\r\n250 c\r\n", 21, &used) == 1 && r.lines == 3 && !strcmp(r.text, "250 a b c"), "multiline joined") ;
  CHECK(feed(&r, "250-a\r\n250 b\r\n220 next\r\n", 24, &used) == 1 && used == 14, "stops at the end of the reply") ;
  CHECK(feed(&r, "554 no\n", 7, &used) == 1 && r.code == 554, "bare LF accepted") ;

  /* CRLF split across feeds */
  rc_reply_init(&r) ;
  CHECK(rc_reply_feed(&r, "250-a\r", 6, &used) == 0 && used == 0, "split: half line") ;
  CHECK(rc_reply_feed(&r, "250-a\r\n250 ", 11, &used) == 0 && used == 7, "split: first line consumed") ;
  CHECK(rc_reply_feed(&r, "250 b\r\n", 7, &used) == 1 && r.lines == 2, "split: completed") ;

  errno = 0 ;
  CHECK(feed(&r, "250-a\r\n251 b\r\n", 14, &used) == -1 && errno == EPROTO, "codes differ") ;
  CHECK(feed(&r, "199 x\r\n", 7, &used) == -1, "code below 200") ;
  CHECK(feed(&r, "600 x\r\n", 7, &used) == -1, "code above 599") ;
  CHECK(feed(&r, "2a0 x\r\n", 7, &used) == -1, "letter in code") ;
  CHECK(feed(&r, "25\r\n", 4, &used) == -1, "two digits") ;
  CHECK(feed(&r, "250x\r\n", 6, &used) == -1, "bad separator") ;
  CHECK(feed(&r, "\r\n", 2, &used) == -1, "empty line") ;
  CHECK(feed(&r, "250 a\0b\r\n", 9, &used) == 1 && !strcmp(r.text, "250 a?b"), "NUL inside shown as ?") ;
  CHECK(feed(&r, "250 \x1b[31m\r\n", 11, &used) == 1 && !strchr(r.text, 0x1b), "escape not passed through") ;

  /* line length: RC_REPLY_LINE_MAX with LF is fine, one more is not */
  memset(big, 'x', sizeof big) ;
  memcpy(big, "250 ", 4) ;
  big[RC_REPLY_LINE_MAX - 1] = '\n' ;
  CHECK(feed(&r, big, RC_REPLY_LINE_MAX, &used) == 1 && used == RC_REPLY_LINE_MAX && r.textlen == RC_REPLY_TEXT_MAX, "longest line, text cut for display") ;
  big[RC_REPLY_LINE_MAX - 1] = 'x' ; big[RC_REPLY_LINE_MAX] = '\n' ;
  CHECK(feed(&r, big, RC_REPLY_LINE_MAX + 1, &used) == -1, "line one byte too long") ;
  CHECK(feed(&r, big, RC_REPLY_LINE_MAX - 1, &used) == 0, "long partial line still waits") ;
  CHECK(feed(&r, big, RC_REPLY_LINE_MAX, &used) == -1, "partial line at the maximum without LF fails") ;

  /* line count */
  for (n = 0, i = 0 ; i < RC_REPLY_LINES_MAX - 1 ; i++) { memcpy(many + n, "250-x\r\n", 7) ; n += 7 ; }
  memcpy(many + n, "250 x\r\n", 7) ;
  CHECK(feed(&r, many, n + 7, &used) == 1 && r.lines == RC_REPLY_LINES_MAX, "most lines") ;
  memcpy(many + n, "250-x\r\n250 x\r\n", 14) ;
  CHECK(feed(&r, many, n + 14, &used) == -1, "one line too many") ;

  /* done reply stays done */
  feed(&r, "250 ok\r\n", 8, &used) ;
  CHECK(rc_reply_feed(&r, "garbage\r\n", 9, &used) == 1 && used == 0, "complete reply consumes nothing more") ;
  return fails ? 1 : 0 ;
}
