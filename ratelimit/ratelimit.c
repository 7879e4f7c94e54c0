/* ratelimit.c: run prog (the rest of argv) if $TCPREMOTEIP is under its
   connection budget, else answer 421 and exit. -l lists the busiest clients. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/buffer.h>
#include <skalibs/exec.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "conf/conf.h"
#include "ratelimit/ratelimit.h"

#define USAGE "mxhold-ratelimit [ -c confdir ] [ -f statefile ] prog... | mxhold-ratelimit [ -c confdir ] [ -f statefile ] -l [ -n count ]"
#define RL_ME_MAX 255     /* a host name (RFC 1035 2.3.4) */
#define RL_PATH_MAX 4096

static struct {
  struct conf conf ;
  int haveconf ;
  char me[RL_ME_MAX + 1] ;
  char state[RL_PATH_MAX] ;
} g = { .me = "localhost" } ;

static void state_warn (char const *what)
{
  strerr_warnw3x(what, ": ", g.state) ;
}

/* Config, "me", the state file's path. Never fatal: without a config the
   defaults apply, and without a state file every client is admitted. */
static void setup (char const *confdir, char const *statefile)
{
  struct span s ;
  if (conf_open(&g.conf, conf_dir(confdir)) == 0) g.haveconf = 1 ;
  else strerr_warnwu3sys("read config in ", conf_dir(confdir), " (using the default limits)") ;
  if (g.haveconf && conf_me(&g.conf, &s) && s.len && s.len <= RL_ME_MAX)
  {
    memcpy(g.me, s.p, s.len) ; g.me[s.len] = 0 ;
  }
  if (statefile)
  {
    if (strlen(statefile) >= RL_PATH_MAX) strerr_dief1x(100, "state file path too long") ;
    memcpy(g.state, statefile, strlen(statefile) + 1) ;
  }
  else if (g.haveconf && conf_queue(&g.conf, &s) && s.len && s.len + sizeof(RL_STATE_NAME) + 1 < RL_PATH_MAX)
  {
    memcpy(g.state, s.p, s.len) ; g.state[s.len] = '/' ;
    memcpy(g.state + s.len + 1, RL_STATE_NAME, sizeof(RL_STATE_NAME)) ;
  }
}

static void limit_for (char const *ip, struct rl_limit *l)
{
  struct conf_limits cl ;
  int trusted = 0 ;
  if (g.haveconf) conf_limits_get(&g.conf, ip, &cl, &trusted) ;
  else for (unsigned int i = 0 ; i < CONF_LIMIT_N ; i++) cl.v[i] = conf_limit_default(i) ;
  rl_limit_make(l, CONF_LIM(&cl, connections), CONF_LIM(&cl, window), CONF_LIM(&cl, burst)) ;
}

static void refuse (char const *ip, struct rl_key const *k, struct rl_limit const *l, struct rl_verdict const *v)
{
  char fmt[6][UINT64_FMT], key[RL_KEY_FMT_MAX] ;
  uint64_t retry = (v->retry_usec + RL_USEC_PER_SEC - 1) / RL_USEC_PER_SEC ;
  fmt[0][uint64_fmt(fmt[0], v->level + 1)] = 0 ;
  fmt[1][uint64_fmt(fmt[1], l->connections)] = 0 ;
  fmt[2][uint64_fmt(fmt[2], l->window)] = 0 ;
  fmt[3][uint64_fmt(fmt[3], l->burst)] = 0 ;
  fmt[4][uint64_fmt(fmt[4], retry)] = 0 ;
  fmt[5][uint64_fmt(fmt[5], v->denied_total)] = 0 ;
  rl_key_fmt(k, key, sizeof key) ;
  /* one line per refusal: client, count, limit */
  strerr_warnin(17, "refused ", ip, " (client ", key, "): connection ", fmt[0], ", limit ", fmt[1], " per ", fmt[2],
    "s burst ", fmt[3], "; retry after ", fmt[4], "s; ", fmt[5], " refused so far") ;
  signal(SIGPIPE, SIG_IGN) ;
  rl_refuse(0, 1, g.me, ip, l->connections, l->window, retry) ;
  _exit(0) ;
}

/* Counts the connection; returns only if it is admitted. */
static void gate (char const *ip)
{
  struct rl_key k ;
  struct rl_limit l ;
  struct rl_state st = { .fd = -1, .warn = &state_warn } ;
  struct rl_verdict v ;
  if (!ip || !rl_key_parse(ip, strlen(ip), &k))
  {
    strerr_warnw1x("no usable $TCPREMOTEIP, admitting") ;
    return ;
  }
  limit_for(ip, &l) ;
  if (l.unlimited) return ;
  if (!g.state[0]) { strerr_warnw1x("no state file (no -f, no queue in config), admitting") ; return ; }
  if (rl_state_open(&st, g.state) == -1) { strerr_warnwu3sys("open state file ", g.state, ", admitting") ; return ; }
  if (rl_state_take(&st, &k, rl_clock_now(), &l, &v) == -1) strerr_warnwu3sys("update state file ", g.state, ", admitting") ;
  else if (!v.admitted) refuse(ip, &k, &l, &v) ;
  rl_state_close(&st) ;
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0, *statefile = 0 ;
  unsigned int list = 0, max = RL_LIST_DEFAULT ;
  subgetopt l = SUBGETOPT_ZERO ;
  PROG = "ratelimit" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:f:ln:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' : confdir = l.arg ; break ;
      case 'f' : statefile = l.arg ; break ;
      case 'l' : list = 1 ; break ;
      case 'n' : if (!uint0_scan(l.arg, &max)) strerr_dieusage(100, USAGE) ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  argc -= l.ind ; argv += l.ind ;
  setup(confdir, statefile) ;
  if (list)
  {
    struct rl_state st = { .fd = -1, .warn = &state_warn } ;
    if (!g.state[0]) strerr_dief1x(100, "no state file: give -f or a queue in the config") ;
    if (rl_state_open(&st, g.state) == -1) strerr_diefu2sys(111, "open state file ", g.state) ;
    if (rl_list_print(&st, g.haveconf ? &g.conf : 0, rl_clock_now(), max) == -1) strerr_diefu2sys(111, "list state file ", g.state) ;
    return 0 ;
  }
  if (!argc) strerr_dieusage(100, USAGE) ;
  gate(getenv("TCPREMOTEIP")) ;
  if (g.haveconf) conf_close(&g.conf) ;
  exec(argv) ;
  strerr_dieexec(111, argv[0]) ;   /* 111, not xexec's 126/127: STYLE 3 */
}
