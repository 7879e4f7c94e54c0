/* smtp_msg.c: one message: queue id, Received header, the message
   streamed to the child as it arrives, the reply from the child's exit
   status, one log line. DATA is read here; BDAT (smtp_bdat.c) uses the
   start and the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/uint64.h>
#include "lib/fold.h"
#include "smtpd/smtp_dsnenv.h"
#include "smtpd/smtp_msg.h"

#define SMTPD_ENV_SMTPUTF8 "MXHOLD_SMTPUTF8"   /* "1" for an SMTPUTF8 message, else unset */
#define SMTPD_RECEIVED_MAX 1280     /* helo 255 + me 253 + rcpt 254 + literal 64 + id 40 + date 31 + words and folds */
#define SMTPD_LITERAL_MAX 64        /* "([IPv6:" + an address (INET6_ADDRSTRLEN 46) + "])" */
#define SMTPD_USEC_DIGITS 6
#define SMTPD_USEC_PER_SEC 1000000
#define SMTPD_DATE_LEN 31           /* "Mon, 01 Jan 2026 00:00:00 +0000" */

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
static void tls_comment (struct smtp_conn *g, struct mx_fold *f)
{
  char const *slash = strchr(g->tls, '/') ;
  size_t plen = slash ? (size_t)(slash - g->tls) : strlen(g->tls) ;
  mx_fold_break(f) ;
  mx_fold_word(f, "(using", 6) ;
  mx_fold_word(f, g->tls, plen) ;
  if (slash)
  {
    mx_fold_word(f, "with cipher", 11) ;
    mx_fold_word(f, slash + 1, strlen(slash + 1)) ;
  }
  mx_fold_raw(f, ")", 1) ;
}

/* RFC 5321 4.4 time stamp line, first in the message, folded (lib/fold:
   lines of at most 78 bytes where they can be; the longest HELO, me and
   recipient are each a word well under 998): "from HELO ([IP])", then
   "by ME (mxhold) with ESMTP id QID", then "for <RCPT>;" and the date. */
static size_t received (struct smtp_conn *g, char *b)
{
  char date[SMTPD_DATE_LEN] ;
  char helo[SMTPD_HELO_MAX] ;
  char lit[SMTPD_LITERAL_MAX] ;
  struct mx_fold f ;
  size_t hl = strlen(g->helo) ;
  size_t n ;
  size_t i ;
  for (i = 0 ; i < hl ; i++)
  {
    unsigned char c = (unsigned char)g->helo[i] ;
    helo[i] = c >= 33 && c <= 126 ? (char)c : '?' ;
  }
  mx_fold_start(&f, b, SMTPD_RECEIVED_MAX, "Received:") ;
  mx_fold_word(&f, "from", 4) ;
  mx_fold_word(&f, helo, hl) ;
  n = strlen(g->ip) ;
  if (n > SMTPD_LITERAL_MAX - 16) n = SMTPD_LITERAL_MAX - 16 ;
  memcpy(lit, "([", 2) ;
  i = 2 ;
  if (strchr(g->ip, ':'))   /* RFC 5321 4.1.3 address literal */
  {
    memcpy(lit + i, "IPv6:", 5) ;
    i += 5 ;
  }
  memcpy(lit + i, g->ip, n) ;
  i += n ;
  memcpy(lit + i, "])", 2) ;
  mx_fold_word(&f, lit, i + 2) ;
  if (g->tls[0]) tls_comment(g, &f) ;
  mx_fold_break(&f) ;
  mx_fold_word(&f, "by", 2) ;
  mx_fold_word(&f, g->me.p, g->me.len) ;
  /* RFC 3848 ESMTPS; RFC 6531 4.3 UTF8SMTP(S) for an SMTPUTF8 message */
  if (g->smtputf8 && g->tls[0]) mx_fold_word(&f, "(mxhold) with UTF8SMTPS id", 26) ;
  else if (g->smtputf8) mx_fold_word(&f, "(mxhold) with UTF8SMTP id", 25) ;
  else if (g->tls[0]) mx_fold_word(&f, "(mxhold) with ESMTPS id", 23) ;
  else mx_fold_word(&f, "(mxhold) with ESMTP id", 22) ;
  mx_fold_word(&f, g->qid, strlen(g->qid)) ;
  if (g->nrcpt == 1)
  {
    char const *r = g->env + strlen(g->env) + 2 ;   /* past "F...\0T" */
    mx_fold_break(&f) ;
    mx_fold_word(&f, "for", 3) ;
    mx_fold_sep(&f, strlen(r) + 3) ;
    mx_fold_raw(&f, "<", 1) ;
    mx_fold_str(&f, r) ;
    mx_fold_raw(&f, ">", 1) ;
  }
  mx_fold_raw(&f, ";", 1) ;
  mx_fold_word(&f, date, rfc5322_date(date, time(0))) ;
  return mx_fold_end(&f) ;
}

