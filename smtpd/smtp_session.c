/* smtp_session.c: the SMTP dialogue (RFC 5321 4.1), command by command.
   DATA itself is in smtp_msg.c; the replies and log lines in smtp_conn.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/uint64.h>
#include "smtpd/smtp_addr.h"
#include "smtpd/smtp_bdat.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_dsnenv.h"
#include "smtpd/smtp_conn.h"
#include "smtpd/smtp_msg.h"
#include "smtpd/smtp_rcpt.h"
#include "smtpd/smtp_session.h"
#include "smtpd/smtp_tls.h"

#define SMTPD_ENV_GROW 1024         /* envelope bytes added beyond the need */

/* refused stage=: the command answered, in lower case */
static char const *const stages[] =
{
  [SMTP_V_UNKNOWN] = "command",
  [SMTP_V_BAD] = "command",
  [SMTP_V_HELO] = "helo",
  [SMTP_V_EHLO] = "ehlo",
  [SMTP_V_MAIL] = "mail",
  [SMTP_V_RCPT] = "rcpt",
  [SMTP_V_DATA] = "data",
  [SMTP_V_RSET] = "rset",
  [SMTP_V_NOOP] = "noop",
  [SMTP_V_QUIT] = "quit",
  [SMTP_V_VRFY] = "vrfy",
  [SMTP_V_HELP] = "help",
  [SMTP_V_STARTTLS] = "starttls",
  [SMTP_V_BDAT] = "bdat"
} ;

/* A refused command: too many in a row and the client is not an MTA. */
/* One more refused command in a row: at `errors` of them, 421 and the end. */
static void count_error (struct smtp_conn *g)
{
  if (++g->errors < CONF_LIM(&g->lim, errors)) return ;
  smtp_conn_refuse(g, "too-many-errors", "421 4.7.0 too many errors, closing connection") ;
  smtp_conn_end(g, "too-many-errors", 0) ;
}

static void bad (struct smtp_conn *g, char const *reason, char const *reply)
{
  smtp_conn_refuse(g, reason, reply) ;
  count_error(g) ;
}

/* A refused command whose line itself is wrong: the line is logged too. */
static void badline (struct smtp_conn *g, char const *reason, char const *reply)
{
  g->showline = 1 ;
  bad(g, reason, reply) ;
}

static void good (struct smtp_conn *g, char const *s)
{
  g->errors = 0 ;
  smtp_conn_reply(g, s) ;
}

/* A command that carries no mail (NOOP, RSET, VRFY, HELP, a repeated
   HELO): answered without ending a row of errors, and counted against
   idle_commands, so a client cannot hold its session with them. */
static void idle_count (struct smtp_conn *g)
{
  if (!smtp_guard_idle(&g->guard)) return ;
  smtp_conn_refuse(g, "too-many-idle-commands", "421 4.7.0 too many commands without mail, closing connection") ;
  smtp_conn_end(g, "too-many-idle-commands", 0) ;
}

static void idle (struct smtp_conn *g, char const *s)
{
  idle_count(g) ;
  smtp_conn_reply(g, s) ;
}

/* The session's deadline (timeout_session) is over: cut it, wherever it is. */
static void deadline (struct smtp_conn *g)
{
  if (smtp_guard_check(&g->guard, smtp_conn_ms()) == SMTP_GUARD_OK) return ;
  g->stage = "command" ;
  g->showline = 0 ;
  g->addrkind = 0 ;
  smtp_conn_refuse(g, "session-timeout", "421 4.4.2 session time limit reached, closing connection") ;
  smtp_conn_end(g, "session-timeout", 0) ;
}

static void env_add (struct smtp_conn *g, char c, char const *s, size_t n)
{
  if (g->envcap - g->envlen < n + 3)   /* + the envelope's final NUL */
  {
    size_t cap = g->envcap + n + 2 + SMTPD_ENV_GROW ;
    char *p = realloc(g->env, cap) ;
    if (!p)
    {
      smtp_conn_refuse(g, "memory", "421 4.3.0 out of memory") ;
      smtp_conn_end(g, SMTPD_END_ERROR, 111) ;
    }
    g->env = p ;
    g->envcap = cap ;
  }
  g->env[g->envlen++] = c ;
  if (n) memcpy(g->env + g->envlen, s, n) ;   /* s is NULL for <> */
  g->envlen += n ;
  g->env[g->envlen++] = 0 ;
}

