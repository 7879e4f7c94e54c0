/* tls_shake.c: the handshake within a deadline (tls_shake.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include "tls/tls_ctx.h"
#include "tls/tls_shake.h"

uint64_t tls_now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

int tls_wait (int fd, short events, uint64_t deadline)
{
  struct pollfd p = { .fd = fd, .events = events, .revents = 0 } ;
  for (;;)
  {
    int ms = -1 ;
    int r ;
    if (deadline)
    {
      uint64_t now = tls_now_ms() ;
      ms = now >= deadline ? 0 : (int)(deadline - now) ;
    }
    r = poll(&p, 1, ms) ;
    if (r >= 0) return r ;
    if (errno != EINTR) return -1 ;
  }
}

int tls_peer_gone (void)
{
  unsigned long e = ERR_peek_error() ;
  return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING ;
}

/* The handshake stopped with err (not a WANT_*): why, in a word. */
static char const *failure (int err, char *detail, size_t max)
{
  int e = errno ;
  if (err == SSL_ERROR_SSL && !tls_peer_gone())
  {
    tls_ctx_error(detail, max) ;
    return "handshake" ;
  }
  if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && e && e != ECONNRESET && e != EPIPE)
  {
    snprintf(detail, max, "%s", strerror(e)) ;
    return "error" ;
  }
  snprintf(detail, max, "%s", e == ECONNRESET ? "connection reset" : "connection closed") ;
  ERR_clear_error() ;
  return "eof" ;
}

char const *tls_shake (SSL *ssl, unsigned secs, char *detail, size_t max)
{
  uint64_t deadline = tls_now_ms() + (uint64_t)secs * 1000 ;
  for (;;)
  {
    int r ;
    int err ;
    int w ;
    ERR_clear_error() ;
    errno = 0 ;
    r = SSL_accept(ssl) ;
    if (r == 1) return 0 ;
    err = SSL_get_error(ssl, r) ;
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return failure(err, detail, max) ;
    w = err == SSL_ERROR_WANT_READ ? tls_wait(SSL_get_rfd(ssl), POLLIN, deadline) : tls_wait(SSL_get_wfd(ssl), POLLOUT, deadline) ;
    if (w == 1) continue ;
    snprintf(detail, max, "%s", w ? strerror(errno) : "no handshake within the command timeout") ;
    return w ? "error" : "timeout" ;
  }
}
