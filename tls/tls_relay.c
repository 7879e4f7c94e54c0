/* tls_relay.c: ciphertext on the client's socket <-> plaintext on
   smtpd's (tls_relay.h). Both fds are non-blocking; one loop tries every
   transfer that can move and polls only when none did. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include "tls/tls_ctx.h"
#include "tls/tls_relay.h"
#include "tls/tls_shake.h"

struct relay
{
  SSL *ssl ;
  int plain ;
  char in[TLS_RELAY_BYTES] ;    /* from the client, for smtpd */
  size_t inoff ;
  size_t inlen ;
  char out[TLS_RELAY_BYTES] ;   /* from smtpd, for the client */
  size_t outoff ;
  size_t outlen ;
  int client_eof ;              /* no more from the client */
  int client_dead ;             /* nothing more can go to the client */
  int smtpd_eof ;               /* smtpd closed its side */
  int smtpd_shut ;              /* we shut smtpd's reading side down */
  short client_ev ;             /* what the client's socket waits for */
  short smtpd_ev ;
  char const *error ;           /* a TLS error of the client's: "protocol" */
} ;

/* An SSL_read or SSL_write that did not move: wait, or the client is done. */
static void client_stop (struct relay *r, int ret, char *detail, size_t max)
{
  int err = SSL_get_error(r->ssl, ret) ;
  if (err == SSL_ERROR_WANT_READ)
  {
    r->client_ev |= POLLIN ;
    return ;
  }
  if (err == SSL_ERROR_WANT_WRITE)
  {
    r->client_ev |= POLLOUT ;
    return ;
  }
  r->client_eof = 1 ;
  if (err == SSL_ERROR_ZERO_RETURN) return ;   /* close_notify: a clean end */
  r->client_dead = 1 ;
  if (err == SSL_ERROR_SSL && !tls_peer_gone() && !r->smtpd_eof && !r->error)
  {
    r->error = "protocol" ;
    tls_ctx_error(detail, max) ;
  }
  ERR_clear_error() ;
}

static int client_to_smtpd (struct relay *r, char *detail, size_t max)
{
  int moved = 0 ;
  if (!r->client_eof && !r->inlen)
  {
    int n = SSL_read(r->ssl, r->in, sizeof r->in) ;
    if (n <= 0) client_stop(r, n, detail, max) ;
    else
    {
      r->inoff = 0 ;
      r->inlen = (size_t)n ;
      moved = 1 ;
    }
  }
  if (r->inlen && !r->smtpd_eof)
  {
    ssize_t w = write(r->plain, r->in + r->inoff, r->inlen) ;
    if (w > 0)
    {
      r->inoff += (size_t)w ;
      r->inlen -= (size_t)w ;
      moved = 1 ;
    }
    else if (errno == EAGAIN || errno == EINTR) r->smtpd_ev |= POLLOUT ;
    else r->smtpd_eof = 1 ;   /* smtpd is gone */
  }
  if (r->client_eof && !r->inlen && !r->smtpd_shut)
  {
    shutdown(r->plain, SHUT_WR) ;   /* smtpd reads its EOF, logs, exits */
    r->smtpd_shut = 1 ;
    moved = 1 ;
  }
  return moved ;
}

static int smtpd_to_client (struct relay *r, char *detail, size_t max)
{
  int moved = 0 ;
  if (!r->smtpd_eof && !r->outlen)
  {
    ssize_t n = read(r->plain, r->out, sizeof r->out) ;
    if (n > 0)
    {
      r->outoff = 0 ;
      r->outlen = (size_t)n ;
      moved = 1 ;
    }
    else if (n == -1 && (errno == EAGAIN || errno == EINTR)) r->smtpd_ev |= POLLIN ;
    else
    {
      r->smtpd_eof = 1 ;
      moved = 1 ;
    }
  }
  if (r->outlen && r->client_dead) r->outlen = 0 ;   /* nobody to read it */
  if (r->outlen)
  {
    int n = SSL_write(r->ssl, r->out + r->outoff, (int)r->outlen) ;
    if (n <= 0) client_stop(r, n, detail, max) ;
    else
    {
      r->outoff += (size_t)n ;
      r->outlen -= (size_t)n ;
      moved = 1 ;
    }
  }
  return moved ;
}

/* Nothing moved: wait for what each side asked for. 0 on a stall. */
static int relay_wait (struct relay *r, unsigned secs)
{
  struct pollfd p[2] =
  {
    { .fd = SSL_get_rfd(r->ssl), .events = r->client_ev, .revents = 0 },
    { .fd = r->plain, .events = r->smtpd_ev, .revents = 0 }
  } ;
  /* waiting for the client's input is smtpd's business (its timeouts),
     and so is a smtpd that does not read yet (after DATA it may wait
     timeout_queue for the queue; it reads or exits, and its exit is our
     EOF); a client that does not read what smtpd says is ours */
  int pending = r->outlen || (r->client_ev & POLLOUT) ;
  int ms = pending ? (int)secs * 1000 : -1 ;
  int n ;
  do n = poll(p, 2, ms) ;
  while (n == -1 && errno == EINTR) ;
  return n != 0 ;
}

char const *tls_relay (SSL *ssl, int plain, unsigned secs, char *detail, size_t max)
{
  static struct relay r ;
  r.ssl = ssl ;
  r.plain = plain ;
  for (;;)
  {
    int moved ;
    r.client_ev = 0 ;
    r.smtpd_ev = 0 ;
    ERR_clear_error() ;
    moved = client_to_smtpd(&r, detail, max) ;
    moved |= smtpd_to_client(&r, detail, max) ;
    if (r.smtpd_eof && !r.outlen) break ;
    if (r.client_dead && !r.smtpd_eof)
    {
      close(plain) ;   /* smtpd reads EOF (or EPIPE) and ends */
      return r.error ;
    }
    if (!moved && !relay_wait(&r, secs)) return 0 ;
  }
  if (!r.client_dead) SSL_shutdown(ssl) ;   /* our close_notify; the client's is not awaited */
  return r.error ;   /* smtpd may have read our shutdown and closed first */
}
