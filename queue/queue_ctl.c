/* queue_ctl.c: mxhold-queuectl's writing commands: init, the ctl/ requests
   (flush, delete, bounce) and sweep, and its fatal lines. skalibs + libs6
   (ftrigw). */

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>      /* renameat2 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <s6/ftrigw.h>
#include "lib/dir_sync.h"
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

/* One output line of C strings: EVENT key value ... (NULL). */
static void out_kv (char const *event, ...)
{
  struct mx_log l ;
  va_list ap ;
  mx_log_start_bare(&l, event) ;
  va_start(ap, event) ;
  for (;;)
  {
    char const *k = va_arg(ap, char const *) ;
    if (!k) break ;
    mx_log_str(&l, k, va_arg(ap, char const *)) ;
  }
  va_end(ap) ;
  queue_out_end(&l) ;
}

void queue_ctl_die_sys (int code, char const *event, char const *path)
{
  mx_die_kv(code, event, "path", path, "error", strerror(errno), (char const *)0) ;
}

void queue_ctl_check_id (char const *id)
{
  if (!queue_id_valid(id, strlen(id))) mx_die_kv(100, "bad-qid", "id", id, (char const *)0) ;
}

void queue_ctl_no_message (char const *q, char const *id)
{
  mx_die_kv(100, "no-message", "qid", id, "path", q, (char const *)0) ;
}

/* Q/SUB/NAME (NAME "" : Q/SUB) into path, or a fatal line. */
static void path_in (char *path, char const *q, char const *sub, char const *name)
{
  if (queue_path(path, QUEUE_PATH_MAX, q, sub, name, 0) == -1) queue_ctl_die_sys(111, "unable-build-path", q) ;
  if (!*name) path[strlen(path) - 1] = 0 ;     /* drop the trailing '/' */
}

static void mkdir_or_die (char const *path, mode_t mode)
{
  if (mkdir(path, mode) == -1 && errno != EEXIST) queue_ctl_die_sys(111, "unable-mkdir", path) ;
}

void queue_ctl_init (char const *q)
{
  static char const *const subs[] = { "tmp", "new", "mess", "state", "ctl", QUEUE_HOLD_DIR, 0 } ;
  char path[QUEUE_PATH_MAX] ;
  struct stat st ;
  mkdir_or_die(q, 0750) ;
  for (unsigned i = 0 ; subs[i] ; i++)
  {
    path_in(path, q, subs[i], "") ;
    mkdir_or_die(path, i ? 0750 : 0700) ;
  }
  for (unsigned h = 0 ; h < QUEUE_SPLIT ; h++)
  {
    char hh[3] = { "0123456789abcdef"[h >> 4], "0123456789abcdef"[h & 15], 0 } ;
    for (unsigned i = 2 ; i <= 3 ; i++)
    {
      path_in(path, q, subs[i], hh) ;
      mkdir_or_die(path, 0750) ;
    }
  }
  path_in(path, q, "trigger", "") ;
  if (stat(path, &st) == -1 && !ftrigw_fifodir_make(path, getegid(), 0))
    queue_ctl_die_sys(111, "unable-make-fifodir", path) ;
  out_kv("ready", "path", q, (char const *)0) ;
}

/* Is ID in the queue (new/ID or mess/HH/ID)? */
static int msg_exists (char const *q, char const *id)
{
  char path[QUEUE_PATH_MAX] ;
  if (queue_path_new(path, sizeof path, q, id) >= 0 && access(path, F_OK) == 0) return 1 ;
  if (queue_path_mess(path, sizeof path, q, id) >= 0 && access(path, F_OK) == 0) return 1 ;
  return 0 ;
}

/* Removes tmp (errno kept) and dies with event about path. */
static void ctl_fail (char const *tmp, char const *event, char const *path)
{
  int e = errno ;
  unlink(tmp) ;
  errno = e ;
  queue_ctl_die_sys(111, event, path) ;
}

/* An operator's queuectl may run as root; deliver runs as the queue's
   owner and must read the request (0600): root gives it to that owner. */
static void give_to_queue_owner (int fd, char const *q, char const *tmp)
{
  struct stat st ;
  if (geteuid()) return ;
  if (stat(q, &st) == -1 || fchown(fd, st.st_uid, st.st_gid) == -1) ctl_fail(tmp, "unable-chown", tmp) ;
}

/* Writes line (with its LF) as ctl/NAME through tmp/NAME: open O_EXCL,
   write, fsync, rename without overwriting, fsync ctl/ (doc/design.md,
   "Crash safety"). */
