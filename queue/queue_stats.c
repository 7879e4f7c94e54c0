/* queue_stats.c: mxhold-queuectl stats: recipients counted by domain and
   state, and totals. Domains go in an open-addressing hash table, so the
   cost stays linear in the queue. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/fnv.h"
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define QUEUE_STATS_DOMAIN_MAX 255    /* RFC 1035 2.3.4: longer is not a domain */

struct dom
{
  char *name ;
  uint64_t n[4] ;      /* queued delivered bounced expired */
} ;

struct table
{
  struct dom *v ;
  size_t n ;
  size_t a ;
  uint64_t msgs ;
  uint64_t tot[4] ;
} ;

static unsigned state_slot (char s)
{
  return s == 'd' ? 1 : s == 'b' ? 2 : s == 'x' ? 3 : 0 ;
}

static void die_nomem (void)
{
  mx_die_kv(111, "unable-allocate", "error", strerror(errno), (char const *)0) ;
}

/* The table's hash: FNV-1a (lib/fnv.h), unseeded. The keys are recipient
   domains, which smtpd takes only among the customer domains: nobody
   outside chooses them. */
static size_t dom_hash (char const *d, size_t len)
{
  return mx_fnv1a32(MX_FNV_BASIS, d, len) ;
}

static struct dom *dom_get (struct table *t, char const *d, size_t len)
{
  size_t h ;
  if (2 * (t->n + 1) > t->a)
  {
    struct table u = { .a = t->a ? t->a * 2 : 256 } ;
    u.v = calloc(u.a, sizeof *u.v) ;
    if (!u.v) die_nomem() ;
    for (size_t i = 0 ; i < t->a ; i++)
      if (t->v[i].name)
      {
        size_t k = dom_hash(t->v[i].name, strlen(t->v[i].name)) ;
        while (u.v[k % u.a].name) k++ ;
        u.v[k % u.a] = t->v[i] ;
      }
    free(t->v) ;
    t->v = u.v ;
    t->a = u.a ;
  }
  for (h = dom_hash(d, len) ; ; h++)
  {
    struct dom *x = &t->v[h % t->a] ;
    if (!x->name)
    {
      x->name = malloc(len + 1) ;
      if (!x->name) die_nomem() ;
      memcpy(x->name, d, len) ;
      x->name[len] = 0 ;
      t->n++ ;
      return x ;
    }
    if (strlen(x->name) == len && !memcmp(x->name, d, len)) return x ;
  }
}

static void stats_one (struct queue_walk *w, struct queue_item *it)
{
  struct table *t = w->ctx ;
  size_t pos = 0 ;
  uint32_t i = 0 ;
  struct span to ;
  t->msgs++ ;
  while (queue_env_to_next(it->msg.p, &it->env, &pos, &to))
  {
    char low[QUEUE_STATS_DOMAIN_MAX] ;
    char const *at = memrchr(to.p, '@', to.len) ;
    size_t dl = at ? to.len - (size_t)(at + 1 - to.p) : 0 ;
    unsigned s = 0 ;
    size_t sp = 0 ;
    struct queue_state st ;
    while (queue_state_next(it->state.p, it->state.len, &sp, &st))
      if (st.index == i) s = state_slot(st.status) ;
    i++ ;
    if (dl > sizeof low) dl = sizeof low ;
    for (size_t k = 0 ; k < dl ; k++)
    {
      char c = at[1 + k] ;
      low[k] = (c >= 'A' && c <= 'Z') ? c + 32 : ((unsigned char)c < 33 || (unsigned char)c > 126) ? '?' : c ;
    }
    if (!dl)
    {
      low[0] = '-' ;
      dl = 1 ;
    }
    dom_get(t, low, dl)->n[s]++ ;
    t->tot[s]++ ;
  }
}

static int dom_cmp (void const *a, void const *b)
{
  struct dom const *x = a ;
  struct dom const *y = b ;
  if (!x->name || !y->name) return !x->name - !y->name ;
  return strcmp(x->name, y->name) ;
}

/* "domain domain=D queued=N delivered=N bounced=N expired=N", or "total
   ... messages=N" */
static void put_counts (char const *event, char const *name, uint64_t const n[4], uint64_t const *msgs)
{
  static char const *const label[4] = { "queued", "delivered", "bounced", "expired" } ;
  struct mx_log l ;
  mx_log_start_bare(&l, event) ;
  if (name) mx_log_str(&l, "domain", name) ;
  for (unsigned s = 0 ; s < 4 ; s++) mx_log_u64(&l, label[s], n[s]) ;
  if (msgs) mx_log_u64(&l, "messages", *msgs) ;
  queue_out_end(&l) ;
}

void queue_stats (char const *q)
{
  struct table t = { 0 } ;
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0), .ctx = &t } ;
  queue_walk(&w, &stats_one) ;
  if (t.v) qsort(t.v, t.a, sizeof *t.v, &dom_cmp) ;
  for (size_t i = 0 ; i < t.n ; i++) put_counts("domain", t.v[i].name, t.v[i].n, 0) ;
  put_counts("total", 0, t.tot, &t.msgs) ;
}