/* The recipient just added ends in its domain (dlen bytes): store it as
   conf_domain_find matched it, lower case and without the one trailing
   dot we tolerate, so downstream never sees "EXAMPLE.COM.". */
static void env_domain_norm (struct smtp_conn *g, size_t dlen)
{
  char *d = g->env + g->envlen - 1 - dlen ;
  size_t i ;
  for (i = 0 ; i < dlen ; i++)
    if (d[i] >= 'A' && d[i] <= 'Z') d[i] += 'a' - 'A' ;
  if (dlen && d[dlen - 1] == '.')
  {
    d[dlen - 1] = 0 ;
    g->envlen-- ;
  }
}

static void txn_reset (struct smtp_conn *g)
{
  g->smtputf8 = 0 ;
  g->dsnlen = 0 ;
  smtp_bdat_close(g, 0) ;   /* RFC 3030 3: RSET (MAIL, EHLO) drops the chunks so far */
  g->inmail = 0 ;
  g->nrcpt = 0 ;
  g->envlen = 0 ;
  g->declared = 0 ;
  g->txsize = CONF_LIM(&g->lim, size) ;
}

/* RFC 3207 4.2: after the handshake the client starts afresh, EHLO first */
static void tls_reset (struct smtp_conn *g)
{
  g->helo[0] = 0 ;
  g->ehlo = 0 ;
  g->errors = 0 ;
  txn_reset(g) ;
}

/* A recipient domain may lower the size limit (domains: size=N); it
   cannot raise it above what EHLO advertised. 0 if the message as
   declared is already too big for it. */
static int domain_size (struct smtp_conn *g, struct span domval)
{
  struct conf_limits l = g->lim ;
  conf_limits_apply(domval, &l) ;
  if (g->declared > CONF_LIM(&l, size)) return 0 ;
  if (CONF_LIM(&l, size) < g->txsize) g->txsize = CONF_LIM(&l, size) ;
  return 1 ;
}

static void helo (struct smtp_conn *g, struct span arg, int ehlo)
{
  static char const sizekw[] = "250-SIZE " ;
  char size[sizeof sizekw + UINT64_FMT] ;
  size_t n ;
  if (!arg.len || arg.len > SMTPD_HELO_MAX)
  {
    badline(g, "syntax", "501 5.5.4 HELO/EHLO needs a host name") ;
    return ;
  }
  if (g->helo[0]) idle_count(g) ;   /* the first HELO is work, the next ones idle */
  memcpy(g->helo, arg.p, arg.len) ;
  g->helo[arg.len] = 0 ;
  g->ehlo = ehlo ;
  txn_reset(g) ;   /* RFC 5321 4.1.4: EHLO resets the transaction */
  g->errors = 0 ;
  smtp_io_put(&g->io, "250", 3) ;
  smtp_io_put(&g->io, ehlo ? "-" : " ", 1) ;
  smtp_io_put(&g->io, g->me.p, g->me.len) ;
  if (!ehlo)
  {
    smtp_conn_reply(g, "") ;
    return ;
  }
  smtp_conn_reply(g, " hello") ;
  smtp_conn_reply(g, "250-PIPELINING") ;
  smtp_conn_reply(g, "250-8BITMIME") ;
  smtp_conn_reply(g, "250-CHUNKING") ;
  smtp_conn_reply(g, "250-SMTPUTF8") ;
  smtp_conn_reply(g, "250-DSN") ;
  if (CONF_LIM(&g->lim, size) == CONF_UNLIMITED) smtp_conn_reply(g, "250-SIZE") ;
  else
  {
    memcpy(size, sizekw, sizeof sizekw - 1) ;
    n = sizeof sizekw - 1 ;
    n += uint64_fmt(size + n, CONF_LIM(&g->lim, size)) ;
    size[n] = 0 ;
    smtp_conn_reply(g, size) ;
  }
  if (smtp_tls_offer(g)) smtp_conn_reply(g, "250-STARTTLS") ;
  smtp_conn_reply(g, "250 ENHANCEDSTATUSCODES") ;
}

/* A sender's domain is where a bounce would go: one that is an address
   (127.0.0.1, [10.0.0.1]) or local by nature (localhost, one label) would
   send it into loopback or an internal network (doc/design.md, Security). */
