/* dlv_disk.c: deliver's side of the queue on disk (queue/queue.h): taking
   new/ID into mess/HH/ID, loading a message and its state, reading a
   message's envelope header, the directory fsyncs. Writing state and
   removing finished messages is dlv_commit.c's. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include "lib/dir_sync.h"
#include "lib/log.h"
#include "deliver/deliver.h"

static void failed (char const *event, char const *path)
{
  mx_log_kv(MX_LOG_WARN, event, "path", path, "error", strerror(errno), (char const *)0) ;
}

/* Reads path into b (appending) until the envelope header e is complete
   (e not NULL) or EOF. 0, or -1 with errno. */
static int read_file (char const *path, struct dlv_buf *b, size_t max, struct queue_env *e)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  int e2 ;
  if (fd == -1) return -1 ;
  for (;;)
  {
    char tmp[8192] ;
    ssize_t n = read(fd, tmp, sizeof tmp) ;
    if (n == -1)
    {
      if (errno == EINTR) continue ;
      goto fail ;
    }
    if (!n) break ;
    if (b->len + (size_t)n > max)
    {
      errno = EFBIG ;
      goto fail ;
    }
    if (dlv_buf_cat(b, tmp, (size_t)n) == -1) goto fail ;
    if (e)
    {
      int r = queue_env_parse(b->s, b->len, e) ;
      if (r < 0)
      {
        errno = EPROTO ;
        goto fail ;
      }
      if (r > 0)
      {
        close(fd) ;
        return 0 ;
      }
    }
  }
  close(fd) ;
  if (e)
  {
    errno = EPROTO ;
    return -1 ;
  }
  return 0 ;
 fail:
  e2 = errno ;
  close(fd) ;
  errno = e2 ;
  return -1 ;
}

int dlv_msg_header (uint32_t i, struct dlv_buf *b, struct queue_env *e)
{
  char path[QUEUE_PATH_MAX] ;
  b->len = 0 ;
  if (queue_path_mess(path, sizeof path, g.q, g.m[i].id) == -1) return -1 ;
  return read_file(path, b, QUEUE_ENVELOPE_MAX_BYTES, e) ;
}

static void load_state (uint32_t i)
{
  struct dlv_msg *m = g.m + i ;
  struct dlv_buf b = DLV_BUF_ZERO ;
  struct queue_state st ;
  char path[QUEUE_PATH_MAX] ;
  size_t pos = 0 ;
  if (queue_path_state(path, sizeof path, g.q, m->id) == -1) return ;
  if (read_file(path, &b, QUEUE_ENVELOPE_MAX_BYTES, 0) == -1)
  {
    if (errno != ENOENT) failed("read-failed", path) ;
    dlv_buf_free(&b) ;
    return ;
  }
  while (b.s && queue_state_next(b.s, b.len, &pos, &st))
  {
    struct dlv_rcpt *r ;
    if (st.index >= m->nrcpt) continue ;
    r = m->r + st.index ;
    r->status = st.status ;
    r->attempts = st.attempts ;
    r->next = st.next ;
    r->last = st.last ;
    if (st.reply.len) r->reply = strndup(st.reply.p, st.reply.len > DLV_REPLY_KEEP ? DLV_REPLY_KEEP : st.reply.len) ;
  }
  dlv_buf_free(&b) ;
}

/* A message that failed to load for a passing reason (EMFILE, ENOMEM,
   EIO) goes back to new/: nothing else would ever look at it again before
   a restart, and the scan of new/ (on a trigger, or every
   DLV_NEWSCAN_SECS) takes it in again. A file is in mess/ or new/ at any
   instant, so this cannot lose it. */
static void load_retry (char const *id)
{
  char from[QUEUE_PATH_MAX], to[QUEUE_PATH_MAX] ;
  if (queue_path_mess(from, sizeof from, g.q, id) == -1 || queue_path_new(to, sizeof to, g.q, id) == -1) return ;
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == -1 && errno != ENOENT)   /* never over a newcomer */
    failed("rename-failed", from) ;
}

