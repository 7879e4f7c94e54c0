/* rcpt_check.c: one address, from the cache or from the customer's server:
   a fresh entry answers; else one token of the server's budget buys one
   probe, whose 250 or 550 is cached; a server that cannot answer leaves
   the last verdict standing, if there was one (rcptcheck.md). */
#include <errno.h>
#include "lib/log.h"
#include "rcptcheck/rcptcheck.h"

static char const *const verdicts[] = { "known", "unknown", "unverified" } ;

char const *rcpt_verdict_name (enum rcpt_verdict v)
{
  return verdicts[v] ;
}

static enum rcpt_verdict of_entry (struct rcpt_entry const *e)
{
  return e->status == 'k' ? RCPT_KNOWN : RCPT_UNKNOWN ;
}

static void log_probe (struct rcpt_check const *k, enum rcpt_verdict v, uint64_t ms)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "probe") ;
  mx_log_bytes(&l, "to", k->probe.addr, k->probe.addrlen) ;
  mx_log_str(&l, "domain", k->domain) ;
  mx_log_str(&l, "host", k->probe.host) ;
  if (k->probe.reply[0]) mx_log_str(&l, "reply", k->probe.reply) ;
  else mx_log_errno(&l, k->probe.err) ;
  mx_log_str(&l, "result", rcpt_verdict_name(v)) ;
  mx_log_ms(&l, "duration", ms) ;
  mx_log_end(&l) ;
}

static void log_limited (struct rcpt_check const *k)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "probe-limited") ;
  mx_log_bytes(&l, "to", k->probe.addr, k->probe.addrlen) ;
  mx_log_str(&l, "domain", k->domain) ;
  mx_log_bytes(&l, "route", k->probe.route.p, k->probe.route.len) ;
  mx_log_u64(&l, "rate", k->rate) ;
  mx_log_u64(&l, "burst", k->burst) ;
  mx_log_end(&l) ;
}

static void log_cache (char const *what, int e)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "cache-unusable") ;
  mx_log_str(&l, "detail", what) ;
  mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
}

enum rcpt_verdict rcpt_check_run (struct rcpt_check *k, char const **how)
{
  char key[RCPT_ADDR_MAX] ;
  size_t klen = rcpt_key(key, k->probe.addr, k->probe.addrlen) ;
  struct rcpt_entry e ;
  int have = 0 ;
  int r ;
  uint64_t start ;
  enum rcpt_verdict v ;
  if (klen && k->cache) have = rcpt_cache_get(k->cache, key, klen, &e) ;
  if (have == -1) log_cache("get", errno) ;
  have = have == 1 ;
  *how = "cache" ;
  if (have && rcpt_entry_fresh(&e, k->now, k->positive, k->negative)) return of_entry(&e) ;
  /* no budget without the cache: an unusable cache must not let a
     dictionary through to the customer */
  r = k->cache ? rcpt_cache_take(k->cache, k->probe.route.p, k->probe.route.len, k->now, k->rate, k->burst) : -1 ;
  if (r == -1) log_cache("take", errno) ;
  if (r != 1)
  {
    if (r == 0) log_limited(k) ;
    *how = have ? "stale" : r == 0 ? "limited" : "failed" ;
    return have ? of_entry(&e) : RCPT_UNVERIFIED ;
  }
  start = rcpt_ms() ;
  k->probe.deadline_ms = start + k->timeout_ms ;
  v = rcpt_probe_run(&k->probe) ;
  log_probe(k, v, rcpt_ms() - start) ;
  *how = "probe" ;
  if (v == RCPT_UNVERIFIED)
  {
    *how = have ? "stale" : "failed" ;
    return have ? of_entry(&e) : RCPT_UNVERIFIED ;
  }
  e.status = v == RCPT_KNOWN ? 'k' : 'u' ;
  e.source = 'p' ;
  e.when = k->now ;
  if (klen && rcpt_cache_put(k->cache, key, klen, &e, k->max) == -1) log_cache("put", errno) ;
  return v ;
}
