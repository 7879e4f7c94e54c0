/* smtp_msg.h: one DATA transaction, after the checks of the DATA command. */
#ifndef MXHOLD_SMTP_MSG_H
#define MXHOLD_SMTP_MSG_H

#include "smtpd/smtp_conn.h"

/* Starts the child, answers 354, streams the message to it as it
   arrives, and answers the final dot from the child's exit status; logs
   accepted or refused. Returns when the session may go on (whatever the
   reply); ends the connection if the client went away or timed out. */
void smtp_msg_data (struct smtp_conn *g) ;

#endif
