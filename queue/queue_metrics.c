/* queue_metrics.c: mxhold-queuectl metrics FILE: the queue's figures and
   the event counters (lib/counter.h) in the Prometheus text format, for
   node_exporter's textfile collector, written whole to FILE.tmp and renamed
   over FILE so a scrape never sees half a file. Gauges come from walking
   the queue (its real content now), counters from QUEUE/counters. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>      /* rename */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/counter.h"
#include "lib/fnv.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define METRICS_DOMAINS_MAX 65536     /* distinct recipient domains reported; the rest as domain="-other" */
#define METRICS_DOMAIN_MAX 255        /* RFC 1035 2.3.4 */

struct mdom
{
  char name[METRICS_DOMAIN_MAX + 1] ;
  uint64_t pending, deferred ;
  uint64_t oldest, oldest_deferred ;  /* arrival, unix seconds; 0: none */
} ;

struct metrics
{
  struct mdom *d ;
  size_t n, a ;
  size_t *idx ;          /* dom_get's index into d */
  size_t ia ;
  uint64_t msgs, msgs_new, unreadable, oldest ;
  char *out ;
  size_t len, cap ;
} ;

static void die_nomem (void)
{
  mx_die_kv(111, "unable-allocate", "error", strerror(errno), (char const *)0) ;
}

/* The domain's entry: an open-addressing index (idx, a power of two,
   half full at most) over the array d, so a queue of many domains costs
   linear time. FNV-1a unseeded, as queue_stats.c: recipient domains are
   the customer domains, and DSNs' all count as "-dsn". */
static void index_grow (struct metrics *m)
{
  size_t na = m->ia ? 2 * m->ia : 256 ;
  size_t *ni = malloc(na * sizeof *ni) ;
  if (!ni) die_nomem() ;
  for (size_t i = 0 ; i < na ; i++) ni[i] = SIZE_MAX ;
  for (size_t j = 0 ; j < m->n ; j++)
  {
    size_t h = mx_fnv1a32(MX_FNV_BASIS, m->d[j].name, strlen(m->d[j].name)) & (na - 1) ;
    while (ni[h] != SIZE_MAX) h = (h + 1) & (na - 1) ;
    ni[h] = j ;
  }
  free(m->idx) ;
  m->idx = ni ;
  m->ia = na ;
}

static struct mdom *dom_get (struct metrics *m, char const *d, size_t len)
{
  size_t h ;
  if (2 * (m->n + 1) > m->ia) index_grow(m) ;
  for (h = mx_fnv1a32(MX_FNV_BASIS, d, len) & (m->ia - 1) ; m->idx[h] != SIZE_MAX ; h = (h + 1) & (m->ia - 1))
  {
    struct mdom *x = &m->d[m->idx[h]] ;
    if (strlen(x->name) == len && !memcmp(x->name, d, len)) return x ;
  }
  /* past the cap, every new domain is "-other" (which may itself be added) */
  if (m->n >= METRICS_DOMAINS_MAX && !(len == 6 && !memcmp(d, "-other", 6))) return dom_get(m, "-other", 6) ;
  if (m->n == m->a)
  {
    size_t na = m->a ? 2 * m->a : 64 ;
    struct mdom *nd = realloc(m->d, na * sizeof *nd) ;
    if (!nd) die_nomem() ;
    m->d = nd ;
    m->a = na ;
  }
  memset(&m->d[m->n], 0, sizeof m->d[m->n]) ;
  memcpy(m->d[m->n].name, d, len) ;
  m->idx[h] = m->n ;
  return &m->d[m->n++] ;
}

static void older (uint64_t *oldest, uint64_t t)
{
  if (!*oldest || t < *oldest) *oldest = t ;
}

/* One message: its pending recipients by domain, deferred ones (tried at
   least once), and the arrival time of the oldest. */
static void one (struct queue_walk *w, struct queue_item *it)
{
  struct metrics *m = w->ctx ;
  size_t pos = 0 ;
  uint32_t i = 0 ;
  struct span to ;
  m->msgs++ ;
  if (it->innew) m->msgs_new++ ;
  older(&m->oldest, it->env.arrived) ;
  while (queue_env_to_next(it->msg.p, &it->env, &pos, &to))
  {
    char low[METRICS_DOMAIN_MAX] ;
    char const *at = memrchr(to.p, '@', to.len) ;
    size_t dl = at ? to.len - (size_t)(at + 1 - to.p) : 0 ;
    size_t sp = 0 ;
    char status = 'p' ;
    uint32_t attempts = 0 ;
    struct queue_state st ;
    struct mdom *d ;
    while (queue_state_next(it->state.p, it->state.len, &sp, &st))
      if (st.index == i)
      {
        status = st.status ;
        attempts = st.attempts ;
      }
    i++ ;
    if (status != 'p') continue ;
    if (dl > sizeof low) dl = sizeof low ;
    for (size_t k = 0 ; k < dl ; k++)
    {
      char c = at[1 + k] ;
      low[k] = (c >= 'A' && c <= 'Z') ? c + 32 : c ;
    }
    /* a DSN's recipient domain is a stranger's choice: one label for all */
    d = !it->env.from.len ? dom_get(m, "-dsn", 4) : dl ? dom_get(m, low, dl) : dom_get(m, "-", 1) ;
    d->pending++ ;
    older(&d->oldest, it->env.arrived) ;
    if (attempts)
    {
      d->deferred++ ;
      older(&d->oldest_deferred, it->env.arrived) ;
    }
  }
}

