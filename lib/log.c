/* log.c: the log grammar (log.h, doc/log.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/u64.h"

char const *mx_log_prog = "mxhold" ;
int mx_log_fd = 2 ;

static char const hex[] = "0123456789abcdef" ;

#define CUT_MARK " cut=1"
#define RESERVE (sizeof CUT_MARK - 1 + 1)   /* the mark and the LF always fit */

/* Appends n bytes if they fit, keeping RESERVE bytes; else marks the
   line cut and appends nothing, so a cut never splits an escape. */
static int cat (struct mx_log *l, char const *s, size_t n)
{
  if (n > sizeof l->buf - RESERVE - l->len)
  {
    l->cut = 1 ;
    return 0 ;
  }
  memcpy(l->buf + l->len, s, n) ;
  l->len += n ;
  return 1 ;
}

static int bare (char const *s, size_t n)
{
  if (!n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') return 0 ;
  }
  return 1 ;
}

static int quoted_byte (struct mx_log *l, unsigned char c)
{
  char e[4] ;
  if (c == '"' || c == '\\')
  {
    e[0] = '\\' ;
    e[1] = (char)c ;
    return cat(l, e, 2) ;
  }
  if (c >= ' ' && c <= '~')
  {
    e[0] = (char)c ;
    return cat(l, e, 1) ;
  }
  e[0] = '\\' ;
  e[1] = 'x' ;
  e[2] = hex[c >> 4] ;
  e[3] = hex[c & 15] ;
  return cat(l, e, 4) ;
}

void mx_log_start (struct mx_log *l, char const *level, char const *event)
{
  l->len = 0 ;
  l->cut = 0 ;
  cat(l, mx_log_prog, strlen(mx_log_prog)) ;
  cat(l, ": ", 2) ;
  cat(l, level, strlen(level)) ;
  cat(l, ": ", 2) ;
  cat(l, event, strlen(event)) ;
}

void mx_log_bytes (struct mx_log *l, char const *key, char const *s, size_t n)
{
  size_t mark = l->len ;
  if (n > MX_LOG_VALUE_MAX)
  {
    n = MX_LOG_VALUE_MAX ;
    l->cut = 1 ;
  }
  if (!cat(l, " ", 1) || !cat(l, key, strlen(key)) || !cat(l, "=", 1)) goto undo ;
  if (bare(s, n))
  {
    if (!cat(l, s, n)) goto undo ;
    return ;
  }
  if (!cat(l, "\"", 1)) goto undo ;
  for (size_t i = 0 ; i < n ; i++)
    if (!quoted_byte(l, (unsigned char)s[i])) goto undo ;
  if (!cat(l, "\"", 1)) goto undo ;
  return ;
 undo:
  /* no half key=value: the line ends before it, marked cut */
  l->len = mark ;
  l->cut = 1 ;
}

void mx_log_str (struct mx_log *l, char const *key, char const *s)
{
  if (!s) s = "" ;
  mx_log_bytes(l, key, s, strlen(s)) ;
}

void mx_log_u64 (struct mx_log *l, char const *key, uint64_t u)
{
  char b[MX_U64_FMT] ;
  mx_log_bytes(l, key, b, mx_u64_fmt(b, u)) ;
}

void mx_log_ms (struct mx_log *l, char const *key, uint64_t ms)
{
  char b[MX_U64_FMT + 4] ;
  size_t n = mx_u64_fmt(b, ms / 1000) ;
  uint64_t frac = ms % 1000 ;
  b[n++] = '.' ;
  b[n++] = (char)('0' + frac / 100) ;
  b[n++] = (char)('0' + frac / 10 % 10) ;
  b[n++] = (char)('0' + frac % 10) ;
  mx_log_bytes(l, key, b, n) ;
}

void mx_log_errno (struct mx_log *l, int e)
{
  mx_log_str(l, "error", strerror(e)) ;
}

void mx_log_start_bare (struct mx_log *l, char const *event)
{
  l->len = 0 ;
  l->cut = 0 ;
  cat(l, event, strlen(event)) ;
}

/* Adds the cut mark and the LF. */
static void finish (struct mx_log *l)
{
  if (l->cut)
  {
    memcpy(l->buf + l->len, CUT_MARK, sizeof CUT_MARK - 1) ;
    l->len += sizeof CUT_MARK - 1 ;
  }
  l->buf[l->len++] = '\n' ;
}

void mx_log_end (struct mx_log *l)
{
  finish(l) ;
  if (write(mx_log_fd, l->buf, l->len) < 0)
  {
    /* nowhere else to say it */
  }
  l->len = 0 ;
  l->cut = 0 ;
}

/* Its own write loop, not lib/write_all.o: log.o links alone into every
   program and test, and a report line may meet a short write (a pipe). */
int mx_log_end_fd (struct mx_log *l, int fd)
{
  size_t done = 0 ;
  int ok ;
  finish(l) ;
  while (done < l->len)
  {
    ssize_t w = write(fd, l->buf + done, l->len - done) ;
    if (w < 0 && errno == EINTR) continue ;
    if (w <= 0) break ;
    done += (size_t)w ;
  }
  ok = done == l->len ;
  l->len = 0 ;
  l->cut = 0 ;
  return ok ? 0 : -1 ;
}

static void pairs (struct mx_log *l, va_list ap)
{
  for (;;)
  {
    char const *k = va_arg(ap, char const *) ;
    char const *v ;
    if (!k) break ;
    v = va_arg(ap, char const *) ;
    mx_log_str(l, k, v) ;
  }
}

void mx_log_kv (char const *level, char const *event, ...)
{
  struct mx_log l ;
  va_list ap ;
  int e = errno ;
  mx_log_start(&l, level, event) ;
  va_start(ap, event) ;
  pairs(&l, ap) ;
  va_end(ap) ;
  mx_log_end(&l) ;
  errno = e ;
}

void mx_die_kv (int code, char const *event, ...)
{
  struct mx_log l ;
  va_list ap ;
  mx_log_start(&l, MX_LOG_FATAL, event) ;
  va_start(ap, event) ;
  pairs(&l, ap) ;
  va_end(ap) ;
  mx_log_end(&l) ;
  _exit(code) ;
}
