/* smtp_bdat.h: CHUNKING (RFC 3030): the BDAT command and the
   transaction its chunks make, for the session (smtp_session.c). */
#ifndef MXHOLD_SMTP_BDAT_H
#define MXHOLD_SMTP_BDAT_H

#include "lib/span.h"
#include "smtpd/smtp_conn.h"

#define SMTP_BDAT_END 1       /* the transaction is over: the session resets it */
#define SMTP_BDAT_ERROR 2     /* a refused command: counts toward errors */

/* One BDAT command, arg its argument: the chunk's bytes are read (always
   exactly its count, refused or not, so none of them is ever taken for a
   command) and fed to the message, the first chunk starting the child,
   the LAST one finishing it (smtp_msg_finish). Replies and logs; returns
   SMTP_BDAT_* flags. An unreadable count ends the connection (the end of
   the chunk cannot be found); so does a client gone or silent. */
int smtp_bdat (struct smtp_conn *g, struct span arg) ;

/* Closes an open BDAT transaction (g->bdat) without a message: the child
   gets no envelope, so nothing is queued. why: SMTPD_END_* logged as the
   aborted line's reason; 0 (RSET, MAIL, EHLO): no line. */
void smtp_bdat_close (struct smtp_conn *g, char const *why) ;

#endif
