/* smtp_dsnenv.c: a transaction's DSN parameters as the queue's header
   lines, in $MXHOLD_DSN for the child (the qmail-queue envelope has no
   room for them; mxhold-queue checks every line before it writes it). */
#include <stdlib.h>
#include <string.h>
#include <skalibs/uint64.h>
#include "smtpd/smtp_dsn.h"
#include "smtpd/smtp_dsnenv.h"

/* Appends n bytes of s; 0, 1 over the budget, -1 out of memory. */
static int add (struct smtp_conn *g, char const *s, size_t n)
{
  if (g->dsnlen + n + 1 > SMTPD_DSN_ENV_MAX) return 1 ;
  if (g->dsnlen + n + 1 > g->dsncap)
  {
    size_t cap = g->dsnlen + n + 1 + 1024 ;
    char *q = realloc(g->dsn, cap) ;
    if (!q) return -1 ;
    g->dsn = q ;
    g->dsncap = cap ;
  }
  memcpy(g->dsn + g->dsnlen, s, n) ;
  g->dsnlen += n ;
  g->dsn[g->dsnlen] = 0 ;
  return 0 ;
}

static int adds (struct smtp_conn *g, char const *s)
{
  return add(g, s, strlen(s)) ;
}

int smtp_dsnenv_mail (struct smtp_conn *g, struct smtp_path const *p)
{
  int r = 0 ;
  g->dsnlen = 0 ;
  if (p->ret) r = adds(g, p->ret == 'F' ? "ret FULL\n" : "ret HDRS\n") ;
  if (!r && p->envid.len)
  {
    r = adds(g, "envid ") ;
    if (!r) r = add(g, p->envid.p, p->envid.len) ;
    if (!r) r = adds(g, "\n") ;
  }
  return r ? -1 : 0 ;   /* ENVID is 100 bytes at most: only memory fails */
}

int smtp_dsnenv_rcpt (struct smtp_conn *g, struct smtp_path const *p, uint64_t index)
{
  char line[5 + UINT64_FMT + 1 + 24 + 1] ;
  size_t n = 4 ;
  size_t mark = g->dsnlen ;
  int r ;
  if (!p->notify && !p->orcpt.len) return 0 ;
  memcpy(line, "dsn ", 4) ;
  n += uint64_fmt(line + n, index) ;
  line[n++] = ' ' ;
  if (p->notify) smtp_dsn_notify_fmt(p->notify, line + n) ;
  else memcpy(line + n, "-", 2) ;
  n += strlen(line + n) ;
  line[n++] = ' ' ;
  r = add(g, line, n) ;
  if (!r) r = p->orcpt.len ? add(g, p->orcpt.p, p->orcpt.len) : adds(g, "-") ;
  if (!r) r = adds(g, "\n") ;
  if (r) g->dsnlen = mark ;   /* not half a line */
  if (g->dsn) g->dsn[g->dsnlen] = 0 ;
  return r ;
}

int smtp_dsnenv_set (struct smtp_conn *g)
{
  return g->dsnlen ? setenv(SMTPD_ENV_DSN, g->dsn, 1) : unsetenv(SMTPD_ENV_DSN) ;
}
