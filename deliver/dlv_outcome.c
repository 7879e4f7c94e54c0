/* dlv_outcome.c: a recipient's outcome, recorded in memory (made durable
   by dlv_commit) and logged, one line each (doc/log.md):

     delivered|deferred|bounced|expired qid= from= to= host= reply=
       delay= attempts= status= [reason=]

   The result of an attempt (from a session), an expiry, or an operator's
   bounce. */
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <skalibs/types.h>
#include "lib/counter.h"
#include "lib/log.h"
#include "deliver/deliver.h"

/* Why recipient r of message i owes no DSN (a word for the log), or 0 if
   it owes one. */
static char const *no_dsn (uint32_t i, uint32_t r)
{
  if (g.m[i].flags & DLV_F_NULLSENDER) return "null-sender" ;   /* RFC 5321 6.1: never a bounce to <> */
  /* no backscatter: a sender whose SPF did not pass may be forged */
  if (dlv_dom_lim(g.m[i].r[r].dom)->dsn_pass_only && !(g.m[i].flags & DLV_F_SPFPASS)) return "spf-not-pass" ;
  return 0 ;
}

int dlv_dsn_owed (uint32_t i, uint32_t r)
{
  return !no_dsn(i, r) ;
}

/* A failed recipient that owes no DSN: "dsn-withheld" (not for the null
   sender, which never gets one). Returns whether a DSN is owed. */
static int dsn_decide (uint32_t i, uint32_t r, struct span to, struct span from)
{
  char const *why = no_dsn(i, r) ;
  struct mx_log l ;
  if (!why) return 1 ;
  if (strcmp(why, "null-sender"))
  {
    mx_log_start(&l, MX_LOG_INFO, "dsn-withheld") ;
    mx_log_str(&l, "qid", g.m[i].id) ;
    mx_log_bytes(&l, "from", from.p, from.len) ;
    mx_log_bytes(&l, "to", to.p, to.len) ;
    mx_log_str(&l, "reason", why) ;
    mx_log_end(&l) ;
  }
  return 0 ;
}

static void set_reply (struct dlv_rcpt *x, char const *s, size_t len)
{
  free(x->reply) ;
  x->reply = strndup(s, len > DLV_REPLY_KEEP ? DLV_REPLY_KEEP : len) ;
}

/* When m arrived, in ms: its id is "SECONDS.MICROS.PID" of the moment
   it was queued (queue.h), finer than its arrived line; an id that does
   not agree with that line (a fresh one, given at take-in) is not used. */
static uint64_t arrived_ms (struct dlv_msg const *m)
{
  uint64_t sec ;
  uint64_t us ;
  size_t n = uint64_scan(m->id, &sec) ;
  if (n && m->id[n] == '.' && sec == m->arrived && uint64_scan(m->id + n + 1, &us) && us < 1000000)
    return sec * 1000 + us / 1000 ;
  return m->arrived * 1000 ;
}

static uint64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_REALTIME, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

/* Whether text is an SMTP reply (three digits, then a space or the end)
   rather than what went wrong before any reply came ("connect failed:
   ..."): doc/log.md keeps reply= for the former and error= for the rest. */
static int is_reply (char const *text)
{
  if (text[0] < '2' || text[0] > '5') return 0 ;
  if (text[1] < '0' || text[1] > '9') return 0 ;
  if (text[2] < '0' || text[2] > '9') return 0 ;
  return text[3] == ' ' || !text[3] ;
}

/* Outcomes per recipient domain, for the metrics (lib/counter.h):
   mxhold_EVENT_total{domain="..."}; a failure to count is ignored. A DSN
   (null sender) goes to a domain a stranger chose: all of them count as
   domain="-dsn", so nobody outside can fill the counter file. */
static void count_outcome (char const *event, struct span to, struct span from)
{
  char metric[32] = "mxhold_" ;
  char dom[256] ;
  char name[MX_COUNTER_NAME_MAX + 1] ;
  char const *at = memrchr(to.p, '@', to.len) ;
  size_t n = at ? to.len - (size_t)(at + 1 - to.p) : 0 ;
  if (n >= sizeof dom) n = sizeof dom - 1 ;
  for (size_t k = 0 ; k < n ; k++) dom[k] = at[1 + k] >= 'A' && at[1 + k] <= 'Z' ? at[1 + k] + 32 : at[1 + k] ;
  dom[n] = 0 ;
  if (strlen(event) + 14 > sizeof metric) return ;
  memcpy(metric + 7, event, strlen(event)) ;
  memcpy(metric + 7 + strlen(event), "_total", 7) ;
  if (mx_counter_name(name, sizeof name, metric, "domain", !from.len ? "-dsn" : n ? dom : "-", (char const *)0))
    mx_counter_add_q(g.q, strlen(g.q), name, 1) ;
}

