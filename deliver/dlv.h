/* dlv.h: libc-only modules of the delivery tool, linked by both
   mxhold-deliver (skalibs) and mxhold-remote (libowfat). They include
   neither library (STYLE.md 6). */
#ifndef MXHOLD_DLV_H
#define MXHOLD_DLV_H

#include <stddef.h>
#include <stdint.h>
#include "smtpd/span.h"

/* ---- growable byte buffer (dlv_buf.c) ---- */
struct dlv_buf { char *s ; size_t len ; size_t a ; } ;
#define DLV_BUF_ZERO { 0, 0, 0 }
/* Append; 0 or -1 ENOMEM. The buffer owns s; dlv_buf_free releases it. */
int dlv_buf_cat (struct dlv_buf *b, char const *s, size_t len) ;
int dlv_buf_cats (struct dlv_buf *b, char const *s) ;
int dlv_buf_catu (struct dlv_buf *b, uint64_t u) ;
/* Append s with bytes outside 32..126 mapped to '?' (qmail's outsafe). */
int dlv_buf_catsafe (struct dlv_buf *b, char const *s, size_t len) ;
void dlv_buf_free (struct dlv_buf *b) ;

/* ---- numbers ---- */
/* Decimal digits of s[0..len) into *u; bytes consumed (0: none or overflow). */
size_t dlv_scan_u64 (char const *s, size_t len, uint64_t *u) ;

/* ---- SMTP replies (dlv_reply.c): the enhanced status of a reply text ---- */
/* In "550 5.1.1 no such user", the span of "5.1.1"; 0 if there is none. */
int dlv_reply_status (char const *s, size_t len, struct span *st) ;

#endif
