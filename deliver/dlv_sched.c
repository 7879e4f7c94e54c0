/* dlv_sched.c: deliver's in-memory schedule: the message table with an id
   index, a min-heap of messages by next event (retry or expiry), the
   domain and route tables, backoff and lifetime. Work per event is
   O(log n); nothing here touches the disk. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/fnv.h"
#include "lib/log.h"
#include "deliver/deliver.h"

struct dlv_g g = { .dirty = DLV_NONE, .trigfd = -1, .trigwfd = -1 } ;

/* FNV-1a with the process's seed: a sender can pick domain names, not
   where they land. */
static uint32_t hash (char const *s, size_t len)
{
  return mx_fnv1a32(MX_FNV_BASIS ^ g.hashseed, s, len) ;
}

static void nomem (void)
{
  mx_die_kv(111, "out-of-memory", (char const *)0) ;
}

static void *grow (void *p, uint32_t *a, uint32_t need, size_t sz)
{
  uint32_t n ;
  if (need <= *a) return p ;
  n = *a ? *a : 16 ;
  while (n < need) n *= 2 ;
  p = realloc(p, (size_t)n * sz) ;
  if (!p) nomem() ;
  *a = n ;
  return p ;
}

/* ---- the id index: linear probing, backward-shift deletion ---- */

static void id_rehash (uint32_t cap)
{
  uint32_t *old = g.idtab, oldcap = g.idcap ;
  g.idtab = calloc(cap, sizeof *g.idtab) ;
  if (!g.idtab) nomem() ;
  g.idcap = cap ;
  for (uint32_t k = 0 ; k < oldcap ; k++) if (old[k])
  {
    char const *id = g.m[old[k] - 1].id ;
    uint32_t j = hash(id, strlen(id)) & (cap - 1) ;
    while (g.idtab[j]) j = (j + 1) & (cap - 1) ;
    g.idtab[j] = old[k] ;
  }
  free(old) ;
}

uint32_t dlv_msg_find (char const *id, size_t len)
{
  uint32_t j ;
  if (!g.idcap) return DLV_NONE ;
  j = hash(id, len) & (g.idcap - 1) ;
  for (; g.idtab[j] ; j = (j + 1) & (g.idcap - 1))
  {
    char const *x = g.m[g.idtab[j] - 1].id ;
    if (strlen(x) == len && !memcmp(x, id, len)) return g.idtab[j] - 1 ;
  }
  return DLV_NONE ;
}

uint32_t dlv_msg_new (char const *id)
{
  uint32_t i, j ;
  size_t len = strlen(id) ;
  if ((g.count + 1) * 2 > g.idcap) id_rehash(g.idcap ? g.idcap * 2 : 1024) ;
  if (g.nfree) i = g.freem[--g.nfree] ;
  else
  {
    g.m = grow(g.m, &g.am, g.nm + 1, sizeof *g.m) ;
    i = g.nm++ ;
  }
  memset(g.m + i, 0, sizeof g.m[i]) ;
  memcpy(g.m[i].id, id, len + 1) ;
  g.m[i].heappos = DLV_NONE ;
  g.m[i].nextdirty = DLV_NONE ;
  j = hash(id, len) & (g.idcap - 1) ;
  while (g.idtab[j]) j = (j + 1) & (g.idcap - 1) ;
  g.idtab[j] = i + 1 ;
  g.count++ ;
  return i ;
}

void dlv_msg_free (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  uint32_t j = hash(m->id, strlen(m->id)) & (g.idcap - 1), k, n ;
  while (g.idtab[j] != i + 1) j = (j + 1) & (g.idcap - 1) ;
  g.idtab[j] = 0 ;
  for (k = (j + 1) & (g.idcap - 1) ; g.idtab[k] ; k = (k + 1) & (g.idcap - 1))
  {
    char const *id = g.m[g.idtab[k] - 1].id ;
    uint32_t home = hash(id, strlen(id)) & (g.idcap - 1) ;
    /* move k into the hole at j unless its home lies cyclically in (j, k] */
    if ((k > j && (home <= j || home > k)) || (k < j && home <= j && home > k))
    {
      g.idtab[j] = g.idtab[k] ;
      g.idtab[k] = 0 ;
      j = k ;
    }
  }
  n = m->nrcpt ;
  m->nrcpt = 0 ;
  m->busy = 0 ;
  dlv_heap_set(i) ;   /* with no recipients it leaves the heap */
  for (uint32_t r = 0 ; r < n ; r++) free(m->r[r].reply) ;
  free(m->r) ;
  m->r = 0 ;
  m->id[0] = 0 ;
  g.freem = grow(g.freem, &g.afree, g.nfree + 1, sizeof *g.freem) ;
  g.freem[g.nfree++] = i ;
  g.count-- ;
}

