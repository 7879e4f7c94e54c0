/* ratelimit.c: run prog (the rest of argv) if $TCPREMOTEIP is under its
   connection budget, else answer 421 and exit. -l lists the busiest clients. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/exec.h>
#include <skalibs/sgetopt.h>
#include <skalibs/types.h>
#include "conf/conf.h"
#include "lib/cli.h"
#include "lib/counter.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "ratelimit/ratelimit.h"
#include "ratelimit/rl_conc.h"
#include "ratelimit/rl_redis.h"

#define USAGE "mxhold-ratelimit [ -c confdir ] [ -f statefile ] prog... | mxhold-ratelimit [ -c confdir ] [ -f statefile ] -l [ -n count ]"
#define RL_ME_MAX 255     /* a host name (RFC 1035 2.3.4) */

static struct {
  struct conf conf ;
  int haveconf ;
  char me[RL_ME_MAX + 1] ;
  char state[RL_PATH_MAX] ;
  struct conf_redis_addr redis ;   /* the config's redis file, when redis_on */
  int redis_on ;
  unsigned int redis_ms ;
} g = { .me = "localhost" } ;

/* rl_state's recoveries: a new file is normal (first start, or someone
   deleted it); a reset or a repair means something broke it. */
static void state_event (char const *event)
{
  char const *level = strcmp(event, "state-created") ? MX_LOG_WARN : MX_LOG_INFO ;
  mx_log_kv(level, event, "path", g.state, (char const *)0) ;
}

static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* The redis file turns shared counting on (rl_redis.h). */
static void setup_redis (void)
{
  struct span s ;
  char const *ms = getenv(RL_REDIS_MS_ENV) ;
  uint64_t v ;
  if (!g.haveconf || !conf_get(&g.conf, "redis", 5, &s)) return ;
  if (!conf_redis_parse(s.p, s.len, &g.redis))
  {
    mx_log_kv(MX_LOG_WARN, "config-unusable", "reason", "bad-redis-address", "detail", "counting on this host alone", (char const *)0) ;
    return ;
  }
  g.redis_on = 1 ;
  if (ms && mx_u64_scan_all(ms, strlen(ms), 10000, &v) && v) g.redis_ms = (unsigned int)v ;
}

/* Events for the metrics (lib/counter.h, in the queue): refusals by
   reason (reason non-NULL), or connections Redis could not count. */
static void count_event (char const *reason)
{
  char name[MX_COUNTER_NAME_MAX + 1] ;
  struct span q ;
  if (!g.haveconf || !conf_queue(&g.conf, &q)) return ;
  if (!reason) mx_counter_add_q(q.p, q.len, "mxhold_redis_fallbacks_total", 1) ;
  else if (mx_counter_name(name, sizeof name, "mxhold_refusals_total", "program", "ratelimit", "reason", reason, (char const *)0))
    mx_counter_add_q(q.p, q.len, name, 1) ;
}

/* Config, "me", the state file's path. Never fatal: without a config the
   defaults apply, and without a state file every client is admitted. */
static void setup (char const *confdir, char const *statefile)
{
  struct span s ;
  if (conf_open(&g.conf, conf_dir(confdir)) == 0) g.haveconf = 1 ;
  else
  {
    char path[RL_PATH_MAX] ;
    int e = errno ;
    struct mx_log l ;
    mx_log_start(&l, MX_LOG_WARN, "config-unreadable") ;
    if (strlen(conf_dir(confdir)) + sizeof CONF_CDB + 1 <= sizeof path)
    {
      strcpy(path, conf_dir(confdir)) ;
      strcat(path, "/" CONF_CDB) ;
      mx_log_str(&l, "path", path) ;
    }
    else mx_log_str(&l, "path", conf_dir(confdir)) ;
    mx_log_errno(&l, e) ;
    mx_log_str(&l, "reason", "default-limits") ;
    mx_log_end(&l) ;
  }
  if (g.haveconf && conf_me(&g.conf, &s) && s.len && s.len <= RL_ME_MAX)
  {
    memcpy(g.me, s.p, s.len) ;
    g.me[s.len] = 0 ;
  }
  if (statefile)
  {
    if (strlen(statefile) >= RL_PATH_MAX)
      mx_die_kv(100, "usage", "reason", "state-path-too-long", "usage", USAGE, (char const *)0) ;
    memcpy(g.state, statefile, strlen(statefile) + 1) ;
  }
  else if (g.haveconf && conf_queue(&g.conf, &s) && s.len && s.len + sizeof(RL_STATE_NAME) + 1 < RL_PATH_MAX)
  {
    memcpy(g.state, s.p, s.len) ;
    g.state[s.len] = '/' ;
    memcpy(g.state + s.len + 1, RL_STATE_NAME, sizeof(RL_STATE_NAME)) ;
  }
}

