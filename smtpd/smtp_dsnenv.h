/* smtp_dsnenv.h: a transaction's DSN parameters (RFC 3461) on their way
   to the queue: kept as the queue's header lines (queue.md: ret, envid,
   dsn) and handed to the child in $MXHOLD_DSN. */
#ifndef MXHOLD_SMTP_DSNENV_H
#define MXHOLD_SMTP_DSNENV_H

#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_conn.h"

/* $MXHOLD_DSN at most: one environment string must stay well under the
   kernel's 128 KiB (MAX_ARG_STRLEN); past it a RCPT with DSN parameters
   gets 452 (the client sends the rest in another transaction). */
#define SMTPD_DSN_ENV_MAX 65536
#define SMTPD_ENV_DSN "MXHOLD_DSN"

/* MAIL: forgets the last transaction's lines, keeps RET= and ENVID=.
   0, or -1 out of memory. */
int smtp_dsnenv_mail (struct smtp_conn *g, struct smtp_path const *p) ;
/* RCPT number index (from 0) with NOTIFY= or ORCPT=: its "dsn" line.
   0; 1 over SMTPD_DSN_ENV_MAX (452); -1 out of memory. */
int smtp_dsnenv_rcpt (struct smtp_conn *g, struct smtp_path const *p, uint64_t index) ;
/* Sets $MXHOLD_DSN for the child (unset if there is nothing). 0 or -1. */
int smtp_dsnenv_set (struct smtp_conn *g) ;

#endif
