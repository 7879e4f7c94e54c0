/* smtp_data.c: the DATA state machine. libc only.

   Only CRLF "." CRLF ends DATA (RFC 5321 4.1.1.4), and only when the CRLF
   before the dot is a real CR LF pair (or the start of DATA). Every other
   line end -- bare LF, bare CR -- is REPAIRED: stored as CRLF, so a line
   break downstream. It never ends DATA, so "\n.\n", "\r\n.\n", "\n.\r\n",
   "\r.\r" and the like are ordinary content and no second message can be
   smuggled behind them (the 2023 SMTP smuggling class): the would-be
   terminator is stored as a line "." and everything after it stays part of
   this message. Dot-stuffing is undone (4.5.2). Text is streamed to the
   sink in pieces: memory use does not depend on the message size. */
#include <string.h>
#include "smtpd/smtp_data.h"

enum { S_BOL, S_LINE, S_CR, S_DOT, S_DOTCR } ;

void smtp_data_init (struct smtp_data *d, uint64_t max, uint64_t hopsmax, char *buf, size_t bufmax, smtp_sink_fn *sink, void *ctx)
{
  memset(d, 0, sizeof *d) ;
  d->state = S_BOL ;
  d->prevcrlf = 1 ;     /* the DATA command's own CRLF */
  d->inheader = 1 ;
  d->tail = 3 ;
  d->max = max ;
  d->hopsmax = hopsmax ;
  d->out = buf ;
  d->outmax = bufmax ;
  d->sink = sink ;
  d->ctx = ctx ;
}

void smtp_data_flush (struct smtp_data *d)
{
  if (d->outlen && !d->err && (*d->sink)(d->ctx, d->out, d->outlen) == -1)
    d->err |= SMTP_DATA_ERR_SINK ;
  d->outlen = 0 ;
}

void smtp_data_put (struct smtp_data *d, char const *p, size_t n)
{
  while (n)
  {
    size_t k = d->outmax - d->outlen ;
    if (!k)
    {
      smtp_data_flush(d) ;
      continue ;
    }
    if (k > n) k = n ;
    memcpy(d->out + d->outlen, p, k) ;
    d->outlen += k ;
    p += k ;
    n -= k ;
  }
}

static void emit (struct smtp_data *d, char c)
{
  if (d->inheader && d->outline < sizeof d->head) d->head[d->outline] = c ;
  d->outline++ ;
  d->size++ ;
  if (d->err) return ;   /* refused anyway: read on, store nothing */
  if (d->outlen == d->outmax) smtp_data_flush(d) ;
  d->out[d->outlen++] = c ;
}

static int is_received (char const *h)
{
  static char const r[] = "received:" ;
  size_t i ;
  for (i = 0 ; i < sizeof r - 1 ; i++)
    if ((h[i] | 0x20) != r[i]) return 0 ;
  return 1 ;
}

/* A line ended (how it ended is in realcrlf). Counts Received lines in the
   header (RFC 5321 6.3: a loop shows as many of them). */
static void endline (struct smtp_data *d, int realcrlf)
{
  size_t len = d->outline ;
  emit(d, '\r') ;
  emit(d, '\n') ;
  if (d->inheader)
  {
    if (!len) d->inheader = 0 ;
    else if (len >= sizeof d->head && is_received(d->head)
          && ++d->hops >= d->hopsmax) d->err |= SMTP_DATA_ERR_HOPS ;
  }
  d->prevcrlf = realcrlf ;
  d->linelen = 0 ;
  d->outline = 0 ;
  d->state = S_BOL ;
}

static void inline_byte (struct smtp_data *d, char c)
{
  if (c == '\r')
  {
    d->state = S_CR ;
    return ;
  }
  if (c == '\n')
  {
    endline(d, 0) ;
    return ;
  }
  if (!c) d->err |= SMTP_DATA_ERR_NUL ;
  /* SMTPD_TEXT_LINE_MAX counts the CRLF too (RFC 5321 4.5.3.1.6) */
  if (++d->linelen > SMTPD_TEXT_LINE_MAX - 2) d->err |= SMTP_DATA_ERR_LINE ;
  emit(d, c) ;
  d->state = S_LINE ;
}

/* One byte; returns 1 if it completed CRLF.CRLF. */
static int step (struct smtp_data *d, char c)
{
  for (;;) switch (d->state)
  {
    case S_BOL :
      if (c != '.' || d->raw)
      {
        inline_byte(d, c) ;
        return 0 ;
      }
      d->linelen = 1 ;
      d->state = S_DOT ;
      return 0 ;
    case S_LINE :
      inline_byte(d, c) ;
      return 0 ;
    case S_CR :   /* line text, then CR */
      if (c == '\n')
      {
        endline(d, 1) ;
        return 0 ;
      }
      endline(d, 0) ;   /* bare CR: a line end; c starts the next line */
      continue ;
    case S_DOT :  /* "." at the start of a line */
      if (c == '\r')
      {
        d->state = S_DOTCR ;
        return 0 ;
      }
      if (c == '\n')
      {
        emit(d, '.') ;
        endline(d, 0) ;
        return 0 ;
      }
      inline_byte(d, c) ;   /* the stuffing dot is dropped */
      return 0 ;
    case S_DOTCR :  /* case ".\r": ends DATA only as CRLF "." CRLF */
      if (c == '\n' && d->prevcrlf) return 1 ;
      emit(d, '.') ;
      if (c == '\n')
      {
        endline(d, 1) ;
        return 0 ;
      }
      endline(d, 0) ;
      continue ;
  }
}

size_t smtp_data_feed (struct smtp_data *d, char const *p, size_t n, int *done)
{
  size_t i ;
  *done = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    if (d->bytes != UINT64_MAX) d->bytes++ ;
    if (step(d, p[i]))
    {
      *done = 1 ;
      d->bytes -= 3 ;   /* the final ".\r\n" is not part of the message */
      if (d->bytes > d->max) d->err |= SMTP_DATA_ERR_SIZE ;
      return i + 1 ;
    }
    /* the final ".\r\n" may still come: only bytes beyond it count */
    if (d->bytes > d->tail && d->bytes - d->tail > d->max) d->err |= SMTP_DATA_ERR_SIZE ;
  }
  return n ;
}

/* BDAT has no end marker, so it has no dot-stuffing either (RFC 3030 2):
   a dot is an ordinary byte, and nothing in the text can end it early. */
void smtp_data_raw (struct smtp_data *d)
{
  d->raw = 1 ;
  d->tail = 0 ;
}

void smtp_data_end (struct smtp_data *d)
{
  if (d->state != S_BOL) endline(d, 0) ;   /* raw: S_LINE, or S_CR (its CR not stored yet) */
}