static void client_limits (char const *ip, struct conf_limits *cl)
{
  int trusted = 0 ;
  if (g.haveconf) conf_limits_get(&g.conf, ip, cl, &trusted) ;
  else for (unsigned int i = 0 ; i < CONF_LIMIT_N ; i++) cl->v[i] = conf_limit_default(i) ;
}

static void limit_for (char const *ip, struct rl_limit *l)
{
  struct conf_limits cl ;
  client_limits(ip, &cl) ;
  rl_limit_make(l, CONF_LIM(&cl, connections), CONF_LIM(&cl, window), CONF_LIM(&cl, burst)) ;
}

/* One line per refusal: who, counted as which key, how far over, and the
   reply the client gets. */
static void refuse (char const *ip, struct rl_key const *k, struct rl_limit const *l, struct rl_verdict const *v)
{
  char key[RL_KEY_FMT_MAX] ;
  char reply[RL_REFUSE_LINE_MAX] ;
  uint64_t retry = (v->retry_usec + RL_USEC_PER_SEC - 1) / RL_USEC_PER_SEC ;
  size_t n = rl_refuse_greeting(reply, sizeof reply, g.me, ip, l->connections, l->window, retry) ;
  struct mx_log lg ;
  rl_key_fmt(k, key, sizeof key) ;
  mx_log_start(&lg, MX_LOG_INFO, "refused") ;
  mx_log_str(&lg, "client", ip) ;
  mx_log_str(&lg, "key", key) ;
  mx_log_str(&lg, "reason", "rate") ;
  mx_log_u64(&lg, "count", v->level + 1) ;
  mx_log_u64(&lg, "burst", l->burst) ;
  mx_log_u64(&lg, "refusals", v->denied_total) ;
  mx_log_bytes(&lg, "reply", reply, n >= 2 ? n - 2 : 0) ;   /* without its CRLF */
  mx_log_end(&lg) ;
  count_event("rate") ;
  signal(SIGPIPE, SIG_IGN) ;
  rl_refuse(0, 1, g.me, ip, l->connections, l->window, retry) ;
  _exit(0) ;
}

/* A connection let through uncounted: a broken state must never refuse
   everybody, but the operator hears of it. e: the state file's errno, 0
   when the state file is not what went wrong. */
/* ipkey is "client" for an address, "value" for what $TCPREMOTEIP held
   when it was none (doc/log.md keeps client= for addresses). */
static void admit_uncounted (char const *ipkey, char const *ip, char const *reason, int e)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "admitted") ;
  mx_log_str(&l, ipkey, ip && ip[0] ? ip : "-") ;
  mx_log_str(&l, "reason", reason) ;
  if (e)
  {
    mx_log_str(&l, "path", g.state) ;
    mx_log_errno(&l, e) ;
  }
  mx_log_end(&l) ;
}

static void closed (char const *ip, int e)
{
  count_event("state-unusable") ;
  rl_closed(g.me, g.state, ip, e) ;
}

