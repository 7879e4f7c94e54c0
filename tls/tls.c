/* tls.c: mxhold-tls, smtpd's STARTTLS (tls.md). Started by mxhold-smtpd
   at STARTTLS with the client's socket on fd 0/1, a plaintext socket to
   smtpd on fd 3 and a status pipe on fd 4: loads the key pair, says
   "ready", does the handshake, says the protocol and cipher, then
   relays until the connection ends. With -d, the long-lived server that
   does the same in a child per STARTTLS with the pair loaded once
   (tls_server.c). The only processes that hold the key. */
#include <signal.h>
#include <string.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "tls/tls_ctx.h"
#include "tls/tls_server.h"
#include "tls/tls_session.h"

#define USAGE "mxhold-tls [-t secs] confdir | mxhold-tls -d socket [-u uid] confdir"
#define TLS_UID_MAX 4294967294u

static void usage (char const *option, char const *value) __attribute__((noreturn)) ;
static void usage (char const *option, char const *value)
{
  if (option) mx_die_kv(100, "usage", "option", option, "value", value, "usage", USAGE, (char const *)0) ;
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

static unsigned opt_secs (int argc, char const *const *argv, int *i)
{
  uint64_t secs = TLS_SECS_DEFAULT ;
  *i = 1 ;
  if (argc > 2 && !strcmp(argv[1], "-t"))
  {
    if (!mx_u64_scan_all(argv[2], strlen(argv[2]), TLS_SECS_MAX, &secs) || !secs) usage("t", argv[2]) ;
    *i = 3 ;
  }
  if (*i != argc - 1) usage(0, 0) ;
  return (unsigned)secs ;
}

/* -d socket [-u uid] confdir */
static void server (int argc, char const *const *argv) __attribute__((noreturn)) ;
static void server (int argc, char const *const *argv)
{
  uint64_t uid = (uint64_t)(uid_t)-1 ;
  int i = 3 ;
  if (argc < 4 || !argv[2][0]) usage(0, 0) ;
  if (!strcmp(argv[3], "-u"))
  {
    if (argc < 5 || !mx_u64_scan_all(argv[4], strlen(argv[4]), TLS_UID_MAX, &uid)) usage("u", argc < 5 ? "" : argv[4]) ;
    i = 5 ;
  }
  if (i != argc - 1) usage(0, 0) ;
  tls_server(argv[2], (uid_t)uid, argv[i]) ;
}

int main (int argc, char const *const *argv)
{
  char detail[TLS_DETAIL_MAX] ;
  char path[TLS_PATH_MAX] ;
  char const *reason ;
  unsigned secs ;
  SSL_CTX *ctx ;
  int i ;
  mx_log_prog = "mxhold-tls" ;
  mx_cli_std(argc, argv, USAGE, "STARTTLS for mxhold-smtpd: the handshake and the relay, the one process that holds the key") ;
  if (argc > 1 && !strcmp(argv[1], "-d")) server(argc, argv) ;
  secs = opt_secs(argc, argv, &i) ;
  signal(SIGPIPE, SIG_IGN) ;
  ctx = tls_ctx_new(argv[i], &reason, path, sizeof path, detail, sizeof detail) ;
  if (!ctx) tls_unavailable(reason, path, detail) ;
  tls_session(ctx, secs) ;
}
