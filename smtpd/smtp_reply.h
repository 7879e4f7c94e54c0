/* smtp_reply.h: a qmail-queue(8) child's exit status, and its optional
   fd-4 text, as the SMTP reply to the final dot (libc only). */
#ifndef MXHOLD_SMTP_REPLY_H
#define MXHOLD_SMTP_REPLY_H

#include <stddef.h>

#define SMTPD_REPLY_MAX 512                  /* a child's custom reply line (fd 4) */
#define SMTPD_REPLY_LINE (SMTPD_REPLY_MAX + 32)  /* a reply made of it, NUL included */

/* Writes the reply line (no CRLF, NUL-terminated) into reply
   (SMTPD_REPLY_LINE bytes) and returns its code. wstatus is waitpid's,
   or -1 for a child killed on timeout; broken: the child did not take
   the whole message. 250 only for exit 0 and not broken; see smtpd.md. */
int smtp_reply_status (int wstatus, int broken, char const *text, size_t len, char const *qid, char *reply) ;

#endif
