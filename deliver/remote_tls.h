/* remote_tls.h: the TLS client of mxhold-remote (remote_tls.c, OpenSSL):
   one SSL over an open nonblocking socket, its handshake within a
   deadline, its checks (a CA chain and the host name, or DANE TLSA
   records), and the record I/O remote_io.c uses once STARTTLS is done.
   It knows nothing of SMTP or of remote_io. */
#ifndef MXHOLD_REMOTE_TLS_H
#define MXHOLD_REMOTE_TLS_H

#include <stdint.h>
#include <sys/types.h>
#include "deliver/remote_tlsa.h"

/* What a session checks of the server's certificate. */
enum remote_tls_auth {
  REMOTE_TLS_AUTH_NONE,   /* nothing: encryption only (tls=may, require) */
  REMOTE_TLS_AUTH_CA,     /* the chain to a trusted CA, the host name in it (tls=verify) */
  REMOTE_TLS_AUTH_DANE    /* one of the TLSA records matches (tls=dane, RFC 7672) */
} ;

/* A client SSL on fd for host (SNI unless host is an address; the name,
   or the address, the certificate must hold under AUTH_CA; the base
   domain under AUTH_DANE). cafile: the CAs for AUTH_CA, or 0 for the
   system store. tlsa[0..ntlsa): the records for AUTH_DANE. 0 with *out
   set, or -1 with *err (static text). */
int remote_tls_new (void **out, int fd, char const *host, enum remote_tls_auth auth, char const *cafile,
  struct remote_tlsa const *tlsa, int ntlsa, char const **err) ;
/* The handshake, until deadline (ms, CLOCK_MONOTONIC). 0, or -1 with *err
   (static text; "timeout" on the deadline). */
int remote_tls_handshake (void *ssl, int fd, int64_t deadline, char const **err) ;
/* 1 if the certificate passed the checks of auth (the one the SSL was
   made with; always 1 under AUTH_NONE), else 0 with *err (OpenSSL's
   reason, static). */
int remote_tls_verified (void *ssl, enum remote_tls_auth auth, char const **err) ;
/* "PROTOCOL/CIPHER" of the session into buf (n bytes). */
void remote_tls_desc (void *ssl, char *buf, size_t n) ;
/* read(2) and write(2) over the session: > 0 bytes, 0 the peer closed,
   -1 with errno (EAGAIN: wait for *want, POLLIN or POLLOUT; EPROTO: a TLS
   error). */
ssize_t remote_tls_read (void *ssl, char *buf, size_t n, short *want) ;
ssize_t remote_tls_write (void *ssl, char const *buf, size_t n, short *want) ;
/* Sends close_notify if the handshake was done (without waiting), and
   frees the session (the socket is the caller's to close). */
void remote_tls_free (void *ssl) ;

#endif
