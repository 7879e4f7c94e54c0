/* smtp_session.c: the SMTP dialogue (RFC 5321 4.1), command by command.
   DATA itself is in smtp_msg.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "smtpd/smtpd.h"

void smtp_reply (struct smtpd *g, char const *s)
{
  if (smtp_io_puts(&g->io, s) == -1 || smtp_io_put(&g->io, "\r\n", 2) == -1) smtp_end(g, 0) ;
}

void smtp_end (struct smtpd *g, int code)
{
  smtp_io_flush(&g->io) ;
  _exit(code) ;
}

static void info (struct smtpd *g, char const *what)
{
  struct smtp_log l ;
  smtp_log_start(&l, "info") ;
  smtp_log_s(&l, g->ip) ;
  smtp_log_s(&l, " ") ;
  smtp_log_s(&l, what) ;
  smtp_log_end(&l) ;
}

/* A refused command: too many in a row and the client is not an MTA. */
static void bad (struct smtpd *g, char const *s)
{
  smtp_reply(g, s) ;
  if (++g->errors < CONF_LIM(&g->lim, errors)) return ;
  smtp_reply(g, "421 4.7.0 too many errors, closing connection") ;
  info(g, "too many errors") ;
  smtp_end(g, 0) ;
}

static void good (struct smtpd *g, char const *s)
{
  g->errors = 0 ;
  smtp_reply(g, s) ;
}

static void env_add (struct smtpd *g, char c, char const *s, size_t n)
{
  if (g->envcap - g->envlen < n + 3)   /* + the envelope's final NUL */
  {
    size_t cap = g->envcap + n + 2 + 1024 ;
    char *p = realloc(g->env, cap) ;
    if (!p) { smtp_reply(g, "421 4.3.0 out of memory") ; smtp_end(g, 111) ; }
    g->env = p ; g->envcap = cap ;
  }
  g->env[g->envlen++] = c ;
  if (n) memcpy(g->env + g->envlen, s, n) ;   /* s is NULL for <> */
  g->envlen += n ;
  g->env[g->envlen++] = 0 ;
}

/* The recipient just added ends in its domain (dlen bytes): store it as
   conf_domain_find matched it, lower case and without the one trailing
   dot we tolerate, so downstream never sees "EXAMPLE.COM.". */
static void env_domain_norm (struct smtpd *g, size_t dlen)
{
  char *d = g->env + g->envlen - 1 - dlen ;
  size_t i ;
  for (i = 0 ; i < dlen ; i++) if (d[i] >= 'A' && d[i] <= 'Z') d[i] += 'a' - 'A' ;
  if (dlen && d[dlen - 1] == '.') { d[dlen - 1] = 0 ; g->envlen-- ; }
}

static void txn_reset (struct smtpd *g)
{
  g->inmail = 0 ; g->nrcpt = 0 ; g->envlen = 0 ;
  g->declared = 0 ; g->txsize = CONF_LIM(&g->lim, size) ;
}

/* A recipient domain may lower the size limit (domains: size=N); it
   cannot raise it above what EHLO advertised. 0 if the message as
   declared is already too big for it. */
static int domain_size (struct smtpd *g, struct span domval)
{
  struct conf_limits l = g->lim ;
  conf_limits_apply(domval, &l) ;
  if (g->declared > CONF_LIM(&l, size)) return 0 ;
  if (CONF_LIM(&l, size) < g->txsize) g->txsize = CONF_LIM(&l, size) ;
  return 1 ;
}

