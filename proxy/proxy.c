/* proxy.c: mxhold-proxy, the front of the inbound chain behind a load
   balancer. A peer listed in the config's proxies file must open with a
   PROXY v1 or v2 header; its addresses become TCPREMOTEIP/TCPREMOTEPORT
   (and TCPLOCALIP/TCPLOCALPORT) and the rest of the command line is
   exec'd with the socket positioned just past the header. Any other peer
   gets 421 and is dropped. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/exec.h>
#include <skalibs/sgetopt.h>
#include <skalibs/types.h>
#include "conf/conf.h"
#include "lib/cli.h"
#include "lib/counter.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "proxy/proxy.h"

#define USAGE "mxhold-proxy [ -c confdir ] [ -t seconds ] prog..."
#define PX_ME_MAX 255   /* a host name (RFC 1035 2.3.4) */

static unsigned char hdr[PX_V2_MAX] ;
static struct conf conf ;
static int haveconf ;

/* Refusals by reason, for the metrics (lib/counter.h, in the queue). */
static void count_refusal (char const *reason)
{
  char name[MX_COUNTER_NAME_MAX + 1] ;
  struct span q ;
  if (!haveconf || !conf_queue(&conf, &q)) return ;
  if (mx_counter_name(name, sizeof name, "mxhold_refusals_total", "program", "proxy", "reason", reason, (char const *)0))
    mx_counter_add_q(q.p, q.len, name, 1) ;
}

static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* An untrusted peer: a greeting it can read, then hang up. */
static void refuse_peer (struct conf const *c, char const *peer)
{
  struct span me = SPAN_STR("localhost") ;
  char line[PX_ME_MAX + 64] ;
  size_t n ;
  mx_log_kv(MX_LOG_INFO, "refused", "client", peer && peer[0] ? peer : "-", "reason", "untrusted-proxy", (char const *)0) ;
  count_refusal("untrusted-proxy") ;
  if (haveconf) conf_me(c, &me) ;
  if (me.len > PX_ME_MAX) me.len = PX_ME_MAX ;
  signal(SIGPIPE, SIG_IGN) ;   /* a peer gone already: nothing to tell */
  memcpy(line, "421 4.7.0 ", 10) ;
  n = 10 ;
  memcpy(line + n, me.p, me.len) ;
  n += me.len ;
  memcpy(line + n, " no access from this address\r\n", 30) ;
  n += 30 ;
  mx_write_all(1, line, n) ;
  _exit(0) ;
}

static void set_port (char const *name, uint16_t port)
{
  char s[MX_U64_FMT + 1] ;
  s[mx_u64_fmt(s, port)] = 0 ;
  if (setenv(name, s, 1) == -1) mx_die_kv(111, "out-of-memory", (char const *)0) ;
}

/* The header's client replaces tcpserver's view of the connection. */
static void take_header (struct px_header const *h, char const *peer)
{
  char const *ver = h->version == 1 ? "v1" : "v2" ;
  char port[MX_U64_FMT + 1] ;
  if (h->local)
  {
    mx_log_kv(MX_LOG_INFO, "proxied", "client", peer, "ip", peer, "proxy", "local", (char const *)0) ;
    return ;
  }
  if (setenv("TCPREMOTEIP", h->src, 1) == -1 || setenv("TCPLOCALIP", h->dst, 1) == -1)
    mx_die_kv(111, "out-of-memory", (char const *)0) ;
  set_port("TCPREMOTEPORT", h->sport) ;
  set_port("TCPLOCALPORT", h->dport) ;
  /* tcpserver's names and ident were the proxy's, not the client's */
  unsetenv("TCPREMOTEHOST") ;
  unsetenv("TCPREMOTEINFO") ;
  unsetenv("TCPLOCALHOST") ;
  port[mx_u64_fmt(port, h->sport)] = 0 ;
  mx_log_kv(MX_LOG_INFO, "proxied", "client", h->src, "port", port, "ip", peer, "proxy", ver, (char const *)0) ;
}

/* No usable header from a trusted proxy: one line, and the connection ends
   (there is no client to answer: the proxy is not speaking for one). */
static void header_failed (char const *peer, char const *why, int e)
{
  if (!strcmp(why, "read-error"))
    mx_log_kv(MX_LOG_WARN, "refused", "ip", peer, "reason", "read-error", "error", strerror(e), (char const *)0) ;
  else if (!strcmp(why, "timeout") || !strcmp(why, "eof"))
    mx_log_kv(MX_LOG_WARN, "refused", "ip", peer, "reason", !strcmp(why, "eof") ? "header-eof" : "header-timeout", (char const *)0) ;
  else mx_log_kv(MX_LOG_WARN, "refused", "ip", peer, "reason", "bad-header", "detail", why, (char const *)0) ;
  count_refusal(!strcmp(why, "timeout") ? "header-timeout" : !strcmp(why, "eof") ? "header-eof" : !strcmp(why, "read-error") ? "read-error" : "bad-header") ;
  _exit(0) ;
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  char const *peer = getenv("TCPREMOTEIP") ;
  unsigned int secs = PX_TIMEOUT_SECS ;
  struct px_header h ;
  char const *why ;
  subgetopt l = SUBGETOPT_ZERO ;
  mx_log_prog = "mxhold-proxy" ;
  mx_cli_std(argc, argv, USAGE, "takes a trusted load balancer's PROXY header, sets the real client, runs the rest") ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:t:", &l) ;
    if (opt == -1) break ;
    if (opt == 'c') confdir = l.arg ;
    else if (opt != 't' || !uint0_scan(l.arg, &secs) || !secs) usage() ;
  }
  argc -= l.ind ;
  argv += l.ind ;
  if (!argc) usage() ;
  haveconf = conf_open(&conf, conf_dir(confdir)) == 0 ;
  if (!haveconf)
    mx_log_kv(MX_LOG_WARN, "config-unreadable", "path", conf_dir(confdir), "error", strerror(errno), "reason", "no-trusted-proxies", (char const *)0) ;
  if (!haveconf || !peer || !conf_proxy_trusted(&conf, peer)) refuse_peer(&conf, peer) ;
  if (px_read(0, hdr, px_now_ms() + (uint64_t)secs * 1000, &h, &why) == -1) header_failed(peer, why, errno) ;
  take_header(&h, peer) ;
  conf_close(&conf) ;
  exec(argv) ;
  mx_die_kv(111, "exec-failed", "path", argv[0], "error", strerror(errno), (char const *)0) ;
}