static void put (struct metrics *m, char const *s, size_t n)
{
  if (m->len + n > m->cap)
  {
    size_t nc = (m->cap + n) * 2 ;
    char *no = realloc(m->out, nc) ;
    if (!no) die_nomem() ;
    m->out = no ;
    m->cap = nc ;
  }
  memcpy(m->out + m->len, s, n) ;
  m->len += n ;
}

static void puts_ (struct metrics *m, char const *s)
{
  put(m, s, strlen(s)) ;
}

static void putu (struct metrics *m, uint64_t u)
{
  char b[MX_U64_FMT] ;
  put(m, b, mx_u64_fmt(b, u)) ;
}

static void head (struct metrics *m, char const *name, char const *type, char const *help)
{
  puts_(m, "# HELP ") ;
  puts_(m, name) ;
  puts_(m, " ") ;
  puts_(m, help) ;
  puts_(m, "\n# TYPE ") ;
  puts_(m, name) ;
  puts_(m, " ") ;
  puts_(m, type) ;
  puts_(m, "\n") ;
}

static void sample (struct metrics *m, char const *name, char const *dom, uint64_t v)
{
  char full[MX_COUNTER_NAME_MAX + 64 + METRICS_DOMAIN_MAX * 2] ;
  if (dom && !mx_counter_name(full, sizeof full, name, "domain", dom, (char const *)0)) return ;
  puts_(m, dom ? full : name) ;
  puts_(m, " ") ;
  putu(m, v) ;
  puts_(m, "\n") ;
}

static int dom_cmp (void const *a, void const *b)
{
  return strcmp(((struct mdom const *)a)->name, ((struct mdom const *)b)->name) ;
}

/* Counters: kept in the order read, equal names added up (a slot may be
   duplicated, lib/counter.h); each family gets its HELP/TYPE once. */
struct csample { char name[MX_COUNTER_NAME_MAX + 1] ; uint64_t v ; } ;
struct clist { struct csample *s ; size_t n, a ; } ;

static void collect (char const *name, uint64_t count, void *ctx)
{
  struct clist *c = ctx ;
  /* the file is ours, but a damaged one must not break the format */
  for (char const *p = name ; *p ; p++) if ((unsigned char)*p < 32 || (unsigned char)*p > 126) return ;
  for (size_t i = 0 ; i < c->n ; i++)
    if (!strcmp(c->s[i].name, name))
    {
      c->s[i].v += count ;
      return ;
    }
  if (c->n == c->a)
  {
    size_t na = c->a ? 2 * c->a : 64 ;
    struct csample *ns = realloc(c->s, na * sizeof *ns) ;
    if (!ns) die_nomem() ;
    c->s = ns ;
    c->a = na ;
  }
  memcpy(c->s[c->n].name, name, strlen(name) + 1) ;
  c->s[c->n++].v = count ;
}

static int cs_cmp (void const *a, void const *b)
{
  return strcmp(((struct csample const *)a)->name, ((struct csample const *)b)->name) ;
}

static char const *family_help (char const *fam, size_t n)
{
  static char const *const f[][2] = {
    { "mxhold_delivered_total", "Recipients delivered downstream (2xx), by recipient domain." },
    { "mxhold_deferred_total", "Delivery attempts that failed temporarily, by recipient domain." },
    { "mxhold_bounced_total", "Recipients bounced (5xx or by the operator), by recipient domain." },
    { "mxhold_expired_total", "Recipients whose lifetime ran out, by recipient domain." },
    { "mxhold_refusals_total", "Refusals of the inbound chain, by program and reason." },
    { "mxhold_redis_fallbacks_total", "Connections ratelimit counted on the host's own state because Redis did not answer." },
  } ;
  for (size_t i = 0 ; i < sizeof f / sizeof f[0] ; i++)
    if (strlen(f[i][0]) == n && !memcmp(f[i][0], fam, n)) return f[i][1] ;
  return "mxhold event counter." ;
}

