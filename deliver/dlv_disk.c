/* dlv_disk.c: deliver's side of the queue on disk (queue/queue.h): taking
   new/ID into mess/HH/ID, loading a message and its state, writing state
   files in batches (tmp, fsync, rename, one fsync per directory), removing
   finished messages (unlink mess, fsync, unlink state), and the log. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <skalibs/strerr.h>
#include "deliver/deliver.h"

void dlv_log (char const *const *s, unsigned int n)
{
  struct dlv_buf b = DLV_BUF_ZERO ;
  dlv_buf_cats(&b, "deliver: ") ;
  for (unsigned int k = 0 ; k < n ; k++) dlv_buf_cats(&b, s[k]) ;
  dlv_buf_cat(&b, "\n", 1) ;
  if (b.s && write(2, b.s, b.len) < 0) { }
  dlv_buf_free(&b) ;
}

void dlv_log_result (uint32_t i, uint32_t r, struct span rcpt, struct span from, char const *host, char const *status)
{
  struct dlv_msg *m = g.m + i ;
  struct dlv_buf b = DLV_BUF_ZERO ;
  char const *rep = m->r[r].reply ? m->r[r].reply : "" ;
  dlv_buf_cats(&b, "deliver: info: delivery ") ; dlv_buf_cats(&b, m->id) ;
  dlv_buf_cats(&b, " rcpt=") ; dlv_buf_catsafe(&b, rcpt.p, rcpt.len) ;
  dlv_buf_cats(&b, " from=") ; dlv_buf_catsafe(&b, from.p, from.len) ;
  dlv_buf_cats(&b, " host=") ; dlv_buf_catsafe(&b, host, strlen(host)) ;
  dlv_buf_cats(&b, " status=") ; dlv_buf_cats(&b, status) ;
  dlv_buf_cats(&b, " attempts=") ; dlv_buf_catu(&b, m->r[r].attempts) ;
  dlv_buf_cats(&b, " delay=") ; dlv_buf_catu(&b, g.now > m->arrived ? g.now - m->arrived : 0) ;
  dlv_buf_cats(&b, "s reply=") ; dlv_buf_catsafe(&b, rep, strlen(rep)) ;
  dlv_buf_cat(&b, "\n", 1) ;
  if (b.s && write(2, b.s, b.len) < 0) { }
  dlv_buf_free(&b) ;
}

/* Reads path into b (appending) until done() says the bytes suffice or
   EOF. 0, or -1 with errno. */
static int read_file (char const *path, struct dlv_buf *b, size_t max, struct queue_env *e)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  for (;;)
  {
    char tmp[8192] ;
    ssize_t n = read(fd, tmp, sizeof tmp) ;
    if (n == -1) { if (errno == EINTR) continue ; goto fail ; }
    if (!n) break ;
    if (b->len + (size_t)n > max) { errno = EFBIG ; goto fail ; }
    if (dlv_buf_cat(b, tmp, (size_t)n) == -1) goto fail ;
    if (e)
    {
      int r = queue_env_parse(b->s, b->len, e) ;
      if (r < 0) { errno = EPROTO ; goto fail ; }
      if (r > 0) { close(fd) ; return 0 ; }
    }
  }
  close(fd) ;
  if (e) { errno = EPROTO ; return -1 ; }
  return 0 ;
 fail:
  { int e2 = errno ; close(fd) ; errno = e2 ; }
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
    if (errno != ENOENT) strerr_warnwu2sys("read ", path) ;
    dlv_buf_free(&b) ;
    return ;
  }
  while (b.s && queue_state_next(b.s, b.len, &pos, &st))
  {
    struct dlv_rcpt *r ;
    if (st.index >= m->nrcpt) continue ;
    r = m->r + st.index ;
    r->status = st.status ; r->attempts = st.attempts ; r->next = st.next ; r->last = st.last ;
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
    strerr_warnwu4sys("rename ", from, " to ", to) ;
}

