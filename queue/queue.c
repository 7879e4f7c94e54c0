/* queue.c: mxhold-queue, the qmail-queue(8)-compatible writer. Message on
   fd 0, envelope on fd 1; exits 0 only once the message is durable in new/
   (doc/design.md, "Crash safety"). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>      /* renameat2 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <s6/ftrigw.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/write_all.h"
#include "queue/queue.h"
#include "queue/queue_write.h"
#include "queue/queue_space.h"

#define USAGE "mxhold-queue (message on fd 0, envelope on fd 1)"

static struct
{
  int tmpdir ;
  int newdir ;
  int havetmp ;
  char id[QUEUE_ID_MAX + 1] ;
  char q[QUEUE_PATH_MAX] ;
} g = { .tmpdir = -1, .newdir = -1 } ;
static struct queue_msg msg ;

/* A fatal line: what failed, the qid, the path it was about (Q/SUB/ID, or
   Q/SUB without an id; none if sub is NULL) and errno e (0: none). Before
   publishing, every failure removes the tmp file and is temporary. */
static void die (int code, char const *event, char const *sub, char const *id, int e) __attribute__((noreturn)) ;
static void die (int code, char const *event, char const *sub, char const *id, int e)
{
  struct mx_log l ;
  char path[QUEUE_PATH_MAX] ;
  if (g.havetmp) unlinkat(g.tmpdir, g.id, 0) ;
  mx_log_start(&l, MX_LOG_FATAL, event) ;
  mx_log_str(&l, "qid", g.id) ;
  if (sub && queue_path(path, sizeof path, g.q, sub, id ? id : "", 0) >= 0)
  {
    if (!id) path[strlen(path) - 1] = 0 ;   /* no trailing '/' */
    mx_log_str(&l, "path", path) ;
  }
  if (e) mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
  _exit(code) ;
}

/* The id: $MXHOLD_QID if well formed and fresh, else a new one. */
static void pick_id (int fresh)
{
  char const *x = getenv(QUEUE_ENV_QID) ;
  if (!fresh && x && queue_id_valid(x, strlen(x)))
  {
    memcpy(g.id, x, strlen(x) + 1) ;
    return ;
  }
  queue_id_make(g.id) ;
}

/* Q/SUB, opened as a directory; on failure logs and exits. */
static int opendir_in (char const *sub)
{
  char path[QUEUE_PATH_MAX] ;
  int fd = -1 ;
  if (queue_path(path, sizeof path, g.q, sub, "", 0) >= 0)
  {
    path[strlen(path) - 1] = 0 ;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  }
  if (fd == -1) die(111, "unable-open", sub, 0, errno) ;
  return fd ;
}

/* The queue directory, and its tmp/ and new/ opened. */
static void open_queue (void)
{
  if (queue_dir_find(0, g.q, sizeof g.q) == -1)
  {
    int e = errno ;
    char src[QUEUE_PATH_MAX] ;
    queue_dir_source(0, src, sizeof src) ;
    mx_die_kv(111, "unable-find-queue", "qid", g.id, "path", src, "error", strerror(e), (char const *)0) ;
  }
  g.tmpdir = opendir_in("tmp") ;
  g.newdir = opendir_in("new") ;
}

/* Below the free-space floor: no message. The reply line goes to fd 4
   (smtpd's reply pipe, smtpd.md) when it is open; the exit is temporary. */
static void space_check (void)
{
  uint64_t avail ;
  uint64_t min = queue_space_min() ;
  struct mx_log l ;
  static char const reply[] = QUEUE_SPACE_REPLY "\n" ;
  if (!min || queue_space_avail(g.tmpdir, &avail) == -1 || avail >= min) return ;
  if (fcntl(4, F_GETFD) != -1) mx_write_all(4, reply, sizeof reply - 1) ;   /* best effort: the exit says it too */
  mx_log_start(&l, MX_LOG_FATAL, "refused") ;
  mx_log_str(&l, "qid", g.id) ;
  mx_log_str(&l, "path", g.q) ;
  mx_log_str(&l, "reason", "free-space") ;
  mx_log_u64(&l, "free", avail) ;
  mx_log_u64(&l, "free_min", min) ;
  mx_log_end(&l) ;
  _exit(111) ;
}

static int open_tmp (void)
{
  for (int tries = 0 ; tries < 100 ; tries++)
  {
    int fd = openat(g.tmpdir, g.id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd != -1)
    {
      g.havetmp = 1 ;
      return fd ;
    }
    if (errno != EEXIST) break ;
    pick_id(1) ;
  }
  die(111, "unable-create", "tmp", g.id, errno) ;
}

