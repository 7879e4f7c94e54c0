/* rc_batch.c: check a list of hosts, a few at a time. libc only.

   Each host is checked in a child process that writes its one result line
   into a pipe; the parent keeps at most `jobs` children, kills a child that
   outlives its time limit (o->deadline plus one step timeout plus a grace
   period: getaddrinfo has no timeout of its own), and prints the lines in
   input order, so a cron job's mail reads like the input file. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lib/log.h"
#include "relaycheck/relaycheck.h"

#define RC_BATCH_GRACE_SECS 5
#define RC_BATCH_OUT_MAX (256 * 1024)   /* one host's line; JSON with all tricks is ~15 kB */

struct job {
  struct rc_host h ;
  pid_t pid ;
  int fd ;                     /* read end, -1 when closed */
  int state ;                  /* 0 waiting, 1 running, 2 done, 3 printed */
  int status ;                 /* exit code to report */
  int killed ;
  int64_t start, limit ;
  char *out ;
  size_t len ;
} ;

static int value_ok (char const *s, size_t n)
{
  size_t i ;
  if (!n || n > RC_ARG_MAX) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char ch = (unsigned char)s[i] ;
    if (ch <= 32 || ch >= 127 || ch == '"' || ch == '\\' || ch == '<' || ch == '>') return 0 ;
  }
  return 1 ;
}

/* "HOST[:PORT] [domain=D] [direct=D]". 1 host, 0 blank/comment, -1 bad. */
static int line_parse (char const *s, size_t n, struct rc_host *h)
{
  size_t i = 0, w ;
  int first = 1 ;
  while (i < n)
  {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++ ;
    if (i == n || s[i] == '#') break ;
    for (w = i ; w < n && s[w] != ' ' && s[w] != '\t' && s[w] != '\r' ; w++) ;
    if (first)
    {
      if (rc_host_parse(h, s + i, w - i) < 0) return -1 ;
      first = 0 ;
    }
    else if (w - i > 7 && !memcmp(s + i, "domain=", 7) && value_ok(s + i + 7, w - i - 7))
    {
      memcpy(h->domain, s + i + 7, w - i - 7) ;
      h->domain[w - i - 7] = 0 ;
    }
    else if (w - i > 7 && !memcmp(s + i, "direct=", 7) && value_ok(s + i + 7, w - i - 7))
    {
      memcpy(h->direct, s + i + 7, w - i - 7) ;
      h->direct[w - i - 7] = 0 ;
    }
    else return -1 ;
    i = w ;
  }
  return first ? 0 : 1 ;
}

/* One line of the list that is not a host: skipped, and said. */
static void bad_line (char const *name, size_t lineno)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "bad-line") ;
  mx_log_str(&l, "path", name) ;
  mx_log_u64(&l, "line", lineno) ;
  mx_log_str(&l, "reason", "bad-syntax") ;
  mx_log_end(&l) ;
}

/* Reads the whole list. Returns the number of jobs, or -1 with errno. */
static ssize_t read_list (int in, char const *name, struct job **jobs, int *bad)
{
  char buf[RC_BATCH_LINE_MAX + 1] ;
  size_t len = 0, n = 0, lineno = 0 ;
  struct job *j = 0 ;
  int eof = 0 ;
  *bad = 0 ;
  while (!eof || len)
  {
    char *lf ;
    size_t ll ;
    struct rc_host h ;
    if (!eof && len < sizeof buf)
    {
      ssize_t r = read(in, buf + len, sizeof buf - len) ;
      if (r < 0)
      {
        if (errno == EINTR) continue ;
        goto err ;
      }
      if (!r) eof = 1 ;
      len += (size_t)r ;
    }
    lf = memchr(buf, '\n', len) ;
    if (!lf && !eof && len < sizeof buf) continue ;
    if (!lf && len == sizeof buf) /* line too long */
    {
      errno = E2BIG ;
      goto err ;
    }
    ll = lf ? (size_t)(lf - buf) : len ;
    lineno++ ;
    switch (line_parse(buf, ll, &h))
    {
      case -1 :
        *bad = 1 ;
        bad_line(name, lineno) ;
        break ;
      case 1 :
        if (n >= RC_BATCH_HOSTS_CAP)
        {
          errno = E2BIG ;
          goto err ;
        }
        {
          struct job *nj = realloc(j, (n + 1) * sizeof *j) ;
          if (!nj) goto err ;
          j = nj ;
        }
        memset(j + n, 0, sizeof *j) ;
        j[n].h = h ;
        j[n].fd = -1 ;
        n++ ;
    }
    ll += lf ? 1 : 0 ;
    memmove(buf, buf + ll, len - ll) ;
    len -= ll ;
  }
  *jobs = j ;
  return (ssize_t)n ;
 err:
  free(j) ;
  return -1 ;
}

