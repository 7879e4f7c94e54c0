/* rcpt_cache_test.c: rcptcheck/rcpt_cache.c on a real LMDB environment in
   a temporary directory: keys, get/put/replace, eviction of the oldest,
   forget, forget-domain, list order, the token bucket, freshness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/check.h"
#include "rcptcheck/rcpt_cache.h"

static int count_fn (void *ctx, char const *key, size_t klen, struct rcpt_entry const *e)
{
  (void)key ;
  (void)klen ;
  (void)e ;
  (*(int *)ctx)++ ;
  return 0 ;
}

static char first[RCPT_ADDR_MAX + 1] ;
static int first_fn (void *ctx, char const *key, size_t klen, struct rcpt_entry const *e)
{
  (void)ctx ;
  (void)e ;
  memcpy(first, key, klen) ;
  first[klen] = 0 ;
  return 1 ;
}

static int put (struct rcpt_cache *c, char const *a, char st, uint64_t when, uint64_t max)
{
  char k[RCPT_ADDR_MAX] ;
  size_t n = rcpt_key(k, a, strlen(a)) ;
  struct rcpt_entry e = { st, 'p', when } ;
  return rcpt_cache_put(c, k, n, &e, max) ;
}

static int get (struct rcpt_cache *c, char const *a, struct rcpt_entry *e)
{
  char k[RCPT_ADDR_MAX] ;
  size_t n = rcpt_key(k, a, strlen(a)) ;
  return rcpt_cache_get(c, k, n, e) ;
}

int main (void)
{
  char dir[512] ;
  char sub[600] ;
  char k[RCPT_ADDR_MAX] ;
  char big[RCPT_ADDR_MAX + 2] ;
  struct rcpt_cache c, r ;
  struct rcpt_entry e ;
  uint64_t n ;
  int cnt ;
  char const *tmp = getenv("TMPDIR") ;
  snprintf(dir, sizeof dir, "%s/rcpt_cache_test.XXXXXX", tmp && *tmp ? tmp : "/tmp") ;
  if (!mkdtemp(dir)) return 1 ;
  snprintf(sub, sizeof sub, "%s/cache", dir) ;

  CHECK(rcpt_key(k, "Alice@Example.NET.", 18) == 17 && !memcmp(k, "alice@example.net", 17), "key: lower case, trailing dot dropped") ;
  CHECK(rcpt_key(k, "noat", 4) == 0, "key: no @, not cacheable") ;
  CHECK(rcpt_key(k, "", 0) == 0, "key: empty, not cacheable") ;
  memset(big, 'a', sizeof big) ;
  big[1] = '@' ;
  CHECK(rcpt_key(k, big, RCPT_ADDR_MAX) == RCPT_ADDR_MAX && rcpt_key(k, big, RCPT_ADDR_MAX + 1) == 0, "key: max cached, max + 1 not") ;

  CHECK(rcpt_cache_open(&r, sub, 100, 0) == 0 && !r.env, "a reader of a cache not made yet: empty") ;
  CHECK(get(&r, "a@x.example", &e) == 0, "and finds nothing") ;
  CHECK(rcpt_cache_peek(&r, "route", 5, 100, 0, 3) == 1, "and its peek says a probe may be made") ;
  rcpt_cache_close(&r) ;

  CHECK(rcpt_cache_open(&c, sub, 100, 1) == 0, "a writer creates it") ;
  CHECK(put(&c, "a@x.example", 'k', 1000, 3) == 0 && get(&c, "A@X.EXAMPLE", &e) == 1 && e.status == 'k' && e.source == 'p' && e.when == 1000, "put, get in any case") ;
  CHECK(put(&c, "a@x.example", 'u', 1001, 3) == 0 && get(&c, "a@x.example", &e) == 1 && e.status == 'u' && e.when == 1001, "put replaces") ;
  cnt = 0 ;
  rcpt_cache_list(&c, count_fn, &cnt) ;
  CHECK(cnt == 1, "a replaced entry is listed once (its old time index is gone)") ;
  put(&c, "b@x.example", 'k', 1002, 3) ;
  put(&c, "c@y.example", 'k', 1003, 3) ;
  put(&c, "d@y.example", 'k', 1004, 3) ;
  cnt = 0 ;
  rcpt_cache_list(&c, count_fn, &cnt) ;
  CHECK(cnt == 3 && get(&c, "a@x.example", &e) == 0, "beyond max (3) the oldest is evicted") ;
  rcpt_cache_list(&c, first_fn, 0) ;
  CHECK(!strcmp(first, "b@x.example"), "list: oldest first") ;

  CHECK(rcpt_cache_open(&r, sub, 100, 0) == 0 && get(&r, "c@y.example", &e) == 1, "a reader opened beside the writer sees its commits") ;
  CHECK(rcpt_cache_forget(&c, "c@y.example", 11) == 1 && get(&r, "c@y.example", &e) == 0, "forget: 1, and the reader sees it gone") ;
  CHECK(rcpt_cache_forget(&c, "c@y.example", 11) == 0, "forget of an absent address: 0") ;
  CHECK(rcpt_cache_forget_domain(&c, "y.example", 9, &n) == 0 && n == 1 && get(&c, "d@y.example", &e) == 0 && get(&c, "b@x.example", &e) == 1, "forget-domain: only that domain") ;
  CHECK(rcpt_cache_forget_domain(&c, "example", 7, &n) == 0 && n == 0, "forget-domain matches whole domains, not suffixes") ;

  CHECK(rcpt_cache_take(&c, "r", 1, 100, 3600, 2) == 1 && rcpt_cache_take(&c, "r", 1, 100, 3600, 2) == 1, "the bucket starts full: burst tokens") ;
  CHECK(rcpt_cache_take(&c, "r", 1, 100, 3600, 2) == 0, "then it is empty") ;
  CHECK(rcpt_cache_peek(&r, "r", 1, 100, 3600, 2) == 0, "and a reader's peek says so") ;
  CHECK(rcpt_cache_take(&c, "r", 1, 101, 3600, 2) == 1, "3600 an hour: one a second") ;
  CHECK(rcpt_cache_take(&c, "r", 1, 101, 3600, 2) == 0, "and only one") ;
  CHECK(rcpt_cache_take(&c, "other", 5, 101, 3600, 2) == 1, "another route has its own bucket") ;
  CHECK(rcpt_cache_take(&c, "r", 1, 50, 3600, 2) == 0, "a clock gone back refills nothing") ;
  CHECK(rcpt_cache_take(&c, "r", 1, 1000000, 3600, 2) == 1 && rcpt_cache_take(&c, "r", 1, 1000000, 3600, 2) == 1 && rcpt_cache_take(&c, "r", 1, 1000000, 3600, 2) == 0, "a long pause refills to burst, not beyond") ;
  CHECK(rcpt_cache_take(&c, "z", 1, 1, 0, 0) == 0, "burst 0: never a probe") ;

  e.status = 'k' ;
  e.when = 1000 ;
  CHECK(rcpt_entry_fresh(&e, 1099, 100, 10) == 1 && rcpt_entry_fresh(&e, 1100, 100, 10) == 0, "known: fresh for positive seconds") ;
  e.status = 'u' ;
  CHECK(rcpt_entry_fresh(&e, 1009, 100, 10) == 1 && rcpt_entry_fresh(&e, 1010, 100, 10) == 0, "unknown: for negative seconds") ;
  CHECK(rcpt_entry_fresh(&e, 900, 100, 10) == 1, "a time ahead of the clock is kept") ;

  rcpt_cache_close(&r) ;
  rcpt_cache_close(&c) ;
  CHECK(rcpt_cache_open(&c, sub, 100, 1) == 0 && get(&c, "b@x.example", &e) == 1, "reopened: the entries survived") ;
  rcpt_cache_close(&c) ;
  {
    char cmd[640] ;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir) ;
    if (system(cmd)) return 1 ;
  }
  return check_done() ;
}