/* Counts the connection; returns only if it is admitted. */
static void gate (char const *ip)
{
  struct rl_key k ;
  struct rl_limit l ;
  struct rl_state st = { .fd = -1, .warn = &state_event } ;
  struct rl_verdict v ;
  if (!ip || !rl_key_parse(ip, strlen(ip), &k))
  {
    admit_uncounted("value", ip, "bad-client-address", 0) ;
    return ;
  }
  limit_for(ip, &l) ;
  if (l.unlimited) return ;
  if (g.redis_on && !l.blocked)
  {
    if (rl_redis_gate(&g.redis, g.redis_ms, g.state, &k, rl_clock_now(), &l, &v))
    {
      if (!v.admitted) refuse(ip, &k, &l, &v) ;
      return ;
    }
    count_event(0) ;
  }
  if (!g.state[0])
  {
    admit_uncounted("client", ip, "no-state-file", 0) ;
    return ;
  }
  if (rl_state_open(&st, g.state) == -1) closed(ip, errno) ;
  if (rl_state_take(&st, &k, rl_clock_now(), &l, &v) == -1)
  {
    if (errno != ETIMEDOUT) closed(ip, errno) ;
    admit_uncounted("client", ip, "state-locked", errno) ;
  }
  else if (!v.admitted) refuse(ip, &k, &l, &v) ;
  rl_state_close(&st) ;
}

/* Sessions at once (rl_conc.h): returns only if admitted, the client's
   slot held on an fd that goes on into the exec. */
static void sessions (char const *ip, char const *statefile)
{
  struct conf_limits cl ;
  struct span q = { 0, 0 } ;
  char path[RL_PATH_MAX] ;
  struct rl_key k ;
  int r ;
  if (!ip || !rl_key_parse(ip, strlen(ip), &k)) return ;   /* the rate gate logged it */
  client_limits(ip, &cl) ;
  if (g.haveconf) conf_queue(&g.conf, &q) ;
  if (rl_conc_path(path, sizeof path, statefile, q.p, q.len) == -1)
  {
    if (CONF_LIM(&cl, concurrency_client) != CONF_UNLIMITED) admit_uncounted("client", ip, "no-slots-file", 0) ;
    return ;
  }
  r = rl_conc_gate(path, ip, CONF_LIM(&cl, concurrency_client)) ;
  if (r == 1)
  {
    count_event("too-many-sessions") ;
    rl_conc_refuse(ip, CONF_LIM(&cl, concurrency_client), g.me) ;
  }
  if (r == -1)
  {
    int e = errno ;
    count_event("state-unusable") ;
    rl_closed(g.me, path, ip, e) ;   /* fails closed, one line a minute: as the rate state */
  }
}

static void list_die (char const *event, int e)
{
  mx_die_kv(111, event, "path", g.state, "error", strerror(e), (char const *)0) ;
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  char const *statefile = 0 ;
  unsigned int list = 0 ;
  unsigned int max = RL_LIST_DEFAULT ;
  subgetopt l = SUBGETOPT_ZERO ;
  mx_log_prog = "mxhold-ratelimit" ;
  mx_cli_std(argc, argv, USAGE, "counts a connection against its client, then runs the rest or refuses with 421") ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:f:ln:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' :
        confdir = l.arg ;
        break ;
      case 'f' :
        statefile = l.arg ;
        break ;
      case 'l' :
        list = 1 ;
        break ;
      case 'n' :
        if (!uint0_scan(l.arg, &max)) usage() ;
        break ;
      default :
        usage() ;
    }
  }
  argc -= l.ind ;
  argv += l.ind ;
  setup(confdir, statefile) ;
  setup_redis() ;
  if (list)
  {
    struct rl_state st = { .fd = -1, .warn = &state_event } ;
    if (!g.state[0])
      mx_die_kv(100, "usage", "reason", "no-state-file", (char const *)0) ;
    if (rl_state_open(&st, g.state) == -1) list_die("state-unreadable", errno) ;
    if (rl_list_print(&st, g.haveconf ? &g.conf : 0, rl_clock_now(), max) == -1) list_die("list-failed", errno) ;
    return 0 ;
  }
  if (!argc) usage() ;
  gate(getenv("TCPREMOTEIP")) ;
  sessions(getenv("TCPREMOTEIP"), statefile) ;
  if (g.haveconf) conf_close(&g.conf) ;
  exec(argv) ;
  /* 111, not xexec's 126/127: doc/design.md, "Exit codes" */
  mx_die_kv(111, "exec-failed", "path", argv[0], "error", strerror(errno), (char const *)0) ;
}
