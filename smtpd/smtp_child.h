/* smtp_child.h: one message to the rest of smtpd's command line, through
   the qmail-queue(8) interface. */
#ifndef MXHOLD_SMTP_CHILD_H
#define MXHOLD_SMTP_CHILD_H

#include <stddef.h>
#include <sys/types.h>
#include "smtpd/smtp_reply.h"

struct smtp_child
{
  pid_t pid ;
  int msg ;
  int env ;
  int reply ;
  int pidfd ;
  int broken ;          /* a write failed or timed out: never 250 */
  size_t replylen ;
  char replybuf[SMTPD_REPLY_MAX + 1] ;
} ;

/* Starts argv with fd 0 = message pipe, 1 = envelope pipe, 2 inherited,
   4 = reply pipe, nothing else; env adds MXHOLD_QID, MXHOLD_HELO,
   MXHOLD_MAILFROM. 0, or -1 + errno. */
int smtp_child_start (struct smtp_child *ch, char const *const *argv, char const *qid, char const *helo, char const *from) ;
/* Writes to the message pipe within secs; on failure kills the child and
   marks it broken. 0 or -1. */
int smtp_child_write (struct smtp_child *ch, char const *p, size_t n, unsigned secs) ;
/* Final dot seen: writes the envelope (unless broken), closes the pipes,
   waits up to secs. Writes the SMTP reply line (no CRLF) into reply
   (SMTPD_REPLY_LINE bytes) and returns its code (250, 451, 554...). */
int smtp_child_finish (struct smtp_child *ch, char const *env, size_t envlen, unsigned secs, char const *qid, char *reply) ;
/* DATA aborted: closes the pipes without an envelope and reaps the child. */
void smtp_child_abort (struct smtp_child *ch, unsigned secs) ;

#endif
