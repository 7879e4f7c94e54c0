/* smtp_tls.h: STARTTLS (RFC 3207). smtpd links no TLS code: at STARTTLS
   it starts mxhold-tls (tls/tls.md) with the client's socket and goes on
   speaking SMTP, in plain text, on a socket to it. */
#ifndef MXHOLD_SMTP_TLS_H
#define MXHOLD_SMTP_TLS_H

#include "lib/span.h"
#include "smtpd/smtp_conn.h"

/* 1 if EHLO is to offer STARTTLS: TLS is not on yet and the config
   directory's tls/cert.pem and tls/key.pem are both non-empty regular
   files, the certificate one we can read (the key may be readable to
   mxhold-tls alone; mxhold-tls alone parses both). Looked at once per connection;
   a tls/ folder with a pair that is not usable is one warning line
   (tls-unavailable), no tls/ folder is no TLS and no line. */
int smtp_tls_offer (struct smtp_conn *g) ;

/* The STARTTLS command, arg its argument. Refuses it (501, 502, 503,
   454) and returns 0 (the caller counts it as a refused command), or says 220, discards whatever the client sent
   after the command, hands the socket to mxhold-tls and returns 1 once
   the handshake is done: fd 0/1 are then the plaintext socket, g->tls
   is set and the caller resets the session (EHLO again). A failed
   handshake ends the connection (reason=tls-failed). */
int smtp_tls_start (struct smtp_conn *g, struct span arg) ;

/* At the end of the connection: once TLS is on, closes fd 0/1 and waits
   until mxhold-tls has sent what is left and exited (its pid, or the EOF
   of a server child's status pipe). */
void smtp_tls_end (struct smtp_conn *g) ;

#endif
