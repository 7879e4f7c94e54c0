/* remote_tls.c: mxhold-remote's TLS client (remote_tls.h) over OpenSSL:
   one SSL_CTX per process, made at the first STARTTLS, one SSL per
   connection. Certificates are checked after the handshake (SSL_VERIFY_NONE,
   then SSL_get_verify_result), so a failed check is a log line with
   OpenSSL's reason rather than an alert; DANE matching is OpenSSL's
   (SSL_dane_enable, SSL_dane_tlsa_add), the records come from remote_dane.c. */
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <time.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "deliver/remote_tls.h"

static SSL_CTX *ctx ;
static int ca_loaded ;

static char const *ssl_err (char const *dflt)
{
  static char buf[256] ;
  unsigned long e = ERR_get_error() ;
  unsigned long next ;
  while ((next = ERR_get_error())) e = next ;   /* the last one is the most specific */
  if (!e) return dflt ;
  ERR_error_string_n(e, buf, sizeof buf) ;
  return buf ;
}

/* The process's context. openssl.cnf is not read (0.4 ms of every
   session's start, tests/bench/remote-tls.sh): what it would set on Debian,
   TLS 1.2 at least, is set here. */
static SSL_CTX *ctx_get (char const **err)
{
  if (ctx) return ctx ;
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, 0) ;
  ctx = SSL_CTX_new(TLS_client_method()) ;
  if (!ctx)
  {
    *err = ssl_err("SSL_CTX_new failed") ;
    return 0 ;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ;
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) ;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, 0) ;
  if (SSL_CTX_dane_enable(ctx) <= 0)
  {
    *err = ssl_err("SSL_CTX_dane_enable failed") ;
    SSL_CTX_free(ctx) ;
    ctx = 0 ;
  }
  return ctx ;
}

/* The CAs: loaded once, at the first session that needs them. */
static int ca_load (char const *cafile, char const **err)
{
  int r ;
  if (ca_loaded) return 0 ;
  r = cafile ? SSL_CTX_load_verify_locations(ctx, cafile, 0) : SSL_CTX_set_default_verify_paths(ctx) ;
  if (r != 1)
  {
    *err = ssl_err("cannot load the CA certificates") ;
    return -1 ;
  }
  ca_loaded = 1 ;
  return 0 ;
}

static int is_address (char const *host)
{
  unsigned char ip[16] ;
  return inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1 ;
}

static int auth_set (SSL *ssl, char const *host, enum remote_tls_auth auth, char const *cafile,
  struct remote_tlsa const *tlsa, int ntlsa, char const **err)
{
  if (auth == REMOTE_TLS_AUTH_CA)
  {
    X509_VERIFY_PARAM *p = SSL_get0_param(ssl) ;
    if (ca_load(cafile, err) == -1) return -1 ;
    X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS) ;
    if ((is_address(host) ? X509_VERIFY_PARAM_set1_ip_asc(p, host) : X509_VERIFY_PARAM_set1_host(p, host, 0)) != 1)
    {
      *err = ssl_err("cannot set the name to check") ;
      return -1 ;
    }
    return 0 ;
  }
  if (auth == REMOTE_TLS_AUTH_DANE)
  {
    int usable = 0 ;
    if (SSL_dane_enable(ssl, host) <= 0)
    {
      *err = ssl_err("SSL_dane_enable failed") ;
      return -1 ;
    }
    /* RFC 7672 3.1.1: a DANE-EE record binds the key, not a name */
    SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS) ;
    for (int i = 0 ; i < ntlsa ; i++)
      if (SSL_dane_tlsa_add(ssl, tlsa[i].usage, tlsa[i].selector, tlsa[i].mtype, tlsa[i].data, tlsa[i].len) > 0) usable++ ;
    if (!usable)
    {
      *err = "no usable TLSA record" ;
      return -1 ;
    }
  }
  return 0 ;
}

int remote_tls_new (void **out, int fd, char const *host, enum remote_tls_auth auth, char const *cafile,
  struct remote_tlsa const *tlsa, int ntlsa, char const **err)
{
  SSL *ssl ;
  ERR_clear_error() ;
  if (!ctx_get(err)) return -1 ;
  ssl = SSL_new(ctx) ;
  if (!ssl)
  {
    *err = ssl_err("SSL_new failed") ;
    return -1 ;
  }
  if (!is_address(host)) SSL_set_tlsext_host_name(ssl, host) ;
  if (SSL_set_fd(ssl, fd) != 1 || auth_set(ssl, host, auth, cafile, tlsa, ntlsa, err) == -1)
  {
    if (!*err) *err = ssl_err("SSL_set_fd failed") ;
    SSL_free(ssl) ;
    return -1 ;
  }
  *out = ssl ;
  return 0 ;
}

