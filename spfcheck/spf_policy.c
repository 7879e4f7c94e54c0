/* spf_policy.c: the two modes of mxhold-spfcheck. Query mode prints a
   result for people and scripts; filter mode decides per the config's spf
   policy and passes the message on. libc + conf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "lib/log.h"
#include "spfcheck/spfcheck.h"

static char pre[SPF_FILTER_HEADER_MAX_BYTES] ;

/* The default explanation (RFC 7208 6.2 leaves it to us). */
static size_t default_exp (struct spf_check const *c, char *out, size_t max)
{
  char nib[72], ip[48], dom[SPF_DOMAIN_MAX + 1] ;
  int n ;
  spf_safe(c->domain, c->domainlen, dom, sizeof dom) ;
  spf_ip_texts(c, nib, sizeof nib, ip, sizeof ip) ;
  n = snprintf(out, max, "SPF %s: %s is not allowed to send mail from %s", spf_result_name(c->result), ip, dom) ;
  return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max - 1 ;
}

/* What one check was about, for its log line. */
struct seen {
  char const *qid ;           /* "" in query mode */
  char const *client ;        /* $TCPREMOTEIP; "" in query mode */
  struct span helo ;          /* the HELO name the client sent */
  char const *hophelo ;       /* a trusted relay's hop was checked: its HELO name; else 0 */
  int checked ;               /* 0: skipped, nothing evaluated */
  char const *skipped ;       /* why not, in words */
} ;

/* The one spf line: client is who talks to us, ip the address whose SPF
   was evaluated (a trusted relay's hop: not the client). */
static void log_check (struct spf_check const *c, struct seen const *w, char const *word,
                       char const *identity, char const *action)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "spf") ;
  mx_log_str(&l, "qid", w->qid[0] ? w->qid : "-") ;
  mx_log_str(&l, "client", w->client[0] ? w->client : "-") ;
  if (w->helo.len) mx_log_bytes(&l, "helo", w->helo.p, w->helo.len) ;
  else mx_log_str(&l, "helo", "-") ;
  mx_log_bytes(&l, "from", c->sender.p, c->sender.len) ;
  if (w->checked)
  {
    char nib[72] ;
    char ip[48] ;
    spf_ip_texts(c, nib, sizeof nib, ip, sizeof ip) ;
    mx_log_str(&l, "ip", ip) ;
  }
  else mx_log_str(&l, "ip", "-") ;
  if (w->hophelo) mx_log_str(&l, "hop_helo", w->hophelo) ;
  mx_log_str(&l, "spf", word) ;
  if (w->checked)
  {
    mx_log_str(&l, "identity", identity) ;
    if (c->mechlen) mx_log_bytes(&l, "mechanism", c->mech, c->mechlen) ;
    else mx_log_str(&l, "mechanism", "-") ;
  }
  if (!w->checked) mx_log_str(&l, "detail", w->skipped) ;
  else if (c->why[0]) mx_log_str(&l, "detail", c->why) ;
  mx_log_str(&l, "action", action) ;
  mx_log_end(&l) ;
}

int spf_query_main (char const *ip, char const *sender, char const *helo, char const *me, unsigned long budget_ms)
{
  struct spf_check c ;
  struct seen w = { "", "", { helo, strlen(helo) }, 0, 1, 0 } ;
  char exp[SPF_EXP_MAX + 1] ;
  size_t explen ;
  memset(&c, 0, sizeof c) ;
  if (!spf_ip_parse(&c, ip))
    mx_die_kv(100, "usage", "reason", "bad-address", "value", ip, (char const *)0) ;
  c.sender = (struct span){ sender, strlen(sender) } ;
  c.helo = w.helo ;
  c.me = (struct span){ me, strlen(me) } ;
  c.dns = spf_dns_new(budget_ms) ;
  if (!c.dns) mx_die_kv(111, "no-dns-server", "error", strerror(errno), (char const *)0) ;
  spf_check_run(&c) ;
  spf_dns_free(c.dns) ;
  if (c.result == SPF_FAIL && c.explen)
  {
    memcpy(exp, c.exp, c.explen) ;
    explen = c.explen ;
  }
  else if (c.result == SPF_FAIL) explen = default_exp(&c, exp, sizeof exp) ;
  else
  {
    explen = strlen(c.why) ;
    memcpy(exp, c.why, explen) ;
  }
  printf("%s\nexplanation: %.*s\nmechanism: %.*s\n", spf_result_name(c.result), (int)explen, exp, (int)c.mechlen, c.mech) ;
  log_check(&c, &w, spf_result_name(c.result), sender[0] ? "mailfrom" : "helo", "query") ;
  return fflush(stdout) ? 111 : 0 ;
}

/* The HELO identity first (RFC 7208 2.3); its fail decides, else MAIL FROM.
   Returns the identity that decided. */
static char const *evaluate (struct spf_check *c, unsigned long budget_ms)
{
  struct span sender = c->sender ;
  char const *id = "mailfrom" ;
  if (!(c->dns = spf_dns_new(budget_ms)))
  {
    c->result = SPF_TEMPERROR ;
    snprintf(c->why, sizeof c->why, "no DNS server") ;
    return id ;
  }
  if (c->helo.len && c->helo.p[0] != '[' && spf_domain_ok(c->helo.p, c->helo.len))   /* no address literals */
  {
    c->sender.len = 0 ;
    spf_check_run(c) ;
    c->sender = sender ;
    if (c->result == SPF_FAIL || !sender.len) id = "helo" ;
  }
  else if (!sender.len)
  {
    c->result = SPF_NONE ;
    snprintf(c->why, sizeof c->why, "null sender and no HELO domain") ;
    id = "helo" ;
  }
  if (!strcmp(id, "mailfrom")) spf_check_run(c) ;
  spf_dns_free(c->dns) ;
  c->dns = 0 ;
  return id ;
}