static int sender_domain_ok (struct smtp_conn *g, struct span d)
{
  switch (smtp_addr_domkind(d))
  {
    case SMTP_DOM_FQDN :
      return 1 ;
    case SMTP_DOM_LITERAL :
    case SMTP_DOM_NUMERIC :
      bad(g, "sender-ip", "553 5.1.8 sender domain is an IP address, not a domain name") ;
      return 0 ;
    default :
      bad(g, "sender-not-fqdn", "553 5.1.8 sender domain must be a fully-qualified domain name") ;
      return 0 ;
  }
}

static void mail (struct smtp_conn *g, struct span arg)
{
  char abuf[SMTPD_PATH_MAX] ;
  struct smtp_path p ;
  struct smtp_addr a ;
  enum smtp_perr pe ;
  enum smtp_ares r ;
  if (!g->helo[0])
  {
    bad(g, "sequence", "503 5.5.1 send HELO or EHLO first") ;
    return ;
  }
  if (g->inmail)
  {
    bad(g, "sequence", "503 5.5.1 nested MAIL command") ;
    return ;
  }
  if (g->nmail >= CONF_LIM(&g->lim, messages))
  {
    /* 4xx, never 5xx: the sender just comes back on a new connection */
    smtp_conn_refuse(g, "too-many-messages", "421 4.7.0 too many messages, reconnect") ;
    smtp_conn_end(g, "too-many-messages", 0) ;
  }
  pe = smtp_cmd_path(arg, "FROM:", SMTP_PARAMS_MAIL, &p) ;
  if (pe == SMTP_P_PARAM)
  {
    badline(g, "parameter", "555 5.5.4 unsupported MAIL parameter") ;
    return ;
  }
  if (pe != SMTP_P_OK)
  {
    badline(g, "syntax", "501 5.1.7 bad sender address syntax") ;
    return ;
  }
  g->addrkind = 'F' ;
  g->addr = p.path ;
  r = smtp_addr_parse(p.path, SMTP_ADDR_SENDER | (p.smtputf8 ? SMTP_ADDR_UTF8 : 0), &a) ;
  if (r == SMTP_ADDR_NEEDUTF8)
  {
    bad(g, "smtputf8", "553 5.6.7 non-ASCII address without SMTPUTF8") ;   /* RFC 6531 3.5 */
    return ;
  }
  if (r != SMTP_ADDR_OK && r != SMTP_ADDR_NULL)
  {
    bad(g, "syntax", "501 5.1.7 bad sender address syntax") ;
    return ;
  }
  if (r == SMTP_ADDR_OK && !sender_domain_ok(g, a.domain)) return ;
  if (p.has_size && p.size > CONF_LIM(&g->lim, size))
  {
    bad(g, "size", "552 5.3.4 message size exceeds fixed limit") ;
    return ;
  }
  txn_reset(g) ;
  if (p.has_size) g->declared = p.size ;
  g->smtputf8 = p.smtputf8 ;
  if (smtp_dsnenv_mail(g, &p) == -1)
  {
    smtp_conn_refuse(g, "memory", "421 4.3.0 out of memory") ;
    smtp_conn_end(g, SMTPD_END_ERROR, 111) ;
  }
  smtp_addr_ascii(&a, abuf) ;
  env_add(g, 'F', a.mailbox.p, a.mailbox.len) ;
  g->inmail = 1 ;
  g->nmail++ ;
  good(g, "250 2.1.0 Ok") ;
}

