/* rl_list.c: mxhold-ratelimit -l, a view of the state file for people.
   Busiest first: the client whose TAT runs furthest ahead of now has used
   the most of its budget (ties: most connections seen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "conf/conf.h"
#include "ratelimit/ratelimit.h"

static int busier (void const *a, void const *b)
{
  struct rl_entry const *x = a, *y = b ;
  uint64_t nx = (uint64_t)x->admitted + x->denied, ny = (uint64_t)y->admitted + y->denied ;
  if (x->tat != y->tat) return x->tat < y->tat ? 1 : -1 ;
  return nx < ny ? 1 : nx > ny ? -1 : 0 ;
}

/* The key as an address conf_limits_get can look up: the IPv4 address, or
   the first address of the /64. */
static void key_ip (struct rl_entry const *e, char *buf, size_t n)
{
  struct rl_key k = { .fam = e->fam, .addr = e->addr } ;
  char *slash ;
  rl_key_fmt(&k, buf, n) ;
  slash = strchr(buf, '/') ;
  if (slash) *slash = 0 ;
}

static void row (struct rl_entry const *e, struct conf const *c, uint64_t now)
{
  char ip[RL_KEY_FMT_MAX], key[RL_KEY_FMT_MAX], lim[3 * 21 + 8] ;
  struct rl_key k = { .fam = e->fam, .addr = e->addr } ;
  struct conf_limits cl ;
  struct rl_limit l ;
  uint64_t tat = e->tat, retry ;
  int trusted = 0, ok ;
  key_ip(e, ip, sizeof ip) ;
  rl_key_fmt(&k, key, sizeof key) ;
  if (c) conf_limits_get(c, ip, &cl, &trusted) ;
  else for (unsigned int i = 0 ; i < CONF_LIMIT_N ; i++) cl.v[i] = conf_limit_default(i) ;
  rl_limit_make(&l, CONF_LIM(&cl, connections), CONF_LIM(&cl, window), CONF_LIM(&cl, burst)) ;
  if (l.unlimited)
  {
    printf("%-24s %8s %20s %10u %10u unlimited\n", key, "-", "unlimited", e->admitted, e->denied) ;
    return ;
  }
  ok = rl_gcra_take(&tat, now, &l, &retry) ;   /* on a copy: would the next one be admitted? */
  snprintf(lim, sizeof lim, "%llu/%llus b%llu", (unsigned long long)l.connections,
    (unsigned long long)l.window, (unsigned long long)l.burst) ;
  printf("%-24s %8llu %20s %10u %10u ", key,
    (unsigned long long)rl_gcra_level(e->tat, now, l.interval), lim, e->admitted, e->denied) ;
  if (ok) printf("open\n") ;
  else printf("refusing, retry after %llus\n", (unsigned long long)((retry + RL_USEC_PER_SEC - 1) / RL_USEC_PER_SEC)) ;
}

int rl_list_print (struct rl_state *st, struct conf const *c, uint64_t now, unsigned int max)
{
  struct rl_entry *a ;
  size_t n ;
  if (rl_state_list(st, &a, &n) == -1) return -1 ;
  qsort(a, n, sizeof *a, &busier) ;
  printf("# %zu clients in %u slots (%llu bytes)\n", n, RL_BUCKETS * RL_WAYS, (unsigned long long)RL_FILE_BYTES) ;
  printf("%-24s %8s %20s %10s %10s %s\n", "client", "level", "limit/window burst", "admitted", "refused", "state") ;
  for (size_t i = 0 ; i < n && i < max ; i++) row(a + i, c, now) ;
  free(a) ;
  if (fflush(stdout) == EOF) return -1 ;
  return 0 ;
}
