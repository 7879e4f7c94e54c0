/* tls_ctx.c: the TLS policy and the key pair (tls_ctx.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "tls/tls_ctx.h"

/* TLS 1.2: ECDHE with an AEAD only, the server's order; TLS 1.3's
   three suites are all AEAD (OpenSSL's default list, ours in order). */
#define TLS_CIPHERS_12 "ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_SUITES_13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

void tls_ctx_error (char *buf, size_t max)
{
  unsigned long e = ERR_get_error() ;
  if (!e)
  {
    snprintf(buf, max, "%s", "no OpenSSL error") ;
    return ;
  }
  ERR_error_string_n(e, buf, max) ;
  ERR_clear_error() ;
}

static int policy (SSL_CTX *ctx)
{
  /* one process per connection: a session cache or a ticket key would
     die with it, so none is kept or sent */
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION
    | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET) ;
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF) ;
  SSL_CTX_set_num_tickets(ctx, 0) ;
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) ;
  /* Debian's openssl.cnf says SECLEVEL=2; we do not read it, so we say it */
  SSL_CTX_set_security_level(ctx, 2) ;
  return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
    && SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
    && SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12)
    && SSL_CTX_set_ciphersuites(ctx, TLS_SUITES_13) ;
}

static int mismatch (void)
{
  unsigned long e = ERR_peek_error() ;
  return ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ;
}

static int file_path (char *path, size_t max, char const *dir, char const *name)
{
  int n = snprintf(path, max, "%s/%s", dir, name) ;
  return n > 0 && (size_t)n < max ;
}

SSL_CTX *tls_ctx_new (char const *dir, char const **reason, char *path, size_t pathmax, char *detail, size_t detailmax)
{
  SSL_CTX *ctx = 0 ;
  *reason = "memory" ;
  path[0] = 0 ;
  /* no openssl.cnf: our policy is all set here (tls.md, "Cost") */
  if (!OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, 0)) goto fail ;
  ctx = SSL_CTX_new(TLS_server_method()) ;
  if (!ctx || !policy(ctx)) goto fail ;
  *reason = "cert" ;
  if (!file_path(path, pathmax, dir, TLS_CERT_FILE) || SSL_CTX_use_certificate_chain_file(ctx, path) != 1) goto fail ;
  *reason = "key" ;
  if (!file_path(path, pathmax, dir, TLS_KEY_FILE) || SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1)
  {
    /* a key that parses but is not the certificate's is caught here */
    if (mismatch()) *reason = "mismatch" ;
    goto fail ;
  }
  *reason = "mismatch" ;
  if (SSL_CTX_check_private_key(ctx) != 1) goto fail ;
  return ctx ;
 fail:
  tls_ctx_error(detail, detailmax) ;
  if (ctx) SSL_CTX_free(ctx) ;
  return 0 ;
}