/* accept mark reject defer: conf_spf_action() (the spf file, or its
   defaults); "skipped" is not an SPF result and is always accepted. */
static char const *action_of (struct conf const *cf, char const *word)
{
  static char const *const actions[] = { "accept", "mark", "reject", "defer" } ;
  struct span v ;
  if (!conf_spf_action(cf, word, &v)) return "accept" ;
  for (unsigned int i = 0 ; i < 4 ; i++)
    if (v.len == strlen(actions[i]) && !memcmp(v.p, actions[i], v.len)) return actions[i] ;
  return "defer" ;   /* an action this program does not know: a retry is cheap */
}

/* A trusted relay's mail: the hop before it, from the header it added.
   1 and c->ip, c->helo and *hophelo set to the hop's; 0 if no hop can be
   read (c->ip is then the relay's, for the header's client-ip). */
static int trusted_hop (struct spf_check *c, struct seen *w, size_t *prelen, char *note, size_t notemax)
{
  static char hopip[64] ;
  static char hophelo[256] ;
  char safe[64] ;
  ssize_t r = spf_filter_headers(0, pre, sizeof pre) ;
  size_t end ;
  if (r < 0) mx_die_kv(111, "read-failed", "qid", w->qid, "error", strerror(errno), (char const *)0) ;
  *prelen = (size_t)r ;
  end = spf_hdr_end(pre, *prelen) ;
  spf_safe(w->client, strlen(w->client), safe, sizeof safe) ;
  if (spf_hdr_hop(pre, end ? end : *prelen, hopip, sizeof hopip, hophelo, sizeof hophelo) && spf_ip_parse(c, hopip))
  {
    c->helo = (struct span){ hophelo, strlen(hophelo) } ;
    w->hophelo = hophelo ;
    snprintf(note, notemax, "trusted relay %s, checked the hop before it, %s", safe, hopip) ;
    return 1 ;
  }
  snprintf(note, notemax, "trusted relay %s, no readable hop before it: not checked", safe) ;
  snprintf(c->why, sizeof c->why, "not checked") ;
  w->skipped = "trusted relay, no readable hop before it" ;
  spf_ip_parse(c, w->client) ;   /* the header's client-ip: the relay itself */
  return 0 ;
}

int spf_filter_main (char const *const *argv, struct conf const *cf, unsigned long budget_ms)
{
  char const *ip = getenv("TCPREMOTEIP") ;
  char const *qid = getenv("MXHOLD_QID") ;
  char const *helo = getenv("MXHOLD_HELO") ;
  char const *from = getenv("MXHOLD_MAILFROM") ;
  char const *id = "mailfrom" ;
  char const *word ;
  char const *action ;
  char note[256] ;
  char head[4096] ;
  char me[256] ;
  char text[SPF_EXP_MAX + 1] ;
  struct conf_limits lim ;
  struct spf_check c ;
  struct seen w ;
  struct span mes ;
  size_t prelen = 0 ;
  size_t headlen ;
  size_t textlen ;
  int trusted = 0 ;
  memset(&c, 0, sizeof c) ;
  note[0] = 0 ;
  if (!ip) ip = "" ;
  if (!qid) qid = "" ;
  c.helo = (struct span){ helo ? helo : "", helo ? strlen(helo) : 0 } ;
  c.sender = (struct span){ from ? from : "", from ? strlen(from) : 0 } ;
  w = (struct seen){ qid, ip, c.helo, 0, 1, 0 } ;
  if (!conf_me(cf, &mes)) mes = SPAN_STR("localhost") ;
  spf_safe(mes.p, mes.len, me, sizeof me) ;
  c.me = (struct span){ me, strlen(me) } ;
  conf_limits_get(cf, ip[0] ? ip : 0, &lim, &trusted) ;
  if (!budget_ms) budget_ms = (unsigned long)CONF_LIM(&lim, spf_budget) * 1000 ;
  if (trusted) w.checked = trusted_hop(&c, &w, &prelen, note, sizeof note) ;
  else if (!spf_ip_parse(&c, ip))
  {
    w.checked = 0 ;
    snprintf(note, sizeof note, "no client address: not checked") ;
    w.skipped = "no client address" ;
  }
  if (w.checked) id = evaluate(&c, budget_ms) ;
  word = w.checked ? spf_result_name(c.result) : "skipped" ;
  action = action_of(cf, word) ;
  log_check(&c, &w, word, id, action) ;
  if (c.result == SPF_FAIL && c.explen)
  {
    textlen = c.explen ;
    memcpy(text, c.exp, textlen) ;
  }
  else if (c.result == SPF_FAIL) textlen = default_exp(&c, text, sizeof text) ;
  else textlen = (size_t)snprintf(text, sizeof text, "SPF %s: %s", word, c.why[0] ? c.why : "policy") ;
  if (!strcmp(action, "reject"))
  {
    spf_filter_reply(c.result == SPF_PERMERROR ? "550 5.7.24" : "550 5.7.23", text, textlen) ;
    return 100 ;
  }
  if (!strcmp(action, "defer"))
  {
    spf_filter_reply(c.result == SPF_TEMPERROR || c.result == SPF_PERMERROR ? "451 4.7.24" : "451 4.7.23", text, textlen) ;
    return 111 ;
  }
  headlen = spf_hdr_make(&c, w.checked ? word : "none", id, note[0] ? note : 0, head, sizeof head - 64) ;
  if (!strcmp(action, "mark"))
    headlen += (size_t)snprintf(head + headlen, 64, "X-Mxhold-SPF: %s (marked)\r\n", word) ;
  return spf_filter_pass(argv, qid, word, head, headlen, pre, prelen) ;
}
