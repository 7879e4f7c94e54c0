/* queue_show.c: mxhold-queuectl show [-a] ID: the message (where, when it
   arrived, when it expires, its envelope), every recipient (state,
   attempts, next and last attempt, its own expiry, the last reply), then
   its header lines, or with -a every line. Times as list gives them:
   relative, and in ISO 8601. Lines in the log's grammar (queuectl.h). */

#include <string.h>
#include <time.h>
#include "conf/conf.h"
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

struct show_ctx
{
  struct conf conf ;
  int haveconf ;
  struct conf_limits lim ;   /* the global limits (defaults without a config) */
} ;

/* Recipient to's expiry: the global lifetime, or its domain's override
   (`domains`), the rule deliver applies (queue_expiry). */
static uint64_t expires_for (struct show_ctx const *c, uint64_t arrived, struct span const *to)
{
  struct conf_limits l = c->lim ;
  struct span val ;
  char const *at = to ? memrchr(to->p, '@', to->len) : 0 ;
  if (at && c->haveconf && conf_domain_find(&c->conf, at + 1, to->len - (size_t)(at + 1 - to->p), &val))
    conf_limits_apply(val, &l) ;
  return queue_expiry(arrived, CONF_LIM(&l, lifetime), CONF_LIM(&l, lifetime_days)) ;
}

static void msg_line (struct queue_walk *w, struct queue_item *it, struct show_ctx const *c)
{
  struct mx_log l ;
  mx_log_start_bare(&l, "message") ;
  mx_log_str(&l, "qid", it->id) ;
  mx_log_str(&l, "in", it->innew ? "new" : "mess") ;
  mx_log_str(&l, "path", it->path) ;
  queue_out_iso(&l, "arrived", it->env.arrived) ;
  queue_out_secs(&l, "age", w->now > it->env.arrived ? w->now - it->env.arrived : 0) ;
  queue_out_time(&l, "expires_in", "expires", expires_for(c, it->env.arrived, 0), w->now) ;
  mx_log_u64(&l, "bytes", it->msg.len - it->env.hdrlen) ;
  mx_log_bytes(&l, "from", it->env.from.p, it->env.from.len) ;
  mx_log_bytes(&l, "client", it->env.client.p, it->env.client.len) ;
  mx_log_bytes(&l, "helo", it->env.helo.p, it->env.helo.len) ;
  mx_log_bytes(&l, "spf", it->env.spf.p, it->env.spf.len) ;
  mx_log_u64(&l, "rcpts", it->env.nto) ;
  mx_log_str(&l, "held", queue_held(w->q, it->id) ? "yes" : "no") ;
  queue_out_end(&l) ;
}

static void rcpt_line (struct queue_walk *w, struct queue_item *it, struct show_ctx const *c, uint32_t i, struct span to)
{
  struct queue_state st = { .index = i, .status = 'p' } ;
  int has = queue_rcpt_state(it, i, &st) ;
  char hold[1 + 256] = "@" ;
  char const *at = memrchr(to.p, '@', to.len) ;
  size_t dl = at ? to.len - (size_t)(at + 1 - to.p) : 0 ;
  int held = queue_held(w->q, it->id) ;
  struct mx_log l ;
  if (!held && dl && dl < sizeof hold - 1)
  {
    for (size_t k = 0 ; k < dl ; k++) hold[1 + k] = (at[1 + k] >= 'A' && at[1 + k] <= 'Z') ? at[1 + k] + 32 : at[1 + k] ;
    hold[1 + dl] = 0 ;
    held = queue_held(w->q, hold) ;
  }
  mx_log_start_bare(&l, "rcpt") ;
  mx_log_str(&l, "qid", it->id) ;
  mx_log_u64(&l, "index", i) ;
  mx_log_bytes(&l, "to", to.p, to.len) ;
  mx_log_str(&l, "state", queue_state_word(&st, has, st.status == 'p' && held)) ;
  mx_log_u64(&l, "attempts", has ? st.attempts : 0) ;
  if (has && st.status != 'p') mx_log_str(&l, "next", "-") ;
  else if (held || (has && st.next == QUEUE_NEXT_HELD)) mx_log_str(&l, "next", "held") ;
  else if (!has || st.next <= w->now) mx_log_str(&l, "next", "now") ;
  else queue_out_time(&l, "next", "next_at", st.next, w->now) ;
  if (has && st.last) queue_out_time(&l, "last", "last_at", st.last, w->now) ;
  else mx_log_str(&l, "last", "-") ;
  if (!has || st.status == 'p') queue_out_time(&l, "expires_in", "expires", expires_for(c, it->env.arrived, &to), w->now) ;
  if (has) queue_out_reply(&l, st.reply) ;
  queue_out_end(&l) ;
}

/* Lines of s as "KIND text=LINE" (CRLF or LF ends a line). */
static void text_lines (char const *kind, char const *s, size_t len)
{
  while (len)
  {
    char const *lf = memchr(s, '\n', len) ;
    size_t ll = lf ? (size_t)(lf - s) : len ;
    struct mx_log l ;
    mx_log_start_bare(&l, kind) ;
    mx_log_bytes(&l, "text", s, ll && s[ll - 1] == '\r' ? ll - 1 : ll) ;
    queue_out_end(&l) ;
    if (!lf) break ;
    s += ll + 1 ;
    len -= ll + 1 ;
  }
}

static void show_one (struct queue_walk *w, struct queue_item *it)
{
  struct show_ctx const *c = w->ctx ;
  size_t pos = 0 ;
  size_t body = it->env.hdrlen ;
  uint32_t i = 0 ;
  struct span to ;
  char const *hend ;
  msg_line(w, it, c) ;
  while (queue_env_to_next(it->msg.p, &it->env, &pos, &to)) rcpt_line(w, it, c, i++, to) ;
  hend = memmem(it->msg.p + body, it->msg.len - body, "\r\n\r\n", 4) ;
  if (!hend) hend = memmem(it->msg.p + body, it->msg.len - body, "\n\n", 2) ;
  if (!hend)
  {
    text_lines("header", it->msg.p + body, it->msg.len - body) ;
    return ;
  }
  text_lines("header", it->msg.p + body, (size_t)(hend - it->msg.p) - body) ;
  if (!w->all) return ;
  hend += hend[0] == '\r' ? 4 : 2 ;
  text_lines("body", hend, it->msg.len - (size_t)(hend - it->msg.p)) ;
}

int queue_show (char const *q, char const *confdir, char const *id, int all)
{
  struct show_ctx c ;
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0), .all = all, .ctx = &c } ;
  int trusted ;
  memset(&c, 0, sizeof c) ;
  c.haveconf = conf_open(&c.conf, conf_dir(confdir)) == 0 ;
  if (c.haveconf) conf_limits_get(&c.conf, 0, &c.lim, &trusted) ;
  else for (unsigned int k = 0 ; k < CONF_LIMIT_N ; k++) c.lim.v[k] = conf_limit_default(k) ;
  return queue_walk_one(&w, id, &show_one) ;
}