static void ctl_write (char const *q, char const *line, size_t len)
{
  char name[QUEUE_ID_MAX + 1] ;
  char tmp[QUEUE_PATH_MAX] ;
  char ctl[QUEUE_PATH_MAX] ;
  int fd = -1 ;
  for (int tries = 0 ; fd == -1 && tries < 100 ; tries++)
  {
    queue_id_make(name) ;
    path_in(tmp, q, "tmp", name) ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd == -1 && errno != EEXIST) queue_ctl_die_sys(111, "unable-create", tmp) ;
  }
  if (fd == -1) queue_ctl_die_sys(111, "unable-create", tmp) ;
  give_to_queue_owner(fd, q, tmp) ;
  if (allwrite(fd, line, len) != len) ctl_fail(tmp, "unable-write", tmp) ;
  if (fsync(fd) == -1) ctl_fail(tmp, "unable-fsync", tmp) ;
  if (close(fd) == -1) ctl_fail(tmp, "unable-close", tmp) ;
  path_in(ctl, q, "ctl", name) ;
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, ctl, RENAME_NOREPLACE) == -1) ctl_fail(tmp, "unable-rename", ctl) ;
  path_in(ctl, q, "ctl", "") ;
  if (mx_dir_sync(AT_FDCWD, ctl) == -1) queue_ctl_die_sys(111, "unable-fsync", ctl) ;
}

void queue_ctl_check_domain (char const *d, size_t len)
{
  char const *why = 0 ;
  if (len > 255) why = "too-long" ;
  for (size_t i = 0 ; !why && i < len ; i++)
    if ((unsigned char)d[i] < 33 || (unsigned char)d[i] > 126) why = "bad-byte" ;
  if (why) mx_die_kv(100, "bad-domain", "domain", d, "reason", why, (char const *)0) ;
}

void queue_ctl_request (char const *q, char const *verb, char const *arg)
{
  char line[16 + QUEUE_ADDR_MAX] ;
  char path[QUEUE_PATH_MAX] ;
  size_t vl = strlen(verb) ;
  size_t al = arg ? strlen(arg) : 0 ;
  size_t n = vl ;
  if (!strcmp(verb, "flush")) queue_ctl_check_domain(arg, al) ;
  else if (strcmp(verb, "hold") && strcmp(verb, "release"))   /* queue_hold checked its name */
  {
    queue_ctl_check_id(arg) ;
    if (!msg_exists(q, arg)) queue_ctl_no_message(q, arg) ;
  }
  memcpy(line, verb, vl) ;
  if (al && !strcmp(verb, "flush") && arg[al - 1] == '.') al-- ;   /* "example.com." */
  if (al)
  {
    line[n++] = ' ' ;
    for (size_t i = 0 ; i < al ; i++)     /* domains compare lower-cased in deliver */
      line[n++] = (arg[i] >= 'A' && arg[i] <= 'Z') ? arg[i] + 32 : arg[i] ;
  }
  line[n++] = '\n' ;
  ctl_write(q, line, n) ;
  path_in(path, q, "trigger", "") ;
  ftrigw_notify(path, 'c') ;        /* no deliver running: it reads ctl/ at startup */
  {
    struct mx_log l ;
    char const *key = !al ? 0 : !strcmp(verb, "flush") ? "domain" : line[vl + 1] == '@' ? "domain" : "qid" ;
    size_t skip = key && line[vl + 1] == '@' ? 1 : 0 ;
    mx_log_start_bare(&l, "requested") ;
    mx_log_str(&l, "request", verb) ;
    if (key) mx_log_bytes(&l, key, line + vl + 1 + skip, n - vl - 2 - skip) ;
    queue_out_end(&l) ;
  }
}

static void sweep_report (char const *path, void *ctx)
{
  (void)ctx ;
  out_kv("removed", "path", path, (char const *)0) ;
}

/* Holds of messages that are no longer queued (hold/ID without new/ID or
   mess/HH/ID): removed, like orphan state files. */
static int sweep_holds (char const *q)
{
  char dir[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  int n = 0 ;
  path_in(dir, q, QUEUE_HOLD_DIR, "") ;
  d = opendir(dir) ;
  if (!d) return 0 ;
  while ((de = readdir(d)))
  {
    char path[QUEUE_PATH_MAX] ;
    if (!queue_id_valid(de->d_name, strlen(de->d_name)) || msg_exists(q, de->d_name)) continue ;
    path_in(path, q, QUEUE_HOLD_DIR, de->d_name) ;
    if (unlink(path) == 0)
    {
      sweep_report(path, 0) ;
      n++ ;
    }
  }
  closedir(d) ;
  return n ;
}

void queue_ctl_sweep (char const *q)
{
  struct mx_log l ;
  int n = queue_sweep(q, (int64_t)time(0), &sweep_report, 0) ;
  if (n == -1) queue_ctl_die_sys(111, "unable-sweep", q) ;
  n += sweep_holds(q) ;
  mx_log_start_bare(&l, "swept") ;
  mx_log_u64(&l, "files", (uint64_t)n) ;
  queue_out_end(&l) ;
}