int dlv_msg_load (char const *id)
{
  static struct dlv_buf b = DLV_BUF_ZERO ;
  struct queue_env e ;
  struct span to ;
  size_t pos = 0 ;
  uint32_t i, r = 0 ;
  if (dlv_msg_find(id, strlen(id)) != DLV_NONE) return 0 ;
  i = dlv_msg_new(id) ;
  if (dlv_msg_header(i, &b, &e) == -1)
  {
    int e2 = errno ;
    dlv_msg_free(i) ;
    errno = e2 ;
    if (errno == EPROTO || errno == EFBIG)   /* malformed: kept for the operator, never deleted */
    { strerr_warnwu3sys("read message ", id, " (malformed; left in mess/)") ; return -1 ; }
    strerr_warnwu3sys("read message ", id, " (back to new/, retried at the next scan)") ;
    load_retry(id) ;
    return -1 ;
  }
  g.m[i].arrived = e.arrived ;
  if (!e.from.len) g.m[i].flags |= DLV_F_NULLSENDER ;
  if (e.spf.len == 4 && !memcmp(e.spf.p, "pass", 4)) g.m[i].flags |= DLV_F_SPFPASS ;
  g.m[i].r = calloc(e.nto, sizeof *g.m[i].r) ;
  if (!g.m[i].r) strerr_diefu1sys(111, "allocate memory") ;
  while (r < e.nto && queue_env_to_next(b.s, &e, &pos, &to))
  {
    char const *at = memrchr(to.p, '@', to.len) ;
    struct span d = at ? (struct span){ at + 1, to.len - (size_t)(at + 1 - to.p) } : (struct span){ "", 0 } ;
    g.m[i].r[r].dom = dlv_dom_intern(d.p, d.len) ;
    g.m[i].r[r].status = 'p' ;
    g.m[i].r[r].next = g.now ;
    r++ ;
  }
  g.m[i].nrcpt = r ;
  dlv_msg_expiry(i) ;
  load_state(i) ;
  if (dlv_msg_key(i) == UINT64_MAX) dlv_dirty(i) ;   /* all settled: a crash before removal */
  dlv_heap_set(i) ;
  return 0 ;
}

void dlv_fsync_dir (char const *sub, int hh)
{
  char path[QUEUE_PATH_MAX] ;
  int fd ;
  size_t n = strlen(g.q) ;
  if (n + strlen(sub) + 5 >= sizeof path) return ;
  memcpy(path, g.q, n) ; path[n++] = '/' ;
  strcpy(path + n, sub) ; n += strlen(sub) ;
  if (hh >= 0) { static char const hex[] = "0123456789abcdef" ; path[n++] = '/' ; path[n++] = hex[hh >> 4] ; path[n++] = hex[hh & 15] ; path[n] = 0 ; }
  fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1 || fsync(fd) == -1) strerr_warnwu2sys("fsync ", path) ;
  if (fd != -1) close(fd) ;
}

static int valid_name (char const *s) { return queue_id_valid(s, strlen(s)) ; }

void dlv_scan_mess (void)
{
  char path[QUEUE_PATH_MAX] ;
  for (int hh = 0 ; hh < QUEUE_SPLIT ; hh++)
  {
    DIR *d ;
    struct dirent *de ;
    if (snprintf(path, sizeof path, "%s/mess/%02x", g.q, hh) >= (int)sizeof path) continue ;
    d = opendir(path) ;
    if (!d) { if (errno != ENOENT) strerr_warnwu2sys("open ", path) ; continue ; }
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
    if (errno != EEXIST || tries >= DLV_RENAME_TRIES) { strerr_warnwu4sys("rename ", from, " to ", to) ; return -1 ; }
    queue_id_make(fresh) ;
    if (queue_path_new(to, sizeof to, g.q, fresh) == -1) return -1 ;
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == -1) continue ;   /* taken too: another fresh id */
    { char const *l[] = { "warning: id ", id, " is taken by a queued message: the new one is now ", fresh } ; dlv_log(l, 4) ; }
    strcpy(id, fresh) ;
  }
}

/* new/ID -> mess/HH/ID for every ID, fsync the directories, then load. */
void dlv_scan_new (void)
{
  char from[QUEUE_PATH_MAX] ;
  char (*ids)[QUEUE_ID_MAX + 1] = 0 ;
  size_t n = 0, a = 0 ;
  uint64_t touched = 0 ;
  DIR *d ;
  struct dirent *de ;
  if (snprintf(from, sizeof from, "%s/new", g.q) >= (int)sizeof from) return ;
  d = opendir(from) ;
  if (!d) { strerr_warnwu2sys("open ", from) ; return ; }
  while ((de = readdir(d)))
  {
    char id[QUEUE_ID_MAX + 1] ;
    if (!valid_name(de->d_name)) continue ;
    strcpy(id, de->d_name) ;
    if (take_in(id) == -1) continue ;
    touched |= (uint64_t)1 << queue_hash(id, strlen(id)) ;
    if (n == a) { a = a ? 2 * a : 64 ; ids = realloc(ids, a * sizeof *ids) ; if (!ids) strerr_diefu1sys(111, "allocate memory") ; }
    strcpy(ids[n++], id) ;
  }
  closedir(d) ;
  if (!n) { free(ids) ; return ; }
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
    if (unlink(path) == -1) strerr_warnwu2sys("unlink ", path) ;
  }
  closedir(d) ;
}
