/* dlv_commit.c: makes the in-memory changes of one loop turn durable, in
   a batch: DSNs first (a recipient is recorded as bounced only once its
   DSN is queued), then state files (tmp, fsync, rename, one fsync per
   state/HH), then finished messages (unlink mess, fsync mess/HH, unlink
   state). A crash in between repeats work, never loses it. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <skalibs/strerr.h>
#include "deliver/deliver.h"

static void fsync_bucket (char const *sub, unsigned int hh)
{
  char path[QUEUE_PATH_MAX] ;
  int fd ;
  if (snprintf(path, sizeof path, "%s/%s/%02x", g.q, sub, hh) >= (int)sizeof path) return ;
  fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1 || fsync(fd) == -1) strerr_warnwu2sys("fsync ", path) ;
  if (fd != -1) close(fd) ;
}

static int settled (struct dlv_msg const *m)
{
  for (uint32_t r = 0 ; r < m->nrcpt ; r++) if (m->r[r].status == 'p') return 0 ;
  return 1 ;
}

/* Writes Q/tmp/dlv.ID with the state lines and fsyncs it. 0 or -1. */
static int state_write (uint32_t i, char *tmp, size_t tmpsize)
{
  struct dlv_msg *m = g.m + i ;
  struct dlv_buf b = DLV_BUF_ZERO ;
  char line[QUEUE_STATE_LINE_MAX] ;
  int fd, rc = -1 ;
  if (snprintf(tmp, tmpsize, "%s/tmp/dlv.%s", g.q, m->id) >= (int)tmpsize) return -1 ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++)
  {
    struct dlv_rcpt *x = m->r + r ;
    struct queue_state st = { r, x->status, x->attempts, x->next, x->last, { x->reply ? x->reply : "", x->reply ? strlen(x->reply) : 0 } } ;
    size_t n ;
    if (x->status == 'p' && !x->attempts) continue ;
    n = queue_state_fmt(line, sizeof line, &st) ;
    if (!n || dlv_buf_cat(&b, line, n) == -1) goto end ;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) ;
  if (fd == -1) goto end ;
  for (size_t o = 0 ; o < b.len ; )
  {
    ssize_t w = write(fd, b.s + o, b.len - o) ;
    if (w == -1) { if (errno == EINTR) continue ; close(fd) ; goto end ; }
    o += (size_t)w ;
  }
  if (fsync(fd) == -1) { close(fd) ; goto end ; }
  rc = close(fd) ;
 end:
  if (rc == -1) { strerr_warnwu2sys("write ", tmp) ; unlink(tmp) ; }
  dlv_buf_free(&b) ;
  return rc ;
}

/* Unlinks a settled message's file at once, even while a session still
   holds it (its other recipients are in flight elsewhere or have results):
   a delivered message then costs one directory fsync, no state write. The
   memory is freed when no session holds it. */
static void remove_msg (uint32_t i, uint64_t *mess, char (**gone)[QUEUE_ID_MAX + 1], size_t *ngone, size_t *agone)
{
  char path[QUEUE_PATH_MAX] ;
  struct dlv_msg *m = g.m + i ;
  if (m->flags & DLV_F_GONE) { if (!m->busy) dlv_msg_free(i) ; return ; }
  if (queue_path_mess(path, sizeof path, g.q, m->id) == -1) return ;
  if (unlink(path) == -1 && errno != ENOENT) { strerr_warnwu2sys("unlink ", path) ; return ; }
  *mess |= (uint64_t)1 << queue_hash(m->id, strlen(m->id)) ;
  if (*ngone == *agone)
  {
    *agone = *agone ? 2 * *agone : 64 ;
    *gone = realloc(*gone, *agone * sizeof **gone) ;
    if (!*gone) strerr_diefu1sys(111, "allocate memory") ;
  }
  strcpy((*gone)[(*ngone)++], m->id) ;
  { char const *l[] = { "info: done ", m->id } ; dlv_log(l, 2) ; }
  m->flags |= DLV_F_GONE ;
  if (!m->busy) dlv_msg_free(i) ;
}

void dlv_commit (void)
{
  char (*gone)[QUEUE_ID_MAX + 1] = 0 ;
  size_t ngone = 0, agone = 0 ;
  uint32_t *wrote = 0, nwrote = 0 ;
  uint64_t mess = 0, state = 0 ;
  char tmp[QUEUE_PATH_MAX], path[QUEUE_PATH_MAX] ;
  uint32_t list = g.dirty, n = 0 ;
  if (g.takein_new)   /* renames new/ -> mess/ of the last take-in */
  {
    for (int hh = 0 ; hh < QUEUE_SPLIT ; hh++) if (g.takein >> hh & 1) dlv_fsync_dir("mess", hh) ;
    dlv_fsync_dir("new", -1) ;
    g.takein = 0 ; g.takein_new = 0 ;
  }
  if (list == DLV_NONE) return ;
  for (uint32_t i = list ; i != DLV_NONE ; i = g.m[i].nextdirty) n++ ;
  wrote = malloc(n * sizeof *wrote) ;
  if (!wrote) strerr_diefu1sys(111, "allocate memory") ;
  g.dirty = DLV_NONE ;
  for (uint32_t i = list, next ; i != DLV_NONE ; i = next)
  {
    struct dlv_msg *m = g.m + i ;
    next = m->nextdirty ;
    m->nextdirty = DLV_NONE ;
    m->flags &= ~DLV_F_DIRTY ;
    if (!m->id[0]) continue ;
    if (dlv_dsn_send(i) == -1)
    {
      /* not recorded as settled until its DSN is queued: pending again, and
         an operator's bounce stays a bounce (never a delivery) on the retry */
      for (uint32_t r = 0 ; r < m->nrcpt ; r++) if (m->r[r].dsn)
      { m->r[r].dsn = 0 ; m->r[r].status = 'p' ; m->r[r].next = g.now + dlv_dom_lim(m->r[r].dom)->retry_min ; }
      if (m->flags & DLV_F_OPBOUNCE) m->flags |= DLV_F_BOUNCE ;
    }
    m->flags &= ~DLV_F_OPBOUNCE ;
    if ((m->flags & DLV_F_GONE) || settled(m) || (!m->busy && (m->flags & DLV_F_DELETE)))
    { remove_msg(i, &mess, &gone, &ngone, &agone) ; continue ; }
    if (state_write(i, tmp, sizeof tmp) == -1 || queue_path_state(path, sizeof path, g.q, m->id) == -1) continue ;
    if (rename(tmp, path) == -1) { strerr_warnwu4sys("rename ", tmp, " to ", path) ; continue ; }
    state |= (uint64_t)1 << queue_hash(m->id, strlen(m->id)) ;
    wrote[nwrote++] = i ;
    dlv_heap_set(i) ;
  }
  for (unsigned int hh = 0 ; hh < QUEUE_SPLIT ; hh++)
  {
    if (state >> hh & 1) fsync_bucket("state", hh) ;
    if (mess >> hh & 1) fsync_bucket("mess", hh) ;
  }
  for (size_t k = 0 ; k < ngone ; k++)
    if (queue_path_state(path, sizeof path, g.q, gone[k]) != -1 && unlink(path) == -1 && errno != ENOENT)
      strerr_warnwu2sys("unlink ", path) ;
  free(gone) ;
  free(wrote) ;
}