/* ---- heap of messages by key ---- */

uint64_t dlv_rcpt_expires (struct dlv_msg const *m, struct dlv_rcpt const *x)
{
  return x->expires ? x->expires : m->expires ;
}

uint64_t dlv_msg_key (uint32_t i)
{
  struct dlv_msg const *m = g.m + i ;
  uint64_t k = UINT64_MAX ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
    if (m->r[r].status == 'p' && !m->r[r].busy)
    {
      if (m->r[r].next < k) k = m->r[r].next ;
      if (dlv_rcpt_expires(m, m->r + r) < k) k = dlv_rcpt_expires(m, m->r + r) ;
    }
  return k ;
}

static uint64_t hkey (uint32_t pos)
{
  return dlv_msg_key(g.heap[pos]) ;
}

static void hswap (uint32_t a, uint32_t b)
{
  uint32_t t = g.heap[a] ;
  g.heap[a] = g.heap[b] ;
  g.heap[b] = t ;
  g.m[g.heap[a]].heappos = a ;
  g.m[g.heap[b]].heappos = b ;
}

static void hfix (uint32_t pos)
{
  while (pos && hkey(pos) < hkey((pos - 1) / 2))
  {
    hswap(pos, (pos - 1) / 2) ;
    pos = (pos - 1) / 2 ;
  }
  for (;;)
  {
    uint32_t l = 2 * pos + 1, s = pos ;
    if (l < g.nheap && hkey(l) < hkey(s)) s = l ;
    if (l + 1 < g.nheap && hkey(l + 1) < hkey(s)) s = l + 1 ;
    if (s == pos) break ;
    hswap(pos, s) ;
    pos = s ;
  }
}

int dlv_held_id (char const *id)
{
  for (size_t pos = 0 ; pos < g.holdids.len ; pos += strlen(g.holdids.s + pos) + 1)
    if (!strcmp(g.holdids.s + pos, id)) return 1 ;
  return 0 ;
}

/* The operator's holds (Q/hold/, dlv_ctl.c) on m's idle pending
   recipients: a held one is never due (NEXT = QUEUE_NEXT_HELD, so every
   "next <= now" test skips it) but still expires; one no longer held is
   due now. Done whenever a message (re)enters the heap, so a recipient
   that was in a session when the hold came gets it after its result. */
static void hold_fix (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  int msgheld = g.holdids.len && dlv_held_id(m->id) ;
  int changed = 0 ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    uint64_t next ;
    if (x->status != 'p' || x->busy) continue ;
    next = msgheld || (x->dom < g.ndom && g.dom[x->dom].held) ? QUEUE_NEXT_HELD : x->next == QUEUE_NEXT_HELD ? g.now : x->next ;
    if (next == x->next) continue ;
    x->next = next ;
    changed = 1 ;
  }
  if (changed) dlv_dirty(i) ;   /* the state file says it too (queue/queue.h) */
}

/* Keys are recomputed from the recipients on each comparison: a message
   has few recipients, and this keeps no second copy to go stale. */
void dlv_heap_set (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  int want ;
  hold_fix(i) ;
  want = m->nrcpt && !m->busy && dlv_msg_key(i) != UINT64_MAX ;
  if (m->heappos == DLV_NONE)
  {
    if (!want) return ;
    g.heap = grow(g.heap, &g.aheap, g.nheap + 1, sizeof *g.heap) ;
    g.heap[g.nheap] = i ;
    m->heappos = g.nheap++ ;
    hfix(m->heappos) ;
  }
  else if (!want)
  {
    uint32_t pos = m->heappos ;
    m->heappos = DLV_NONE ;
    if (pos != --g.nheap)
    {
      g.heap[pos] = g.heap[g.nheap] ;
      g.m[g.heap[pos]].heappos = pos ;
      hfix(pos) ;
    }
  }
  else hfix(m->heappos) ;
}

uint32_t dlv_heap_top (void)
{
  return g.nheap ? g.heap[0] : DLV_NONE ;
}

/* ---- domains and routes ---- */

