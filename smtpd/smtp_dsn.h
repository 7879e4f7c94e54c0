/* smtp_dsn.h: the DSN parameters of MAIL and RCPT (RFC 3461): RET=,
   ENVID=, NOTIFY=, ORCPT=, their syntax and limits. libc only, spans. */
#ifndef MXHOLD_SMTP_DSN_H
#define MXHOLD_SMTP_DSN_H

#include "lib/span.h"

#define SMTPD_DSN_ENVID_MAX 100     /* RFC 3461 4.4: at most 100 characters */
#define SMTPD_DSN_ORCPT_MAX 500     /* RFC 3461 4.2: at most 500 characters */

#define SMTP_NOTIFY_NEVER 1
#define SMTP_NOTIFY_SUCCESS 2
#define SMTP_NOTIFY_FAILURE 4
#define SMTP_NOTIFY_DELAY 8

/* RFC 3461 4: xtext is printable ASCII but '+' and '=', and "+XX" with two
   upper-case hex digits for any byte. 1 if all of v is xtext, 0 else. */
int smtp_dsn_xtext (struct span v) ;
/* NOTIFY=: "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY,
   each at most once (any case). The mask, or 0 if malformed. */
unsigned smtp_dsn_notify (struct span v) ;
/* ORCPT=: addr-type ";" xtext (RFC 3461 4.2), at most
   SMTPD_DSN_ORCPT_MAX bytes, addr-type an atom. 1 valid, 0 else. */
int smtp_dsn_orcpt (struct span v) ;
/* ENVID=: xtext of at most SMTPD_DSN_ENVID_MAX bytes. 1 valid, 0 else. */
int smtp_dsn_envid (struct span v) ;
/* RET=: 'F' for FULL, 'H' for HDRS (any case), 0 if neither. */
char smtp_dsn_ret (struct span v) ;
/* The NOTIFY mask as the queue stores it: "NEVER", or its words joined
   by ',' ("SUCCESS,FAILURE"), into out (at least 24 bytes, NUL-terminated). */
void smtp_dsn_notify_fmt (unsigned mask, char *out) ;

#endif
