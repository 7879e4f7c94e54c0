/* rc_out.c: the report, the batch line and their JSON forms. libc only.
   Reply texts are already safe (rc_reply maps bytes outside 32..126 to
   '?'); JSON strings escape the rest of what the operator typed. */

#include <stdio.h>
#include "relaycheck/relaycheck.h"

static char const *const greet_names[] = { "none", "helo", "ehlo" } ;
static char const *const class_names[] = { "relay", "hidden", "control", "direct", "probe" } ;

void rc_out_json_str (FILE *f, char const *s)
{
  putc('"', f) ;
  for (; *s ; s++)
  {
    unsigned char ch = (unsigned char)*s ;
    if (ch == '"' || ch == '\\')
    {
      putc('\\', f) ;
      putc(ch, f) ;
    }
    else if (ch < 32 || ch == 127) fprintf(f, "\\u%04x", ch) ;
    else putc(ch, f) ;
  }
  putc('"', f) ;
}

/* HOST:PORT, [HOST]:PORT when HOST is an IPv6 address */
static void hostport (FILE *f, struct rc_host const *h)
{
  int v6 = 0 ;
  char const *p ;
  for (p = h->host ; *p ; p++) if (*p == ':') v6 = 1 ;
  fprintf(f, v6 ? "[%s]:%s" : "%s:%s", h->host, h->port) ;
}

struct counts {
  unsigned open, closed, local, unknown ;
} ;

static void count (struct rc_run const *run, struct counts *c)
{
  size_t i ;
  c->open = c->closed = c->local = c->unknown = 0 ;
  for (i = 0 ; i < run->n ; i++)
  {
    unsigned cls = run->r[i].t->cls ;
    if (cls != RC_CLS_RELAY && cls != RC_CLS_HIDDEN && cls != RC_CLS_PROBE) continue ;
    switch (run->r[i].verdict)
    {
      case RC_TV_OPEN :
        c->open++ ;
        break ;
      case RC_TV_CLOSED :
        c->closed++ ;
        break ;
      case RC_TV_LOCAL :
        c->local++ ;
        break ;
      default : c->unknown++ ;
    }
  }
}

/* The first trick that proved the server open, or NULL. */
static char const *first_open (struct rc_run const *run)
{
  size_t i ;
  for (i = 0 ; i < run->n ; i++) if (run->r[i].verdict == RC_TV_OPEN) return run->r[i].t->name ;
  return 0 ;
}

static void json_key (FILE *f, char const *k, char const *v)
{
  fprintf(f, "\"%s\":", k) ;
  if (v) rc_out_json_str(f, v) ;
  else fputs("null", f) ;
}

static void json_trick (FILE *f, struct rc_result const *r)
{
  putc('{', f) ;
  json_key(f, "name", r->t->name) ;
  putc(',', f) ;
  json_key(f, "class", class_names[r->t->cls]) ;
  putc(',', f) ;
  json_key(f, "greeting", greet_names[r->t->greet]) ;
  putc(',', f) ;
  json_key(f, "from", r->from) ;
  putc(',', f) ;
  json_key(f, "rcpt", r->rcpt) ;
  putc(',', f) ;
  json_key(f, "stage", rc_stage_name(r->stage)) ;
  putc(',', f) ;
  fprintf(f, "\"code\":%u,", r->code) ;
  json_key(f, "reply", r->reply) ;
  putc(',', f) ;
  json_key(f, "verdict", rc_verdict_name(r->verdict)) ;
  putc('}', f) ;
}

static int has_direct (struct rc_run const *run)
{
  size_t i ;
  for (i = 0 ; i < run->n ; i++) if (run->r[i].t->cls == RC_CLS_DIRECT) return 1 ;
  return 0 ;
}

