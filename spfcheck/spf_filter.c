/* spf_filter.c: spfcheck's plumbing as a qmail-queue(8) filter. The
   message arrives on fd 0 while smtpd is still receiving it, the envelope
   on fd 1 only after the final dot. The next program gets new pipes: the
   header lines we add, then the message, copied once; then the envelope,
   but only a complete one, so an aborted transaction queues nothing. libc. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "spfcheck/spfcheck.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/write_all.h"

static ssize_t read_some (int fd, char *buf, size_t len)
{
  for (;;)
  {
    ssize_t r = read(fd, buf, len) ;
    if (r >= 0 || errno != EINTR) return r ;
  }
}

ssize_t spf_filter_headers (int fd, char *buf, size_t max)
{
  size_t len = 0 ;
  while (len < max && !spf_hdr_end(buf, len))
  {
    ssize_t r = read_some(fd, buf + len, max - len) ;
    if (r < 0) return -1 ;
    if (!r) break ;
    len += (size_t)r ;
  }
  return (ssize_t)len ;
}

void spf_filter_reply (char const *code, char const *text, size_t len)
{
  char line[SPF_EXP_MAX + 32] ;
  size_t n = strlen(code) ;
  memcpy(line, code, n) ;
  line[n++] = ' ' ;
  for (size_t i = 0 ; i < len && n + 2 < sizeof line ; i++)
  {
    unsigned char c = (unsigned char)text[i] ;
    line[n++] = (c < 32 || c > 126) ? '?' : (char)c ;
  }
  line[n++] = '\r' ;
  line[n++] = '\n' ;
  mx_write_all(SPF_FILTER_REPLY_FD, line, n) ;   /* no fd 4 (not under smtpd): only the exit code counts */
}

/* Reads the whole envelope; 1 if it is complete ("F...\0" ("T...\0")* "\0"
   and then EOF), 0 if not, -1 on a read error. *env is malloc'd. */
static int envelope_read (char **env, size_t *len)
{
  size_t cap = 4096 ;
  size_t n = 0 ;
  size_t i ;
  char *b = malloc(cap) ;
  if (!b) return -1 ;
  for (;;)
  {
    ssize_t r ;
    if (n == cap)
    {
      char *nb ;
      if (cap >= SPF_FILTER_ENVELOPE_MAX_BYTES || !(nb = realloc(b, cap * 2)))
      {
        free(b) ;
        return -1 ;
      }
      b = nb ;
      cap *= 2 ;
    }
    r = read_some(1, b + n, cap - n) ;
    if (r < 0)
    {
      free(b) ;
      return -1 ;
    }
    if (!r) break ;
    n += (size_t)r ;
  }
  *env = b ;
  *len = n ;
  if (!n || b[0] != 'F') return 0 ;
  for (i = 0 ; ; )
  {
    char const *z = memchr(b + i, 0, n - i) ;
    if (!z) return 0 ;
    i = (size_t)(z - b) + 1 ;
    if (i == n) return 0 ;
    if (b[i] == 0) return i + 1 == n ;
    if (b[i] != 'T') return 0 ;
  }
}

static int child_status (pid_t pid)
{
  int st ;
  while (waitpid(pid, &st, 0) == -1)
    if (errno != EINTR) return 111 ;
  if (WIFEXITED(st)) return WEXITSTATUS(st) ;
  return 111 ;   /* death by signal: temporary (doc/design.md, "Exit codes") */
}

/* The next program's descriptors: the two pipes, our stderr, and fd 4,
   where smtpd reads a reply line, so that the queue's own reply reaches
   it; fd 3 and everything above 4 closed. An fd that is not open here
   (no fd 4 when run by hand) is closed there: keeping it would fail the
   spawn. Read before the pipes exist, which may take the lowest free fds. */
static void child_fds (int *fds)
{
  fds[2] = fcntl(2, F_GETFD) >= 0 ? 2 : -1 ;
  fds[3] = -1 ;
  fds[4] = fcntl(SPF_FILTER_REPLY_FD, F_GETFD) >= 0 ? SPF_FILTER_REPLY_FD : -1 ;
}

/* Logs why the transaction ended without a complete envelope. */
static void aborted (char const *qid, char const *reason, int e)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "aborted") ;
  mx_log_str(&l, "qid", qid[0] ? qid : "-") ;
  mx_log_str(&l, "reason", reason) ;
  if (e) mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
}

int spf_filter_pass (char const *const *argv, char const *qid, char const *spfword,
                     char const *head, size_t headlen, char const *pre, size_t prelen)
{
  int m[2] ;
  int e[2] ;
  int fds[5] ;
  int wrote = 1 ;
  int werr = 0 ;
  int complete ;
  int err ;
  int st ;
  pid_t pid ;
  char *env = 0 ;
  char buf[65536] ;
  size_t envlen = 0 ;
  child_fds(fds) ;
  if (pipe2(m, O_CLOEXEC) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "pipe-failed", "qid", qid, "error", strerror(errno), (char const *)0) ;
    return 111 ;
  }
  if (pipe2(e, O_CLOEXEC) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "pipe-failed", "qid", qid, "error", strerror(errno), (char const *)0) ;
    close(m[0]) ;
    close(m[1]) ;
    return 111 ;
  }
  fds[0] = m[0] ;
  fds[1] = e[0] ;
  err = setenv("MXHOLD_SPF", spfword, 1) == -1 ? errno : mx_spawn(&pid, argv, fds, 5) ;
  if (err)
  {
    /* even a missing program is temporary: an install in progress or the
       operator's typo must not bounce mail (smtpd answers 451) */
    mx_log_kv(MX_LOG_WARN, "exec-failed", "qid", qid, "path", argv[0], "error", strerror(err), (char const *)0) ;
    close(m[0]) ;
    close(m[1]) ;
    close(e[0]) ;
    close(e[1]) ;
    return 111 ;
  }
  close(m[0]) ;
  close(e[0]) ;
  signal(SIGPIPE, SIG_IGN) ;
  if (mx_write_all(m[1], head, headlen) == -1 || mx_write_all(m[1], pre, prelen) == -1) wrote = 0 ;
  while (wrote)
  {
    ssize_t r = read_some(0, buf, sizeof buf) ;
    if (r < 0) wrote = 0 ;
    if (r <= 0) break ;
    if (mx_write_all(m[1], buf, (size_t)r) == -1) wrote = 0 ;
  }
  if (!wrote) werr = errno ;
  close(m[1]) ;
  complete = wrote ? envelope_read(&env, &envlen) : 0 ;
  if (complete == -1) werr = errno ;
  if (complete == 1 && mx_write_all(e[1], env, envlen) == -1)
  {
    complete = -2 ;
    werr = errno ;
  }
  free(env) ;
  close(e[1]) ;   /* without the envelope the next program sees EOF and queues nothing */
  st = child_status(pid) ;
  if (complete == 1) return st ;
  aborted(qid, !wrote ? "message-not-passed" : complete == 0 ? "no-envelope" : complete == -1 ? "envelope-unreadable" : "envelope-not-passed", complete == 0 ? 0 : werr) ;
  return st ? st : 111 ;
}
