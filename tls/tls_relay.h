/* tls_relay.h: after the handshake, the relay between the client's TLS
   connection and smtpd's plaintext socket, until one side ends. */
#ifndef MXHOLD_TLS_RELAY_H
#define MXHOLD_TLS_RELAY_H

#include <stddef.h>
#include <openssl/ssl.h>

#define TLS_RELAY_BYTES 16384   /* one TLS record's payload, each way */

/* Relays until smtpd closes its side (then a close_notify goes to the
   client) or the client's side ends (then smtpd's socket is shut down
   and its last replies still relayed while the client reads). A client
   that takes none of smtpd's pending bytes for secs is given up on.
   Returns 0
   for every end that is not a TLS error of the client's while smtpd
   still talks, "protocol" (detail: OpenSSL's text) for that one. Once
   smtpd has closed, nothing counts as an error: a reset after QUIT is
   a normal end. */
char const *tls_relay (SSL *ssl, int plain, unsigned secs, char *detail, size_t max) ;

#endif
