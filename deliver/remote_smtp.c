/* remote_smtp.c: one SMTP client session (RFC 5321) for batches of
   messages: a connection per address until one serves, the greeting and
   EHLO/HELO, the batch over it (one message at a time: remote_txn.c),
   the connection kept for the next batch, QUIT. Each connection's end is
   one log line, disconnect, with why. */
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include "deliver/remote_txn.h"
#include "deliver/remote_starttls.h"

/* Greeting and EHLO (HELO if EHLO is refused), then STARTTLS as the
   domain's tls= asks (remote_starttls.c). 0, -1 with the failure set, or
   -2: the handshake failed under tls=may (try the host again plain). */
static int hello (struct remote_io *io, struct remote_cfg const *cfg, struct remote_tls_plan const *plan,
  int plain, struct remote_ext *ext)
{
  char const *me = cfg->me ;
  struct dlv_buf t = DLV_BUF_ZERO ;
  struct dlv_buf l = DLV_BUF_ZERO ;
  unsigned int code ;
  int rc = -1 ;
  memset(ext, 0, sizeof *ext) ;
  io->stage = "greeting" ;
  if (remote_io_reply(io, &code, &t, 0) == -1) goto end ;
  if (code / 100 != 2)
  {
    remote_fail_reply("refused", "greeting: ", t.s ? t.s : "") ;
    goto end ;
  }
  io->stage = "helo" ;
  dlv_buf_cats(&l, "EHLO ") ;
  dlv_buf_cats(&l, me) ;
  dlv_buf_cat(&l, "\r\n", 2) ;
  if (!l.s)
  {
    remote_fail("out-of-memory", "out of memory") ;
    goto end ;
  }
  /* its reply with ext: the keywords are on its continuation lines */
  if (remote_io_put(io, l.s, l.len) == -1 || remote_io_reply(io, &code, &t, ext) == -1) goto end ;
  if (code / 100 != 2)
  {
    memset(ext, 0, sizeof *ext) ;
    if (remote_io_cmd(io, "HELO ", me, "", &code, &t) == -1) goto end ;
    if (code / 100 != 2)
    {
      remote_fail_reply("refused", "HELO: ", t.s ? t.s : "") ;
      goto end ;
    }
  }
  rc = remote_starttls(io, me, cfg, plan, ext, plain) ;
 end:
  dlv_buf_free(&l) ;
  dlv_buf_free(&t) ;
  return rc ;
}

/* The connection kept between batches (remote.md: batches and the idle
   marker). io.fd is -1 when there is none. */
static struct remote_io io = { .fd = -1 } ;
static struct remote_ext ext ;

int remote_connected (void)
{
  return io.fd >= 0 ;
}

/* A kept connection is usable if nothing is waiting on it: a server only
   talks first to close (421 on an idle timeout, or a plain FIN). */
static int io_alive (void)
{
  struct pollfd p = { .fd = io.fd, .events = POLLIN } ;
  if (io.len) return 0 ;
  return poll(&p, 1, 0) == 0 ;
}

/* Closes the connection and logs its end: why, or (why NULL) the last
   failure and its stage, at level. */
static void io_drop (char const *level, char const *why)
{
  struct mx_log l ;
  if (io.fd < 0) return ;
  remote_io_log(&l, level, "disconnect", &io) ;
  if (io.tls) remote_io_log_tls(&l, &io) ;
  remote_io_close(&io) ;
  mx_log_u64(&l, "messages", io.msgs) ;
  mx_log_ms(&l, "duration", (uint64_t)(remote_now_ms() - io.since)) ;
  if (why) mx_log_str(&l, "reason", why) ;
  else
  {
    mx_log_str(&l, "stage", io.stage) ;
    remote_fail_log(&l) ;
  }
  mx_log_end(&l) ;
}

