/* dlv_ctl.c: deliver's wake-up fifo inside the fifodir Q/trigger, and the
   operator's requests in Q/ctl/ (written by mxhold-queuectl: one line,
   "flush", "flush DOMAIN", "delete ID" or "bounce ID").

   The fifo follows s6's fifodir convention (what ftrigw_notify looks
   for): a fifo named "ftrig1:@" + 24 hex digits (TAI64N) + ":" + 6
   characters. We hold a writer open ourselves so the reader never sees
   EOF, and we remove the fifo at exit; a fifo left by a killed deliver is
   removed by ftrigw_clean at the next start. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>
#include <s6/ftrigw.h>
#include "lib/log.h"
#include "deliver/deliver.h"

static void die (char const *event, char const *path)
{
  mx_die_kv(111, event, "path", path, "error", strerror(errno), (char const *)0) ;
}

void dlv_trigger_open (void)
{
  static char const hex[] = "0123456789abcdef" ;
  static char const alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-" ;
  char dir[QUEUE_PATH_MAX], name[40] ;
  struct timespec ts ;
  uint64_t sec ;
  uint32_t ns ;
  uint32_t rnd ;
  if (snprintf(dir, sizeof dir, "%s/trigger", g.q) >= (int)sizeof dir) mx_die_kv(100, "bad-queue", "path", g.q, "reason", "too-long", (char const *)0) ;
  ftrigw_clean(dir) ;
  clock_gettime(CLOCK_REALTIME, &ts) ;
  sec = 0x400000000000000aULL + (uint64_t)ts.tv_sec ;
  ns = (uint32_t)ts.tv_nsec ;
  rnd = (uint32_t)getpid() ^ ns ;
  memcpy(name, "ftrig1:@", 8) ;
  for (int k = 0 ; k < 16 ; k++) name[8 + k] = hex[(sec >> (60 - 4 * k)) & 15] ;
  for (int k = 0 ; k < 8 ; k++) name[24 + k] = hex[(ns >> (28 - 4 * k)) & 15] ;
  name[32] = ':' ;
  for (int k = 0 ; k < 6 ; k++)
  {
    name[33 + k] = alpha[rnd & 63] ;
    rnd = rnd * 1103515245u + 12345u ;
    rnd ^= rnd >> 7 ;
  }
  name[39] = 0 ;
  if (snprintf(g.trigname, sizeof g.trigname, "%s/%s", dir, name) >= (int)sizeof g.trigname) mx_die_kv(100, "bad-queue", "path", g.q, "reason", "too-long", (char const *)0) ;
  if (mkfifo(g.trigname, 0622) == -1) die("mkfifo-failed", g.trigname) ;
  chmod(g.trigname, 0622) ;   /* writers may run under another uid */
  g.trigfd = open(g.trigname, O_RDONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (g.trigfd == -1) die("open-failed", g.trigname) ;
  g.trigwfd = open(g.trigname, O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (g.trigwfd == -1) die("open-failed", g.trigname) ;
}

void dlv_trigger_close (void)
{
  if (g.trigname[0]) unlink(g.trigname) ;
}

void dlv_trigger_read (void)
{
  char buf[256] ;
  while (read(g.trigfd, buf, sizeof buf) > 0) ;
}

/* "hold X" or "release X" (X an ID or @DOMAIN): Q/hold/ is the truth, the
   request only says when to look again. */
static void hold_request (char const *verb, char const *arg, size_t alen)
{
  struct mx_log l ;
  size_t at = arg[0] == '@' ;
  dlv_hold_scan() ;
  mx_log_start(&l, MX_LOG_INFO, "ctl") ;
  mx_log_str(&l, "request", verb) ;
  mx_log_bytes(&l, at ? "domain" : "qid", arg + at, alen - at) ;
  mx_log_end(&l) ;
}

/* One request: "flush", "flush DOMAIN", "delete ID", "bounce ID", or
   "hold X" / "release X" (X an ID or @DOMAIN) (NUL-terminated at len).
   One log line, ctl or ctl-refused. */
static void request (char *s, size_t len)
{
  char *arg = memchr(s, ' ', len) ;
  size_t alen = 0 ;
  uint32_t i ;
  struct mx_log l ;
  if (arg)
  {
    *arg++ = 0 ;
    alen = len - (size_t)(arg - s) ;
  }
  if (!strcmp(s, "flush"))
  {
    dlv_flush_where(DLV_NONE, arg && alen ? dlv_dom_intern(arg, alen) : DLV_NONE) ;
    mx_log_start(&l, MX_LOG_INFO, "ctl") ;
    mx_log_str(&l, "request", s) ;
    if (arg && alen) mx_log_bytes(&l, "domain", arg, alen) ;
    mx_log_end(&l) ;
    return ;
  }
  if (arg && alen && (!strcmp(s, "hold") || !strcmp(s, "release")))
  {
    hold_request(s, arg, alen) ;
    return ;
  }
  if (!arg || (strcmp(s, "delete") && strcmp(s, "bounce")))
  {
    mx_log_kv(MX_LOG_WARN, "ctl-refused", "request", s, "reason", "unknown-request", (char const *)0) ;
    return ;
  }
  i = dlv_msg_find(arg, alen) ;
  if (i == DLV_NONE)
  {
    mx_log_kv(MX_LOG_WARN, "ctl-refused", "request", s, "qid", arg, "reason", "no-such-message", (char const *)0) ;
    return ;
  }
  mx_log_kv(MX_LOG_INFO, "ctl", "request", s, "qid", arg, (char const *)0) ;
  if (!strcmp(s, "delete"))
  {
    g.m[i].flags |= DLV_F_DELETE ;     /* removed without a DSN once no session holds it */
    if (!g.m[i].busy) dlv_dirty(i) ;
  }
  else
  {
    g.m[i].flags |= DLV_F_BOUNCE ;
    if (!g.m[i].busy)
    {
      dlv_settle_all(i, 0) ;
      dlv_heap_set(i) ;
    }
  }
}

void dlv_ctl_scan (void)
{
  char dir[QUEUE_PATH_MAX], path[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  if (snprintf(dir, sizeof dir, "%s/ctl", g.q) >= (int)sizeof dir) return ;
  d = opendir(dir) ;
  if (!d) return ;
  while ((de = readdir(d)))
  {
    char buf[512] ;
    ssize_t n ;
    int fd ;
    if (de->d_name[0] == '.') continue ;
    if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) continue ;
    fd = open(path, O_RDONLY | O_CLOEXEC) ;
    if (fd == -1) continue ;
    n = read(fd, buf, sizeof buf - 1) ;
    close(fd) ;
    if (n > 0)
    {
      char *nl = memchr(buf, '\n', (size_t)n) ;
      size_t len = nl ? (size_t)(nl - buf) : (size_t)n ;
      buf[len] = 0 ;
      request(buf, len) ;
    }
    if (unlink(path) == -1) mx_log_kv(MX_LOG_WARN, "unlink-failed", "path", path, "error", strerror(errno), (char const *)0) ;
  }
  closedir(d) ;
}

void dlv_hold_scan (void)
{
  char dir[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  g.holdids.len = 0 ;
  for (uint32_t k = 0 ; k < g.ndom ; k++) g.dom[k].held = 0 ;
  if (snprintf(dir, sizeof dir, "%s/" QUEUE_HOLD_DIR, g.q) >= (int)sizeof dir) return ;
  d = opendir(dir) ;
  if (d)
  {
    while ((de = readdir(d)))
    {
      size_t len = strlen(de->d_name) ;
      if (de->d_name[0] == '@' && len > 1)
      {
        uint32_t k = dlv_dom_intern(de->d_name + 1, len - 1) ;   /* may move g.dom */
        g.dom[k].held = 1 ;
      }
      else if (queue_id_valid(de->d_name, len) && dlv_buf_cat(&g.holdids, de->d_name, len + 1) == -1)
        mx_die_kv(111, "out-of-memory", (char const *)0) ;
    }
    closedir(d) ;
  }
  else if (errno != ENOENT) mx_log_kv(MX_LOG_WARN, "unable-read", "path", dir, "error", strerror(errno), (char const *)0) ;
  for (uint32_t i = 0 ; i < g.nm ; i++)
    if (g.m[i].id[0] && !g.m[i].busy) dlv_heap_set(i) ;
}