static int start (struct job *j, struct rc_opts const *o, FILE *out)
{
  int p[2] ;
  if (pipe(p) < 0) return -1 ;
  fflush(out) ;
  fflush(stderr) ;
  j->pid = fork() ;
  if (j->pid < 0)
  {
    close(p[0]) ;
    close(p[1]) ;
    return -1 ;
  }
  if (!j->pid)
  {
    static struct rc_run run ;
    FILE *f ;
    close(p[0]) ;
    f = fdopen(p[1], "w") ;
    if (!f) _exit(111) ;
    rc_check_run(o, &j->h, &run) ;
    rc_out_line(f, o, &run) ;
    if (fclose(f) != 0) _exit(111) ;
    _exit(rc_sum_exit(run.summary, run.direct)) ;
  }
  close(p[1]) ;
  j->fd = p[0] ;
  j->state = 1 ;
  j->start = rc_now_ms() ;
  j->limit = j->start + ((int64_t)o->deadline + o->timeout + RC_BATCH_GRACE_SECS) * 1000 ;
  return 0 ;
}

/* Reads what the child wrote; on EOF reaps it. */
static void drain (struct job *j)
{
  char buf[4096] ;
  ssize_t r = read(j->fd, buf, sizeof buf) ;
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return ;
  if (r > 0)
  {
    if (j->len + (size_t)r <= RC_BATCH_OUT_MAX)
    {
      char *no = realloc(j->out, j->len + (size_t)r) ;
      if (no)
      {
        j->out = no ;
        memcpy(j->out + j->len, buf, (size_t)r) ;
        j->len += (size_t)r ;
      }
    }
    return ;
  }
  {
    int st ;
    close(j->fd) ;
    j->fd = -1 ;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR) ;
    j->status = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1) ? WEXITSTATUS(st) : 111 ;
    if (WIFSIGNALED(st) && !j->killed) j->len = 0 ;   /* crashed: its output cannot be trusted */
    j->state = 2 ;
  }
}

static void print_done (struct job *jobs, size_t n, size_t *next, struct rc_opts const *o, FILE *out)
{
  while (*next < n && jobs[*next].state == 2)
  {
    struct job *j = jobs + *next ;
    if (j->len && !j->killed) fwrite(j->out, 1, j->len, out) ;
    else
    {
      j->status = 111 ;
      rc_out_failed(out, o, &j->h, j->killed ? "host time limit exceeded" : "check crashed", rc_now_ms() - j->start) ;
    }
    fflush(out) ;
    free(j->out) ;
    j->out = 0 ;
    j->state = 3 ;
    (*next)++ ;
  }
}

int rc_batch_run (struct rc_opts const *o, int in, char const *name, FILE *out, unsigned jobs)
{
  struct job *j ;
  int bad, worst = 0 ;
  size_t next = 0, launched = 0, running = 0, i ;
  ssize_t n = read_list(in, name, &j, &bad) ;
  if (n < 0) return -1 ;
  while (next < (size_t)n)
  {
    struct pollfd pf[RC_JOBS_CAP] ;
    size_t map[RC_JOBS_CAP], np = 0 ;
    int64_t now = rc_now_ms(), wake = now + 1000 ;
    while (running < jobs && launched < (size_t)n)
    {
      if (start(j + launched, o, out) < 0)
      {
        free(j) ;
        return -1 ;
      }
      launched++ ;
      running++ ;
    }
    for (i = 0 ; i < launched ; i++)
    {
      if (j[i].state != 1) continue ;
      if (now >= j[i].limit && !j[i].killed)
      {
        kill(j[i].pid, SIGKILL) ;
        j[i].killed = 1 ;
      }
      if (j[i].limit < wake) wake = j[i].limit ;
      pf[np].fd = j[i].fd ;
      pf[np].events = POLLIN ;
      pf[np].revents = 0 ;
      map[np++] = i ;
    }
    if (np && poll(pf, np, wake > now ? (int)(wake - now) : 0) < 0 && errno != EINTR)
    {
      free(j) ;
      return -1 ;
    }
    for (i = 0 ; i < np ; i++)
      if (pf[i].revents)
      {
        drain(j + map[i]) ;
        if (j[map[i]].state == 2) running-- ;
      }
    print_done(j, (size_t)n, &next, o, out) ;
  }
  for (i = 0 ; i < (size_t)n ; i++)
  {
    if (j[i].status == 1) worst = 1 ;
    else if (j[i].status == 111 && worst == 0) worst = 111 ;
  }
  free(j) ;
  if (bad && worst == 0) worst = 111 ;
  return worst ;
}
