/* smtp_data_test.c: the DATA state machine, fed in pieces of every size
   (so CRLF and CRLF.CRLF split across reads are covered). */
#include <stdio.h>
#include <string.h>
#include "smtpd/smtp_data.h"
#include "tests/unit/check.h"

static char got[8192] ;
static size_t gotlen ;
static uint64_t gotsize ;   /* the last run's d.size */

static int sink (void *ctx, char const *p, size_t n)
{
  (void)ctx ;
  if (n > sizeof got - gotlen) return -1 ;
  memcpy(got + gotlen, p, n) ;
  gotlen += n ;
  return 0 ;
}

/* Feeds in, chunk bytes at a time; returns consumed, sets *err, *bytes. */
static size_t run (char const *in, size_t n, size_t chunk, uint64_t max, uint64_t hops, unsigned *err, uint64_t *bytes, int *done)
{
  struct smtp_data d ;
  char buf[7] ;   /* tiny, so the sink is called often */
  size_t pos = 0 ;
  gotlen = 0 ;
  *done = 0 ;
  smtp_data_init(&d, max, hops, buf, sizeof buf, &sink, 0) ;
  while (pos < n && !*done)
  {
    size_t k = n - pos < chunk ? n - pos : chunk ;
    pos += smtp_data_feed(&d, in + pos, k, done) ;
  }
  smtp_data_flush(&d) ;
  *err = d.err ;
  *bytes = d.bytes ;
  gotsize = d.size ;
  return pos ;
}

static void t (char const *in, size_t n, char const *want, size_t wn, unsigned werr, uint64_t max, char const *what)
{
  size_t chunk ;
  for (chunk = 1 ; chunk <= n ; chunk = chunk < 4 ? chunk + 1 : chunk * 3)
  {
    unsigned err ;
    uint64_t bytes ;
    int done ;
    size_t used = run(in, n, chunk, max, 100, &err, &bytes, &done) ;
    int okk = done && err == werr && (werr || (gotlen == wn && !memcmp(got, want, wn))) ;
    char const *end = strstr(in, "\r\n.\r\nQUIT") ;
    if (okk && end) okk = used == (size_t)(end - in) + 5 ;
    if (!okk)
    {
      CHECK(0, what) ;
      printf("# chunk %zu: done %d err %u out %zu bytes '%.*s'\n", chunk, done, err, gotlen, (int)gotlen, got) ;
      return ;
    }
  }
  CHECK(1, what) ;
}
#define T(in, want, werr, what) t(in, sizeof(in) - 1, want, sizeof(want) - 1, werr, 1000000, what)

/* BDAT: in fed raw as chunks of every size; the stored text must be want. */
static void traw (char const *in, size_t n, char const *want, size_t wn, unsigned werr, uint64_t max, char const *what)
{
  size_t chunk ;
  for (chunk = 1 ; chunk <= n + 1 ; chunk++)
  {
    struct smtp_data d ;
    char buf[7] ;
    size_t pos = 0 ;
    int done = 0 ;
    int okk ;
    gotlen = 0 ;
    smtp_data_init(&d, max, 100, buf, sizeof buf, &sink, 0) ;
    smtp_data_raw(&d) ;
    while (pos < n)
    {
      size_t k = n - pos < chunk ? n - pos : chunk ;
      size_t used = smtp_data_feed(&d, in + pos, k, &done) ;
      if (used != k || done) break ;
      pos += k ;
    }
    smtp_data_end(&d) ;
    smtp_data_flush(&d) ;
    okk = pos == n && !done && d.err == werr && d.bytes == n && (werr || (gotlen == wn && !memcmp(got, want, wn) && d.size == wn)) ;
    if (!okk)
    {
      CHECK(0, what) ;
      printf("# chunk %zu: pos %zu done %d err %u out %zu '%.*s'\n", chunk, pos, done, d.err, gotlen, (int)gotlen, got) ;
      return ;
    }
  }
  CHECK(1, what) ;
}

