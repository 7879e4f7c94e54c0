/* smtp_data.h: the DATA state machine (libc only): the client's text in,
   the message as stored out to a sink, with the end of DATA found only at
   a real CRLF.CRLF (smtp_data.c says why). */
#ifndef MXHOLD_SMTP_DATA_H
#define MXHOLD_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.6: a text line is at most 1000 bytes, CRLF included. */
#define SMTPD_TEXT_LINE_MAX 1000

#define SMTP_DATA_ERR_SIZE 1      /* more than max bytes: 552 5.3.4 */
#define SMTP_DATA_ERR_LINE 2      /* a text line over 1000 bytes: 554 5.6.0 */
#define SMTP_DATA_ERR_NUL 4       /* a NUL byte: 554 5.6.0 */
#define SMTP_DATA_ERR_HOPS 8      /* hops or more Received lines: 554 5.4.6 */
#define SMTP_DATA_ERR_SINK 16     /* the sink refused bytes (child gone) */

typedef int smtp_sink_fn (void *ctx, char const *p, size_t n) ;  /* 0 or -1 */

struct smtp_data
{
  unsigned state ;
  int prevcrlf ;        /* the previous line ended with a real CRLF */
  size_t linelen ;      /* bytes of this line as sent, stuffing dot included */
  size_t outline ;      /* bytes of this line as stored */
  uint64_t bytes ;      /* bytes consumed so far, as sent */
  uint64_t size ;       /* the client's text as stored so far: dot-stuffing
                           undone, every line end CRLF (not our header) */
  uint64_t max ;
  uint64_t hops ;
  uint64_t hopsmax ;
  int inheader ;
  int raw ;             /* BDAT (RFC 3030): no dot is special, no end is searched */
  uint64_t tail ;       /* bytes of the end marker counted in bytes: 3 (".CRLF"), 0 raw */
  char head[9] ;        /* start of the current header line ("received:") */
  unsigned err ;
  char *out ;
  size_t outlen ;
  size_t outmax ;
  smtp_sink_fn *sink ;
  void *ctx ;
} ;

/* max: the size limit in bytes as sent (inclusive); hopsmax: Received
   lines that make a loop. buf (bufmax bytes, caller's) collects the
   stored text; sink gets it in pieces. */
void smtp_data_init (struct smtp_data *d, uint64_t max, uint64_t hopsmax, char *buf, size_t bufmax, smtp_sink_fn *sink, void *ctx) ;
/* Stores raw bytes (our Received header) ahead of the message. */
void smtp_data_put (struct smtp_data *d, char const *p, size_t n) ;
/* Consumes bytes up to and including the final CRLF.CRLF. Returns the
   bytes consumed; *done is 1 once the end was seen (then d->bytes is the
   message size as sent, the final ".CRLF" excluded, and d->size its size
   as stored). */
size_t smtp_data_feed (struct smtp_data *d, char const *p, size_t n, int *done) ;
/* BDAT (RFC 3030), right after smtp_data_init: the text is a BDAT
   chunk's bytes, with no dot-stuffing and no end marker (feed never sets
   *done; the caller counts the chunk's bytes); line ends are repaired and
   NUL, long lines, hops and the size refused as in DATA. */
void smtp_data_raw (struct smtp_data *d) ;
/* The last BDAT chunk is in: a last line without its line end (or with a
   bare CR) is ended with CRLF, so the stored message ends in CRLF. */
void smtp_data_end (struct smtp_data *d) ;
/* Hands what is buffered to the sink (unless err). */
void smtp_data_flush (struct smtp_data *d) ;

#endif