uint32_t dlv_dom_intern (char const *s, size_t len)
{
  char low[256] ;
  uint32_t j ;
  if (len >= sizeof low) len = sizeof low - 1 ;
  for (size_t k = 0 ; k < len ; k++) low[k] = (s[k] >= 'A' && s[k] <= 'Z') ? s[k] + 32 : s[k] ;
  low[len] = 0 ;
  if ((g.ndom + 1) * 2 > g.domcap)
  {
    uint32_t cap = g.domcap ? g.domcap * 2 : 256 ;
    free(g.domtab) ;
    g.domtab = calloc(cap, sizeof *g.domtab) ;
    if (!g.domtab) nomem() ;
    g.domcap = cap ;
    for (uint32_t d = 0 ; d < g.ndom ; d++)
    {
      j = hash(g.dom[d].name, strlen(g.dom[d].name)) & (cap - 1) ;
      while (g.domtab[j]) j = (j + 1) & (cap - 1) ;
      g.domtab[j] = d + 1 ;
    }
  }
  j = hash(low, len) & (g.domcap - 1) ;
  for (; g.domtab[j] ; j = (j + 1) & (g.domcap - 1))
    if (!strcmp(g.dom[g.domtab[j] - 1].name, low)) return g.domtab[j] - 1 ;
  g.dom = grow(g.dom, &g.adom, g.ndom + 1, sizeof *g.dom) ;
  g.dom[g.ndom].name = strdup(low) ;
  if (!g.dom[g.ndom].name) nomem() ;
  g.dom[g.ndom].route = DLV_NONE ;
  g.dom[g.ndom].held = 0 ;   /* dlv_hold_scan sets it */
  g.domtab[j] = g.ndom + 1 ;
  return g.ndom++ ;
}

static uint32_t route_get (char const *key, size_t klen, char const *domain)
{
  int mx = klen == 2 && !memcmp(key, "mx", 2) ;
  for (uint32_t k = 0 ; k < g.nroute ; k++)   /* few routes: explicit hosts, one per mx domain */
    if (strlen(g.route[k].key) == klen && !memcmp(g.route[k].key, key, klen)
     && (!mx || !strcmp(g.route[k].domain, domain))) return k ;
  g.route = grow(g.route, &g.aroute, g.nroute + 1, sizeof *g.route) ;
  memset(g.route + g.nroute, 0, sizeof g.route[0]) ;
  g.route[g.nroute].key = strndup(key, klen) ;
  g.route[g.nroute].domain = strdup(domain) ;
  if (!g.route[g.nroute].key || !g.route[g.nroute].domain) nomem() ;
  g.route[g.nroute].conc = (uint32_t)CONF_LIM(&g.lim, concurrency_host) ;
  g.route[g.nroute].idle = (uint32_t)CONF_LIM(&g.lim, session_idle) ;
  g.route[g.nroute].fresh = 1 ;
  return g.nroute++ ;
}

/* The global limits with the domain's overrides (its `domains` value,
   NULL: none) applied. */
static void lim_read (struct dlv_lim *x, struct span const *val)
{
  struct conf_limits l = g.lim ;
  if (val) conf_limits_apply(*val, &l) ;
  x->lifetime = (uint32_t)CONF_LIM(&l, lifetime) ;
  x->lifetime_days = (uint32_t)CONF_LIM(&l, lifetime_days) ;
  x->retry_min = (uint32_t)CONF_LIM(&l, retry_min) ;
  x->retry_max = (uint32_t)CONF_LIM(&l, retry_max) ;
  x->conc_host = (uint32_t)CONF_LIM(&l, concurrency_host) ;
  x->session_idle = (uint32_t)CONF_LIM(&l, session_idle) ;
  x->dsn_pass_only = !!CONF_LIM(&l, dsn_pass_only) ;
}

/* A customer domain goes to its configured route; any other domain (a DSN
   to a sender) to its MX hosts. */
uint32_t dlv_dom_route (uint32_t d)
{
  struct dlv_dom *x = g.dom + d ;
  if (x->route == DLV_NONE)
  {
    struct span val, r ;
    struct dlv_route *rt ;
    int found = conf_domain_find(&g.conf, x->name, strlen(x->name), &val) ;
    r = found ? conf_route(val) : SPAN_STR("mx") ;
    if (!r.len) r = SPAN_STR("mx") ;
    lim_read(&x->lim, found ? &val : 0) ;
    x->route = route_get(r.p, r.len, x->name) ;
    /* a route shared by several domains takes the smallest of their values */
    rt = g.route + x->route ;
    if (rt->fresh || x->lim.conc_host < rt->conc) rt->conc = x->lim.conc_host ;
    if (rt->fresh || x->lim.session_idle < rt->idle) rt->idle = x->lim.session_idle ;
    rt->fresh = 0 ;
    rt->bounce = found ? DLV_CUSTOMER : DLV_BOUNCE ;   /* only DSNs go to a domain not in `domains` */
  }
  return x->route ;
}

