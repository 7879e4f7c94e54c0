/* deliver.c: mxhold-deliver: the long-running scheduler (deliver/deliver.md). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <skalibs/sgetopt.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "deliver/deliver.h"

#define USAGE "mxhold-deliver [ -c confdir ]"

static volatile sig_atomic_t term ;

static void onterm (int sig)
{
  (void)sig ;
  term = 1 ;
}

/* Reads limits, me and the queue path from the (re)opened config. */
static void config_apply (void)
{
  struct span me ;
  int trusted ;
  conf_limits_get(&g.conf, 0, &g.lim, &trusted) ;
  if (conf_me(&g.conf, &me) && me.len < sizeof g.me)
  {
    memcpy(g.me, me.p, me.len) ;
    g.me[me.len] = 0 ;
  }
  else strcpy(g.me, "localhost") ;
}

static void config_check (char const *confdir)
{
  int r = conf_reopen(&g.conf) ;
  if (r == -1)
  {
    /* the old one stays in force */
    mx_log_kv(MX_LOG_WARN, "config-unreadable", "path", conf_dir(confdir), "error", strerror(errno), (char const *)0) ;
    return ;
  }
  if (!r) return ;
  config_apply() ;
  dlv_routes_reset() ;
  for (uint32_t i = 0 ; i < g.nm ; i++) if (g.m[i].id[0])
  {
    dlv_msg_expiry(i) ;
    dlv_heap_set(i) ;
  }
  mx_log_kv(MX_LOG_INFO, "config-reloaded", "path", conf_dir(confdir), (char const *)0) ;
}

static void swept (char const *path, void *ctx)
{
  (void)ctx ;
  mx_log_kv(MX_LOG_INFO, "swept", "path", path, (char const *)0) ;
}

/* fds 0, 1 and 2 open (on /dev/null if they were not), so no pipe or
   file of ours lands there and is taken for a child's stdin or stdout. */
static void std_fds (void)
{
  for (int fd = 0 ; fd < 3 ; fd++)
    if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) == -1)
      mx_die_kv(111, "open-failed", "path", "/dev/null", "error", strerror(errno), (char const *)0) ;
}

static void startup (char const *confdir)
{
  struct sigaction sa ;
  struct mx_log l ;
  std_fds() ;
  memset(&sa, 0, sizeof sa) ;
  sa.sa_handler = onterm ;   /* no SA_RESTART: poll returns at once */
  sigaction(SIGTERM, &sa, 0) ;
  sigaction(SIGINT, &sa, 0) ;
  signal(SIGPIPE, SIG_IGN) ;
  g.now = (uint64_t)time(0) ;
  if (getrandom(&g.hashseed, sizeof g.hashseed, GRND_NONBLOCK) != sizeof g.hashseed)
    g.hashseed = (uint32_t)g.now ^ (uint32_t)getpid() << 16 ;
  if (conf_open(&g.conf, confdir) == -1)
    mx_die_kv(111, "config-unreadable", "path", conf_dir(confdir), "error", strerror(errno), (char const *)0) ;
  config_apply() ;
  if (queue_dir_find(confdir, g.q, sizeof g.q) == -1)
    mx_die_kv(111, "bad-queue", "reason", "not-configured", "error", strerror(errno), (char const *)0) ;
  if (g.q[0] != '/')   /* mxhold-remote gets absolute message paths; we run in / */
  {
    char *abs = realpath(g.q, 0) ;
    if (!abs || strlen(abs) >= sizeof g.q)
      mx_die_kv(111, "bad-queue", "path", g.q, "error", strerror(abs ? ENAMETOOLONG : errno), (char const *)0) ;
    strcpy(g.q, abs) ;
    free(abs) ;
  }
  if (chdir("/") == -1) mx_die_kv(111, "chdir-failed", "path", "/", "error", strerror(errno), (char const *)0) ;
  queue_sweep(g.q, (int64_t)g.now, swept, 0) ;
  dlv_tmp_clean() ;
  dlv_trigger_open() ;
  dlv_hold_scan() ;     /* before the messages are scheduled */
  dlv_scan_mess() ;
  dlv_scan_new() ;
  dlv_ctl_scan() ;
  dlv_commit() ;
  mx_log_start(&l, MX_LOG_INFO, "started") ;
  mx_log_str(&l, "path", g.q) ;
  mx_log_u64(&l, "messages", g.count) ;
  mx_log_end(&l) ;
}

/* The poll's timeout: none when due messages wait that this turn could
   not take (DLV_POP_MAX), unless their routes wait for sessions anyway;
   else a tick (config check, expiry; the heap works in seconds). */
static int wait_ms (void)
{
  uint32_t top = dlv_heap_top() ;
  if (top != DLV_NONE && dlv_msg_key(top) <= g.now && !(g.nready && g.active)) return 0 ;
  return DLV_TICK_MS ;
}

/* One wait: the trigger fifo and every session's stdout; sized after the
   spawns of this turn, so every session has its slot. */
static void turn (char const *confdir, uint64_t *lastscan, uint64_t *lasttick)
{
  struct pollfd pf[1 + g.nsess] ;
  uint32_t map[1 + g.nsess] ;
  uint32_t n = 1 ;
  pf[0].fd = g.trigfd ;
  pf[0].events = POLLIN ;
  for (uint32_t s = 0 ; s < g.nsess ; s++) if (g.sess[s].pid > 0)
  {
    pf[n].fd = g.sess[s].fd ;
    pf[n].events = POLLIN ;
    map[n++] = s ;
  }
  if (poll(pf, n, wait_ms()) == -1 && errno != EINTR)
    mx_die_kv(111, "poll-failed", "error", strerror(errno), (char const *)0) ;
  g.now = (uint64_t)time(0) ;
  for (uint32_t k = 1 ; k < n ; k++) if (pf[k].revents) dlv_sess_read(map[k]) ;
  if (pf[0].revents & POLLIN || g.now >= *lastscan + DLV_NEWSCAN_SECS)
  {
    dlv_trigger_read() ;
    dlv_scan_new() ;
    dlv_ctl_scan() ;
    *lastscan = g.now ;
  }
  if (g.now != *lasttick)
  {
    config_check(confdir) ;
    *lasttick = g.now ;
  }
}

int main (int argc, char const *const *argv)
{
  char const *confdir = 0 ;
  uint64_t lastscan ;
  uint64_t lasttick ;
  mx_log_prog = "mxhold-deliver" ;
  mx_cli_std(argc, argv, USAGE, "the queue's scheduler: delivers, retries, expires and bounces queued mail") ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "c:", &l) ;
      if (opt == -1) break ;
      if (opt != 'c') mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
      confdir = l.arg ;
    }
    if (l.ind < argc) mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  }
  startup(confdir) ;
  lastscan = g.now ;
  lasttick = g.now ;
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
    turn(confdir, &lastscan, &lasttick) ;
  }
  dlv_commit() ;
  dlv_trigger_close() ;
  mx_log_kv(MX_LOG_INFO, "stopped", (char const *)0) ;
  return 0 ;
}
