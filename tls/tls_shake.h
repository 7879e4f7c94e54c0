/* tls_shake.h: the server side of the TLS handshake on the client's
   socket, within a deadline. */
#ifndef MXHOLD_TLS_SHAKE_H
#define MXHOLD_TLS_SHAKE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

/* Milliseconds on the monotonic clock. */
uint64_t tls_now_ms (void) ;

/* Polls fd for events until the monotonic deadline (ms, 0: none): 1
   ready, 0 timed out, -1 + errno. */
int tls_wait (int fd, short events, uint64_t deadline) ;

/* 1 if the OpenSSL error queue's first entry is the peer closing the
   connection without a close_notify (a client gone, not a TLS error). */
int tls_peer_gone (void) ;

/* SSL_accept on ssl (its fds non-blocking) within secs. 0 when done;
   else the reason in a word: "handshake" (not TLS, or no common
   version or cipher), "eof" (the client went away), "timeout", "error"
   (a local failure), with the OpenSSL or errno text in detail. */
char const *tls_shake (SSL *ssl, unsigned secs, char *detail, size_t max) ;

#endif
