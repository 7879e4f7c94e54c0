/* rc_check.c: run the battery against one host. libc only.

   One connection walks through all tricks: no greeting, then HELO, then
   EHLO, each trick being MAIL, RCPT, RSET. A new connection is opened only
   when the server said 421 or dropped us (then the interrupted trick is
   tried once more), or when a trick needs "no greeting" again; never more
   than o->conns in all. A timeout or a protocol error ends the check: a
   tarpit must not cost us conns x timeout. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "relaycheck/relaycheck.h"

enum { DONE, LOST, STOP } ;

struct sess {
  struct rc_opts const *o ;
  struct rc_run *run ;
  struct rc_conn c ;
  struct rc_ctx ctx ;
  int up ;                     /* connected, banner 2xx read */
  unsigned greeted ;           /* enum rc_greet */
  unsigned gcode[3] ;          /* a greeting refused with this code, per mode */
  char gtext[3][RC_REPLY_TEXT_MAX + 1] ;
  unsigned bcode ;             /* banner refused (5xx) with this code */
  char bt[RC_REPLY_TEXT_MAX + 1] ;
  int64_t deadline ;           /* whole host */
  char why[RC_REPLY_TEXT_MAX + 1] ;  /* set when the check must stop */
  char control[32] ;           /* "nosuchuser-" and at most 16 hex digits */
} ;

static int64_t step (struct sess const *s)
{
  int64_t d = rc_now_ms() + (int64_t)s->o->timeout * 1000 ;
  return d < s->deadline ? d : s->deadline ;
}

static void set_text (char *dst, char const *src)
{
  size_t n = strlen(src) ;
  if (n > RC_REPLY_TEXT_MAX) n = RC_REPLY_TEXT_MAX ;
  memcpy(dst, src, n) ;
  dst[n] = 0 ;
}

static void note (struct rc_result *res, unsigned stage, unsigned code, char const *text)
{
  res->stage = (unsigned char)stage ;
  res->code = code ;
  res->outcome = (unsigned char)(code ? rc_verdict_outcome(code, text) : RC_OUT_ERROR) ;
  set_text(res->reply, text) ;
}

/* The error of a failed read/write: drops may be retried, the rest stop. */
static int failed (struct sess *s, struct rc_result *res, unsigned stage)
{
  int e = errno ;
  char const *why = e == ETIMEDOUT ? "timeout" : e == EPROTO ? "malformed reply" : e == ECONNRESET ? "connection closed" : strerror(e) ;
  note(res, stage, 0, why) ;
  rc_conn_close(&s->c) ;
  s->up = 0 ;
  if (e != ETIMEDOUT && e != EPROTO) return LOST ;
  set_text(s->why, why) ;
  return STOP ;
}

/* Sends line + CRLF and reads the reply. */
static int cmd (struct sess *s, struct rc_result *res, unsigned stage, char const *a, char const *b, struct rc_reply *r)
{
  char line[RC_ADDR_MAX + 32] ;
  size_t al = strlen(a), bl = strlen(b) ;
  if (al + bl + 2 > sizeof line)
  {
    note(res, stage, 0, "command too long") ;
    return STOP ;
  }
  memcpy(line, a, al) ;
  memcpy(line + al, b, bl) ;
  memcpy(line + al + bl, "\r\n", 2) ;
  if (rc_conn_send(&s->c, line, al + bl + 2, step(s)) < 0 || rc_conn_reply(&s->c, r, step(s)) < 0)
    return failed(s, res, stage) ;
  note(res, stage, r->code, r->text) ;
  if (r->code == 421)
  {
    rc_conn_close(&s->c) ;
    s->up = 0 ;
    return LOST ;
  }
  return DONE ;
}

