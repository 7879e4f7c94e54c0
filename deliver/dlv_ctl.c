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
#include <skalibs/strerr.h>
#include <s6/ftrigw.h>
#include "deliver/deliver.h"

void dlv_trigger_open (void)
{
  static char const hex[] = "0123456789abcdef" ;
  static char const alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-" ;
  char dir[QUEUE_PATH_MAX], name[40] ;
  struct timespec ts ;
  uint64_t sec ;
  uint32_t ns, rnd ;
  if (snprintf(dir, sizeof dir, "%s/trigger", g.q) >= (int)sizeof dir) strerr_dief1x(100, "queue path too long") ;
  ftrigw_clean(dir) ;
  clock_gettime(CLOCK_REALTIME, &ts) ;
  sec = 0x400000000000000aULL + (uint64_t)ts.tv_sec ;
  ns = (uint32_t)ts.tv_nsec ;
  rnd = (uint32_t)getpid() ^ ns ;
  memcpy(name, "ftrig1:@", 8) ;
  for (int k = 0 ; k < 16 ; k++) name[8 + k] = hex[(sec >> (60 - 4 * k)) & 15] ;
  for (int k = 0 ; k < 8 ; k++) name[24 + k] = hex[(ns >> (28 - 4 * k)) & 15] ;
  name[32] = ':' ;
  for (int k = 0 ; k < 6 ; k++) { name[33 + k] = alpha[rnd & 63] ; rnd = rnd * 1103515245u + 12345u ; rnd ^= rnd >> 7 ; }
  name[39] = 0 ;
  if (snprintf(g.trigname, sizeof g.trigname, "%s/%s", dir, name) >= (int)sizeof g.trigname) strerr_dief1x(100, "queue path too long") ;
  if (mkfifo(g.trigname, 0622) == -1) strerr_diefu2sys(111, "mkfifo ", g.trigname) ;
  chmod(g.trigname, 0622) ;   /* writers may run under another uid */
  g.trigfd = open(g.trigname, O_RDONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (g.trigfd == -1) strerr_diefu2sys(111, "open ", g.trigname) ;
  g.trigwfd = open(g.trigname, O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (g.trigwfd == -1) strerr_diefu2sys(111, "open ", g.trigname) ;
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

static void request (char *s, size_t len)
{
  char *arg = memchr(s, ' ', len) ;
  size_t alen = 0 ;
  uint32_t i ;
  char const *l[4] ;
  if (arg) { *arg++ = 0 ; alen = len - (size_t)(arg - s) ; }
  if (!strcmp(s, "flush"))
  {
    dlv_flush_where(DLV_NONE, arg && alen ? dlv_dom_intern(arg, alen) : DLV_NONE) ;
    l[0] = "info: ctl flush " ; l[1] = arg ? arg : "(all)" ;
    dlv_log(l, 2) ;
    return ;
  }
  if (!arg || (strcmp(s, "delete") && strcmp(s, "bounce"))) { l[0] = "warning: unknown ctl request: " ; l[1] = s ; dlv_log(l, 2) ; return ; }
  i = dlv_msg_find(arg, alen) ;
  l[0] = "info: ctl " ; l[1] = s ; l[2] = " " ; l[3] = arg ;
  dlv_log(l, 4) ;
  if (i == DLV_NONE) { l[0] = "warning: ctl: no such message: " ; l[1] = arg ; dlv_log(l, 2) ; return ; }
  if (!strcmp(s, "delete"))
  {
    g.m[i].flags |= DLV_F_DELETE ;     /* removed without a DSN once no session holds it */
    if (!g.m[i].busy) dlv_dirty(i) ;
  }
  else
  {
    g.m[i].flags |= DLV_F_BOUNCE ;
    if (!g.m[i].busy) { dlv_settle_all(i, 0) ; dlv_heap_set(i) ; }
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
    if (unlink(path) == -1) strerr_warnwu2sys("unlink ", path) ;
  }
  closedir(d) ;
}
