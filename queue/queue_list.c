/* queue_list.c: mxhold-queuectl's reading commands: list, show, stats.
   Read-only, and deliver may move or remove any file under us: a file that
   vanishes between readdir and open is skipped, never an error. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/types.h>
#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

/* Maps path read-only. 1 ok, 0 gone (or empty), -1 error. */
static int map_file (char const *path, struct queue_map *m)
{
  struct stat st ;
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  int r = 0 ;
  m->p = 0 ;
  m->len = 0 ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) r = -1 ;
  else if (st.st_size)
  {
    void *p = mmap(0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) ;
    r = p == MAP_FAILED ? -1 : 1 ;
    if (r == 1)
    {
      m->p = p ;
      m->len = (size_t)st.st_size ;
    }
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

/* "warning: unable-read path= error=": a file that is there but cannot be
   read is worth a look; the walk goes on. */
static void warn_sys (char const *event, char const *path)
{
  mx_log_kv(MX_LOG_WARN, event, "path", path, "error", strerror(errno), (char const *)0) ;
}

/* Safe output of file bytes: outside 32..126 as '?' (doc/design.md,
   "Security": nothing a peer sent reaches a terminal raw). */
static void put_safe (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126) ? '?' : s[i] ;
    buffer_put(buffer_1, &c, 1) ;
  }
}

void queue_put_u64 (uint64_t u)
{
  char fmt[UINT64_FMT] ;
  buffer_put(buffer_1, fmt, uint64_fmt(fmt, u)) ;
}

static char const *status_name (char s)
{
  switch (s)
  {
    case 'd' :
      return "delivered" ;
    case 'b' :
      return "bounced" ;
    case 'x' :
      return "expired" ;
    default :
      return "queued" ;
  }
}

/* Loads a message and its state; calls fn. 0 if the message vanished. */
static int with_msg (struct queue_walk *w, char const *sub, char const *id, void (*fn)(struct queue_walk *, struct queue_item *))
{
  char path[QUEUE_PATH_MAX] ;
  struct queue_item it ;
  int innew = !strcmp(sub, "new") ;
  int r ;
  memset(&it, 0, sizeof it) ;
  it.id = id ;
  it.innew = innew ;
  if (queue_path(path, sizeof path, w->q, sub, id, 0) == -1) return 0 ;
  r = map_file(path, &it.msg) ;
  if (r == -1) warn_sys("unable-read", path) ;
  if (r <= 0) return 0 ;
  it.envok = queue_env_parse(it.msg.p, it.msg.len, &it.env) ;
  if (!innew && queue_path_state(path, sizeof path, w->q, id) >= 0 && map_file(path, &it.state) == -1)
    warn_sys("unable-read", path) ;
  fn(w, &it) ;
  unmap(&it.msg) ;
  unmap(&it.state) ;
  return 1 ;
}

/* The state of recipient index i: 1 and *st if it has a line. */
static int rcpt_state (struct queue_item const *it, uint32_t i, struct queue_state *st)
{
  size_t pos = 0 ;
  int found = 0 ;
  struct queue_state x ;
  while (queue_state_next(it->state.p, it->state.len, &pos, &x))
    if (x.index == i)     /* the last line wins */
    {
      *st = x ;
      found = 1 ;
    }
  return found ;
}

static int walk_dir (struct queue_walk *w, char const *sub, void (*fn)(struct queue_walk *, struct queue_item *))
{
  char path[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  if (queue_path(path, sizeof path, w->q, sub, "", 0) == -1) return -1 ;
  d = opendir(path) ;
  if (!d && errno == ENOENT) return 0 ;
  if (!d)
  {
    warn_sys("unable-open", path) ;
    return -1 ;
  }
  while ((de = readdir(d)))
    if (queue_id_valid(de->d_name, strlen(de->d_name))) with_msg(w, sub, de->d_name, fn) ;
  closedir(d) ;
  return 0 ;
}

void queue_walk (struct queue_walk *w, void (*fn)(struct queue_walk *, struct queue_item *))
{
  walk_dir(w, "new", fn) ;
  for (unsigned h = 0 ; h < QUEUE_SPLIT ; h++)
  {
    char sub[8] = "mess/00" ;
    sub[5] = "0123456789abcdef"[h >> 4] ;
    sub[6] = "0123456789abcdef"[h & 15] ;
    walk_dir(w, sub, fn) ;
  }
}

/* ---- list ---- */

static void list_one (struct queue_walk *w, struct queue_item *it)
{
  size_t pos = 0 ;
  uint32_t i = 0 ;
  struct span to ;
  w->count++ ;
  buffer_puts(buffer_1, it->id) ;
  if (it->envok != 1)
  {
    buffer_puts(buffer_1, " unreadable envelope\n") ;
    return ;
  }
  buffer_puts(buffer_1, " age=") ;
  queue_put_u64(w->now > it->env.arrived ? w->now - it->env.arrived : 0) ;
  buffer_puts(buffer_1, "s size=") ;
  queue_put_u64(it->msg.len - it->env.hdrlen) ;
  buffer_puts(buffer_1, " from=<") ;
  put_safe(it->env.from.p, it->env.from.len) ;
  buffer_puts(buffer_1, it->innew ? "> in=new\n" : "> in=mess\n") ;
  while (queue_env_to_next(it->msg.p, &it->env, &pos, &to))
  {
    struct queue_state st = { .index = i, .status = 'p' } ;
    int has = rcpt_state(it, i++, &st) ;
    buffer_puts(buffer_1, "  to=<") ;
    put_safe(to.p, to.len) ;
    buffer_puts(buffer_1, "> ") ;
    buffer_puts(buffer_1, status_name(st.status)) ;
    buffer_puts(buffer_1, " attempts=") ;
    queue_put_u64(st.attempts) ;
    buffer_puts(buffer_1, " next=") ;
    if (st.status != 'p') buffer_puts(buffer_1, "-") ;
    else if (!has || st.next <= w->now) buffer_puts(buffer_1, "now") ;
    else
    {
      buffer_puts(buffer_1, "+") ;
      queue_put_u64(st.next - w->now) ;
      buffer_puts(buffer_1, "s") ;
    }
    buffer_puts(buffer_1, "\n") ;
  }
}

void queue_list (char const *q)
{
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0) } ;
  queue_walk(&w, &list_one) ;
  buffer_puts(buffer_1, "messages: ") ;
  queue_put_u64(w.count) ;
  buffer_putsflush(buffer_1, "\n") ;
}

