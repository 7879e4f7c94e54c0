/* rc_trick.c: the battery of relaying tricks and the template renderer.
   libc only. Order matters: the tricks without a greeting come first, then
   HELO, then EHLO, so one connection walks through all three states. The
   CONTROL tricks' indexes are referred to by the HIDDEN ones (ctl). */

#include <string.h>
#include "relaycheck/relaycheck.h"

#define CTL_D 5   /* index of ctl-domain below */
#define CTL_A 6   /* index of ctl-literal below */

struct rc_trick const rc_tricks[] = {
  { "nohelo-plain", RC_GREET_NONE, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@$F>", "foreign recipient, no HELO/EHLO at all" },
  { "nohelo-null", RC_GREET_NONE, RC_CLS_RELAY, -1, "<>", "<$L@$F>", "null sender, no HELO/EHLO at all" },
  { "helo-plain", RC_GREET_HELO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@$F>", "foreign recipient after HELO" },
  { "helo-null", RC_GREET_HELO, RC_CLS_RELAY, -1, "<>", "<$L@$F>", "null sender after HELO" },
  { "helo-percent", RC_GREET_HELO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$L%$F@$D>", "percent hack at the own domain after HELO" },
  { "ctl-domain", RC_GREET_EHLO, RC_CLS_CONTROL, -1, "<$L@$F>", "<$R@$D>", "control: a mailbox nobody has at the own domain" },
  { "ctl-literal", RC_GREET_EHLO, RC_CLS_CONTROL, -1, "<$L@$F>", "<$R@$A>", "control: a mailbox nobody has at the own address literal" },
  { "plain", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@$F>", "foreign sender, foreign recipient" },
  { "null-sender", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<>", "<$L@$F>", "null sender (bounce), foreign recipient" },
  { "own-sender", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<postmaster@$D>", "<$L@$F>", "sender forged in the own domain" },
  { "literal-sender", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$A>", "<$L@$F>", "sender at the own address literal" },
  { "localhost-sender", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@localhost>", "<$L@$F>", "sender at localhost" },
  { "unbracketed", RC_GREET_EHLO, RC_CLS_RELAY, -1, "$L@$F", "$L@$F", "paths without angle brackets" },
  { "trailing-dot", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@$F.>", "foreign domain with a trailing dot" },
  { "foreign-literal", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@" RC_FOREIGN_LITERAL ">", "foreign address literal" },
  { "prefix-domain", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L@$D.$F>", "own domain as the prefix of a foreign name" },
  { "source-route", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<@$D:$L@$F>", "source route through the own domain" },
  { "source-route-literal", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<@$A:$L@$F>", "source route through the own address literal" },
  { "source-route-multi", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<@$D,@$A:$L@$F>", "source route with two hops" },
  { "quoted-bare", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<\"$L@$F\">", "quoted local part hiding an @, no domain" },
  { "bang-bare", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$F!$L>", "UUCP bang path, no domain" },
  { "percent-bare", RC_GREET_EHLO, RC_CLS_RELAY, -1, "<$L@$F>", "<$L%$F>", "percent hack, no domain" },
  { "percent-domain", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$L%$F@$D>", "percent hack at the own domain" },
  { "percent-literal", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_A, "<$L@$F>", "<$L%$F@$A>", "percent hack at the own address literal" },
  { "percent-dot", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$L%$F@$D.>", "percent hack at the own domain with a trailing dot" },
  { "percent-upper", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$L%$F@$U>", "percent hack at the own domain in upper case" },
  { "bang-domain", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$F!$L@$D>", "bang path at the own domain" },
  { "bang-literal", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_A, "<$L@$F>", "<$F!$L@$A>", "bang path at the own address literal" },
  { "quoted-domain", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<\"$L@$F\"@$D>", "quoted local part hiding an @, own domain" },
  { "quoted-literal", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_A, "<$L@$F>", "<\"$L@$F\"@$A>", "quoted local part hiding an @, own address literal" },
  { "double-at", RC_GREET_EHLO, RC_CLS_HIDDEN, CTL_D, "<$L@$F>", "<$L@$F@$D>", "two @ signs, own domain last" },
} ;
size_t const rc_tricks_n = sizeof(rc_tricks) / sizeof(rc_tricks[0]) ;

struct rc_trick const rc_trick_direct =
  { "direct", RC_GREET_EHLO, RC_CLS_DIRECT, -1, "<$L@$F>", "<postmaster@$P>", "a stranger sends to the domain's second MX directly" } ;
struct rc_trick const rc_trick_probe =
  { "probe", RC_GREET_EHLO, RC_CLS_PROBE, -1, "<$L@$F>", "<$M>", "a real message to the operator's mailbox" } ;

static char const *value (struct rc_ctx const *c, char k)
{
  switch (k)
  {
    case 'L' : return c->local ;
    case 'F' : return c->foreign ;
    case 'D' : case 'U' : return c->domain ;
    case 'A' : return c->literal ;
    case 'R' : return c->control ;
    case 'P' : return c->direct ;
    case 'M' : return c->probe ;
    case '$' : return "$" ;
    default : return 0 ;
  }
}

size_t rc_trick_render (char const *t, struct rc_ctx const *c, char *buf, size_t max)
{
  size_t n = 0 ;
  if (!max) return 0 ;
  for (; *t ; t++)
  {
    char const *v ;
    size_t vl, i ;
    if (*t != '$')
    {
      if (n + 1 >= max) return 0 ;
      buf[n++] = *t ;
      continue ;
    }
    t++ ;
    v = value(c, *t) ;
    if (!v) return 0 ;
    vl = strlen(v) ;
    if (vl >= max - n) return 0 ;
    for (i = 0 ; i < vl ; i++)
    {
      char ch = v[i] ;
      if (*t == 'U' && ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A') ;
      buf[n++] = ch ;
    }
  }
  buf[n] = 0 ;
  return n ;
}
