/* smtp_session.h: the SMTP dialogue of one connection, command by command. */
#ifndef MXHOLD_SMTP_SESSION_H
#define MXHOLD_SMTP_SESSION_H

#include "smtpd/smtp_conn.h"

/* Greets, then answers commands until the connection ends; never returns. */
void smtp_session_run (struct smtp_conn *g) __attribute__((noreturn)) ;

#endif
