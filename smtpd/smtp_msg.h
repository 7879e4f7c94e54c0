/* smtp_msg.h: one message of a transaction, after the checks of its
   command: DATA (smtp_msg_data), or the chunks of BDAT (smtp_bdat.c)
   through smtp_msg_start / smtp_msg_finish. */
#ifndef MXHOLD_SMTP_MSG_H
#define MXHOLD_SMTP_MSG_H

#include "smtpd/smtp_child.h"
#include "smtpd/smtp_conn.h"
#include "smtpd/smtp_data.h"

#define SMTPD_PIPE_BYTES 16384      /* message bytes buffered for the child */

/* A message on its way to the child: the child, the text's state
   machine, its buffer. */
struct smtp_msg
{
  struct smtp_conn *g ;
  struct smtp_child ch ;
  struct smtp_data d ;
  char buf[SMTPD_PIPE_BYTES] ;
} ;

/* Starts the child, answers 354, streams the message to it as it
   arrives, and answers the final dot from the child's exit status; logs
   accepted or refused. Returns when the session may go on (whatever the
   reply); ends the connection if the client went away or timed out. */
void smtp_msg_data (struct smtp_conn *g) ;

/* A new queue id, the child started, our Received line into m->d (raw:
   BDAT, smtp_data_raw). 0; or -1 when the child cannot be started, the
   451 sent and logged. The caller feeds m->d and keeps g->size. */
int smtp_msg_start (struct smtp_conn *g, struct smtp_msg *m, int raw) ;
/* The whole text is in m->d: the refusal it earned (smtp_msg_refusal),
   or the envelope to the child and the reply from its exit status;
   logs accepted or refused; the queue id is cleared. */
void smtp_msg_finish (struct smtp_conn *g, struct smtp_msg *m) ;
/* Reads exactly count bytes of a BDAT chunk under the session's guard
   (as DATA: timeout_data, timeout_session, data_rate_min; first: the
   transaction's first chunk, a fresh rate window), fed to m's text, or
   discarded if m is NULL. Returns once they are read; if the client went
   away (aborted, reason=eof, when m is open), was silent, too slow or
   past its session's time (421), m's child gets no envelope and the
   connection ends. */
void smtp_msg_chunk (struct smtp_conn *g, struct smtp_msg *m, uint64_t count, int first) ;
/* The reply a refused text earned (SMTP_DATA_ERR_* in err, SINK aside)
   and its reason word. */
char const *smtp_msg_refusal (unsigned err, char const **reason) ;

#endif