static int connect_up (struct sess *s, struct rc_result *res)
{
  struct rc_run *run = s->run ;
  struct rc_reply r ;
  if (run->conns >= s->o->conns)
  {
    note(res, RC_ST_CONNECT, 0, "connection limit reached") ;
    return STOP ;
  }
  run->conns++ ;
  if (rc_conn_open(&s->c, run->h->host, run->h->port, step(s), run->literal, sizeof run->literal) < 0)
  {
    note(res, RC_ST_CONNECT, 0, errno == ETIMEDOUT ? "connect timeout" : strerror(errno)) ;
    return STOP ;
  }
  if (rc_conn_reply(&s->c, &r, step(s)) < 0)
  {
    failed(s, res, RC_ST_BANNER) ;
    return STOP ;
  }
  if (!run->banner[0]) set_text(run->banner, r.text) ;
  s->greeted = RC_GREET_NONE ;
  if (r.code >= 200 && r.code < 300)
  {
    s->up = 1 ;
    return DONE ;
  }
  note(res, RC_ST_BANNER, r.code, r.text) ;
  rc_conn_close(&s->c) ;
  if (r.code >= 500)
  {
    s->bcode = r.code ;
    set_text(s->bt, r.text) ;
    return DONE ;
  }
  return STOP ;                /* 4xx at connect: busy or rate-limited; come back later */
}

static int greet (struct sess *s, struct rc_result *res, unsigned mode)
{
  struct rc_reply r ;
  int k ;
  if (s->gcode[mode])
  {
    note(res, RC_ST_GREET, s->gcode[mode], s->gtext[mode]) ;
    return DONE ;
  }
  k = cmd(s, res, RC_ST_GREET, mode == RC_GREET_HELO ? "HELO " : "EHLO ", s->o->helo, &r) ;
  if (k != DONE) return k ;
  if (r.code >= 200 && r.code < 300)
  {
    s->greeted = mode ;
    return DONE ;
  }
  s->gcode[mode] = r.code ;
  set_text(s->gtext[mode], r.text) ;
  return DONE ;
}

static int data (struct sess *s, struct rc_result *res)
{
  struct rc_reply r ;
  char msg[RC_PROBE_MSG_MAX], date[64] ;  /* date: RFC 5322 3.3, ~31 bytes */
  time_t now = time(0) ;
  struct tm tm ;
  int n, k ;
  gmtime_r(&now, &tm) ;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm) ;
  k = cmd(s, res, RC_ST_DATA, "DATA", "", &r) ;
  if (k != DONE || r.code != 354) return k ;
  n = snprintf(msg, sizeof msg,
    "From: %s\r\nTo: %s\r\nSubject: mxhold-relaycheck probe through %s\r\nDate: %s\r\n"
    "Message-ID: <relaycheck.%lld.%d@%s>\r\n\r\n"
    "This message was sent to %s port %s %s by a client it did not know.\r\n"
    "If it reached you, that server relays mail for strangers: it is an open relay.\r\n.\r\n",
    res->from, res->rcpt, s->run->h->host, date, (long long)now, (int)getpid(), s->o->helo,
    s->run->h->host, s->run->h->port, s->run->literal) ;
  if (n < 0 || (size_t)n >= sizeof msg)
  {
    note(res, RC_ST_DOT, 0, "probe message too long") ;
    return STOP ;
  }
  if (rc_conn_send(&s->c, msg, (size_t)n, step(s)) < 0 || rc_conn_reply(&s->c, &r, step(s)) < 0)
    return failed(s, res, RC_ST_DOT) ;
  note(res, RC_ST_DOT, r.code, r.text) ;
  return DONE ;
}

/* One attempt at one trick, from wherever the connection is. */
static int attempt (struct sess *s, struct rc_result *res)
{
  struct rc_trick const *t = res->t ;
  struct rc_reply r ;
  int k ;
  if (s->bcode)
  {
    note(res, RC_ST_BANNER, s->bcode, s->bt) ;
    return DONE ;
  }
  if (s->up && t->greet == RC_GREET_NONE && s->greeted != RC_GREET_NONE)
  {
    rc_conn_close(&s->c) ;
    s->up = 0 ;
  }
  if (!s->up)
  {
    k = connect_up(s, res) ;
    if (k != DONE || !s->up) return k ;
  }
  if (t->greet != RC_GREET_NONE && s->greeted != t->greet)
  {
    k = greet(s, res, t->greet) ;
    if (k != DONE || s->greeted != t->greet) return k ;
  }
  k = cmd(s, res, RC_ST_MAIL, "MAIL FROM:", res->from, &r) ;
  if (k != DONE || r.code < 200 || r.code >= 300) return k ;
  k = cmd(s, res, RC_ST_RCPT, "RCPT TO:", res->rcpt, &r) ;
  if (k != DONE) return k ;
  if (t->cls == RC_CLS_PROBE && r.code >= 200 && r.code < 300)
  {
    k = data(s, res) ;
    if (k != DONE) return k ;
  }
  {
    /* RSET: the transaction ends here, nothing is sent or queued */
    struct rc_result tmp ;
    memset(&tmp, 0, sizeof tmp) ;
    k = cmd(s, &tmp, RC_ST_MAIL, "RSET", "", &r) ;
    if (k == DONE && (r.code < 200 || r.code >= 300))
    {
      rc_conn_close(&s->c) ;
      s->up = 0 ;
    }
  }
  return DONE ;
}