static void rcpt (struct smtp_conn *g, struct span arg)
{
  char abuf[SMTPD_PATH_MAX] ;
  struct smtp_path p ;
  struct smtp_addr a ;
  struct span val ;
  enum smtp_perr pe ;
  enum smtp_ares r ;
  char const *no ;
  char const *why ;
  if (!g->inmail)
  {
    bad(g, "sequence", "503 5.5.1 need MAIL before RCPT") ;
    return ;
  }
  if (g->bdat)
  {
    bad(g, "sequence", "503 5.5.1 no RCPT after BDAT") ;
    return ;
  }
  if (g->nrcpt >= CONF_LIM(&g->lim, recipients))
  {
    smtp_conn_refuse(g, "too-many-recipients", "452 4.5.3 Too many recipients") ;
    return ;
  }
  pe = smtp_cmd_path(arg, "TO:", SMTP_PARAMS_RCPT, &p) ;
  if (pe == SMTP_P_PARAM)
  {
    badline(g, "parameter", "555 5.5.4 unsupported RCPT parameter") ;
    return ;
  }
  if (pe == SMTP_P_SYNTAX && p.path.len)   /* the path parsed, a parameter did not */
  {
    badline(g, "syntax", "501 5.5.4 bad RCPT parameter (RFC 3461 NOTIFY= ORCPT=)") ;
    return ;
  }
  if (pe == SMTP_P_GARBAGE)
  {
    g->addrkind = 'T' ;
    g->addr = p.path ;
    badline(g, "relay", "550 5.7.1 relaying denied") ;
    return ;
  }
  if (pe != SMTP_P_OK)
  {
    badline(g, "syntax", "501 5.1.3 bad recipient address syntax") ;
    return ;
  }
  g->addrkind = 'T' ;
  g->addr = p.path ;
  r = smtp_addr_parse(p.path, g->smtputf8 ? SMTP_ADDR_UTF8 : 0, &a) ;
  if (r == SMTP_ADDR_NEEDUTF8)
  {
    bad(g, "smtputf8", "553 5.6.7 non-ASCII address without SMTPUTF8") ;   /* RFC 6531 3.5 */
    return ;
  }
  if (r == SMTP_ADDR_RELAY)
  {
    bad(g, "relay", "550 5.7.1 relaying denied") ;
    return ;
  }
  if (r != SMTP_ADDR_OK)
  {
    bad(g, "syntax", "501 5.1.3 bad recipient address syntax") ;
    return ;
  }
  smtp_addr_ascii(&a, abuf) ;   /* a U-label domain matches its A-label form */
  if (!conf_domain_find(&g->conf, a.domain.p, a.domain.len, &val))
  {
    bad(g, "relay", "550 5.7.1 relaying denied") ;
    return ;
  }
  if (!domain_size(g, val))
  {
    smtp_conn_refuse(g, "size", "552 5.3.4 message size exceeds the limit for this domain") ;
    return ;
  }
  no = smtp_rcpt_check(g, &a, val, &why) ;   /* recipients= of the domain */
  if (no)
  {
    bad(g, why, no) ;
    return ;
  }
  switch (smtp_dsnenv_rcpt(g, &p, g->nrcpt))
  {
    case 1 :
      smtp_conn_refuse(g, "too-many-recipients", "452 4.5.3 too many DSN parameters in this transaction, send the rest in another") ;
      return ;
    case -1 :
      smtp_conn_refuse(g, "memory", "421 4.3.0 out of memory") ;
      smtp_conn_end(g, SMTPD_END_ERROR, 111) ;
  }
  env_add(g, 'T', a.mailbox.p, a.mailbox.len) ;
  env_domain_norm(g, a.domain.len) ;
  g->nrcpt++ ;
  good(g, "250 2.1.5 Ok") ;
}

static void data (struct smtp_conn *g, struct span arg)
{
  if (!g->inmail)
  {
    bad(g, "sequence", "503 5.5.1 need MAIL before DATA") ;
    return ;
  }
  if (g->bdat)
  {
    /* RFC 3030 2: DATA and BDAT cannot be mixed in one transaction */
    bad(g, "sequence", "503 5.5.1 no DATA after BDAT") ;
    return ;
  }
  if (!g->nrcpt)
  {
    bad(g, "no-recipients", "554 5.5.1 no valid recipients") ;
    return ;
  }
  if (arg.len)
  {
    badline(g, "syntax", "501 5.5.4 DATA takes no argument") ;
    return ;
  }
  g->errors = 0 ;
  smtp_msg_data(g) ;
  txn_reset(g) ;
}

/* BDAT (smtp_bdat.c): its flags say whether the transaction is over
   and whether the command counts as a refused one. */
static void bdat (struct smtp_conn *g, struct span arg)
{
  int r = smtp_bdat(g, arg) ;
  if (r & SMTP_BDAT_END) txn_reset(g) ;
  if (!(r & SMTP_BDAT_ERROR))
  {
    g->errors = 0 ;
    return ;
  }
  if (++g->errors < CONF_LIM(&g->lim, errors)) return ;
  smtp_conn_refuse(g, "too-many-errors", "421 4.7.0 too many errors, closing connection") ;
  smtp_conn_end(g, "too-many-errors", 0) ;
}