/* ---- show ---- */

static void show_one (struct queue_walk *w, struct queue_item *it)
{
  size_t pos = 0 ;
  size_t body ;
  size_t end ;
  uint32_t i = 0 ;
  struct span to ;
  char const *hend ;
  w->count++ ;
  buffer_puts(buffer_1, it->innew ? "where: new (not yet taken in by deliver)\n" : "where: mess\n") ;
  if (it->envok != 1)
  {
    buffer_putsflush(buffer_1, "envelope: unreadable\n") ;
    return ;
  }
  buffer_puts(buffer_1, "envelope:\n") ;
  queue_put_safe_lines(it->msg.p, it->env.hdrlen - 1) ;
  buffer_puts(buffer_1, "state:\n") ;
  while (queue_env_to_next(it->msg.p, &it->env, &pos, &to))
  {
    struct queue_state st = { .index = i, .status = 'p' } ;
    rcpt_state(it, i, &st) ;
    buffer_puts(buffer_1, "  ") ;
    queue_put_u64(i++) ;
    buffer_puts(buffer_1, " <") ;
    put_safe(to.p, to.len) ;
    buffer_puts(buffer_1, "> ") ;
    buffer_puts(buffer_1, status_name(st.status)) ;
    buffer_puts(buffer_1, " attempts=") ;
    queue_put_u64(st.attempts) ;
    buffer_puts(buffer_1, " next=") ;
    queue_put_u64(st.next) ;
    buffer_puts(buffer_1, " last=") ;
    queue_put_u64(st.last) ;
    buffer_puts(buffer_1, " reply=") ;
    put_safe(st.reply.p, st.reply.len) ;
    buffer_puts(buffer_1, "\n") ;
  }
  body = it->env.hdrlen ;
  hend = memmem(it->msg.p + body, it->msg.len - body, "\r\n\r\n", 4) ;
  end = w->all ? it->msg.len : hend ? (size_t)(hend - it->msg.p) + 2 : it->msg.len ;
  buffer_puts(buffer_1, w->all ? "message:\n" : "message headers:\n") ;
  queue_put_safe_lines(it->msg.p + body, end - body) ;
  buffer_flush(buffer_1) ;
}

int queue_show (char const *q, char const *id, int all)
{
  struct queue_walk w = { .q = q, .now = (uint64_t)time(0), .all = all } ;
  char sub[8] = "mess/00" ;
  unsigned h = queue_hash(id, strlen(id)) ;
  buffer_puts(buffer_1, "id: ") ;
  buffer_puts(buffer_1, id) ;
  buffer_puts(buffer_1, "\n") ;
  sub[5] = "0123456789abcdef"[h >> 4] ;
  sub[6] = "0123456789abcdef"[h & 15] ;
  if (!with_msg(&w, "new", id, &show_one) && !with_msg(&w, sub, id, &show_one)) return 0 ;
  return 1 ;
}

/* Lines of s, each shown safely with LF (CRLF or LF in the file). */
void queue_put_safe_lines (char const *s, size_t len)
{
  while (len)
  {
    char const *lf = memchr(s, '\n', len) ;
    size_t ll = lf ? (size_t)(lf - s) : len ;
    size_t shown = ll && s[ll - 1] == '\r' ? ll - 1 : ll ;
    put_safe(s, shown) ;
    buffer_puts(buffer_1, "\n") ;
    if (!lf) break ;
    s += ll + 1 ;
    len -= ll + 1 ;
  }
}
