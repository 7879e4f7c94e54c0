/* queue_hold.c: mxhold-queuectl hold / release of a message or a domain.
   A hold is an empty file, Q/hold/ID or Q/hold/@DOMAIN (queue/queue.h),
   made durably here (tmp/, fsync, rename, fsync hold/); a running
   mxhold-deliver rereads hold/ on the ctl request that follows, and
   reads it at start-up, so a hold made while it is down holds too. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>      /* renameat2 */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/dir_sync.h"
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define HOLD_NAMES_MAX_BYTES 65536   /* what list/show remember of hold/ */

void queue_hold_name (char const *arg, char *name, size_t size)
{
  size_t len = strlen(arg) ;
  if (queue_id_valid(arg, len))
  {
    if (len >= size) mx_die_kv(100, "bad-qid", "id", arg, (char const *)0) ;
    memcpy(name, arg, len + 1) ;
    return ;
  }
  if (len && arg[len - 1] == '.') len-- ;     /* "example.com." */
  queue_ctl_check_domain(arg, len) ;
  if (!len || len + 2 > size) mx_die_kv(100, "bad-domain", "domain", arg, "reason", "too-long", (char const *)0) ;
  name[0] = '@' ;
  for (size_t i = 0 ; i < len ; i++) name[1 + i] = (arg[i] >= 'A' && arg[i] <= 'Z') ? arg[i] + 32 : arg[i] ;
  name[1 + len] = 0 ;
}

int queue_held (char const *q, char const *name)
{
  static char names[HOLD_NAMES_MAX_BYTES] ;
  static size_t len ;
  static int loaded ;
  if (!loaded)
  {
    char path[QUEUE_PATH_MAX] ;
    DIR *d ;
    struct dirent *de ;
    loaded = 1 ;
    if (queue_path(path, sizeof path, q, QUEUE_HOLD_DIR, "", 0) == -1 || !(d = opendir(path))) return 0 ;
    while ((de = readdir(d)))
    {
      size_t n = strlen(de->d_name) + 1 ;
      if (de->d_name[0] == '.' || len + n > sizeof names) continue ;
      memcpy(names + len, de->d_name, n) ;
      len += n ;
    }
    closedir(d) ;
  }
  for (size_t pos = 0 ; pos < len ; pos += strlen(names + pos) + 1)
    if (!strcmp(names + pos, name)) return 1 ;
  return 0 ;
}

/* Q/hold/NAME, made durably (an existing one is kept: holding twice is
   holding). */
static void hold_make (char const *q, char const *name, char const *dir)
{
  char tmp[QUEUE_PATH_MAX] ;
  char path[QUEUE_PATH_MAX] ;
  char tname[QUEUE_ID_MAX + 8] = "hold." ;
  int fd ;
  if (mkdir(dir, 0750) == -1 && errno != EEXIST) queue_ctl_die_sys(111, "unable-mkdir", dir) ;
  queue_id_make(tname + 5) ;
  if (queue_path(tmp, sizeof tmp, q, "tmp", tname, 0) == -1 || queue_path(path, sizeof path, q, QUEUE_HOLD_DIR, name, 0) == -1)
    queue_ctl_die_sys(111, "unable-build-path", q) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
  if (fd == -1) queue_ctl_die_sys(111, "unable-create", tmp) ;
  if (fsync(fd) == -1 || close(fd) == -1)
  {
    unlink(tmp) ;
    queue_ctl_die_sys(111, "unable-fsync", tmp) ;
  }
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == -1)
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
    if (e != EEXIST) queue_ctl_die_sys(111, "unable-rename", path) ;
  }
}

void queue_hold (char const *q, char const *arg, int on)
{
  char name[1 + 256] ;
  char dir[QUEUE_PATH_MAX] ;
  char path[QUEUE_PATH_MAX] ;
  queue_hold_name(arg, name, sizeof name) ;
  if (queue_path(dir, sizeof dir, q, QUEUE_HOLD_DIR, "", 0) == -1 || queue_path(path, sizeof path, q, QUEUE_HOLD_DIR, name, 0) == -1)
    queue_ctl_die_sys(111, "unable-build-path", q) ;
  dir[strlen(dir) - 1] = 0 ;     /* no trailing '/' */
  if (on)
  {
    if (name[0] != '@')
    {
      char m[QUEUE_PATH_MAX] ;
      if ((queue_path_new(m, sizeof m, q, name) == -1 || access(m, F_OK))
       && (queue_path_mess(m, sizeof m, q, name) == -1 || access(m, F_OK))) queue_ctl_no_message(q, name) ;
    }
    hold_make(q, name, dir) ;
  }
  else if (unlink(path) == -1)
  {
    if (errno != ENOENT) queue_ctl_die_sys(111, "unable-unlink", path) ;
    mx_die_kv(100, "not-held", name[0] == '@' ? "domain" : "qid", name + (name[0] == '@'), (char const *)0) ;
  }
  if (mx_dir_sync(AT_FDCWD, dir) == -1) queue_ctl_die_sys(111, "unable-fsync", dir) ;
  queue_ctl_request(q, on ? "hold" : "release", name) ;
}
