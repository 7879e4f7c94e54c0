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
#include "smtpd/smtp_spawn.h"

static int write_all (int fd, char const *s, size_t len)
{
  while (len)
  {
    ssize_t w = write(fd, s, len) ;
    if (w < 0) { if (errno == EINTR) continue ; return -1 ; }
    s += w ; len -= (size_t)w ;
  }
  return 0 ;
}

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
  line[n++] = '\r' ; line[n++] = '\n' ;
  write_all(SPF_FILTER_REPLY_FD, line, n) ;   /* no fd 4 (not under smtpd): only the exit code counts */
}

/* Reads the whole envelope; 1 if it is complete ("F...\0" ("T...\0")* "\0"
   and then EOF), 0 if not, -1 on a read error. *env is malloc'd. */
static int envelope_read (char **env, size_t *len)
{
  size_t cap = 4096, n = 0, i ;
  char *b = malloc(cap) ;
  if (!b) return -1 ;
  for (;;)
  {
    ssize_t r ;
    if (n == cap)
    {
      char *nb ;
      if (cap >= SPF_FILTER_ENVELOPE_MAX_BYTES || !(nb = realloc(b, cap * 2))) { free(b) ; return -1 ; }
      b = nb ; cap *= 2 ;
    }
    r = read_some(1, b + n, cap - n) ;
    if (r < 0) { free(b) ; return -1 ; }
    if (!r) break ;
    n += (size_t)r ;
  }
  *env = b ; *len = n ;
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
  while (waitpid(pid, &st, 0) == -1) if (errno != EINTR) return 111 ;
  if (WIFEXITED(st)) return WEXITSTATUS(st) ;
  return 111 ;   /* death by signal: temporary (STYLE.md 3) */
}

int spf_filter_pass (char const *const *argv, char const *spfword,
                     char const *head, size_t headlen, char const *pre, size_t prelen)
{
  int m[2], e[2], wrote = 1, complete ;
  pid_t pid ;
  char *env = 0, buf[65536] ;
  size_t envlen = 0 ;
  if (pipe2(m, O_CLOEXEC) == -1) return 111 ;
  if (pipe2(e, O_CLOEXEC) == -1) { close(m[0]) ; close(m[1]) ; return 111 ; }
  if (setenv("MXHOLD_SPF", spfword, 1) == -1 || smtp_spawn(&pid, argv, m[0], e[0], -1))
  {
    /* even a missing program is temporary: an install in progress or the
       operator's typo must not bounce mail (smtpd answers 451) */
    close(m[0]) ; close(m[1]) ; close(e[0]) ; close(e[1]) ;
    return 111 ;
  }
  close(m[0]) ; close(e[0]) ;
  signal(SIGPIPE, SIG_IGN) ;
  if (write_all(m[1], head, headlen) == -1 || write_all(m[1], pre, prelen) == -1) wrote = 0 ;
  while (wrote)
  {
    ssize_t r = read_some(0, buf, sizeof buf) ;
    if (r <= 0) { if (r < 0) wrote = 0 ; break ; }
    if (write_all(m[1], buf, (size_t)r) == -1) wrote = 0 ;
  }
  close(m[1]) ;
  complete = wrote ? envelope_read(&env, &envlen) : 0 ;
  if (complete == 1 && write_all(e[1], env, envlen) == -1) complete = 0 ;
  free(env) ;
  close(e[1]) ;   /* without the envelope the next program sees EOF and queues nothing */
  {
    int st = child_status(pid) ;
    if (complete != 1) return st ? st : 111 ;
    return st ;
  }
}