/* One command line: g->line, len bytes. */
static void dispatch (struct smtp_conn *g, size_t len)
{
  struct span arg ;
  enum smtp_verb v = smtp_cmd_parse((struct span){ g->line, len }, &arg) ;
  g->stage = stages[v] ;
  g->linelen = len ;
  g->showline = 0 ;
  g->addrkind = 0 ;
  switch (v)
  {
    case SMTP_V_HELO :
      helo(g, arg, 0) ;
      break ;
    case SMTP_V_EHLO :
      helo(g, arg, 1) ;
      break ;
    case SMTP_V_MAIL :
      mail(g, arg) ;
      break ;
    case SMTP_V_RCPT :
      rcpt(g, arg) ;
      break ;
    case SMTP_V_DATA :
      data(g, arg) ;
      break ;
    case SMTP_V_BDAT :
      bdat(g, arg) ;
      break ;
    case SMTP_V_RSET :
      txn_reset(g) ;
      idle(g, "250 2.0.0 Ok") ;
      break ;
    case SMTP_V_NOOP :
      idle(g, "250 2.0.0 Ok") ;
      break ;
    case SMTP_V_VRFY :
      idle(g, "252 2.1.5 cannot VRFY, but will accept the message and try to deliver it") ;
      break ;
    case SMTP_V_HELP :
      idle(g, "214 2.0.0 commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP") ;
      break ;
    case SMTP_V_QUIT :
      smtp_conn_reply(g, "221 2.0.0 closing connection") ;
      smtp_bdat_close(g, SMTPD_END_QUIT) ;
      smtp_conn_end(g, SMTPD_END_QUIT, 0) ;
    case SMTP_V_STARTTLS :
      if (smtp_tls_start(g, arg)) tls_reset(g) ;
      else count_error(g) ;   /* refused (502, 454, 501, 503): answered and logged */
      break ;
    case SMTP_V_BAD :
      badline(g, "control-bytes", "500 5.5.2 control characters in command") ;
      break ;
    default :
      badline(g, "unknown-command", "500 5.5.2 command unrecognized") ;
      break ;
  }
}

/* RFC 5321 4.3.1: greet, unless the client talked first (a spambot that
   does not wait for the greeting). A pipe on fd 0 is an operator's test,
   not a client, so with greet_pause 0 only a socket is checked. */
static void greet (struct smtp_conn *g)
{
  uint64_t pause = CONF_LIM(&g->lim, greet_pause) ;
  g->stage = "connect" ;
  if ((pause || g->sock) && (*g->io.ready)(g->io.ctx, (unsigned)pause * 1000))
  {
    ssize_t r = smtp_io_fill(&g->io, 0) ;
    if (r <= 0) smtp_conn_end(g, r ? SMTPD_END_ERROR : SMTPD_END_EOF, 0) ;   /* gone: a port probe */
    smtp_conn_refuse(g, "talked-early", "554 5.5.0 talked before the greeting, closing connection") ;
    smtp_conn_end(g, "talked-early", 0) ;
  }
  smtp_io_put(&g->io, "220 ", 4) ;
  smtp_io_put(&g->io, g->me.p, g->me.len) ;
  smtp_conn_reply(g, " ESMTP mxhold") ;
}

void smtp_session_run (struct smtp_conn *g)
{
  greet(g) ;
  for (;;)
  {
    size_t len = 0 ;
    unsigned secs ;
    int r ;
    deadline(g) ;
    secs = smtp_guard_secs(&g->guard, CONF_LIM(&g->lim, timeout_command), smtp_conn_ms(), 0) ;
    /* the replies too: a client that stops reading them is not waited
       for past the session's end */
    g->io.wsecs = secs ? secs : 1 ;
    r = smtp_io_line(&g->io, g->line, sizeof g->line, &len, secs) ;
    if (r == 1)
    {
      dispatch(g, len) ;
      continue ;
    }
    g->stage = "command" ;
    g->showline = 0 ;
    g->addrkind = 0 ;
    if (r == 2)
    {
      bad(g, "line-too-long", "500 5.5.2 line too long") ;
      continue ;
    }
    /* a reset is the client going away too */
    if (!r || errno == ECONNRESET)
    {
      smtp_bdat_close(g, SMTPD_END_EOF) ;   /* between chunks: no message */
      smtp_conn_end(g, SMTPD_END_EOF, 0) ;
    }
    if (errno != ETIMEDOUT) smtp_conn_end(g, SMTPD_END_ERROR, 0) ;
    deadline(g) ;
    smtp_conn_refuse(g, "timeout", "421 4.4.2 timeout, closing connection") ;
    smtp_bdat_close(g, SMTPD_END_TIMEOUT) ;
    smtp_conn_end(g, SMTPD_END_TIMEOUT, 0) ;
  }
}
