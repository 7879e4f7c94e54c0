/* tls_session.h: one STARTTLS session on the fds smtpd gives (tls.md):
   0/1 the client's socket, 2 the log, 3 the plaintext socket to smtpd,
   4 the status pipe. The same for a mxhold-tls that smtpd spawned and for
   a child of the mxhold-tls server. */
#ifndef MXHOLD_TLS_SESSION_H
#define MXHOLD_TLS_SESSION_H

#include <openssl/ssl.h>

#define TLS_PLAIN_FD 3
#define TLS_STATUS_FD 4
#define TLS_SECS_DEFAULT 300     /* RFC 5321 4.5.3.2.7's command timeout */
#define TLS_SECS_MAX 86400
#define TLS_DETAIL_MAX 256
#define TLS_PATH_MAX 4096

/* The pair cannot be used: logs tls-unavailable and exits 111 without a
   word on the status pipe (smtpd says 454). */
void tls_unavailable (char const *reason, char const *path, char const *detail) __attribute__((noreturn)) ;

/* Says ready, does the handshake within secs, says the protocol and
   cipher, relays until the session ends; exits (0, or 1 logged). The
   status pipe stays open until the exit: a smtpd that did not start us
   waits for its EOF. */
void tls_session (SSL_CTX *ctx, unsigned secs) __attribute__((noreturn)) ;

#endif
