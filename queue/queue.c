/* queue.c: mxhold-queue, the qmail-queue(8)-compatible writer. Message on
   fd 0, envelope on fd 1; exits 0 only once the message is durable in new/. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include <s6/ftrigw.h>
#include "queue/queue.h"
#include "queue/queue_write.h"

#define USAGE "mxhold-queue (message on fd 0, envelope on fd 1)"

static struct { int tmpdir, newdir ; char id[QUEUE_ID_MAX + 1] ; int havetmp ; char q[QUEUE_PATH_MAX] ; } g = { -1, -1, "", 0, "" } ;
static struct queue_msg msg ;

/* Before publishing, every failure removes the tmp file and is temporary. */
static void die (int e, char const *what, char const *name)
{
  int err = errno ;
  if (g.havetmp) unlinkat(g.tmpdir, g.id, 0) ;
  errno = err ;
  strerr_diefu3sys(e, what, name ? "tmp/" : "", name ? name : "") ;
}

/* The id: $MXHOLD_QID if well formed and fresh, else a new one. */
static void pick_id (int fresh)
{
  char const *x = getenv(QUEUE_ENV_QID) ;
  if (!fresh && x && queue_id_valid(x, strlen(x))) { memcpy(g.id, x, strlen(x) + 1) ; return ; }
  queue_id_make(g.id) ;
}

static int open_tmp (void)
{
  for (int tries = 0 ; tries < 100 ; tries++)
  {
    int fd = openat(g.tmpdir, g.id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd != -1) { g.havetmp = 1 ; return fd ; }
    if (errno != EEXIST) break ;
    pick_id(1) ;
  }
  die(111, "create ", g.id) ;
  return -1 ;
}

/* rename tmp/ID to new/NAME, never overwriting; a taken name gets a fresh id. */
static void publish (void)
{
  char const *from = g.id ;
  char tmpname[QUEUE_ID_MAX + 1] ;
  memcpy(tmpname, g.id, sizeof tmpname) ;
  for (int tries = 0 ; ; tries++)
  {
    if (!renameat2(g.tmpdir, tmpname, g.newdir, g.id, RENAME_NOREPLACE)) break ;
    if (errno != EEXIST || tries >= 100) { memcpy(g.id, tmpname, sizeof tmpname) ; die(111, "rename ", from) ; }
    pick_id(1) ;
  }
  g.havetmp = 0 ;
  if (fsync(g.newdir) == -1) strerr_diefu1sys(111, "fsync new/") ;
}

int main (int argc, char const *const *argv)
{
  struct queue_hdr h ;
  char const *err ;
  char fmt[2][UINT64_FMT] ;
  int fd, r ;
  PROG = "queue" ;
  if (argc > 1 && argv[1][0] == '-') strerr_dieusage(100, USAGE) ;
  if (queue_dir_find(0, g.q, sizeof g.q - 8) == -1) strerr_diefu1sys(111, "find the queue directory (config or $MXHOLD_QUEUE)") ;
  memcpy(g.q + strlen(g.q), "/tmp", 5) ;
  g.tmpdir = open(g.q, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (g.tmpdir == -1) strerr_diefu2sys(111, "open ", g.q) ;
  memcpy(g.q + strlen(g.q) - 4, "/new", 5) ;
  g.newdir = open(g.q, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (g.newdir == -1) strerr_diefu2sys(111, "open ", g.q) ;
  g.q[strlen(g.q) - 4] = 0 ;
  if (queue_msg_read(&msg, 0, g.tmpdir) == -1) strerr_diefu1sys(111, "read the message") ;
  if (queue_hdr_start(&h, (uint64_t)time(0), getenv("TCPREMOTEIP"), getenv(QUEUE_ENV_HELO), getenv(QUEUE_ENV_SPF)) == -1)
    strerr_diefu1sys(111, "allocate") ;
  r = queue_env_read(&h, 1, &err) ;
  if (r == -2) strerr_dief2x(100, "bad envelope: ", err) ;
  if (!r) strerr_dief3x(111, "unable to ", "read the envelope: ", err) ;
  if (r == -1) strerr_diefu1sys(111, "read the envelope") ;
  pick_id(0) ;
  fd = open_tmp() ;
  if (queue_msg_out(&msg, fd, h.s, h.len) == -1) die(111, "write ", g.id) ;
  if (fsync(fd) == -1) die(111, "fsync ", g.id) ;
  if (close(fd) == -1) die(111, "close ", g.id) ;
  publish() ;
  free(h.s) ;
  fmt[0][uint64_fmt(fmt[0], msg.total)] = 0 ;
  fmt[1][uint64_fmt(fmt[1], h.nrcpt)] = 0 ;
  strerr_warni6x("queued ", g.id, " size=", fmt[0], " rcpts=", fmt[1]) ;
  memcpy(g.q + strlen(g.q), "/trigger", 9) ;
  ftrigw_notify(g.q, 'n') ;   /* no deliver running: mail simply waits */
  return 0 ;
}
