/* tls_ctx.h: the server's TLS context: the policy (TLS 1.2 and 1.3 only,
   forward-secret AEAD ciphers, the server's order) and the certificate
   chain and key read from the config directory. */
#ifndef MXHOLD_TLS_CTX_H
#define MXHOLD_TLS_CTX_H

#include <openssl/ssl.h>

#define TLS_CERT_FILE "tls/cert.pem"   /* in the config directory: a contract */
#define TLS_KEY_FILE "tls/key.pem"

/* The context for DIR's pair, or 0 with *reason set ("cert", "key",
   "mismatch", "memory"), *path the file it is about, and the OpenSSL
   error in detail (detailmax bytes, NUL-terminated). */
SSL_CTX *tls_ctx_new (char const *dir, char const **reason, char *path, size_t pathmax, char *detail, size_t detailmax) ;

/* The OpenSSL error queue's first entry as text into buf (emptied). */
void tls_ctx_error (char *buf, size_t max) ;

#endif