/* Why a message could not be loaded, and where it stays. */
static void load_failed (char const *id)
{
  char path[QUEUE_PATH_MAX] ;
  int malformed = errno == EPROTO || errno == EFBIG ;
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "load-failed") ;
  mx_log_str(&l, "qid", id) ;
  if (queue_path_mess(path, sizeof path, g.q, id) != -1) mx_log_str(&l, "path", path) ;
  /* malformed: kept in mess/ for the operator, never deleted; else back
     to new/, retried at the next scan */
  mx_log_str(&l, "reason", malformed ? "malformed" : "retry-later") ;
  mx_log_errno(&l, errno) ;
  mx_log_end(&l) ;
  if (!malformed) load_retry(id) ;
}

int dlv_msg_load (char const *id)
{
  static struct dlv_buf b = DLV_BUF_ZERO ;
  struct queue_env e ;
  struct span to ;
  size_t pos = 0 ;
  uint32_t i ;
  uint32_t r = 0 ;
  struct dlv_msg *m ;
  if (dlv_msg_find(id, strlen(id)) != DLV_NONE) return 0 ;
  i = dlv_msg_new(id) ;
  if (dlv_msg_header(i, &b, &e) == -1)
  {
    int e2 = errno ;
    dlv_msg_free(i) ;
    errno = e2 ;
    load_failed(id) ;
    return -1 ;
  }
  m = g.m + i ;
  m->arrived = e.arrived ;
  if (!e.from.len) m->flags |= DLV_F_NULLSENDER ;
  if (e.spf.len == 4 && !memcmp(e.spf.p, "pass", 4)) m->flags |= DLV_F_SPFPASS ;
  m->r = calloc(e.nto, sizeof *m->r) ;
  if (!m->r) mx_die_kv(111, "out-of-memory", (char const *)0) ;
  while (r < e.nto && queue_env_to_next(b.s, &e, &pos, &to))
  {
    char const *at = memrchr(to.p, '@', to.len) ;
    struct span d = at ? (struct span){ at + 1, to.len - (size_t)(at + 1 - to.p) } : (struct span){ "", 0 } ;
    m->r[r].dom = dlv_dom_intern(d.p, d.len) ;
    m->r[r].status = 'p' ;
    m->r[r].next = g.now ;
    r++ ;
  }
  m->nrcpt = r ;
  dlv_msg_expiry(i) ;
  load_state(i) ;
  if (dlv_msg_key(i) == UINT64_MAX) dlv_dirty(i) ;   /* all settled: a crash before removal */
  dlv_heap_set(i) ;
  return 0 ;
}

void dlv_fsync_dir (char const *sub, int hh)
{
  char path[QUEUE_PATH_MAX] ;
  int n = hh >= 0 ? snprintf(path, sizeof path, "%s/%s/%02x", g.q, sub, (unsigned int)hh) : snprintf(path, sizeof path, "%s/%s", g.q, sub) ;
  if (n < 0 || (size_t)n >= sizeof path) return ;
  if (mx_dir_sync(AT_FDCWD, path) == -1) failed("fsync-failed", path) ;
}

static int valid_name (char const *s)
{
  return queue_id_valid(s, strlen(s)) ;
}

void dlv_scan_mess (void)
{
  char path[QUEUE_PATH_MAX] ;
  for (int hh = 0 ; hh < QUEUE_SPLIT ; hh++)
  {
    DIR *d ;
    struct dirent *de ;
    if (snprintf(path, sizeof path, "%s/mess/%02x", g.q, hh) >= (int)sizeof path) continue ;
    d = opendir(path) ;
    if (!d)
    {
      if (errno != ENOENT) failed("open-failed", path) ;
      continue ;
    }
    while ((de = readdir(d))) if (valid_name(de->d_name)) dlv_msg_load(de->d_name) ;
    closedir(d) ;
  }
}