int main (void)
{
  static char big[2100] ;
  unsigned err ;
  uint64_t bytes ;
  int done ;
  T(".\r\n", "", 0, "empty message") ;
  T("a\r\nb\r\n.\r\n", "a\r\nb\r\n", 0, "two lines") ;
  T("a\r\n.\r\nQUIT\r\n", "a\r\n", 0, "stops right after CRLF.CRLF") ;
  T("..x\r\n...\r\n.\r\n", ".x\r\n..\r\n", 0, "dot-stuffing undone") ;
  T("a\nb\rc\r\n.\r\n", "a\r\nb\r\nc\r\n", 0, "bare LF and bare CR repaired to CRLF") ;
  T("\xff\xfe\x80\r\n.\r\n", "\xff\xfe\x80\r\n", 0, "8-bit bytes kept") ;
  T("a\r\n\n.\nMAIL FROM:<x@y>\r\n.\r\n", "a\r\n\r\n.\r\nMAIL FROM:<x@y>\r\n", 0, "smuggling \\n.\\n is content") ;
  T("a\r\n.\nMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", 0, "smuggling \\r\\n.\\n is content") ;
  T("a\n.\r\nMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", 0, "smuggling \\n.\\r\\n is content") ;
  T("a\r.\rMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", 0, "smuggling \\r.\\r is content") ;
  T("a\r\n.\rMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", 0, "smuggling \\r\\n.\\r is content") ;
  T("a\r.\r\nMAIL\r\n.\r\n", "a\r\n.\r\nMAIL\r\n", 0, "smuggling \\r.\\r\\n is content") ;
  T("a\r\n.\r\r\n.\r\n", "a\r\n.\r\n\r\n", 0, ".\\r\\r\\n is content") ;
  T("a\0b\r\n.\r\n", "", SMTP_DATA_ERR_NUL, "NUL byte refused") ;
  T("Received: x\r\nReceived: y\r\n\r\nReceived: body\r\n.\r\n", "Received: x\r\nReceived: y\r\n\r\nReceived: body\r\n", 0, "Received lines counted in the header only") ;
  /* line length: 998 + CRLF fine, 999 + CRLF refused */
  memset(big, 'x', sizeof big) ;
  memcpy(big + 998, "\r\n.\r\n", 5) ;
  run(big, 1003, 1003, 1000000, 100, &err, &bytes, &done) ;
  CHECK(done && !err && gotlen == 1000, "998-byte line") ;
  memset(big, 'x', sizeof big) ;
  memcpy(big + 999, "\r\n.\r\n", 5) ;
  run(big, 1004, 1004, 1000000, 100, &err, &bytes, &done) ;
  CHECK(done && err == SMTP_DATA_ERR_LINE, "999-byte line refused") ;
  big[0] = '.' ;   /* the stuffing dot counts: it was sent */
  memcpy(big + 998, "\r\n.\r\n", 5) ;
  run(big, 1003, 1, 1000000, 100, &err, &bytes, &done) ;
  CHECK(done && !err && gotlen == 999, "998-byte stuffed line") ;
  /* size, as sent, inclusive */
  run("123456\r\n.\r\n", 11, 3, 8, 100, &err, &bytes, &done) ;
  CHECK(done && !err && bytes == 8, "size exactly max accepted") ;
  run("1234567\r\n.\r\n", 12, 3, 8, 100, &err, &bytes, &done) ;
  CHECK(done && err == SMTP_DATA_ERR_SIZE && bytes == 9, "size max+1 refused") ;
  run("..x\r\n...\r\na\nb\r\n.\r\n", 18, 2, 1000, 100, &err, &bytes, &done) ;
  CHECK(done && !err && bytes == 15 && gotsize == 14 && gotlen == 14, "size as sent (stuffing dots in) and as stored (dots out, bare LF made CRLF)") ;
  run("Received: a\r\nreceived: b\r\nRECEIVED: c\r\n\r\n.\r\n", 44, 5, 1000, 3, &err, &bytes, &done) ;
  CHECK(done && err == SMTP_DATA_ERR_HOPS, "hops reached") ;
  run("Received: a\r\nreceived: b\r\n\r\n.\r\n", 31, 5, 1000, 3, &err, &bytes, &done) ;
  CHECK(done && !err, "hops below limit") ;
  run("no end\r\n", 8, 8, 1000, 3, &err, &bytes, &done) ;
  CHECK(!done, "no terminator, not done") ;
  traw("a\r\n.\r\nb\r\n", 9, "a\r\n.\r\nb\r\n", 9, 0, 1000, "raw: CRLF.CRLF is content, not an end") ;
  traw("..x\r\n", 5, "..x\r\n", 5, 0, 1000, "raw: no dot-unstuffing") ;
  traw("a\nb\rc\r\n", 7, "a\r\nb\r\nc\r\n", 9, 0, 1000, "raw: bare LF and bare CR repaired") ;
  traw("no end", 6, "no end\r\n", 8, 0, 1000, "raw: a last line without CRLF is ended") ;
  traw("cr\r", 3, "cr\r\n", 4, 0, 1000, "raw: a last bare CR becomes CRLF") ;
  traw("", 0, "", 0, 0, 1000, "raw: empty message") ;
  traw("a\0b\r\n", 5, "", 0, SMTP_DATA_ERR_NUL, 1000, "raw: NUL refused") ;
  traw("0123456789\r\n", 12, "0123456789\r\n", 12, 0, 12, "raw: size limit inclusive") ;
  traw("0123456789\r\n", 12, "", 0, SMTP_DATA_ERR_SIZE, 11, "raw: size limit + 1") ;
  return check_done() ;
}
