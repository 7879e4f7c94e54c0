/* tls_session.c: one session, from "ready" to the end (tls_session.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/write_all.h"
#include "tls/tls_relay.h"
#include "tls/tls_session.h"
#include "tls/tls_shake.h"

#define TLS_STATUS_MAX 128

static char const *client (void)
{
  char const *s = getenv("TCPREMOTEIP") ;
  return s && *s ? s : "-" ;
}

void tls_unavailable (char const *reason, char const *path, char const *detail)
{
  mx_log_kv(MX_LOG_WARN, "tls-unavailable", "client", client(), "path", path[0] ? path : "-",
    "reason", reason, "detail", detail, (char const *)0) ;
  _exit(111) ;
}

static void failed (char const *reason, char const *detail) __attribute__((noreturn)) ;
static void failed (char const *reason, char const *detail)
{
  mx_log_kv(MX_LOG_INFO, "tls-failed", "client", client(), "reason", reason, "detail", detail, (char const *)0) ;
  _exit(1) ;
}

static void status (char const *a, char const *b)
{
  char line[TLS_STATUS_MAX] ;
  int n = b ? snprintf(line, sizeof line, "%s %s\n", a, b) : snprintf(line, sizeof line, "%s\n", a) ;
  if (n <= 0 || (size_t)n >= sizeof line || mx_write_all(TLS_STATUS_FD, line, (size_t)n) == -1)
    failed("error", "cannot write to mxhold-smtpd") ;
}

/* The client's Finished is ACKed now, not 40 ms later: a client whose
   socket has Nagle on holds its first command (EHLO) until that ACK, and
   with no session ticket to send we have nothing to carry it. Not a
   socket (a test's pipe): nothing to do. */
static void quickack (void)
{
  int one = 1 ;
  setsockopt(0, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) ;
}

void tls_session (SSL_CTX *ctx, unsigned secs)
{
  char detail[TLS_DETAIL_MAX] ;
  char const *reason ;
  SSL *ssl = SSL_new(ctx) ;
  if (!ssl || !SSL_set_rfd(ssl, 0) || !SSL_set_wfd(ssl, 1)) tls_unavailable("memory", "", "SSL_new") ;
  status("ready", 0) ;
  if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) == -1
   || fcntl(TLS_PLAIN_FD, F_SETFL, fcntl(TLS_PLAIN_FD, F_GETFL) | O_NONBLOCK) == -1)
    failed("error", strerror(errno)) ;
  reason = tls_shake(ssl, secs, detail, sizeof detail) ;
  if (reason) failed(reason, detail) ;
  quickack() ;
  status(SSL_get_version(ssl), SSL_get_cipher_name(ssl)) ;
  reason = tls_relay(ssl, TLS_PLAIN_FD, secs, detail, sizeof detail) ;
  if (reason) failed(reason, detail) ;
  _exit(0) ;
}