static int sink (void *ctx, char const *p, size_t n)
{
  struct smtp_msg *m = ctx ;
  return smtp_child_write(&m->ch, p, n, (unsigned)CONF_LIM(&m->g->lim, timeout_queue)) ;
}

/* The refusal of a message that was read whole, and its reason. */
char const *smtp_msg_refusal (unsigned err, char const **reason)
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

/* Why DATA was cut short: the reason word and the client's last reply
   (0: the client is gone, nothing to say). */
struct cut
{
  char const *reason ;
  char const *reply ;
} ;

static struct cut const cut_eof = { SMTPD_END_EOF, 0 } ;
static struct cut const cut_timeout = { "timeout", "421 4.4.2 timeout, closing connection" } ;
static struct cut const cut_session = { "session-timeout", "421 4.4.2 session time limit reached, closing connection" } ;
static struct cut const cut_slow = { "too-slow", "421 4.4.2 data rate below the minimum, closing connection" } ;

/* Reads from the client under the session's guard: DATA to its end
   (count NULL), or exactly *count bytes of a BDAT chunk, fed to d or, if
   d is NULL, discarded. 0 done, or the cut (client gone, silent for
   timeout_data, past timeout_session, slower than data_rate_min). The
   time counted for the rate is the time spent waiting for the client. */
static struct cut const *client_read (struct smtp_conn *g, struct smtp_data *d, uint64_t *count)
{
  uint64_t got = 0 ;
  for (;;)
  {
    int done = 0 ;
    uint64_t t0 = smtp_conn_ms() ;
    uint64_t before = got ;
    enum smtp_gverdict v ;
    uint64_t td = CONF_LIM(&g->lim, timeout_data) ;
    unsigned secs ;
    ssize_t r ;
    uint64_t t1 ;
    int e ;
    if (count && !*count) return 0 ;
    secs = smtp_guard_secs(&g->guard, td, t0, 1) ;
    r = smtp_io_fill(&g->io, secs) ;
    t1 = smtp_conn_ms() ;
    e = errno ;
    if (r > 0)
    {
      size_t k = count && (uint64_t)r > *count ? (size_t)*count : (size_t)r ;
      if (d) k = smtp_data_feed(d, g->io.in + g->io.inpos, k, &done) ;
      g->io.inpos += k ;
      got += k ;
      if (count) *count -= k ;
      if (d) g->size = d->size ;
      if (done || (count && !*count)) return 0 ;
    }
    else if (!r || e != ETIMEDOUT) return &cut_eof ;
    v = smtp_guard_data(&g->guard, t1 - t0, got - before, t1) ;
    if (v == SMTP_GUARD_DEADLINE) return &cut_session ;
    if (v == SMTP_GUARD_SLOW) return &cut_slow ;
    if (r < 0 && secs >= td) return &cut_timeout ;   /* a wait not shortened by the guard */
  }
}