struct dlv_lim const *dlv_dom_lim (uint32_t d)
{
  dlv_dom_route(d) ;
  return &g.dom[d].lim ;
}

/* Routes keep their sessions; their limits start again from the global
   ones until a domain resolves to them. Every domain resolved before is
   resolved again now (O(domains), once per config load), so a route with
   only idle sessions has its domains' values too. */
void dlv_routes_reset (void)
{
  for (uint32_t k = 0 ; k < g.nroute ; k++)
  {
    g.route[k].conc = (uint32_t)CONF_LIM(&g.lim, concurrency_host) ;
    g.route[k].idle = (uint32_t)CONF_LIM(&g.lim, session_idle) ;
    g.route[k].fresh = 1 ;
  }
  for (uint32_t d = 0 ; d < g.ndom ; d++)
    if (g.dom[d].route != DLV_NONE)
    {
      g.dom[d].route = DLV_NONE ;
      dlv_dom_route(d) ;
    }
}

static uint64_t backoff (uint64_t d, uint64_t max, uint32_t attempts)
{
  for (uint32_t k = 1 ; k < attempts && d < max ; k++) d *= 2 ;
  return d < max ? d : max ;
}

uint64_t dlv_backoff (uint32_t attempts)
{
  return backoff(CONF_LIM(&g.lim, retry_min), CONF_LIM(&g.lim, retry_max), attempts) ;
}

uint64_t dlv_backoff_dom (uint32_t dom, uint32_t attempts)
{
  struct dlv_lim const *l = dlv_dom_lim(dom) ;
  return backoff(l->retry_min, l->retry_max, attempts) ;
}

/* the rule is queue_expiry's (queue/queue.h), which queuectl shows too */
static uint64_t expiry (uint64_t arrived, uint64_t lifetime, uint64_t days)
{
  return queue_expiry(arrived, lifetime, days) ;
}

uint64_t dlv_expiry (uint64_t arrived)
{
  return expiry(arrived, CONF_LIM(&g.lim, lifetime), CONF_LIM(&g.lim, lifetime_days)) ;
}

/* The message's expiry under the global lifetime; a recipient whose
   domain overrides it gets its own (the last one computed is reused for
   the next recipient with the same lifetime: one mktime per message in
   the usual case). */
void dlv_msg_expiry (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  uint64_t glt = CONF_LIM(&g.lim, lifetime), gdays = CONF_LIM(&g.lim, lifetime_days) ;
  uint64_t lt = UINT64_MAX, days = 0, e = 0 ;
  m->expires = dlv_expiry(m->arrived) ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
  {
    struct dlv_lim const *l = dlv_dom_lim(m->r[r].dom) ;
    if (l->lifetime == glt && (glt || l->lifetime_days == gdays))
    {
      m->r[r].expires = 0 ;
      continue ;
    }
    if (l->lifetime != lt || l->lifetime_days != days)
    {
      lt = l->lifetime ;
      days = l->lifetime_days ;
      e = expiry(m->arrived, lt, days) ;
    }
    m->r[r].expires = e ? e : 1 ;
  }
}

void dlv_dirty (uint32_t i)
{
  if (g.m[i].flags & DLV_F_DIRTY) return ;
  g.m[i].flags |= DLV_F_DIRTY ;
  g.m[i].nextdirty = g.dirty ;
  g.dirty = i ;
}

/* Every pending recipient (of route, or of domain dom) is due now. O(n):
   only on a recovery or an operator's flush, never per message. */
void dlv_flush_where (uint32_t route, uint32_t dom)
{
  for (uint32_t i = 0 ; i < g.nm ; i++)
  {
    struct dlv_msg *m = g.m + i ;
    int hit = 0 ;
    if (!m->id[0]) continue ;
    for (uint32_t r = 0 ; r < m->nrcpt ; r++)
    {
      struct dlv_rcpt *x = m->r + r ;
      if (x->status != 'p' || x->busy || x->next <= g.now) continue ;
      if (dom != DLV_NONE && x->dom != dom) continue ;
      if (route != DLV_NONE && dlv_dom_route(x->dom) != route) continue ;
      x->next = g.now ;
      hit = 1 ;
    }
    if (hit) dlv_heap_set(i) ;
  }
}
