/* dlv_commit.c: makes the in-memory changes of one loop turn durable, in
   a batch: DSNs first (a recipient is recorded as bounced only once its
   DSN is queued), then state files (tmp, fsync, rename, one fsync per
   state/HH), then finished messages (unlink mess, fsync mess/HH, unlink
   state). A crash in between repeats work, never loses it
   (doc/design.md, "Crash safety"). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <skalibs/allreadwrite.h>
#include "lib/log.h"
#include "deliver/deliver.h"

static void failed (char const *event, char const *path)
{
  mx_log_kv(MX_LOG_WARN, event, "path", path, "error", strerror(errno), (char const *)0) ;
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
  int fd ;
  int rc = -1 ;
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
  if (allwrite(fd, b.s, b.len) < b.len || fsync(fd) == -1)
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
    goto end ;
  }
  rc = close(fd) ;
 end:
  if (rc == -1)
  {
    failed("write-failed", tmp) ;
    unlink(tmp) ;
  }
  dlv_buf_free(&b) ;
  return rc ;
}

/* The ids of the messages unlinked in this commit, whose state files go
   after the fsync of their mess/HH. */
struct gone {
  char (*id)[QUEUE_ID_MAX + 1] ;
  size_t n, a ;
} ;

/* Unlinks a settled message's file at once, even while a session still
   holds it (its other recipients are in flight elsewhere or have results):
   a delivered message then costs one directory fsync, no state write. The
   memory is freed when no session holds it. */
static void remove_msg (uint32_t i, uint64_t *mess, struct gone *gone)
{
  char path[QUEUE_PATH_MAX] ;
  struct dlv_msg *m = g.m + i ;
  if (m->flags & DLV_F_GONE)
  {
    if (!m->busy) dlv_msg_free(i) ;
    return ;
  }
  if (queue_path_mess(path, sizeof path, g.q, m->id) == -1) return ;
  if (unlink(path) == -1 && errno != ENOENT)
  {
    failed("unlink-failed", path) ;
    return ;
  }
  *mess |= (uint64_t)1 << queue_hash(m->id, strlen(m->id)) ;
  if (gone->n == gone->a)
  {
    gone->a = gone->a ? 2 * gone->a : 64 ;
    gone->id = realloc(gone->id, gone->a * sizeof *gone->id) ;
    if (!gone->id) mx_die_kv(111, "out-of-memory", (char const *)0) ;
  }
  strcpy(gone->id[gone->n++], m->id) ;
  mx_log_kv(MX_LOG_INFO, "removed", "qid", m->id, "reason", settled(m) ? "settled" : "deleted", (char const *)0) ;
  m->flags |= DLV_F_GONE ;
  if (!m->busy) dlv_msg_free(i) ;
}

/* Its DSN could not be queued: message i's recipients that owed one are
   not settled (pending again, retried after retry_min), and an operator's
   bounce stays a bounce (never a delivery) on the retry. */
static void dsn_failed (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++) if (m->r[r].dsn)
  {
    m->r[r].dsn = 0 ;
    if (m->r[r].status == 'd') continue ;   /* delivered: its "relayed" DSN is lost, never the mail sent twice */
    m->r[r].status = 'p' ;
    m->r[r].next = g.now + dlv_dom_lim(m->r[r].dom)->retry_min ;
  }
  if (m->flags & DLV_F_OPBOUNCE) m->flags |= DLV_F_BOUNCE ;
}

void dlv_commit (void)
{
  struct gone gone = { 0, 0, 0 } ;
  uint64_t mess = 0 ;
  uint64_t state = 0 ;
  char tmp[QUEUE_PATH_MAX], path[QUEUE_PATH_MAX] ;
  uint32_t list = g.dirty ;
  if (g.takein_new)   /* renames new/ -> mess/ of the last take-in */
  {
    for (int hh = 0 ; hh < QUEUE_SPLIT ; hh++) if (g.takein >> hh & 1) dlv_fsync_dir("mess", hh) ;
    dlv_fsync_dir("new", -1) ;
    g.takein = 0 ;
    g.takein_new = 0 ;
  }
  if (list == DLV_NONE) return ;
  g.dirty = DLV_NONE ;
  for (uint32_t i = list, next ; i != DLV_NONE ; i = next)
  {
    struct dlv_msg *m = g.m + i ;
    next = m->nextdirty ;
    m->nextdirty = DLV_NONE ;
    m->flags &= ~DLV_F_DIRTY ;
    if (!m->id[0]) continue ;
    if (dlv_dsn_send(i) == -1) dsn_failed(i) ;
    m->flags &= ~DLV_F_OPBOUNCE ;
    if ((m->flags & DLV_F_GONE) || settled(m) || (!m->busy && (m->flags & DLV_F_DELETE)))
    {
      remove_msg(i, &mess, &gone) ;
      continue ;
    }
    if (state_write(i, tmp, sizeof tmp) == -1 || queue_path_state(path, sizeof path, g.q, m->id) == -1) continue ;
    if (rename(tmp, path) == -1)
    {
      failed("rename-failed", tmp) ;
      continue ;
    }
    state |= (uint64_t)1 << queue_hash(m->id, strlen(m->id)) ;
    dlv_heap_set(i) ;
  }
  for (int hh = 0 ; hh < QUEUE_SPLIT ; hh++)
  {
    if (state >> hh & 1) dlv_fsync_dir("state", hh) ;
    if (mess >> hh & 1) dlv_fsync_dir("mess", hh) ;
  }
  for (size_t k = 0 ; k < gone.n ; k++)
    if (queue_path_state(path, sizeof path, g.q, gone.id[k]) != -1 && unlink(path) == -1 && errno != ENOENT)
      failed("unlink-failed", path) ;
  free(gone.id) ;
}
