/* tls_server.h: mxhold-tls -d: the long-lived server that holds the
   initialised SSL_CTX and forks one child per STARTTLS (tls.md, "The
   server"). */
#ifndef MXHOLD_TLS_SERVER_H
#define MXHOLD_TLS_SERVER_H

#include <sys/types.h>

/* Listens on the Unix socket at path for smtpd's requests (only from
   uid unless uid is -1), for config directory dir. Never returns. */
void tls_server (char const *path, uid_t uid, char const *dir) __attribute__((noreturn)) ;

#endif
