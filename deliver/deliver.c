/* deliver.c: mxhold-deliver: the long-running scheduler (deliver/deliver.md). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include "deliver/deliver.h"

#define USAGE "mxhold-deliver [ -c confdir ]"

struct dlv_g g = { .dirty = DLV_NONE, .trigfd = -1, .trigwfd = -1 } ;
static volatile sig_atomic_t term ;

static void onterm (int sig) { (void)sig ; term = 1 ; }

/* Reads limits, me and the queue path from the (re)opened config. */
static void config_apply (void)
{
  struct span me ;
  int trusted ;
  conf_limits_get(&g.conf, 0, &g.lim, &trusted) ;
  if (conf_me(&g.conf, &me) && me.len < sizeof g.me) { memcpy(g.me, me.p, me.len) ; g.me[me.len] = 0 ; }
  else strcpy(g.me, "localhost") ;
}

static void config_check (void)
{
  int r = conf_reopen(&g.conf) ;
  if (r == -1) { strerr_warnwu1sys("reopen the config (keeping the old one)") ; return ; }
  if (!r) return ;
  config_apply() ;
  dlv_routes_reset() ;
  for (uint32_t i = 0 ; i < g.nm ; i++) if (g.m[i].id[0])
  {
    dlv_msg_expiry(i) ;
    dlv_heap_set(i) ;
  }
  { char const *l[] = { "info: config reloaded" } ; dlv_log(l, 1) ; }
}

static void swept (char const *path, void *ctx) { (void)ctx ; strerr_warni2x("swept ", path) ; }

static void startup (char const *confdir)
{
  struct sigaction sa ;
  memset(&sa, 0, sizeof sa) ;
  sa.sa_handler = onterm ;   /* no SA_RESTART: poll returns at once */
  sigaction(SIGTERM, &sa, 0) ;
  sigaction(SIGINT, &sa, 0) ;
  signal(SIGPIPE, SIG_IGN) ;
  g.now = (uint64_t)time(0) ;
  if (conf_open(&g.conf, confdir) == -1) strerr_diefu2sys(111, "open the config in ", conf_dir(confdir)) ;
  config_apply() ;
  if (queue_dir_find(confdir, g.q, sizeof g.q) == -1) strerr_diefu1sys(111, "find the queue directory") ;
  if (g.q[0] != '/')   /* mxhold-remote gets absolute message paths; we run in / */
  {
    char *abs = realpath(g.q, 0) ;
    if (!abs || strlen(abs) >= sizeof g.q) strerr_diefu2sys(111, "resolve the queue path ", g.q) ;
    strcpy(g.q, abs) ;
    free(abs) ;
  }
  if (chdir("/") == -1) strerr_diefu1sys(111, "chdir to /") ;
  queue_sweep(g.q, (int64_t)g.now, swept, 0) ;
  dlv_tmp_clean() ;
  dlv_trigger_open() ;
  dlv_scan_mess() ;
  dlv_scan_new() ;
  dlv_ctl_scan() ;
  dlv_commit() ;
  {
    struct dlv_buf b = DLV_BUF_ZERO ;
    dlv_buf_cats(&b, "info: started with ") ; dlv_buf_catu(&b, g.count) ; dlv_buf_cats(&b, " messages queued") ;
    if (b.s) { char const *l[] = { b.s } ; dlv_log(l, 1) ; }
    dlv_buf_free(&b) ;
  }
}

static int wait_ms (void)
{
  uint32_t top = dlv_heap_top() ;
  uint64_t k ;
  if (top == DLV_NONE) return DLV_TICK_MS ;
  k = dlv_msg_key(top) ;
  if (k <= g.now) return g.nready && g.active ? DLV_TICK_MS : 0 ;
  return k - g.now >= DLV_TICK_MS / 1000 ? DLV_TICK_MS : (int)(k - g.now) * 1000 ;
}

/* One wait: the trigger fifo and every session's stdout; sized after the
   spawns of this turn, so every session has its slot. */
static void turn (uint64_t *lastscan, uint64_t *lasttick)
{
  struct pollfd pf[1 + g.nsess] ;
  uint32_t map[1 + g.nsess], n = 1 ;
  pf[0].fd = g.trigfd ; pf[0].events = POLLIN ;
  for (uint32_t s = 0 ; s < g.nsess ; s++) if (g.sess[s].pid > 0)
  { pf[n].fd = g.sess[s].fd ; pf[n].events = POLLIN ; map[n++] = s ; }
  if (poll(pf, n, wait_ms()) == -1 && errno != EINTR) strerr_diefu1sys(111, "poll") ;
  g.now = (uint64_t)time(0) ;
  for (uint32_t k = 1 ; k < n ; k++) if (pf[k].revents) dlv_sess_read(map[k]) ;
  if (pf[0].revents & POLLIN || g.now >= *lastscan + DLV_NEWSCAN_SECS)
  {
    dlv_trigger_read() ;
    dlv_scan_new() ;
    dlv_ctl_scan() ;
    *lastscan = g.now ;
  }
  if (g.now != *lasttick) { config_check() ; *lasttick = g.now ; }
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  uint64_t lastscan, lasttick ;
  PROG = "deliver" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "c:", &l) ;
      if (opt == -1) break ;
      if (opt == 'c') confdir = l.arg ; else strerr_dieusage(100, USAGE) ;
    }
  }
  startup(confdir) ;
  lastscan = lasttick = g.now ;
  for (;;)
  {
    g.now = (uint64_t)time(0) ;
    dlv_due() ;
    dlv_spawn() ;
    dlv_commit() ;
    if (term && !g.stopping)
    {
      g.stopping = 1 ;
      /* busy sessions stop now; idle ones get EOF (dlv_idle_expire) and QUIT */
      for (uint32_t s = 0 ; s < g.nsess ; s++) if (g.sess[s].pid > 0 && !g.sess[s].idle) kill(g.sess[s].pid, SIGTERM) ;
    }
    dlv_idle_expire() ;
    if (g.stopping && !g.active) break ;
    turn(&lastscan, &lasttick) ;
  }
  dlv_commit() ;
  dlv_trigger_close() ;
  return 0 ;
}