/* DATA ended without its final dot: nothing is queued. */
static void cut_short (struct smtp_conn *g, struct smtp_msg *m, unsigned tq, struct cut const *c) __attribute__((noreturn)) ;
static void cut_short (struct smtp_conn *g, struct smtp_msg *m, unsigned tq, struct cut const *c)
{
  smtp_child_abort(&m->ch, tq) ;   /* no envelope: nothing is queued */
  if (!c->reply)
  {
    smtp_conn_aborted(g, SMTPD_END_EOF) ;
    smtp_conn_end(g, SMTPD_END_EOF, 0) ;
  }
  smtp_conn_refuse(g, c->reason, c->reply) ;
  smtp_conn_end(g, c->reason, 0) ;
}

void smtp_msg_chunk (struct smtp_conn *g, struct smtp_msg *m, uint64_t count, int first)
{
  struct cut const *c ;
  if (first) smtp_guard_data_begin(&g->guard) ;
  c = client_read(g, m ? &m->d : 0, &count) ;
  if (!c) return ;
  if (m) cut_short(g, m, (unsigned)CONF_LIM(&g->lim, timeout_queue), c) ;
  if (!c->reply) smtp_conn_end(g, SMTPD_END_EOF, 0) ;   /* gone, no message open */
  smtp_conn_refuse(g, c->reason, c->reply) ;
  smtp_conn_end(g, c->reason, 0) ;
}

int smtp_msg_start (struct smtp_conn *g, struct smtp_msg *m, int raw)
{
  char hdr[SMTPD_RECEIVED_MAX] ;
  m->g = g ;
  qid_make(g) ;
  g->size = 0 ;
  /* the queue marks the message (queue.md: smtputf8, the DSN lines); each message anew */
  if ((g->smtputf8 ? setenv(SMTPD_ENV_SMTPUTF8, "1", 1) : unsetenv(SMTPD_ENV_SMTPUTF8)) == -1
   || smtp_dsnenv_set(g) == -1
   || smtp_child_start(&m->ch, g->argv, g->qid, g->helo, g->env + 1) == -1)
  {
    smtp_conn_refuse_errno(g, "queue", "451 4.3.0 cannot start the queue, try again later", errno) ;
    g->qid[0] = 0 ;
    return -1 ;
  }
  smtp_data_init(&m->d, g->txsize, CONF_LIM(&g->lim, hops), m->buf, sizeof m->buf, &sink, m) ;
  if (raw) smtp_data_raw(&m->d) ;
  smtp_data_put(&m->d, hdr, received(g, hdr)) ;
  return 0 ;
}

void smtp_msg_finish (struct smtp_conn *g, struct smtp_msg *m)
{
  char reply[SMTPD_REPLY_LINE] ;
  unsigned tq = (unsigned)CONF_LIM(&g->lim, timeout_queue) ;
  smtp_data_flush(&m->d) ;
  if (m->d.err & ~SMTP_DATA_ERR_SINK)
  {
    char const *reason ;
    char const *r = smtp_msg_refusal(m->d.err, &reason) ;
    smtp_child_abort(&m->ch, tq) ;
    smtp_conn_refuse(g, reason, r) ;
  }
  else
  {
    g->env[g->envlen] = 0 ;   /* the envelope's final NUL */
    if (smtp_child_finish(&m->ch, g->env, g->envlen + 1, tq, g->qid, reply) == 250)
    {
      smtp_conn_accepted(g) ;
      smtp_conn_reply(g, reply) ;
    }
    else smtp_conn_refuse(g, "queue", reply) ;
  }
  g->qid[0] = 0 ;
}

void smtp_msg_data (struct smtp_conn *g)
{
  static struct smtp_msg m ;
  struct cut const *c ;
  if (smtp_msg_start(g, &m, 0) == -1) return ;
  smtp_conn_reply(g, "354 End data with <CR><LF>.<CR><LF>") ;
  smtp_guard_data_begin(&g->guard) ;
  c = client_read(g, &m.d, 0) ;
  if (c) cut_short(g, &m, (unsigned)CONF_LIM(&g->lim, timeout_queue), c) ;
  smtp_msg_finish(g, &m) ;
}
