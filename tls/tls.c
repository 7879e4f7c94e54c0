/* tls.c: mxhold-tls, smtpd's STARTTLS (tls.md). Started by mxhold-smtpd
   at STARTTLS with the client's socket on fd 0/1, a plaintext socket to
   smtpd on fd 3 and a status pipe on fd 4: loads the key pair, says
   "ready", does the handshake, says the protocol and cipher, then
   relays until the connection ends. The only process that holds the key. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "tls/tls_ctx.h"
#include "tls/tls_relay.h"
#include "tls/tls_shake.h"

#define USAGE "mxhold-tls [-t secs] confdir"
#define TLS_PLAIN_FD 3
#define TLS_STATUS_FD 4
#define TLS_SECS_DEFAULT 300     /* RFC 5321 4.5.3.2.7's command timeout */
#define TLS_SECS_MAX 86400
#define TLS_DETAIL_MAX 256
#define TLS_PATH_MAX 4096
#define TLS_STATUS_MAX 128

static char const *client (void)
{
  char const *s = getenv("TCPREMOTEIP") ;
  return s && *s ? s : "-" ;
}

/* The pair cannot be used: smtpd reads EOF on the status pipe and says 454. */
static void unavailable (char const *reason, char const *path, char const *detail) __attribute__((noreturn)) ;
static void unavailable (char const *reason, char const *path, char const *detail)
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

static unsigned opt_secs (int argc, char const *const *argv, int *i)
{
  uint64_t secs = TLS_SECS_DEFAULT ;
  *i = 1 ;
  if (argc > 2 && !strcmp(argv[1], "-t"))
  {
    if (!mx_u64_scan_all(argv[2], strlen(argv[2]), TLS_SECS_MAX, &secs) || !secs)
      mx_die_kv(100, "usage", "option", "t", "value", argv[2], "usage", USAGE, (char const *)0) ;
    *i = 3 ;
  }
  if (*i != argc - 1) mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  return (unsigned)secs ;
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

int main (int argc, char const *const *argv)
{
  char detail[TLS_DETAIL_MAX] ;
  char path[TLS_PATH_MAX] ;
  char const *reason ;
  int i ;
  unsigned secs ;
  SSL_CTX *ctx ;
  SSL *ssl ;
  mx_log_prog = "mxhold-tls" ;
  mx_cli_std(argc, argv, USAGE, "STARTTLS for mxhold-smtpd: the handshake and the relay, the one process that holds the key") ;
  secs = opt_secs(argc, argv, &i) ;
  signal(SIGPIPE, SIG_IGN) ;
  ctx = tls_ctx_new(argv[i], &reason, path, sizeof path, detail, sizeof detail) ;
  if (!ctx) unavailable(reason, path, detail) ;
  ssl = SSL_new(ctx) ;
  if (!ssl || !SSL_set_rfd(ssl, 0) || !SSL_set_wfd(ssl, 1)) unavailable("memory", "", "SSL_new") ;
  status("ready", 0) ;
  if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) == -1
   || fcntl(TLS_PLAIN_FD, F_SETFL, fcntl(TLS_PLAIN_FD, F_GETFL) | O_NONBLOCK) == -1)
    failed("error", strerror(errno)) ;
  reason = tls_shake(ssl, secs, detail, sizeof detail) ;
  if (reason) failed(reason, detail) ;
  quickack() ;
  status(SSL_get_version(ssl), SSL_get_cipher_name(ssl)) ;
  close(TLS_STATUS_FD) ;
  reason = tls_relay(ssl, TLS_PLAIN_FD, secs, detail, sizeof detail) ;
  if (reason) failed(reason, detail) ;
  return 0 ;
}