void remote_quit (struct remote_cfg const *cfg)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  if (io.fd < 0) return ;
  io.timeout = REMOTE_QUIT_TIMEOUT < cfg->timeout_remote ? REMOTE_QUIT_TIMEOUT : cfg->timeout_remote ;
  io.stage = "quit" ;
  remote_io_cmd(&io, "QUIT", "", "", &code, &t) ;   /* the mail is sent: its reply changes nothing */
  dlv_buf_free(&t) ;
  io_drop(MX_LOG_INFO, "quit") ;
}

/* The hosts ("name[ip]:port") whose TLS handshake failed under tls=may
   in this process: they are tried plain from then on. 1 if c's host is
   one; with add, c's host joins them (0 if there is no room). */
static int tls_failed_before (struct remote_io const *c, int add)
{
  static char failed[REMOTE_HOSTS_MAX][sizeof c->host] ;
  static int nfailed ;
  for (int i = 0 ; i < nfailed ; i++)
    if (!strcmp(failed[i], c->host)) return 1 ;
  if (!add || nfailed == REMOTE_HOSTS_MAX) return 0 ;
  strcpy(failed[nfailed++], c->host) ;
  return 1 ;
}

/* Sends msgs[*next..n) over io. 0 all done (the connection stays usable);
   -1 lost (the message on the wire has its t results, *next is past it);
   -2 lost before the first message's DATA was accepted, with retry set:
   nothing reported, safe to send again on a new connection. */
static int send_all (struct remote_msg *msgs, size_t n, size_t *next, int retry)
{
  for (; *next < n ; (*next)++)
  {
    int r = remote_msg_send(&io, &ext, msgs + *next, retry) ;
    if (r == -2) return -2 ;
    if (r == -1)
    {
      (*next)++ ;
      return -1 ;
    }
    retry = 0 ;   /* a message went through: the connection was alive */
  }
  return 0 ;
}

void remote_session (struct remote_cfg const *cfg, struct remote_addr const *addrs, int naddr,
  struct remote_msg *msgs, size_t nmsg)
{
  size_t next = 0 ;
  char const *lasthost = "-" ;
  if (io.fd >= 0 && !io_alive()) io_drop(MX_LOG_INFO, "closed-while-idle") ;   /* closed (or 421) while we were idle */
  if (io.fd >= 0)
  {
    io.timeout = cfg->timeout_remote ;
    /* A kept connection may die under the first command (the server's
       idle timeout crossing our MAIL): then, and only before a DATA was
       accepted, the batch starts again on a fresh connection, once. */
    switch (send_all(msgs, nmsg, &next, 1))
    {
      case 0 :
        return ;
      case -1 :
        lasthost = io.host ;
        io_drop(MX_LOG_WARN, 0) ;
        break ;
      default :   /* nothing lost: the batch goes again */
        io_drop(MX_LOG_INFO, 0) ;
        break ;
    }
  }
  for (int a = 0 ; a < naddr && next < nmsg ; a++)
  {
    struct remote_tls_plan plan ;
    int h ;
    if (remote_starttls_plan(cfg, addrs + a, &plan) == -1)
    {
      lasthost = addrs[a].name ;
      continue ;
    }
    if (remote_io_connect(&io, addrs + a, cfg->timeout_connect) == -1)
    {
      lasthost = addrs[a].name ;
      continue ;
    }
    lasthost = io.host ;
    io.timeout = cfg->timeout_remote ;
    h = hello(&io, cfg, &plan, tls_failed_before(&io, 0), &ext) ;
    if (h == -2 && tls_failed_before(&io, 1))
    {
      /* tls=may and the handshake failed: this host again, plain (remote.md) */
      io_drop(MX_LOG_WARN, 0) ;
      a-- ;
      continue ;
    }
    if (h < 0 || send_all(msgs, nmsg, &next, 0))
    {
      io_drop(MX_LOG_WARN, 0) ;
      continue ;
    }
    return ;   /* kept: the caller QUITs or reuses it */
  }
  remote_result_rest(msgs, next, nmsg, lasthost, remote_err.s && remote_err.len ? remote_err.s : "no downstream host reachable") ;
}
