/* fold.h: a header field written folded (RFC 5322 2.1.1, 2.2.3): every
   line at most 78 bytes where there is a place to fold, never more than
   998 (with words that short). Used for every header line the relay
   writes (smtpd's Received, spfcheck's Received-SPF and
   Authentication-Results, deliver's DSN fields). libc only. */
#ifndef MXHOLD_LIB_FOLD_H
#define MXHOLD_LIB_FOLD_H

#include <stddef.h>

#define MX_FOLD_LINE 78      /* RFC 5322 2.1.1: SHOULD, CRLF excluded */
#define MX_FOLD_LINE_MAX 998 /* RFC 5322 2.1.1: MUST, CRLF excluded */

struct mx_fold
{
  char *buf ;
  size_t max ;
  size_t len ;
  size_t col ;     /* bytes on the current line */
  int fresh ;      /* the current line holds only its folding TAB */
  int over ;       /* buf was too small */
} ;

/* Starts a field in buf (max bytes) with name (e.g. "Received:"). */
void mx_fold_start (struct mx_fold *f, char *buf, size_t max, char const *name) ;
/* A place to fold, before n bytes that must stay on one line: a space,
   or CRLF TAB if the line would pass MX_FOLD_LINE (never twice in a row,
   so no line is only white space). */
void mx_fold_sep (struct mx_fold *f, size_t n) ;
/* A line break that is always made (CRLF TAB), for a field's fixed
   layout. */
void mx_fold_break (struct mx_fold *f) ;
/* Bytes added as they are, with no place to fold before them. */
void mx_fold_raw (struct mx_fold *f, char const *s, size_t n) ;
void mx_fold_str (struct mx_fold *f, char const *s) ;
/* mx_fold_sep(n), then the n bytes. */
void mx_fold_word (struct mx_fold *f, char const *s, size_t n) ;
/* Ends the field with CRLF: its length, or 0 if it did not fit in max. */
size_t mx_fold_end (struct mx_fold *f) ;

#endif