static void counters (struct metrics *m, char const *q)
{
  char path[QUEUE_PATH_MAX] ;
  struct clist c = { 0 } ;
  char last[MX_COUNTER_NAME_MAX + 1] = "" ;
  if (strlen(q) + sizeof MX_COUNTER_FILE + 1 > sizeof path) return ;
  memcpy(path, q, strlen(q)) ;
  path[strlen(q)] = '/' ;
  memcpy(path + strlen(q) + 1, MX_COUNTER_FILE, sizeof MX_COUNTER_FILE) ;
  if (mx_counter_each(path, &collect, &c) == -1 && errno != ENOENT)
    mx_log_kv(MX_LOG_WARN, "unable-read", "path", path, "error", strerror(errno), (char const *)0) ;
  if (c.n) qsort(c.s, c.n, sizeof *c.s, &cs_cmp) ;
  for (size_t i = 0 ; i < c.n ; i++)
  {
    char const *br = strchr(c.s[i].name, '{') ;
    size_t fl = br ? (size_t)(br - c.s[i].name) : strlen(c.s[i].name) ;
    char fam[MX_COUNTER_NAME_MAX + 1] ;
    memcpy(fam, c.s[i].name, fl) ;
    fam[fl] = 0 ;
    if (strcmp(fam, last))
    {
      head(m, fam, "counter", family_help(fam, fl)) ;
      memcpy(last, fam, fl + 1) ;
    }
    sample(m, c.s[i].name, 0, c.s[i].v) ;
  }
  free(c.s) ;
}

static void render (struct metrics *m, char const *q, uint64_t now)
{
  head(m, "mxhold_queue_messages", "gauge", "Messages in the queue (new/ and mess/).") ;
  sample(m, "mxhold_queue_messages", 0, m->msgs) ;
  head(m, "mxhold_queue_new_messages", "gauge", "Messages in new/, not yet taken in by deliver.") ;
  sample(m, "mxhold_queue_new_messages", 0, m->msgs_new) ;
  head(m, "mxhold_queue_unreadable_messages", "gauge", "Files in new/ and mess/ that are not messages (queuectl list shows them).") ;
  sample(m, "mxhold_queue_unreadable_messages", 0, m->unreadable) ;
  head(m, "mxhold_queue_oldest_seconds", "gauge", "Age of the oldest message in the queue (0: empty).") ;
  sample(m, "mxhold_queue_oldest_seconds", 0, m->oldest && now > m->oldest ? now - m->oldest : 0) ;
  if (m->n) qsort(m->d, m->n, sizeof *m->d, &dom_cmp) ;
  head(m, "mxhold_queue_recipients", "gauge", "Recipients still to deliver, by recipient domain.") ;
  for (size_t i = 0 ; i < m->n ; i++) sample(m, "mxhold_queue_recipients", m->d[i].name, m->d[i].pending) ;
  head(m, "mxhold_queue_deferred_recipients", "gauge", "Recipients still to deliver that were tried at least once, by domain.") ;
  for (size_t i = 0 ; i < m->n ; i++) sample(m, "mxhold_queue_deferred_recipients", m->d[i].name, m->d[i].deferred) ;
  head(m, "mxhold_queue_domain_oldest_seconds", "gauge", "Age of the oldest message with a recipient still to deliver, by domain.") ;
  for (size_t i = 0 ; i < m->n ; i++)
    sample(m, "mxhold_queue_domain_oldest_seconds", m->d[i].name, now > m->d[i].oldest ? now - m->d[i].oldest : 0) ;
  head(m, "mxhold_queue_deferred_oldest_seconds", "gauge", "Age of the oldest message with a deferred recipient, by domain (0: none).") ;
  for (size_t i = 0 ; i < m->n ; i++)
    sample(m, "mxhold_queue_deferred_oldest_seconds", m->d[i].name,
      m->d[i].oldest_deferred && now > m->d[i].oldest_deferred ? now - m->d[i].oldest_deferred : 0) ;
  counters(m, q) ;
  head(m, "mxhold_metrics_time_seconds", "gauge", "When this file was written (unix seconds).") ;
  sample(m, "mxhold_metrics_time_seconds", 0, now) ;
}

/* FILE.tmp, fsync, rename: a reader sees the old file or the new one. */
static void install (char const *file, char const *data, size_t len)
{
  char tmp[QUEUE_PATH_MAX] ;
  int fd ;
  if (strlen(file) + 5 > sizeof tmp)
    mx_die_kv(100, "usage", "reason", "path-too-long", "path", file, (char const *)0) ;
  memcpy(tmp, file, strlen(file)) ;
  memcpy(tmp + strlen(file), ".tmp", 5) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
  if (fd == -1) queue_ctl_die_sys(111, "unable-write", tmp) ;
  if (mx_write_all(fd, data, len) == -1 || fsync(fd) == -1 || close(fd) == -1)
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
    queue_ctl_die_sys(111, "unable-write", tmp) ;
  }
  if (rename(tmp, file) == -1)
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
    queue_ctl_die_sys(111, "unable-rename", file) ;
  }
}

void queue_metrics (char const *q, char const *file)
{
  struct metrics m = { 0 } ;
  uint64_t now = (uint64_t)time(0) ;
  struct queue_walk w = { .q = q, .now = now, .ctx = &m, .quiet = 1 } ;
  queue_walk(&w, &one) ;
  m.unreadable = w.bad ;
  render(&m, q, now) ;
  if (!strcmp(file, "-"))
  {
    if (mx_write_all(1, m.out, m.len) == -1) queue_ctl_die_sys(111, "unable-write", "-") ;
  }
  else install(file, m.out, m.len) ;
  free(m.out) ;
  free(m.d) ;
  free(m.idx) ;
}
