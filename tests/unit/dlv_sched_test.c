/* dlv_sched_test.c: deliver's in-memory schedule: id index with
   deletions, the heap order, backoff doubling and its cap, lifetime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "deliver/deliver.h"
#include "tests/unit/check.h"

static uint32_t add (unsigned int n, uint64_t next)
{
  char id[QUEUE_ID_MAX + 1] ;
  uint32_t i ;
  snprintf(id, sizeof id, "1795800000.%06u.42", n) ;
  i = dlv_msg_new(id) ;
  g.m[i].r = calloc(1, sizeof *g.m[i].r) ;
  g.m[i].nrcpt = 1 ;
  g.m[i].r[0].status = 'p' ;
  g.m[i].r[0].next = next ;
  g.m[i].expires = UINT64_MAX ;
  dlv_heap_set(i) ;
  return i ;
}

int main (void)
{
  enum { N = 5000 } ;
  uint32_t idx[N] ;
  int ok = 1 ;
  uint64_t last = 0 ;
  for (unsigned int n = 0 ; n < CONF_LIMIT_N ; n++) g.lim.v[n] = conf_limit_default(n) ;
  srand(7) ;
  for (unsigned int n = 0 ; n < N ; n++) idx[n] = add(n, (uint64_t)(rand() % 100000)) ;
  CHECK(g.count == N && g.nheap == N, "5000 messages in the table and the heap") ;
  for (unsigned int n = 0 ; n < N ; n += 2) dlv_msg_free(idx[n]) ;
  CHECK(g.count == N / 2 && g.nheap == N / 2, "half removed") ;
  for (unsigned int n = 0 ; n < N ; n++)
  {
    char id[QUEUE_ID_MAX + 1] ;
    snprintf(id, sizeof id, "1795800000.%06u.42", n) ;
    if ((dlv_msg_find(id, strlen(id)) == DLV_NONE) != !(n & 1)) ok = 0 ;
  }
  CHECK(ok, "lookups after deletions (backward shift keeps every chain)") ;
  CHECK(dlv_msg_find("1.2.3", 5) == DLV_NONE, "unknown id") ;
  /* a changed key moves the message */
  g.m[idx[1]].r[0].next = 0 ; dlv_heap_set(idx[1]) ;
  CHECK(dlv_heap_top() == idx[1], "a lowered key comes to the top") ;
  g.m[idx[1]].busy = 1 ; dlv_heap_set(idx[1]) ;
  CHECK(dlv_heap_top() != idx[1] && g.nheap == N / 2 - 1, "a busy message leaves the heap") ;
  ok = 1 ;
  while (g.nheap)
  {
    uint32_t t = dlv_heap_top() ;
    uint64_t k = dlv_msg_key(t) ;
    if (k < last) ok = 0 ;
    last = k ;
    g.m[t].r[0].status = 'd' ; dlv_heap_set(t) ;
  }
  CHECK(ok, "keys come out in order") ;
  g.lim.v[CONF_LIMIT_retry_min] = 300 ; g.lim.v[CONF_LIMIT_retry_max] = 3600 ;
  CHECK(dlv_backoff(1) == 300 && dlv_backoff(2) == 600 && dlv_backoff(4) == 2400 && dlv_backoff(5) == 3600 && dlv_backoff(100) == 3600, "backoff doubles from retry_min, capped at retry_max") ;
  g.lim.v[CONF_LIMIT_lifetime] = 10 ;
  CHECK(dlv_expiry(1000) == 1010, "lifetime in seconds") ;
  g.lim.v[CONF_LIMIT_lifetime] = 0 ; g.lim.v[CONF_LIMIT_lifetime_days] = 5 ;
  {
    time_t arr = 1795800000, e = (time_t)dlv_expiry(1795800000) ;
    struct tm a, b ;
    localtime_r(&arr, &a) ; localtime_r(&e, &b) ;
    CHECK(b.tm_hour == 0 && b.tm_min == 0 && b.tm_sec == 0, "calendar expiry at local midnight") ;
    CHECK(e - arr > 5 * 86400 - 3600 && e - arr <= 6 * 86400 + 3600, "five full days after the first midnight") ;
  }
  {
    /* exact days, across a DST change: Berlin goes to CEST on 2026-03-29 */
    static struct { time_t arr, want ; char const *what ; } const t[] = {
      { 1774650600, 1774738800, "23:30 CET on 03-27, 1 day: 03-29 00:00 CET (the first midnight is 03-28)" },
      { 1774566000, 1774738800, "exactly midnight 03-27 00:00: the first midnight after it is 03-28" },
      { 1774738800 + 7200, 1774908000, "03-29 03:00 CEST (after the change): 03-31 00:00 CEST" },
    } ;
    /* Berlin's rule as a POSIX TZ string: no tzdata needed */
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1) ; tzset() ;
    g.lim.v[CONF_LIMIT_lifetime_days] = 1 ;
    for (unsigned k = 0 ; k < sizeof t / sizeof *t ; k++)
      CHECK((time_t)dlv_expiry((uint64_t)t[k].arr) == t[k].want, t[k].what) ;
  }
  return check_done() ;
}