/* new/ID -> mess/HH/ID, never over a file: mxhold-queue only refuses a
   name taken in new/, so an id reused while its first message is still
   queued (smtpd picks ids) would replace that message. The newcomer then
   gets a fresh id (in new/ first, so it is never without a name). 0 with
   id updated, or -1 (logged; left in new/ for the next scan). */
static int take_in (char *id)
{
  char from[QUEUE_PATH_MAX], to[QUEUE_PATH_MAX], fresh[QUEUE_ID_MAX + 1] ;
  for (unsigned int tries = 0 ; ; tries++)
  {
    if (queue_path_new(from, sizeof from, g.q, id) == -1 || queue_path_mess(to, sizeof to, g.q, id) == -1) return -1 ;
    if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE)) return 0 ;
    if (errno != EEXIST || tries >= DLV_RENAME_TRIES)
    {
      failed("rename-failed", from) ;
      return -1 ;
    }
    queue_id_make(fresh) ;
    if (queue_path_new(to, sizeof to, g.q, fresh) == -1) return -1 ;
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == -1) continue ;   /* taken too: another fresh id */
    mx_log_kv(MX_LOG_WARN, "renamed", "qid", id, "new_qid", fresh, "reason", "qid-taken", (char const *)0) ;
    strcpy(id, fresh) ;
  }
}

/* new/ID -> mess/HH/ID for every ID, then load. */
void dlv_scan_new (void)
{
  char from[QUEUE_PATH_MAX] ;
  char (*ids)[QUEUE_ID_MAX + 1] = 0 ;
  size_t n = 0 ;
  size_t a = 0 ;
  uint64_t touched = 0 ;
  DIR *d ;
  struct dirent *de ;
  if (snprintf(from, sizeof from, "%s/new", g.q) >= (int)sizeof from) return ;
  d = opendir(from) ;
  if (!d)
  {
    failed("open-failed", from) ;
    return ;
  }
  while ((de = readdir(d)))
  {
    char id[QUEUE_ID_MAX + 1] ;
    if (!valid_name(de->d_name)) continue ;
    strcpy(id, de->d_name) ;
    if (take_in(id) == -1) continue ;
    touched |= (uint64_t)1 << queue_hash(id, strlen(id)) ;
    if (n == a)
    {
      a = a ? 2 * a : 64 ;
      ids = realloc(ids, a * sizeof *ids) ;
      if (!ids) mx_die_kv(111, "out-of-memory", (char const *)0) ;
    }
    strcpy(ids[n++], id) ;
  }
  closedir(d) ;
  if (!n)
  {
    free(ids) ;
    return ;
  }
  /* The renames are made durable by dlv_commit, after this turn's sessions
     have started: the first attempt does not wait for two fsyncs. A power
     loss before them can only bring a message back into new/ (a duplicate),
     never lose it: the file exists in one directory or the other. */
  g.takein |= touched ;
  g.takein_new = 1 ;
  for (size_t k = 0 ; k < n ; k++) dlv_msg_load(ids[k]) ;
  free(ids) ;
}

/* Q/tmp/dlv.* are state files a killed deliver was writing; only one
   deliver runs per queue, so at startup they are all garbage. */
void dlv_tmp_clean (void)
{
  char path[QUEUE_PATH_MAX] ;
  DIR *d ;
  struct dirent *de ;
  if (snprintf(path, sizeof path, "%s/tmp", g.q) >= (int)sizeof path) return ;
  d = opendir(path) ;
  if (!d) return ;
  while ((de = readdir(d)))
  {
    if (strncmp(de->d_name, "dlv.", 4)) continue ;
    if (snprintf(path, sizeof path, "%s/tmp/%s", g.q, de->d_name) >= (int)sizeof path) continue ;
    if (unlink(path) == -1) failed("unlink-failed", path) ;
  }
  closedir(d) ;
}
