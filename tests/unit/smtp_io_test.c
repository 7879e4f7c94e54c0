/* smtp_io_test.c: the line reader (max, max+1, CRLF split across reads,
   bare LF, EOF) and the reply buffering of PIPELINING, over a scripted
   read function instead of fd 0; the timed write over a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "smtpd/smtp_io.h"
#include "tests/unit/check.h"

static char const *chunks[16] ;
static size_t nchunks ;
static size_t cur ;
static size_t writes ;
static char written[4096] ;
static size_t wlen ;

static ssize_t fake_read (void *ctx, char *buf, size_t len, unsigned secs)
{
  size_t n ;
  (void)ctx ;
  (void)secs ;
  if (cur >= nchunks) return 0 ;
  n = strlen(chunks[cur]) ;
  if (n > len) n = len ;
  memcpy(buf, chunks[cur++], n) ;
  return (ssize_t)n ;
}

static int fake_write (void *ctx, char const *buf, size_t len, unsigned secs)
{
  (void)ctx ;
  (void)secs ;
  writes++ ;
  memcpy(written + wlen, buf, len) ;
  wlen += len ;
  return 0 ;
}

static void setup (struct smtp_io *io, size_t n, char const *const *c)
{
  size_t i ;
  for (i = 0 ; i < n ; i++) chunks[i] = c[i] ;
  nchunks = n ;
  cur = 0 ;
  writes = 0 ;
  wlen = 0 ;
  smtp_io_init_fd(io, 1) ;
  io->read = &fake_read ;
  io->write = &fake_write ;
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
    io.inpos = 0 ;
    io.inlen = 5 ;
    memcpy(io.in, "a\0b\r\n", 5) ;
    CHECK(smtp_io_line(&io, line, sizeof line, &len, 1) == 1 && len == 3 && line[1] == 0, "NUL inside a line is kept (the parser refuses it)") ;
  }
  {
    char const *c[] = { "NOOP\r\nNOOP\r\nNOOP\r\n", "QUIT\r\n" } ;
    setup(&io, 2, c) ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ;
    smtp_io_puts(&io, "250 a\r\n") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ;
    smtp_io_puts(&io, "250 b\r\n") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ;
    smtp_io_puts(&io, "250 c\r\n") ;
    CHECK(writes == 0, "no reply sent while the batch is being read") ;
    smtp_io_line(&io, line, sizeof line, &len, 1) ;
    CHECK(writes == 1 && wlen == 21, "three replies in one write once the batch is used up (RFC 2920)") ;
  }
  {
    int p[2] ;
    char big[65536 * 4] ;
    char back[8] ;
    signal(SIGPIPE, SIG_IGN) ;
    memset(big, 'x', sizeof big) ;
    CHECK(pipe(p) == 0, "pipe") ;
    CHECK(smtp_io_write_fd(p[1], "abcdef", 6, 1) == 0 && read(p[0], back, sizeof back) == 6 && !memcmp(back, "abcdef", 6), "timed write: all bytes") ;
    fcntl(p[1], F_SETFL, O_NONBLOCK) ;
    errno = 0 ;
    CHECK(smtp_io_write_fd(p[1], big, sizeof big, 0) == -1 && errno == ETIMEDOUT, "timed write: a full pipe times out") ;
    close(p[0]) ;
    errno = 0 ;
    CHECK(smtp_io_write_fd(p[1], "x", 1, 1) == -1 && errno == EPIPE, "timed write: a closed reader is EPIPE") ;
    close(p[1]) ;
  }
  return check_done() ;
}
