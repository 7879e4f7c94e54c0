/* queue_walk.c: mxhold-queuectl's walk over the queue's messages, for
   list, show and stats. Read-only, and deliver may move or remove any file
   under us: a file that vanishes between readdir and open is skipped,
   never an error. Any other file that is not a message is reported, with
   its path, so nothing in the queue stays invisible. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

/* Maps path read-only. 1 ok, 0 gone, -1 error; an empty file is 1 with
   len 0. */
static int map_file (char const *path, struct queue_map *m)
{
  struct stat st ;
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  int r = 1 ;
  m->p = 0 ;
  m->len = 0 ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) r = -1 ;
  else if (st.st_size)
  {
    void *p = mmap(0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) ;
    if (p == MAP_FAILED) r = -1 ;
    else
    {
      m->p = p ;
      m->len = (size_t)st.st_size ;
    }
  }
  else if (!S_ISREG(st.st_mode))
  {
    errno = ENODEV ;     /* a directory or a device where a message belongs */
    r = -1 ;
  }
  if (r == -1)
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
    return -1 ;
  }
  close(fd) ;
  return r ;
}

static void unmap (struct queue_map *m)
{
  if (m->p) munmap((void *)m->p, m->len) ;
  m->p = 0 ;
}

/* "unreadable path=P reason=WHY [error=E]" on stdout (e: 0, no error). */
static void bad (struct queue_walk *w, char const *path, char const *why, int e)
{
  struct mx_log l ;
  w->bad++ ;
  if (w->quiet) return ;
  mx_log_start_bare(&l, "unreadable") ;
  mx_log_str(&l, "path", path) ;
  mx_log_str(&l, "reason", why) ;
  if (e) mx_log_errno(&l, e) ;
  queue_out_end(&l) ;
}

/* Loads the message at sub/name and its state; calls fn. 0 if it vanished
   or is not a message (reported). */
static int with_msg (struct queue_walk *w, char const *sub, char const *name, void (*fn)(struct queue_walk *, struct queue_item *))
{
  char path[QUEUE_PATH_MAX] ;
  char spath[QUEUE_PATH_MAX] ;
  struct queue_item it ;
  int r ;
  memset(&it, 0, sizeof it) ;
  it.id = name ;
  it.path = path ;
  it.innew = !strcmp(sub, "new") ;
  if (queue_path(path, sizeof path, w->q, sub, name, 0) == -1) return 0 ;
  if (!queue_id_valid(name, strlen(name)))
  {
    struct stat st ;
    if (lstat(path, &st) == 0) bad(w, path, "bad-name", 0) ;
    return 0 ;
  }
  r = map_file(path, &it.msg) ;
  if (r == -1) bad(w, path, "unreadable", errno) ;
  if (r <= 0) return 0 ;
  r = it.msg.len ? queue_env_parse(it.msg.p, it.msg.len, &it.env) : -1 ;
  if (r != 1) bad(w, path, !it.msg.len ? "empty" : r ? "malformed" : "cut", 0) ;
  else
  {
    if (!it.innew && queue_path_state(spath, sizeof spath, w->q, name) >= 0 && map_file(spath, &it.state) == -1)
      mx_log_kv(MX_LOG_WARN, "unable-read", "path", spath, "error", strerror(errno), (char const *)0) ;
    w->count++ ;
    fn(w, &it) ;
  }
  unmap(&it.msg) ;
  unmap(&it.state) ;
  return r == 1 ;
}

static void walk_dir (struct queue_walk *w, char const *sub, void (*fn)(struct queue_walk *, struct queue_item *))
{
  char path[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  if (queue_path(path, sizeof path, w->q, sub, "", 0) == -1) return ;
  d = opendir(path) ;
  if (!d)
  {
    if (errno != ENOENT) mx_log_kv(MX_LOG_WARN, "unable-open", "path", path, "error", strerror(errno), (char const *)0) ;
    return ;
  }
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) with_msg(w, sub, de->d_name, fn) ;
  closedir(d) ;
}

static void bucket (char *sub, char const *top, unsigned h)
{
  size_t n = strlen(top) ;
  memcpy(sub, top, n) ;
  sub[n] = '/' ;
  sub[n + 1] = "0123456789abcdef"[h >> 4] ;
  sub[n + 2] = "0123456789abcdef"[h & 15] ;
  sub[n + 3] = 0 ;
}

void queue_walk (struct queue_walk *w, void (*fn)(struct queue_walk *, struct queue_item *))
{
  walk_dir(w, "new", fn) ;
  for (unsigned h = 0 ; h < QUEUE_SPLIT ; h++)
  {
    char sub[8] ;
    bucket(sub, "mess", h) ;
    walk_dir(w, sub, fn) ;
  }
}

int queue_walk_one (struct queue_walk *w, char const *id, void (*fn)(struct queue_walk *, struct queue_item *))
{
  char sub[8] ;
  bucket(sub, "mess", queue_hash(id, strlen(id))) ;
  return with_msg(w, "new", id, fn) || with_msg(w, sub, id, fn) ;
}
