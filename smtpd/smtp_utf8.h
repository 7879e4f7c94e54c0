/* smtp_utf8.h: SMTPUTF8 (RFC 6531) addresses: UTF-8 validation (RFC
   3629) and IDNA domains to their A-label form with Punycode (RFC 3492,
   RFC 5891 5.5). libc only, spans only. */
#ifndef MXHOLD_SMTP_UTF8_H
#define MXHOLD_SMTP_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include "lib/span.h"

#define SMTPD_ACE_PREFIX "xn--"      /* RFC 5890 2.3.2.1 */
#define SMTPD_UTF8_LABEL_CPS 63      /* code points of one label: an A-label is at most 63 bytes anyway */

/* The UTF-8 sequence at the start of s[0..len): its length (1..4) with
   *cp its code point; 0 if it is not well formed: a stray continuation
   byte, a sequence cut short, an overlong form, a surrogate (U+D800 to
   U+DFFF), above U+10FFFF, or the bytes C0, C1, F5..FF. */
size_t smtp_utf8_char (char const *s, size_t len, uint32_t *cp) ;
/* 1 if every byte of s is part of a well-formed UTF-8 sequence. */
int smtp_utf8_valid (struct span s) ;
/* 1 if s has a byte above 0x7f. */
int smtp_utf8_nonascii (struct span s) ;

/* RFC 3492 6.3: the Punycode of n code points into out (max bytes, no
   NUL), basic code points as they are. Returns the length; 0 if out is
   too small or a counter would overflow. */
size_t smtp_punycode (uint32_t const *cp, size_t n, char *out, size_t max) ;

/* The domain d (UTF-8, one trailing dot left out) with each label that
   holds a non-ASCII byte as its A-label ("xn--" and the Punycode of the
   label, its ASCII letters in lower case first: IDNA2008 U-labels are
   lower case; no UTS 46 mapping is done) and the other labels as they
   are, into out (max bytes, NUL-terminated). Returns the length; 0 if d
   is not valid UTF-8, a label is empty or longer than 63 bytes once
   encoded, or the whole does not fit in max. The result is not checked
   as a host name: the caller does that (smtp_addr_hostname). */
size_t smtp_utf8_alabels (struct span d, char *out, size_t max) ;

#endif
