/* queue_ctl.c: mxhold-queuectl's writing commands: init, the ctl/ requests
   (flush, delete, bounce) and sweep. skalibs + libs6 (ftrigw). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/strerr.h>
#include <skalibs/buffer.h>
#include <s6/ftrigw.h>
#include "queue/queue.h"
#include "queue/queuectl.h"

static int mkdir_ok (char const *path, mode_t mode)
{
  if (mkdir(path, mode) == 0) return 1 ;
  return errno == EEXIST ? 0 : -1 ;
}

static void mkdir_or_die (char const *path, mode_t mode)
{
  if (mkdir_ok(path, mode) == -1) strerr_diefu2sys(111, "mkdir ", path) ;
}

void queue_ctl_init (char const *q)
{
  static char const *const subs[] = { "tmp", "new", "mess", "state", "ctl", 0 } ;
  char path[QUEUE_PATH_MAX] ;
  mkdir_or_die(q, 0750) ;
  for (unsigned i = 0 ; subs[i] ; i++)
  {
    if (queue_path(path, sizeof path, q, subs[i], "", 0) == -1) strerr_diefu2sys(111, "build a path under ", q) ;
    path[strlen(path) - 1] = 0 ;     /* drop the trailing '/' */
    mkdir_or_die(path, i ? 0750 : 0700) ;
  }
  for (unsigned h = 0 ; h < QUEUE_SPLIT ; h++)
  {
    char hh[3] = { "0123456789abcdef"[h >> 4], "0123456789abcdef"[h & 15], 0 } ;
    for (unsigned i = 2 ; i <= 3 ; i++)
    {
      if (queue_path(path, sizeof path, q, subs[i], hh, 0) == -1) strerr_diefu2sys(111, "build a path under ", q) ;
      mkdir_or_die(path, 0750) ;
    }
  }
  if (queue_path(path, sizeof path, q, "trigger", "", 0) == -1) strerr_diefu2sys(111, "build a path under ", q) ;
  path[strlen(path) - 1] = 0 ;
  {
    struct stat st ;
    if (stat(path, &st) == -1 && !ftrigw_fifodir_make(path, getegid(), 0))
      strerr_diefu2sys(111, "make fifodir ", path) ;
  }
  buffer_putsflush(buffer_1, "queue ready\n") ;
}

/* Is ID in the queue (new/ID or mess/HH/ID)? */
static int msg_exists (char const *q, char const *id)
{
  char path[QUEUE_PATH_MAX] ;
  if (queue_path_new(path, sizeof path, q, id) >= 0 && access(path, F_OK) == 0) return 1 ;
  if (queue_path_mess(path, sizeof path, q, id) >= 0 && access(path, F_OK) == 0) return 1 ;
  return 0 ;
}

/* Writes line (with its LF) as ctl/NAME through tmp/NAME: open O_EXCL,
   write, fsync, rename without overwriting, fsync ctl/. */
static void ctl_write (char const *q, char const *line, size_t len)
{
  char name[QUEUE_ID_MAX + 1], tmp[QUEUE_PATH_MAX], ctl[QUEUE_PATH_MAX] ;
  int fd = -1 ;
  for (int tries = 0 ; fd == -1 && tries < 100 ; tries++)
  {
    queue_id_make(name) ;
    if (queue_path(tmp, sizeof tmp, q, "tmp", name, 0) == -1) strerr_diefu2sys(111, "build a path under ", q) ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd == -1 && errno != EEXIST) strerr_diefu2sys(111, "create ", tmp) ;
  }
  if (fd == -1) strerr_diefu2sys(111, "create ", tmp) ;
  if (write(fd, line, len) != (ssize_t)len || fsync(fd) == -1 || close(fd) == -1)
  {
    int e = errno ; unlink(tmp) ; errno = e ;
    strerr_diefu2sys(111, "write ", tmp) ;
  }
  if (queue_path(ctl, sizeof ctl, q, "ctl", name, 0) == -1 || renameat2(AT_FDCWD, tmp, AT_FDCWD, ctl, RENAME_NOREPLACE) == -1)
  {
    int e = errno ; unlink(tmp) ; errno = e ;
    strerr_diefu2sys(111, "rename into ", ctl) ;
  }
  ctl[strlen(ctl) - strlen(name) - 1] = 0 ;
  fd = open(ctl, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1 || fsync(fd) == -1) strerr_diefu2sys(111, "fsync ", ctl) ;
  close(fd) ;
}

void queue_ctl_request (char const *q, char const *verb, char const *arg)
{
  char line[16 + QUEUE_ADDR_MAX] ;
  char path[QUEUE_PATH_MAX] ;
  size_t vl = strlen(verb), al = arg ? strlen(arg) : 0, n = 0 ;
  if (!strcmp(verb, "flush"))
  {
    if (al > 255) strerr_dief2x(100, "domain too long: ", arg) ;
    for (size_t i = 0 ; i < al ; i++)
      if ((unsigned char)arg[i] < 33 || (unsigned char)arg[i] > 126) strerr_dief1x(100, "bad byte in domain") ;
  }
  else
  {
    if (!queue_id_valid(arg, al)) strerr_dief2x(100, "not a queue id: ", arg) ;
    if (!msg_exists(q, arg)) strerr_dief3x(100, "no message ", arg, " in the queue") ;
  }
  memcpy(line, verb, vl) ; n = vl ;
  if (al && !strcmp(verb, "flush") && arg[al - 1] == '.') al-- ;   /* "example.com." */
  if (al)
  {
    line[n++] = ' ' ;
    for (size_t i = 0 ; i < al ; i++)     /* domains compare lower-cased in deliver */
      line[n++] = (arg[i] >= 'A' && arg[i] <= 'Z') ? arg[i] + 32 : arg[i] ;
  }
  line[n++] = '\n' ;
  ctl_write(q, line, n) ;
  if (queue_path(path, sizeof path, q, "trigger", "", 0) >= 0)
  {
    path[strlen(path) - 1] = 0 ;
    ftrigw_notify(path, 'c') ;        /* no deliver running: it reads ctl/ at startup */
  }
  buffer_puts(buffer_1, "requested: ") ;
  buffer_put(buffer_1, line, n - 1) ;
  buffer_putsflush(buffer_1, "; mxhold-deliver will act on it\n") ;
}

static void sweep_report (char const *path, void *ctx)
{
  (void)ctx ;
  buffer_puts(buffer_1, "removed ") ;
  buffer_puts(buffer_1, path) ;
  buffer_puts(buffer_1, "\n") ;
}

void queue_ctl_sweep (char const *q)
{
  int n = queue_sweep(q, (int64_t)time(0), &sweep_report, 0) ;
  if (n == -1) { buffer_flush(buffer_1) ; strerr_diefu2sys(111, "sweep ", q) ; }
  buffer_puts(buffer_1, n ? "sweep done\n" : "nothing to remove\n") ;
  buffer_flush(buffer_1) ;
}
