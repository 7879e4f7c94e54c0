/* smtp_io_test.c: the line reader (max, max+1, CRLF split across reads,
   bare LF, EOF) and the reply buffering of PIPELINING, over a scripted
   read function instead of fd 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "smtpd/smtpd.h"

static int fails ;
#define CHECK(cond, what) do { if (cond) printf("ok - %s\n", what) ; else { printf("not ok - %s\n", what) ; fails++ ; } } while (0)

static char const *chunks[16] ;
static size_t nchunks, cur, writes ;
static char written[4096] ;
static size_t wlen ;

static ssize_t fake_read (void *ctx, char *buf, size_t len, unsigned secs)
{
  size_t n ;
  (void)ctx ; (void)secs ;
  if (cur >= nchunks) return 0 ;
  n = strlen(chunks[cur]) ;
  if (n > len) n = len ;
  memcpy(buf, chunks[cur++], n) ;
  return (ssize_t)n ;
}

static int fake_write (void *ctx, char const *buf, size_t len, unsigned secs)
{
  (void)ctx ; (void)secs ;
  writes++ ;
  memcpy(written + wlen, buf, len) ; wlen += len ;
  return 0 ;
}

static void setup (struct smtp_io *io, size_t n, char const *const *c)
{
  size_t i ;
  for (i = 0 ; i < n ; i++) chunks[i] = c[i] ;
  nchunks = n ; cur = 0 ; writes = 0 ; wlen = 0 ;
  smtp_io_init_fd(io, 1) ;
  io->read = &fake_read ; io->write = &fake_write ;
}

int main (void)
{
  static struct smtp_io io ;
  char line[16] ;
  size_t len = 0 ;
  {
    char const *c[] = { "NOOP\r", "\nRS", "ET\r\n", "QUIT\n" } ;
    setup(&io, 4, c) ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 1 && len == 4 && !memcmp(line, "NOOP", 4), "CRLF split across reads") ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 1 && len == 4 && !memcmp(line, "RSET", 4), "line split across reads") ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 1 && len == 4 && !memcmp(line, "QUIT", 4), "bare LF ends a command line") ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 0, "EOF") ;
  }
  {
    char const *c[] = { "0123456789abc\r\n", "0123456789abcd\r\nNOOP\r\n", "\r\n" } ;
    setup(&io, 3, c) ;
    CHECK(smtp_io_line(&io, line, 15, &len, 1) == 1 && len == 13, "line of max bytes (CRLF included)") ;
    CHECK(smtp_io_line(&io, line, 15, &len, 1) == 2, "max+1: too long") ;
    CHECK(smtp_io_line(&io, line, 15, &len, 1) == 1 && len == 4 && !memcmp(line, "NOOP", 4), "the rest of the long line is dropped, next line intact") ;
    CHECK(smtp_io_line(&io, line, 15, &len, 1) == 1 && len == 0, "empty line") ;
  }
  {
    setup(&io, 0, 0) ;   /* the fake read stops at NUL: put the bytes in by hand */
    io.inpos = 0 ; io.inlen = 5 ; memcpy(io.in, "a\0b\r\n", 5) ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 1 && len == 3 && line[1] == 0, "NUL inside a line is kept (the parser refuses it)") ;
  }
  {
    char const *c[] = { "NOOP\r\nNOOP\r\nNOOP\r\n", "QUIT\r\n" } ;
    setup(&io, 2, c) ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ; smtp_io_puts(&io, "250 a\r\n") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ; smtp_io_puts(&io, "250 b\r\n") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ; smtp_io_puts(&io, "250 c\r\n") ;
    CHECK(writes == 0, "no reply sent while the batch is being read") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ;
    CHECK(writes == 1 && wlen == 21, "three replies in one write once the batch is used up (RFC 2920)") ;
  }
  return fails ? 1 : 0 ;
}
