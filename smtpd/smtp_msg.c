/* smtp_msg.c: one DATA transaction: queue id, Received header, the
   message streamed to the child as it arrives, the reply from the child's
   exit status, one log line. */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/uint64.h>
#include "smtpd/smtp_child.h"
#include "smtpd/smtp_data.h"
#include "smtpd/smtp_msg.h"

#define SMTPD_PIPE_BYTES 16384      /* message bytes buffered for the child */
#define SMTPD_RECEIVED_MAX 1024     /* helo 255 + me 255 + rcpt 256 + the rest */
#define SMTPD_USEC_DIGITS 6
#define SMTPD_USEC_PER_SEC 1000000
#define SMTPD_DATE_LEN 31           /* "Mon, 01 Jan 2026 00:00:00 +0000" */

struct msg
{
  struct smtp_conn *g ;
  struct smtp_child ch ;
} ;

/* "SECONDS.MICROS.PID", the queue's id form, strictly increasing per
   process. By hand, not snprintf: stdio's formatter is most of a static
   libc. */
static void qid_make (struct smtp_conn *g)
{
  struct timeval tv ;
  long long s ;
  long long us ;
  size_t n ;
  gettimeofday(&tv, 0) ;
  s = (long long)tv.tv_sec ;
  us = (long long)tv.tv_usec ;
  if (s < g->lastsec || (s == g->lastsec && us <= g->lastusec))
  {
    s = g->lastsec ;
    us = g->lastusec + 1 ;
    if (us >= SMTPD_USEC_PER_SEC)
    {
      s++ ;
      us = 0 ;
    }
  }
  g->lastsec = s ;
  g->lastusec = us ;
  /* at most 20 + 1 + 6 + 1 + 10 bytes: inside SMTPD_QID_MAX */
  n = uint64_fmt(g->qid, (uint64_t)s) ;
  g->qid[n++] = '.' ;
  n += uint640_fmt(g->qid + n, (uint64_t)us, SMTPD_USEC_DIGITS) ;
  g->qid[n++] = '.' ;
  n += uint64_fmt(g->qid + n, (uint64_t)getpid()) ;
  g->qid[n] = 0 ;
}

static size_t cat (char *b, size_t n, char const *s, size_t len)
{
  if (len > SMTPD_RECEIVED_MAX - n) len = SMTPD_RECEIVED_MAX - n ;
  memcpy(b + n, s, len) ;
  return n + len ;
}

/* "two digits" into b. */
static void two (char *b, int v)
{
  b[0] = (char)('0' + v / 10 % 10) ;
  b[1] = (char)('0' + v % 10) ;
}

/* RFC 5322 3.3 date-time in UTC: "Fri, 27 Nov 2026 20:30:00 +0000".
   By hand, not strftime, which drags locale code into a static binary. */
static size_t rfc5322_date (char *b, time_t t)
{
  static char const days[] = "SunMonTueWedThuFriSat" ;
  static char const months[] = "JanFebMarAprMayJunJulAugSepOctNovDec" ;
  struct tm tm ;
  int y ;
  gmtime_r(&t, &tm) ;
  y = tm.tm_year + 1900 ;
  memcpy(b, days + 3 * (tm.tm_wday % 7), 3) ;
  memcpy(b + 3, ", ", 2) ;
  two(b + 5, tm.tm_mday) ;
  b[7] = ' ' ;
  memcpy(b + 8, months + 3 * (tm.tm_mon % 12), 3) ;
  b[11] = ' ' ;
  two(b + 12, y / 100) ;
  two(b + 14, y % 100) ;
  b[16] = ' ' ;
  two(b + 17, tm.tm_hour) ;
  b[19] = ':' ;
  two(b + 20, tm.tm_min) ;
  b[22] = ':' ;
  two(b + 23, tm.tm_sec) ;
  memcpy(b + 25, " +0000", 6) ;
  return SMTPD_DATE_LEN ;
}

/* "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)" on its own
   line, from g->tls ("PROTOCOL/CIPHER"); RFC 3848 names it ESMTPS. */
static size_t tls_comment (struct smtp_conn *g, char *b, size_t n)
{
  char const *slash = strchr(g->tls, '/') ;
  size_t plen = slash ? (size_t)(slash - g->tls) : strlen(g->tls) ;
  n = cat(b, n, "\r\n\t(using ", 10) ;
  n = cat(b, n, g->tls, plen) ;
  if (slash)
  {
    n = cat(b, n, " with cipher ", 13) ;
    n = cat(b, n, slash + 1, strlen(slash + 1)) ;
  }
  return cat(b, n, ")", 1) ;
}

