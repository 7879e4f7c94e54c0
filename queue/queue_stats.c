/* queue_stats.c: mxhold-queuectl stats: recipients counted by domain and
   state, and totals. Domains go in an open-addressing hash table, so the
   cost stays linear in the queue. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <skalibs/strerr.h>
#include <skalibs/buffer.h>
#include <skalibs/types.h>
#include "queue/queue.h"
#include "queue/queuectl.h"

#define QUEUE_STATS_DOMAIN_MAX 255    /* RFC 1035 2.3.4: longer is not a domain */

struct dom { char *name ; uint64_t n[4] ; } ;      /* queued delivered bounced expired */
struct table { struct dom *v ; size_t n, a ; uint64_t msgs, tot[4] ; } ;

static unsigned state_slot (char s) { return s == 'd' ? 1 : s == 'b' ? 2 : s == 'x' ? 3 : 0 ; }

static struct dom *dom_get (struct table *t, char const *d, size_t len)
{
  size_t h = 5381 ;
  if (2 * (t->n + 1) > t->a)
  {
    struct table u = { .a = t->a ? t->a * 2 : 256 } ;
    u.v = calloc(u.a, sizeof *u.v) ;
    if (!u.v) strerr_diefu1sys(111, "allocate") ;
    for (size_t i = 0 ; i < t->a ; i++)
      if (t->v[i].name)
      {
        size_t k = 5381 ;
        for (char const *p = t->v[i].name ; *p ; p++) k = k * 33 + (unsigned char)*p ;
        while (u.v[k % u.a].name) k++ ;
        u.v[k % u.a] = t->v[i] ;
      }
    free(t->v) ; t->v = u.v ; t->a = u.a ;
  }
  for (size_t i = 0 ; i < len ; i++) h = h * 33 + (unsigned char)d[i] ;
  for (;; h++)
  {
    struct dom *x = &t->v[h % t->a] ;
    if (!x->name)
    {
      x->name = malloc(len + 1) ;
      if (!x->name) strerr_diefu1sys(111, "allocate") ;
      memcpy(x->name, d, len) ; x->name[len] = 0 ;
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
  if (it->envok != 1) return ;
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
    if (!dl) { memcpy(low, "-", 1) ; dl = 1 ; }
    dom_get(t, low, dl)->n[s]++ ;
    t->tot[s]++ ;
  }
}

static int dom_cmp (void const *a, void const *b)
{
  struct dom const *x = a, *y = b ;
  if (!x->name || !y->name) return !x->name - !y->name ;
  return strcmp(x->name, y->name) ;
}

static void put_counts (char const *name, uint64_t const n[4])
{
  static char const *const label[4] = { " queued=", " delivered=", " bounced=", " expired=" } ;
  char fmt[UINT64_FMT] ;
  buffer_puts(buffer_1, name) ;
  for (unsigned s = 0 ; s < 4 ; s++)
  {
    buffer_puts(buffer_1, label[s]) ;
    buffer_put(buffer_1, fmt, uint64_fmt(fmt, n[s])) ;
  }
  buffer_puts(buffer_1, "\n") ;
}

void queue_stats (char const *q)
{
  struct table t = { 0 } ;
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0), .ctx = &t } ;
  char fmt[UINT64_FMT] ;
  queue_walk(&w, &stats_one) ;
  if (t.v) qsort(t.v, t.a, sizeof *t.v, &dom_cmp) ;
  for (size_t i = 0 ; i < t.n ; i++)
  {
    buffer_puts(buffer_1, "domain ") ;
    put_counts(t.v[i].name, t.v[i].n) ;
  }
  put_counts("total", t.tot) ;
  buffer_puts(buffer_1, "messages ") ;
  buffer_put(buffer_1, fmt, uint64_fmt(fmt, t.msgs)) ;
  buffer_putsflush(buffer_1, "\n") ;
}
