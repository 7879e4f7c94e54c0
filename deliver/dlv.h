/* dlv.h: the libc-only modules of the delivery tool, linked by both
   mxhold-deliver (skalibs) and mxhold-remote (libowfat), so they include
   neither library (doc/design.md, "Libraries"). The bottom layer of both
   programs: they use lib/ and nothing of deliver.h or remote.h. */
#ifndef MXHOLD_DLV_H
#define MXHOLD_DLV_H

#include <stddef.h>
#include <stdint.h>
#include "lib/span.h"

/* ---- growable byte buffer (dlv_buf.c) ---- */
struct dlv_buf { char *s ; size_t len ; size_t a ; } ;
#define DLV_BUF_ZERO { 0, 0, 0 }
/* Append; 0 or -1 ENOMEM. The buffer owns s, always NUL-terminated after
   a successful append; dlv_buf_free releases it. */
int dlv_buf_cat (struct dlv_buf *b, char const *s, size_t len) ;
int dlv_buf_cats (struct dlv_buf *b, char const *s) ;
/* u in decimal (lib/u64.h). */
int dlv_buf_catu (struct dlv_buf *b, uint64_t u) ;
/* Append s with bytes outside 32..126 mapped to '?' (qmail's outsafe):
   for the result lines, state files and DSNs, whose readers take one
   line of printable text. Logs escape with lib/log.h instead. */
int dlv_buf_catsafe (struct dlv_buf *b, char const *s, size_t len) ;
/* "exit-N" or "signal-N" for a child's wait status that is not a clean
   exit: the reason= of its log line. */
int dlv_buf_catwait (struct dlv_buf *b, int wstat) ;
void dlv_buf_free (struct dlv_buf *b) ;

/* ---- SMTP replies (dlv_reply.c): the enhanced status of a reply text ---- */
/* In "550 5.1.1 no such user", the span of "5.1.1"; 0 if there is none. */
int dlv_reply_status (char const *s, size_t len, struct span *st) ;

#endif