static int64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

/* What an SSL call's failure r means: EAGAIN with *want, 0 for a clean
   close, or -1 with errno EPROTO (or the system's). */
static int io_error (SSL *ssl, int r, short *want)
{
  switch (SSL_get_error(ssl, r))
  {
    case SSL_ERROR_WANT_READ :
      *want = POLLIN ;
      errno = EAGAIN ;
      return -1 ;
    case SSL_ERROR_WANT_WRITE :
      *want = POLLOUT ;
      errno = EAGAIN ;
      return -1 ;
    case SSL_ERROR_ZERO_RETURN :
      return 0 ;
    case SSL_ERROR_SYSCALL :
      if (!errno) return 0 ;   /* EOF without close_notify: a close all the same */
      return -1 ;
    default :
      errno = EPROTO ;
      return -1 ;
  }
}

int remote_tls_handshake (void *p, int fd, int64_t deadline, char const **err)
{
  SSL *ssl = p ;
  ERR_clear_error() ;
  for (;;)
  {
    short want = POLLIN ;
    struct pollfd pfd ;
    int64_t left ;
    int r ;
    errno = 0 ;
    r = SSL_connect(ssl) ;
    if (r == 1) return 0 ;
    r = io_error(ssl, r, &want) ;
    if (r == 0)
    {
      *err = "connection closed during the handshake" ;
      return -1 ;
    }
    if (errno != EAGAIN)
    {
      *err = errno == EPROTO ? ssl_err("handshake failed") : strerror(errno) ;
      return -1 ;
    }
    left = deadline - now_ms() ;
    if (left <= 0)
    {
      *err = "timeout" ;
      return -1 ;
    }
    pfd.fd = fd ;
    pfd.events = want ;
    r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) ;
    if (r == -1 && errno != EINTR)
    {
      *err = strerror(errno) ;
      return -1 ;
    }
  }
}

int remote_tls_verified (void *p, enum remote_tls_auth auth, char const **err)
{
  SSL *ssl = p ;
  long v ;
  if (auth == REMOTE_TLS_AUTH_NONE) return 1 ;
  if (!SSL_get0_peer_certificate(ssl))
  {
    *err = "no certificate" ;
    return 0 ;
  }
  v = SSL_get_verify_result(ssl) ;
  if (v != X509_V_OK)
  {
    *err = X509_verify_cert_error_string(v) ;
    return 0 ;
  }
  return 1 ;
}

void remote_tls_desc (void *p, char *buf, size_t n)
{
  SSL *ssl = p ;
  char const *v = SSL_get_version(ssl) ;
  char const *c = SSL_get_cipher_name(ssl) ;
  size_t vl = strlen(v) ;
  size_t cl = strlen(c) ;
  if (!n) return ;
  if (vl + 1 + cl + 1 > n)
  {
    buf[0] = 0 ;
    return ;
  }
  memcpy(buf, v, vl) ;
  buf[vl] = '/' ;
  memcpy(buf + vl + 1, c, cl + 1) ;
}

ssize_t remote_tls_read (void *p, char *buf, size_t n, short *want)
{
  SSL *ssl = p ;
  int r ;
  ERR_clear_error() ;
  errno = 0 ;
  r = SSL_read(ssl, buf, n > INT_MAX ? INT_MAX : (int)n) ;
  return r > 0 ? r : io_error(ssl, r, want) ;
}

ssize_t remote_tls_write (void *p, char const *buf, size_t n, short *want)
{
  SSL *ssl = p ;
  int r ;
  ERR_clear_error() ;
  errno = 0 ;
  r = SSL_write(ssl, buf, n > INT_MAX ? INT_MAX : (int)n) ;
  if (r > 0) return r ;
  r = io_error(ssl, r, want) ;
  if (r == 0)
  {
    errno = EPIPE ;
    return -1 ;
  }
  return r ;
}

void remote_tls_free (void *p)
{
  /* close_notify, if the socket takes it now; no wait for the peer's */
  if (SSL_is_init_finished((SSL *)p)) SSL_shutdown(p) ;
  ERR_clear_error() ;
  SSL_free(p) ;
}
