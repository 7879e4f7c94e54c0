/* smtp_child.c: one message to the rest of the command line, with the
   qmail-queue(8) interface: message on the child's fd 0, envelope
   ("F<sender>\0T<rcpt>\0...\0") on fd 1, an optional reply line back on
   fd 4. The exit status decides the reply; nothing but exit 0 is 250. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/spawn.h"
#include "smtpd/smtp_child.h"
#include "smtpd/smtp_io.h"

#define SMTPD_CHILD_POLL_MS 20 /* without a pidfd (old kernels): how often to look */
#define SMTPD_CHILD_REPLY_FD 4 /* qmail-queue's custom-error convention: a reply line */
#define SMTPD_CHILD_FDS (SMTPD_CHILD_REPLY_FD + 1)   /* the child's fds: 0..4 */

static void closefd (int *fd)
{
  if (*fd >= 0) close(*fd) ;
  *fd = -1 ;
}

int smtp_child_start (struct smtp_child *ch, char const *const *argv, char const *qid, char const *helo, char const *from)
{
  int m[2] ;
  int e[2] ;
  int r[2] ;
  int err ;
  memset(ch, 0, sizeof *ch) ;
  ch->msg = -1 ;
  ch->env = -1 ;
  ch->reply = -1 ;
  ch->pidfd = -1 ;
  /* the child's environment is ours plus these; each message sets them anew */
  if (setenv("MXHOLD_QID", qid, 1) == -1 || setenv("MXHOLD_HELO", helo, 1) == -1
   || setenv("MXHOLD_MAILFROM", from, 1) == -1) return -1 ;
  if (pipe2(m, O_CLOEXEC) == -1) return -1 ;
  if (pipe2(e, O_CLOEXEC) == -1)
  {
    close(m[0]) ;
    close(m[1]) ;
    return -1 ;
  }
  if (pipe2(r, O_CLOEXEC) == -1)
  {
    close(m[0]) ;
    close(m[1]) ;
    close(e[0]) ;
    close(e[1]) ;
    return -1 ;
  }
  /* a program that cannot be exec'd (missing, not yet installed) is the
     operator's mistake: the caller answers 451, never a bounce. Our pipes
     are all above 2 (0, 1 and 2 are open), so no dup overwrites one that
     is still to be copied; fd 3 and every fd from 5 up are closed. */
  {
    /* message, envelope, our stderr, nothing, the reply pipe */
    int const fds[SMTPD_CHILD_FDS] = { m[0], e[0], 2, -1, r[1] } ;
    err = mx_spawn(&ch->pid, argv, fds, SMTPD_CHILD_FDS) ;
  }
  close(m[0]) ;
  close(e[0]) ;
  close(r[1]) ;
  ch->msg = m[1] ;
  ch->env = e[1] ;
  ch->reply = r[0] ;
  if (err)
  {
    closefd(&ch->msg) ;
    closefd(&ch->env) ;
    closefd(&ch->reply) ;
    errno = err ;
    return -1 ;
  }
  fcntl(ch->msg, F_SETFL, O_NONBLOCK) ;
  fcntl(ch->env, F_SETFL, O_NONBLOCK) ;
  fcntl(ch->reply, F_SETFL, O_NONBLOCK) ;
  ch->pidfd = pidfd_open(ch->pid, 0) ;   /* -1 on old kernels: we poll instead */
  return 0 ;
}

int smtp_child_write (struct smtp_child *ch, char const *p, size_t n, unsigned secs)
{
  if (ch->broken) return -1 ;
  if (smtp_io_write_fd(ch->msg, p, n, secs) == -1)
  {
    /* EPIPE: the child quit early; its exit status will say why. A
       timeout: it hangs, and a hung queue must not hold the client. */
    if (errno == ETIMEDOUT) kill(ch->pid, SIGKILL) ;
    ch->broken = 1 ;
    return -1 ;
  }
  return 0 ;
}

static void reply_read (struct smtp_child *ch)
{
  char buf[SMTPD_REPLY_MAX] ;
  for (;;)
  {
    ssize_t r = read(ch->reply, buf, sizeof buf) ;
    size_t k ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == 0)
    {
      closefd(&ch->reply) ;
      return ;
    }
    if (r < 0) return ;
    k = SMTPD_REPLY_MAX - ch->replylen ;   /* keep the first line's worth */
    if (k > (size_t)r) k = (size_t)r ;
    memcpy(ch->replybuf + ch->replylen, buf, k) ;
    ch->replylen += k ;
  }
}

/* Waits for the child up to secs, collecting its reply text. The wait
   status, or -1 if it had to be killed. */
static int child_wait (struct smtp_child *ch, unsigned secs)
{
  time_t deadline = time(0) + (time_t)secs ;
  int st ;
  for (;;)
  {
    struct pollfd pf[2] =
    {
      { .fd = ch->pidfd, .events = POLLIN },
      { .fd = ch->reply, .events = POLLIN }
    } ;
    time_t now = time(0) ;
    pid_t w = waitpid(ch->pid, &st, WNOHANG) ;
    if (w == ch->pid) break ;
    if (w == -1 && errno == ECHILD)   /* reaped behind our back */
    {
      st = -1 ;
      break ;
    }
    if (now > deadline)
    {
      kill(ch->pid, SIGKILL) ;
      while (waitpid(ch->pid, &st, 0) == -1 && errno == EINTR) ;
      st = -1 ;
      break ;
    }
    poll(pf, 2, ch->pidfd < 0 ? SMTPD_CHILD_POLL_MS : (int)(deadline - now + 1) * 1000) ;
    if (ch->reply >= 0 && pf[1].revents) reply_read(ch) ;
  }
  if (ch->reply >= 0) reply_read(ch) ;
  closefd(&ch->reply) ;
  closefd(&ch->pidfd) ;
  return st ;
}

int smtp_child_finish (struct smtp_child *ch, char const *env, size_t envlen, unsigned secs, char const *qid, char *reply)
{
  int st ;
  closefd(&ch->msg) ;   /* EOF on the message first, as qmail-queue reads it */
  if (!ch->broken && smtp_io_write_fd(ch->env, env, envlen, secs) == -1)
  {
    if (errno == ETIMEDOUT) kill(ch->pid, SIGKILL) ;
    ch->broken = 1 ;
  }
  closefd(&ch->env) ;
  st = child_wait(ch, secs) ;
  return smtp_reply_status(st, ch->broken, ch->replybuf, ch->replylen, qid, reply) ;
}

void smtp_child_abort (struct smtp_child *ch, unsigned secs)
{
  closefd(&ch->msg) ;
  closefd(&ch->env) ;   /* no envelope: qmail-queue aborts, nothing queued */
  child_wait(ch, secs) ;
}
