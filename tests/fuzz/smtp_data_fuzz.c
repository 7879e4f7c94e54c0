/* smtp_data_fuzz.c: the DATA state machine. Invariants: the whole input
   fed at once and fed byte by byte give the same output; the stored text
   never holds a bare CR or a bare LF (unless refused: then it is cut);
   the end is found at the first real CRLF.CRLF and nowhere else; the size
   counted is the size stored. The first byte picks the mode: 'B' is
   BDAT's raw mode (every byte is consumed, nothing ends it, the stored
   text ends in CRLF), anything else DATA. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd/smtp_data.h"

struct out
{
  char *p ;
  size_t len ;
} ;

static int sink (void *ctx, char const *p, size_t n)
{
  struct out *o = ctx ;
  memcpy(o->p + o->len, p, n) ;
  o->len += n ;
  return 0 ;
}

static int raw ;

static size_t run (uint8_t const *data, size_t size, size_t chunk, struct out *o, int *done, unsigned *err)
{
  struct smtp_data d ;
  char buf[13] ;
  size_t pos = 0 ;
  smtp_data_init(&d, UINT64_MAX, 1000000, buf, sizeof buf, &sink, o) ;
  if (raw) smtp_data_raw(&d) ;
  *done = 0 ;
  while (pos < size && !*done)
  {
    size_t k = size - pos < chunk ? size - pos : chunk ;
    pos += smtp_data_feed(&d, (char const *)data + pos, k, done) ;
  }
  if (raw && (*done || pos != size)) abort() ;
  if (raw) smtp_data_end(&d) ;
  smtp_data_flush(&d) ;
  if (!d.err && d.size != o->len) abort() ;
  if (raw && !d.err && o->len && (o->len < 2 || memcmp(o->p + o->len - 2, "\r\n", 2))) abort() ;   /* size= is the text as stored */
  *err = d.err ;
  return pos ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct out a ;
  struct out b ;
  int da ;
  int db ;
  unsigned ea ;
  unsigned eb ;
  size_t ua ;
  size_t ub ;
  size_t i ;
  raw = size && data[0] == 'B' ;
  if (size)
  {
    data++ ;
    size-- ;
  }
  a.p = malloc(2 * size + 16) ;
  b.p = malloc(2 * size + 16) ;
  a.len = 0 ;
  b.len = 0 ;
  ua = run(data, size, size ? size : 1, &a, &da, &ea) ;
  ub = run(data, size, 1, &b, &db, &eb) ;
  if (ua != ub || da != db || ea != eb) abort() ;
  if (!ea && (a.len != b.len || memcmp(a.p, b.p, a.len))) abort() ;
  for (i = 0 ; !ea && i < a.len ; i++)
  {
    if (a.p[i] == '\r' && (i + 1 >= a.len || a.p[i + 1] != '\n')) abort() ;
    if (a.p[i] == '\n' && (!i || a.p[i - 1] != '\r')) abort() ;
  }
  if (da && !raw)
  {
    uint8_t const *e = memmem(data, size, "\r\n.\r\n", 5) ;
    size_t want = size >= 3 && !memcmp(data, ".\r\n", 3) ? 3 : e ? (size_t)(e - data) + 5 : 0 ;
    if (ua != want) abort() ;
  }
  free(a.p) ;
  free(b.p) ;
  return 0 ;
}
