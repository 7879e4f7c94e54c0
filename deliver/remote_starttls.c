/* remote_starttls.c: tls=none|may|require|verify|dane on one connection
   (remote_starttls.h). Every session's TLS outcome is logged: "tls" when
   the handshake is done (protocol/cipher, what verified it), "tls-plain"
   when it goes on without TLS and why; a failure is the connection's
   failure (its disconnect line, stage=starttls). */
#include <string.h>
#include <arpa/inet.h>
#include "deliver/remote_starttls.h"
#include "deliver/remote_tls.h"

static char const *const policy_names[] = { "none", "may", "require", "verify", "dane" } ;

static int is_address (char const *name)
{
  unsigned char ip[16] ;
  return inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1 ;
}

static void fallback_log (struct remote_addr const *a, char const *why, enum remote_tls_policy to)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "dane-fallback") ;
  mx_log_str(&l, "host", a->name) ;
  mx_log_u64(&l, "port", a->port) ;
  mx_log_str(&l, "reason", why) ;
  mx_log_str(&l, "policy", policy_names[to]) ;
  mx_log_end(&l) ;
}

int remote_starttls_plan (struct remote_cfg const *cfg, struct remote_addr const *a, struct remote_tls_plan *p)
{
  /* the last name's answer: a name's A and AAAA addresses share it */
  static char last[256] ;
  static uint16_t lastport ;
  static struct remote_tlsa_ans ans ;
  static int have ;
  char const *err = 0 ;
  p->policy = cfg->tls ;
  p->fallback = 0 ;
  p->ntlsa = 0 ;
  if (cfg->tls != REMOTE_TLS_DANE) return 0 ;
  if (is_address(a->name)) p->fallback = "no-name" ;
  else
  {
    if (!have || lastport != a->port || strcmp(last, a->name))
    {
      have = 0 ;
      if (remote_dane_lookup(a->name, a->port, cfg->timeout_connect, &ans, &err) == -1 || (ans.rcode != 0 && ans.rcode != 3))
      {
        struct mx_log l ;
        if (!err) err = "the resolver answered with an error (SERVFAIL)" ;
        remote_fail_detail("tlsa-lookup-failed", "TLSA lookup failed (tls=dane): ", err) ;
        mx_log_start(&l, MX_LOG_WARN, "tlsa-failed") ;
        mx_log_str(&l, "host", a->name) ;
        mx_log_u64(&l, "port", a->port) ;
        remote_fail_log(&l) ;
        mx_log_end(&l) ;
        return -1 ;
      }
      have = 1 ;
      lastport = a->port ;
      strcpy(last, a->name) ;
    }
    if (!ans.ad) p->fallback = "insecure" ;
    else if (!ans.n) p->fallback = ans.unusable ? "unusable" : "no-tlsa" ;
    else
    {
      p->ntlsa = ans.n ;
      memcpy(p->tlsa, ans.rr, sizeof ans.rr) ;
      return 0 ;
    }
  }
  p->policy = cfg->dane_fallback ;
  fallback_log(a, p->fallback, p->policy) ;
  return 0 ;
}

static void plain_log (struct remote_io const *io, struct remote_tls_plan const *p, char const *why)
{
  struct mx_log l ;
  remote_io_log(&l, MX_LOG_INFO, "tls-plain", io) ;
  mx_log_str(&l, "reason", why) ;
  mx_log_str(&l, "policy", policy_names[p->policy]) ;
  mx_log_end(&l) ;
}

/* EHLO over the new TLS session (RFC 3207 4.2: forget what was said before). */
static int ehlo_again (struct remote_io *io, char const *me, struct remote_ext *ext)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  int rc = -1 ;
  memset(ext, 0, sizeof *ext) ;
  io->stage = "helo" ;
  if (dlv_buf_cats(&l, "EHLO ") == -1 || dlv_buf_cats(&l, me) == -1 || dlv_buf_cat(&l, "\r\n", 2) == -1)
    remote_fail("out-of-memory", "out of memory") ;
  else if (remote_io_put(io, l.s, l.len) == 0 && remote_io_reply(io, &code, &t, ext) == 0)
  {
    if (code / 100 == 2) rc = 0 ;
    else remote_fail_reply("refused", "EHLO after STARTTLS: ", t.s ? t.s : "") ;
  }
  dlv_buf_free(&l) ;
  dlv_buf_free(&t) ;
  return rc ;
}