static void helo (struct smtpd *g, struct span arg, int ehlo)
{
  if (!arg.len || arg.len > SMTPD_HELO_MAX) { bad(g, "501 5.5.4 HELO/EHLO needs a host name") ; return ; }
  memcpy(g->helo, arg.p, arg.len) ; g->helo[arg.len] = 0 ;
  g->ehlo = ehlo ;
  txn_reset(g) ;   /* RFC 5321 4.1.4: EHLO resets the transaction */
  g->errors = 0 ;
  smtp_io_put(&g->io, "250", 3) ;
  smtp_io_put(&g->io, ehlo ? "-" : " ", 1) ;
  smtp_io_put(&g->io, g->me.p, g->me.len) ;
  if (!ehlo) { smtp_reply(g, "") ; return ; }
  smtp_reply(g, " hello") ;
  smtp_reply(g, "250-PIPELINING") ;
  smtp_reply(g, "250-8BITMIME") ;
  if (CONF_LIM(&g->lim, size) == CONF_UNLIMITED) smtp_reply(g, "250-SIZE") ;
  else
  {
    struct smtp_log l ;   /* a formatter, not a log line */
    l.len = 0 ;
    smtp_log_s(&l, "250-SIZE ") ;
    smtp_log_u(&l, CONF_LIM(&g->lim, size)) ;
    l.buf[l.len] = 0 ;
    smtp_reply(g, l.buf) ;
  }
  /* STARTTLS will be advertised here once smtp_io has a TLS layer */
  smtp_reply(g, "250 ENHANCEDSTATUSCODES") ;
}

static void mail (struct smtpd *g, struct span arg)
{
  struct smtp_path p ;
  struct smtp_addr a ;
  enum smtp_perr pe ;
  enum smtp_ares r ;
  if (!g->helo[0]) { bad(g, "503 5.5.1 send HELO or EHLO first") ; return ; }
  if (g->inmail) { bad(g, "503 5.5.1 nested MAIL command") ; return ; }
  if (g->nmsg >= CONF_LIM(&g->lim, messages))
  {
    /* 4xx, never 5xx: the sender just comes back on a new connection */
    smtp_reply(g, "421 4.7.0 too many messages, reconnect") ;
    info(g, "too many messages") ;
    smtp_end(g, 0) ;
  }
  pe = smtp_cmd_path(arg, "FROM:", 1, &p) ;
  if (pe == SMTP_P_PARAM) { bad(g, "555 5.5.4 unsupported MAIL parameter") ; return ; }
  if (pe != SMTP_P_OK) { bad(g, "501 5.1.7 bad sender address syntax") ; return ; }
  r = smtp_addr_parse(p.path, SMTP_ADDR_SENDER, &a) ;
  if (r != SMTP_ADDR_OK && r != SMTP_ADDR_NULL) { bad(g, "501 5.1.7 bad sender address syntax") ; return ; }
  if (p.has_size && p.size > CONF_LIM(&g->lim, size)) { bad(g, "552 5.3.4 message size exceeds fixed limit") ; return ; }
  txn_reset(g) ;
  if (p.has_size) g->declared = p.size ;
  env_add(g, 'F', a.mailbox.p, a.mailbox.len) ;
  g->inmail = 1 ;
  g->nmsg++ ;
  good(g, "250 2.1.0 Ok") ;
}

static void rcpt (struct smtpd *g, struct span arg)
{
  struct smtp_path p ;
  struct smtp_addr a ;
  struct span val ;
  enum smtp_perr pe ;
  enum smtp_ares r ;
  if (!g->inmail) { bad(g, "503 5.5.1 need MAIL before RCPT") ; return ; }
  if (g->nrcpt >= CONF_LIM(&g->lim, recipients)) { smtp_reply(g, "452 4.5.3 Too many recipients") ; return ; }
  pe = smtp_cmd_path(arg, "TO:", 0, &p) ;
  if (pe == SMTP_P_PARAM) { bad(g, "555 5.5.4 unsupported RCPT parameter") ; return ; }
  if (pe == SMTP_P_GARBAGE) { bad(g, "550 5.7.1 relaying denied") ; return ; }
  if (pe != SMTP_P_OK) { bad(g, "501 5.1.3 bad recipient address syntax") ; return ; }
  r = smtp_addr_parse(p.path, 0, &a) ;
  if (r == SMTP_ADDR_RELAY) { bad(g, "550 5.7.1 relaying denied") ; return ; }
  if (r != SMTP_ADDR_OK) { bad(g, "501 5.1.3 bad recipient address syntax") ; return ; }
  if (!conf_domain_find(&g->conf, a.domain.p, a.domain.len, &val)) { bad(g, "550 5.7.1 relaying denied") ; return ; }
  if (!domain_size(g, val)) { smtp_reply(g, "552 5.3.4 message size exceeds the limit for this domain") ; return ; }
  env_add(g, 'T', a.mailbox.p, a.mailbox.len) ;
  env_domain_norm(g, a.domain.len) ;
  g->nrcpt++ ;
  good(g, "250 2.1.5 Ok") ;
}