static void setup (struct sess *s, struct rc_opts const *o, struct rc_host const *h, struct rc_run *run)
{
  struct in6_addr a6 ;
  memset(s, 0, sizeof *s) ;
  s->o = o ;
  s->run = run ;
  s->c.fd = -1 ;
  snprintf(s->control, sizeof s->control, "nosuchuser-%lx", (unsigned long)time(0) ^ ((unsigned long)getpid() << 16)) ;
  s->ctx.local = o->local ;
  s->ctx.foreign = o->foreign ;
  s->ctx.domain = h->domain[0] ? h->domain : o->domain ? o->domain : h->direct[0] ? h->direct : o->direct ;
  if (!s->ctx.domain && !inet_pton(AF_INET, h->host, &a6) && !inet_pton(AF_INET6, h->host, &a6))
    s->ctx.domain = h->host ;
  s->ctx.direct = h->direct[0] ? h->direct : o->direct ;
  s->ctx.probe = o->probe ;
  s->ctx.control = s->control ;
  s->deadline = rc_now_ms() + (int64_t)o->deadline * 1000 ;
  memset(run, 0, sizeof *run) ;
  run->h = h ;
  run->n = 0 ;
  for (size_t i = 0 ; i < rc_tricks_n ; i++) run->r[run->n++].t = rc_tricks + i ;
  if (s->ctx.direct) run->r[run->n++].t = &rc_trick_direct ;
  if (o->probe) run->r[run->n++].t = &rc_trick_probe ;
}

/* Renders a trick's addresses; needs the literal, so after connecting. */
static int render (struct sess *s, struct rc_result *res)
{
  struct rc_ctx c = s->ctx ;
  c.literal = s->run->literal[0] ? s->run->literal : "[0.0.0.0]" ;
  if (!c.domain) c.domain = c.literal ;
  if (!rc_trick_render(res->t->from, &c, res->from, sizeof res->from)
   || !rc_trick_render(res->t->rcpt, &c, res->rcpt, sizeof res->rcpt))
  {
    note(res, RC_ST_NOTRUN, 0, "address too long") ;
    return 0 ;
  }
  return 1 ;
}

void rc_check_run (struct rc_opts const *o, struct rc_host const *h, struct rc_run *run)
{
  struct sess s ;
  int64_t start = rc_now_ms() ;
  size_t i ;
  int stop = 0 ;
  setup(&s, o, h, run) ;
  for (i = 0 ; i < run->n ; i++)
  {
    struct rc_result *res = run->r + i ;
    int k = DONE, tries ;
    if (stop)
    {
      note(res, RC_ST_NOTRUN, 0, run->error) ;
      continue ;
    }
    for (tries = 0 ; tries < 2 ; tries++)
    {
      if (!s.up && !s.bcode && !run->literal[0])
      {
        k = connect_up(&s, res) ;        /* the literal is needed to render */
        if (k != DONE) break ;
      }
      if (!render(&s, res))
      {
        k = DONE ;
        break ;
      }
      k = attempt(&s, res) ;
      if (k != LOST) break ;
    }
    /* a timeout in RSET stops the check too, though the trick had its answer */
    if (k == STOP || s.why[0])
    {
      stop = 1 ;
      set_text(run->error, s.why[0] ? s.why : res->reply) ;
    }
  }
  if (s.up && !stop)
  {
    struct rc_result tmp ;
    struct rc_reply r ;
    memset(&tmp, 0, sizeof tmp) ;
    cmd(&s, &tmp, RC_ST_MAIL, "QUIT", "", &r) ;
    rc_conn_close(&s.c) ;
  }
  run->summary = rc_verdict_judge(run->r, run->n, &run->direct) ;
  run->ms = rc_now_ms() - start ;
}