/* event is also the status; reason may be NULL. */
static void log_outcome (uint32_t i, uint32_t r, char const *event, struct span to, struct span from,
  char const *host, char const *reason)
{
  struct dlv_msg const *m = g.m + i ;
  struct dlv_rcpt const *x = m->r + r ;
  struct mx_log l ;
  uint64_t now = now_ms() ;
  uint64_t arr = arrived_ms(m) ;
  mx_log_start(&l, MX_LOG_INFO, event) ;
  mx_log_str(&l, "qid", m->id) ;
  mx_log_bytes(&l, "from", from.p, from.len) ;
  mx_log_bytes(&l, "to", to.p, to.len) ;
  mx_log_str(&l, "host", host) ;
  mx_log_str(&l, is_reply(x->reply) ? "reply" : "error", x->reply) ;
  mx_log_ms(&l, "delay", now > arr ? now - arr : 0) ;
  mx_log_u64(&l, "attempts", x->attempts) ;
  mx_log_str(&l, "status", event) ;
  if (reason) mx_log_str(&l, "reason", reason) ;
  mx_log_end(&l) ;
  count_outcome(event, to, from) ;
}

void dlv_rcpt_result (uint32_t i, uint32_t r, char st, struct span to, struct span from,
  char const *host, char const *text, size_t tlen)
{
  struct dlv_rcpt *x = g.m[i].r + r ;
  char const *event ;
  x->busy = 0 ;
  x->attempts++ ;
  x->last = g.now ;
  set_reply(x, text, tlen) ;
  if (st == 'd' || st == 'r')
  {
    x->status = 'd' ;
    event = "delivered" ;
  }
  else if (st == 'p')
  {
    x->status = 'b' ;
    event = "bounced" ;
  }
  else
  {
    x->next = g.now + dlv_backoff_dom(x->dom, x->attempts) ;
    event = "deferred" ;
  }
  log_outcome(i, r, event, to, from, host, 0) ;
  /* 'r': delivered to a server without DSN that NOTIFY=SUCCESS asked
     about: a "relayed" DSN is owed (RFC 3461 4.1) */
  if (st == 'p' || st == 'r') x->dsn = (char)dsn_decide(i, r, to, from) ;
  dlv_dirty(i) ;
}

void dlv_settle_all (uint32_t i, int expired)
{
  static struct dlv_buf hdr = DLV_BUF_ZERO ;
  static char const opbounce[] = "bounced by the operator" ;
  static char const lifetime[] = "queue lifetime expired" ;
  struct dlv_msg *m = g.m + i ;
  struct queue_env e ;
  struct span to ;
  struct span from = { "", 0 } ;
  size_t pos = 0 ;
  int ok = dlv_msg_header(i, &hdr, &e) == 0 ;
  if (ok) from = e.from ;
  /* an expiry may settle some recipients only: an operator's bounce
     still pending stays pending for the rest */
  if (!expired)
  {
    m->flags &= ~DLV_F_BOUNCE ;
    m->flags |= DLV_F_OPBOUNCE ;
  }
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    uint64_t until = dlv_rcpt_expires(m, x) ;
    int owed ;
    if (!ok || !queue_env_to_next(hdr.s, &e, &pos, &to)) to = (struct span){ "?", 1 } ;
    if (x->status != 'p' || x->busy || (expired && g.now < until)) continue ;
    owed = dsn_decide(i, r, to, from) ;
    /* 'x' is "expired, DSN queued" (queue.h); one owed no DSN is just settled */
    x->status = expired && owed ? 'x' : 'b' ;
    x->dsn = (char)owed ;
    x->last = g.now ;
    if (!expired) set_reply(x, opbounce, sizeof opbounce - 1) ;
    else if (!x->reply) set_reply(x, lifetime, sizeof lifetime - 1) ;   /* else its last reply says why */
    if (expired)
    {
      char reason[sizeof "expired-after--s" + UINT64_FMT] ;
      size_t n = sizeof "expired-after-" - 1 ;
      memcpy(reason, "expired-after-", n) ;
      n += uint64_fmt(reason + n, until > m->arrived ? until - m->arrived : 0) ;
      memcpy(reason + n, "-s", 3) ;
      log_outcome(i, r, "expired", to, from, "-", reason) ;
    }
    else log_outcome(i, r, "bounced", to, from, "-", "operator") ;
  }
  dlv_dirty(i) ;
}