/* rename tmp/ID to new/NAME, never overwriting; a taken name gets a fresh id. */
static void publish (void)
{
  char tmpname[QUEUE_ID_MAX + 1] ;
  memcpy(tmpname, g.id, sizeof tmpname) ;
  for (int tries = 0 ; ; tries++)
  {
    int e ;
    if (!renameat2(g.tmpdir, tmpname, g.newdir, g.id, RENAME_NOREPLACE)) break ;
    e = errno ;
    if (e != EEXIST || tries >= 100)
    {
      memcpy(g.id, tmpname, sizeof tmpname) ;
      die(111, "unable-publish", "tmp", g.id, e) ;
    }
    pick_id(1) ;
  }
  g.havetmp = 0 ;
  /* the new/ fd is open already (renameat2 needed it): its fsync is the
     directory sync, without lib/dir_sync's open and close */
  if (fsync(g.newdir) == -1) die(111, "unable-fsync", "new", 0, errno) ;
}

/* The DSN parameters smtpd passes ($MXHOLD_DSN, RFC 3461), checked line
   by line before they go into the header: a malformed set is a
   malformed envelope. */
static void dsn_lines (struct queue_hdr *h)
{
  char const *x = getenv(QUEUE_ENV_DSN) ;
  size_t n ;
  if (!x || !*x) return ;
  n = strlen(x) ;
  if (!queue_dsn_valid(x, n)) mx_die_kv(100, "bad-envelope", "qid", g.id, "reason", "dsn", (char const *)0) ;
  if (queue_hdr_lines(h, x, n) == -1) die(111, "unable-allocate", 0, 0, errno) ;
}

/* The envelope, into h; on failure logs and exits. */
static void envelope (struct queue_hdr *h)
{
  char const *err ;
  int r = queue_env_read(h, 1, &err) ;
  if (r == 1) return ;
  if (r == -1) die(111, "unable-read-envelope", 0, 0, errno) ;
  if (!r && !h->state)
  {
    /* not one byte: the feeder gave the message up (smtpd refused it at
       DATA, or its client went away); nothing to queue, nothing wrong here */
    mx_log_kv(MX_LOG_INFO, "aborted", "qid", g.id, "reason", "no-envelope", (char const *)0) ;
    _exit(111) ;
  }
  mx_die_kv(r ? 100 : 111, r ? "bad-envelope" : "unable-read-envelope", "qid", g.id, "reason", err, (char const *)0) ;
}

static void queued (struct queue_hdr const *h)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "queued") ;
  mx_log_str(&l, "qid", g.id) ;
  mx_log_bytes(&l, "from", h->s + h->fromoff, h->fromlen) ;
  mx_log_u64(&l, "rcpts", h->nrcpt) ;
  mx_log_u64(&l, "bytes", msg.total) ;
  mx_log_end(&l) ;
}

int main (int argc, char const *const *argv)
{
  struct queue_hdr h ;
  char trigger[QUEUE_PATH_MAX] ;
  int fd ;
  mx_log_prog = "mxhold-queue" ;
  mx_cli_std(argc, argv, USAGE, "writes one message durably into the queue (qmail-queue interface)") ;
  if (argc > 1 && argv[1][0] == '-') mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
  pick_id(0) ;
  open_queue() ;
  space_check() ;
  if (queue_msg_read(&msg, 0, g.tmpdir) == -1) die(111, "unable-read-message", 0, 0, errno) ;
  if (queue_hdr_start(&h, (uint64_t)time(0), getenv("TCPREMOTEIP"), getenv(QUEUE_ENV_HELO), getenv(QUEUE_ENV_SPF)) == -1)
    die(111, "unable-allocate", 0, 0, errno) ;
  if (queue_env_flag(QUEUE_ENV_SMTPUTF8) && queue_hdr_flag(&h, "smtputf8") == -1) die(111, "unable-allocate", 0, 0, errno) ;
  dsn_lines(&h) ;
  envelope(&h) ;
  fd = open_tmp() ;
  if (queue_msg_out(&msg, fd, h.s, h.len) == -1) die(111, "unable-write", "tmp", g.id, errno) ;
  if (fsync(fd) == -1) die(111, "unable-fsync", "tmp", g.id, errno) ;
  if (close(fd) == -1) die(111, "unable-close", "tmp", g.id, errno) ;
  publish() ;
  queued(&h) ;
  free(h.s) ;
  if (queue_path(trigger, sizeof trigger, g.q, "trigger", "", 0) >= 0)
  {
    trigger[strlen(trigger) - 1] = 0 ;
    ftrigw_notify(trigger, 'n') ;   /* no deliver running: mail simply waits */
  }
  return 0 ;
}