static void json_run (FILE *f, struct rc_opts const *o, struct rc_run const *run, int tricks)
{
  struct counts c ;
  size_t i ;
  count(run, &c) ;
  putc('{', f) ;
  json_key(f, "host", run->h->host) ;
  putc(',', f) ;
  fprintf(f, "\"port\":%s,", run->h->port) ;
  json_key(f, "address", run->literal[0] ? run->literal : 0) ;
  putc(',', f) ;
  json_key(f, "banner", run->banner[0] ? run->banner : 0) ;
  putc(',', f) ;
  json_key(f, "verdict", rc_sum_name(run->summary)) ;
  putc(',', f) ;
  fprintf(f, "\"exit\":%d,", rc_sum_exit(run->summary, run->direct)) ;
  json_key(f, "direct", has_direct(run) ? rc_verdict_name(run->direct) : 0) ;
  putc(',', f) ;
  json_key(f, "first_open", first_open(run)) ;
  putc(',', f) ;
  json_key(f, "error", run->error[0] ? run->error : 0) ;
  putc(',', f) ;
  fprintf(f, "\"connections\":%u,\"ms\":%lld,\"counts\":{\"open\":%u,\"closed\":%u,\"local\":%u,\"unknown\":%u}",
    run->conns, (long long)run->ms, c.open, c.closed, c.local, c.unknown) ;
  if (tricks)
  {
    fputs(",\"tricks\":[", f) ;
    for (i = 0 ; i < run->n ; i++)
    {
      if (i) putc(',', f) ;
      json_trick(f, run->r + i) ;
    }
    putc(']', f) ;
  }
  (void)o ;
  fputs("}\n", f) ;
}

/* "HOST:PORT closed open=0 closed=29 local=0 unknown=0 conns=2 ms=40" + extras */
static void summary_words (FILE *f, struct rc_run const *run)
{
  struct counts c ;
  char const *fo = first_open(run) ;
  count(run, &c) ;
  hostport(f, run->h) ;
  fprintf(f, " %s open=%u closed=%u local=%u unknown=%u conns=%u ms=%lld",
    rc_sum_name(run->summary), c.open, c.closed, c.local, c.unknown,
    run->conns, (long long)run->ms) ;
  if (has_direct(run)) fprintf(f, " direct=%s", rc_verdict_name(run->direct)) ;
  if (fo) fprintf(f, " first=%s", fo) ;
  if (run->error[0])
  {
    fputs(" error=", f) ;
    rc_out_json_str(f, run->error) ;
  }
  putc('\n', f) ;
}

void rc_out_report (FILE *f, struct rc_opts const *o, struct rc_run const *run)
{
  size_t i ;
  if (o->json)
  {
    json_run(f, o, run, 1) ;
    return ;
  }
  fputs("target ", f) ;
  hostport(f, run->h) ;
  fprintf(f, " %s banner: %s\n", run->literal[0] ? run->literal : "-", run->banner[0] ? run->banner : "-") ;
  for (i = 0 ; i < run->n ; i++)
  {
    struct rc_result const *r = run->r + i ;
    fprintf(f, "%-20s %-4s MAIL FROM:%s RCPT TO:%s -> %s: %s => %s\n",
      r->t->name, greet_names[r->t->greet], r->from[0] ? r->from : "-", r->rcpt[0] ? r->rcpt : "-",
      rc_stage_name(r->stage), r->reply[0] ? r->reply : "-", rc_verdict_name(r->verdict)) ;
  }
  fputs("summary: ", f) ;
  summary_words(f, run) ;
}

void rc_out_line (FILE *f, struct rc_opts const *o, struct rc_run const *run)
{
  if (o->json) json_run(f, o, run, 1) ;
  else summary_words(f, run) ;
}

void rc_out_failed (FILE *f, struct rc_opts const *o, struct rc_host const *h, char const *why, int64_t ms)
{
  if (o->json)
  {
    fputs("{", f) ;
    json_key(f, "host", h->host) ;
    fprintf(f, ",\"port\":%s,\"verdict\":\"inconclusive\",\"exit\":111,", h->port) ;
    json_key(f, "error", why) ;
    fprintf(f, ",\"ms\":%lld}\n", (long long)ms) ;
    return ;
  }
  hostport(f, h) ;
  fprintf(f, " inconclusive ms=%lld error=", (long long)ms) ;
  rc_out_json_str(f, why) ;
  putc('\n', f) ;
}