/* RFC 5321 4.4 time stamp line, first in the message. */
static size_t received (struct smtp_conn *g, char *b)
{
  char date[SMTPD_DATE_LEN] ;
  size_t n = 0 ;
  size_t i ;
  size_t hl = strlen(g->helo) ;
  n = cat(b, n, "Received: from ", 15) ;
  for (i = 0 ; i < hl ; i++)
  {
    unsigned char c = (unsigned char)g->helo[i] ;
    char o = c >= 33 && c <= 126 ? (char)c : '?' ;
    n = cat(b, n, &o, 1) ;
  }
  n = cat(b, n, " ([", 3) ;
  if (strchr(g->ip, ':')) n = cat(b, n, "IPv6:", 5) ;   /* RFC 5321 4.1.3 address literal */
  n = cat(b, n, g->ip, strlen(g->ip)) ;
  n = cat(b, n, "])", 2) ;
  if (g->tls[0]) n = tls_comment(g, b, n) ;
  n = cat(b, n, "\r\n\tby ", 6) ;
  n = cat(b, n, g->me.p, g->me.len) ;
  n = g->tls[0] ? cat(b, n, " (mxhold) with ESMTPS id ", 25) : cat(b, n, " (mxhold) with ESMTP id ", 24) ;
  n = cat(b, n, g->qid, strlen(g->qid)) ;
  if (g->nrcpt == 1)
  {
    char const *r = g->env + strlen(g->env) + 2 ;   /* past "F...\0T" */
    n = cat(b, n, "\r\n\tfor <", 8) ;
    n = cat(b, n, r, strlen(r)) ;
    n = cat(b, n, ">", 1) ;
  }
  n = cat(b, n, "; ", 2) ;
  n = cat(b, n, date, rfc5322_date(date, time(0))) ;
  return cat(b, n, "\r\n", 2) ;
}

static int sink (void *ctx, char const *p, size_t n)
{
  struct msg *m = ctx ;
  return smtp_child_write(&m->ch, p, n, (unsigned)CONF_LIM(&m->g->lim, timeout_queue)) ;
}

/* The refusal of a message that was read whole, and its reason. */
static char const *refusal (unsigned err, char const **reason)
{
  if (err & SMTP_DATA_ERR_SIZE)
  {
    *reason = "size" ;
    return "552 5.3.4 message size exceeds fixed limit" ;
  }
  if (err & SMTP_DATA_ERR_NUL)
  {
    *reason = "nul" ;
    return "554 5.6.0 message contains NUL bytes" ;
  }
  if (err & SMTP_DATA_ERR_LINE)
  {
    *reason = "line-too-long" ;
    return "554 5.6.0 text line longer than 1000 bytes (RFC 5321 4.5.3.1.6)" ;
  }
  *reason = "loop" ;
  return "554 5.4.6 too many hops, mail loop" ;
}

/* Reads DATA to its end; 0 done, -1 client gone or timed out (errno). */
static int data_read (struct smtp_conn *g, struct smtp_data *d)
{
  for (;;)
  {
    int done ;
    ssize_t r = smtp_io_fill(&g->io, (unsigned)CONF_LIM(&g->lim, timeout_data)) ;
    if (r <= 0)
    {
      if (!r) errno = EPIPE ;
      return -1 ;
    }
    g->io.inpos += smtp_data_feed(d, g->io.in + g->io.inpos, (size_t)r, &done) ;
    g->size = d->size ;
    if (done) return 0 ;
  }
}

/* The client is gone, or silent for timeout_data: nothing is queued. */
static void cut_short (struct smtp_conn *g, struct msg *m, unsigned tq) __attribute__((noreturn)) ;
static void cut_short (struct smtp_conn *g, struct msg *m, unsigned tq)
{
  int timeout = errno == ETIMEDOUT ;
  smtp_child_abort(&m->ch, tq) ;   /* no envelope: nothing is queued */
  if (!timeout)
  {
    smtp_conn_aborted(g, SMTPD_END_EOF) ;
    smtp_conn_end(g, SMTPD_END_EOF, 0) ;
  }
  smtp_conn_refuse(g, "timeout", "421 4.4.2 timeout, closing connection") ;
  smtp_conn_end(g, SMTPD_END_TIMEOUT, 0) ;
}

void smtp_msg_data (struct smtp_conn *g)
{
  static char buf[SMTPD_PIPE_BYTES] ;
  char hdr[SMTPD_RECEIVED_MAX] ;
  char reply[SMTPD_REPLY_LINE] ;
  struct msg m = { .g = g } ;
  struct smtp_data d ;
  unsigned tq = (unsigned)CONF_LIM(&g->lim, timeout_queue) ;
  qid_make(g) ;
  g->size = 0 ;
  if (smtp_child_start(&m.ch, g->argv, g->qid, g->helo, g->env + 1) == -1)
  {
    smtp_conn_refuse_errno(g, "queue", "451 4.3.0 cannot start the queue, try again later", errno) ;
    g->qid[0] = 0 ;
    return ;
  }
  smtp_conn_reply(g, "354 End data with <CR><LF>.<CR><LF>") ;
  smtp_data_init(&d, g->txsize, CONF_LIM(&g->lim, hops), buf, sizeof buf, &sink, &m) ;
  smtp_data_put(&d, hdr, received(g, hdr)) ;
  if (data_read(g, &d) == -1) cut_short(g, &m, tq) ;
  smtp_data_flush(&d) ;
  if (d.err & ~SMTP_DATA_ERR_SINK)
  {
    char const *reason ;
    char const *r = refusal(d.err, &reason) ;
    smtp_child_abort(&m.ch, tq) ;
    smtp_conn_refuse(g, reason, r) ;
  }
  else
  {
    g->env[g->envlen] = 0 ;   /* the envelope's final NUL */
    if (smtp_child_finish(&m.ch, g->env, g->envlen + 1, tq, g->qid, reply) == 250)
    {
      smtp_conn_accepted(g) ;
      smtp_conn_reply(g, reply) ;
    }
    else smtp_conn_refuse(g, "queue", reply) ;
  }
  g->qid[0] = 0 ;
}