/* The TLS session on io: made, shaken hands, checked, logged. 0, -1. */
static int tls_up (struct remote_io *io, struct remote_cfg const *cfg, struct remote_tls_plan const *p)
{
  enum remote_tls_auth auth = p->policy == REMOTE_TLS_VERIFY ? REMOTE_TLS_AUTH_CA
    : p->policy == REMOTE_TLS_DANE ? REMOTE_TLS_AUTH_DANE : REMOTE_TLS_AUTH_NONE ;
  char const *err = 0 ;
  struct mx_log l ;
  if (remote_tls_new(&io->tls, io->fd, io->name, auth, cfg->tls_ca, p->tlsa, p->ntlsa, &err) == -1)
  {
    io->tls = 0 ;
    remote_fail_detail("tls-setup-failed", "TLS setup failed: ", err) ;
    return -1 ;
  }
  if (remote_tls_handshake(io->tls, io->fd, remote_now_ms() + (int64_t)io->timeout * 1000, &err) == -1)
  {
    remote_fail_detail("tls-handshake-failed", "TLS handshake failed: ", err) ;
    return -1 ;
  }
  if (!remote_tls_verified(io->tls, auth, &err))
  {
    remote_fail_detail(auth == REMOTE_TLS_AUTH_DANE ? "dane-mismatch" : "cert-untrusted",
      auth == REMOTE_TLS_AUTH_DANE ? "TLS certificate matches no TLSA record (tls=dane): " : "TLS certificate not trusted (tls=verify): ", err) ;
    return -1 ;
  }
  remote_tls_desc(io->tls, io->tlsdesc, sizeof io->tlsdesc) ;
  io->verify = auth == REMOTE_TLS_AUTH_CA ? "ca" : auth == REMOTE_TLS_AUTH_DANE ? "dane" : "none" ;
  remote_io_log(&l, MX_LOG_INFO, "tls", io) ;
  remote_io_log_tls(&l, io) ;
  mx_log_str(&l, "policy", policy_names[p->policy]) ;
  mx_log_end(&l) ;
  return 0 ;
}

int remote_starttls (struct remote_io *io, char const *me, struct remote_cfg const *cfg,
  struct remote_tls_plan const *p, struct remote_ext *ext, int plain)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  int may = p->policy == REMOTE_TLS_MAY ;
  int rc = -1 ;
  if (p->policy == REMOTE_TLS_NONE) return 0 ;
  io->stage = "starttls" ;
  if (may && plain)
  {
    plain_log(io, p, "tls-failed-before") ;
    return 0 ;
  }
  if (!ext->starttls)
  {
    if (may)
    {
      plain_log(io, p, "not-offered") ;
      return 0 ;
    }
    remote_fail("no-starttls", "TLS required by the domain's tls policy, but the server does not offer STARTTLS") ;
    return -1 ;
  }
  if (remote_io_cmd(io, "STARTTLS", "", "", &code, &t) == -1) goto end ;
  if (code != 220)
  {
    if (may)
    {
      plain_log(io, p, "starttls-refused") ;
      rc = 0 ;
    }
    else remote_fail_reply("starttls-refused", "STARTTLS refused: ", t.s ? t.s : "") ;
    goto end ;
  }
  /* the server's bytes after its 220 would come from before TLS: none
     are allowed; under tls=may, as any failed handshake, the host is
     tried again plain */
  if (io->len)
  {
    remote_fail("starttls-pipelined", "protocol error: data after the reply to STARTTLS") ;
    rc = may ? -2 : -1 ;
    goto end ;
  }
  if (tls_up(io, cfg, p) == -1)
  {
    rc = may ? -2 : -1 ;
    goto end ;
  }
  rc = ehlo_again(io, me, ext) ;
 end:
  dlv_buf_free(&t) ;
  return rc ;
}
