/* queue_list.c: mxhold-queuectl list: one line per message, one per
   recipient with its state and the reply of its last attempt (the reason
   of a deferral), filtered by recipient domain, state and age; then the
   totals. Lines in the log's grammar (queuectl.h). */

#include <string.h>
#include <strings.h>
#include <time.h>
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

struct list_ctx
{
  struct queue_filter const *f ;
  uint64_t shown ;
} ;

/* The domain of an address: after its last '@' ("" if none). */
static struct span domain_of (struct span to)
{
  char const *at = memrchr(to.p, '@', to.len) ;
  struct span d = { "", 0 } ;
  if (at)
  {
    d.p = at + 1 ;
    d.len = to.len - (size_t)(at + 1 - to.p) ;
  }
  return d ;
}

/* Does recipient to, in word state, pass the filters? */
static int rcpt_passes (struct queue_filter const *f, struct span to, char const *word)
{
  if (f->state && strcmp(f->state, word)) return 0 ;
  if (f->domain)
  {
    struct span d = domain_of(to) ;
    size_t fl = strlen(f->domain) ;
    if (fl && f->domain[fl - 1] == '.') fl-- ;
    if (d.len != fl || strncasecmp(d.p, f->domain, fl)) return 0 ;
  }
  return 1 ;
}

static int rcpt_held (struct queue_walk *w, int msgheld, struct span to)
{
  char name[1 + 256] ;
  struct span d = domain_of(to) ;
  if (msgheld) return 1 ;
  if (!d.len || d.len >= sizeof name - 1) return 0 ;
  name[0] = '@' ;
  for (size_t k = 0 ; k < d.len ; k++) name[1 + k] = (d.p[k] >= 'A' && d.p[k] <= 'Z') ? d.p[k] + 32 : d.p[k] ;
  name[1 + d.len] = 0 ;
  return queue_held(w->q, name) ;
}

static void rcpt_line (struct queue_walk *w, struct queue_item *it, uint32_t i, struct span to, struct queue_state const *st, int has, char const *word)
{
  struct mx_log l ;
  mx_log_start_bare(&l, "rcpt") ;
  mx_log_str(&l, "qid", it->id) ;
  mx_log_u64(&l, "index", i) ;
  mx_log_bytes(&l, "to", to.p, to.len) ;
  mx_log_str(&l, "state", word) ;
  mx_log_u64(&l, "attempts", has ? st->attempts : 0) ;
  if (has && st->status != 'p') mx_log_str(&l, "next", "-") ;
  else if (!strcmp(word, "held")) mx_log_str(&l, "next", "held") ;
  else if (!has || st->next <= w->now) mx_log_str(&l, "next", "now") ;
  else queue_out_time(&l, "next", "next_at", st->next, w->now) ;
  if (has) queue_out_reply(&l, st->reply) ;
  queue_out_end(&l) ;
}

static void msg_line (struct queue_walk *w, struct queue_item *it, int held)
{
  struct mx_log l ;
  mx_log_start_bare(&l, "message") ;
  mx_log_str(&l, "qid", it->id) ;
  mx_log_str(&l, "in", it->innew ? "new" : "mess") ;
  queue_out_iso(&l, "arrived", it->env.arrived) ;
  queue_out_secs(&l, "age", w->now > it->env.arrived ? w->now - it->env.arrived : 0) ;
  mx_log_u64(&l, "bytes", it->msg.len - it->env.hdrlen) ;
  mx_log_bytes(&l, "from", it->env.from.p, it->env.from.len) ;
  mx_log_u64(&l, "rcpts", it->env.nto) ;
  mx_log_str(&l, "held", held ? "yes" : "no") ;
  queue_out_end(&l) ;
}

/* Two passes over the recipients: is any shown? then the lines. */
static void list_one (struct queue_walk *w, struct queue_item *it)
{
  struct list_ctx *c = w->ctx ;
  int msgheld = queue_held(w->q, it->id) ;
  int any = 0 ;
  if (c->f->older && w->now < it->env.arrived + c->f->older) return ;
  for (int pass = 0 ; pass < 2 ; pass++)
  {
    size_t pos = 0 ;
    uint32_t i = 0 ;
    struct span to ;
    if (pass && !any) return ;
    if (pass) msg_line(w, it, msgheld) ;
    for ( ; queue_env_to_next(it->msg.p, &it->env, &pos, &to) ; i++)
    {
      struct queue_state st = { .index = i, .status = 'p' } ;
      int has = queue_rcpt_state(it, i, &st) ;
      char const *word = queue_state_word(&st, has, st.status == 'p' && rcpt_held(w, msgheld, to)) ;
      if (!rcpt_passes(c->f, to, word)) continue ;
      any = 1 ;
      if (pass) rcpt_line(w, it, i, to, &st, has, word) ;
    }
  }
  c->shown++ ;
}

void queue_list (char const *q, struct queue_filter const *f)
{
  struct list_ctx c = { .f = f } ;
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0), .ctx = &c } ;
  struct mx_log l ;
  queue_walk(&w, &list_one) ;
  mx_log_start_bare(&l, "total") ;
  mx_log_u64(&l, "messages", c.shown) ;
  mx_log_u64(&l, "unreadable", w.bad) ;
  queue_out_end(&l) ;
}