static void data (struct smtpd *g, struct span arg)
{
  if (!g->inmail) { bad(g, "503 5.5.1 need MAIL before DATA") ; return ; }
  if (!g->nrcpt) { bad(g, "554 5.5.1 no valid recipients") ; return ; }
  if (arg.len) { bad(g, "501 5.5.4 DATA takes no argument") ; return ; }
  g->errors = 0 ;
  smtp_msg_data(g) ;
  txn_reset(g) ;
}

/* One command line. */
static void dispatch (struct smtpd *g, struct span line)
{
  struct span arg ;
  switch (smtp_cmd_parse(line, &arg))
  {
    case SMTP_V_HELO : helo(g, arg, 0) ; break ;
    case SMTP_V_EHLO : helo(g, arg, 1) ; break ;
    case SMTP_V_MAIL : mail(g, arg) ; break ;
    case SMTP_V_RCPT : rcpt(g, arg) ; break ;
    case SMTP_V_DATA : data(g, arg) ; break ;
    case SMTP_V_RSET : txn_reset(g) ; good(g, "250 2.0.0 Ok") ; break ;
    case SMTP_V_NOOP : good(g, "250 2.0.0 Ok") ; break ;
    case SMTP_V_VRFY : good(g, "252 2.1.5 cannot VRFY, but will accept the message and try to deliver it") ; break ;
    case SMTP_V_HELP : good(g, "214 2.0.0 commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP") ; break ;
    case SMTP_V_QUIT : smtp_reply(g, "221 2.0.0 closing connection") ; smtp_end(g, 0) ;
    case SMTP_V_STARTTLS : bad(g, "502 5.5.1 STARTTLS not available") ; break ;
    case SMTP_V_BAD : bad(g, "500 5.5.2 control characters in command") ; break ;
    default : bad(g, "500 5.5.2 command unrecognized") ; break ;
  }
}

/* RFC 5321 4.3.1: greet, unless the client talked first (a spambot that
   does not wait for the greeting). A pipe on fd 0 is an operator's test,
   not a client, so with greet_pause 0 only a socket is checked. */
static void greet (struct smtpd *g)
{
  uint64_t pause = CONF_LIM(&g->lim, greet_pause) ;
  if ((pause || g->sock) && (*g->io.ready)(g->io.ctx, (unsigned)pause * 1000))
  {
    if (smtp_io_fill(&g->io, 0) <= 0) smtp_end(g, 0) ;   /* gone: a port probe */
    smtp_reply(g, "554 5.5.0 talked before the greeting, closing connection") ;
    info(g, "talked before the greeting") ;
    smtp_end(g, 0) ;
  }
  smtp_io_put(&g->io, "220 ", 4) ;
  smtp_io_put(&g->io, g->me.p, g->me.len) ;
  smtp_reply(g, " ESMTP mxhold") ;
}

int smtp_session_run (struct smtpd *g)
{
  greet(g) ;
  for (;;)
  {
    size_t len = 0 ;
    int r = smtp_io_line(&g->io, g->line, sizeof g->line, &len, (unsigned)CONF_LIM(&g->lim, timeout_command)) ;
    if (r == 1) { dispatch(g, (struct span){ g->line, len }) ; continue ; }
    if (r == 2) { bad(g, "500 5.5.2 line too long") ; continue ; }
    if (r == -1 && errno == ETIMEDOUT)
    {
      smtp_reply(g, "421 4.4.2 timeout, closing connection") ;
      info(g, "timeout") ;
    }
    smtp_end(g, 0) ;
  }
}
