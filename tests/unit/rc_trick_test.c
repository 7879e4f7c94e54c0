/* rc_trick_test.c: the battery's shape, the template renderer, and the
   verdict rules (what counts as open, closed, inconclusive). */
#include <stdio.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

static int fails = 0 ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)

static struct rc_result res[RC_TRICKS_MAX] ;

/* A run where every trick got code at RCPT. */
static size_t all (unsigned code)
{
  size_t i ;
  memset(res, 0, sizeof res) ;
  for (i = 0 ; i < rc_tricks_n ; i++)
  {
    res[i].t = rc_tricks + i ;
    res[i].stage = RC_ST_RCPT ; res[i].code = code ; res[i].outcome = (unsigned char)rc_verdict_outcome(code, 0) ;
  }
  return rc_tricks_n ;
}

static size_t find (char const *name)
{
  size_t i ;
  for (i = 0 ; i < rc_tricks_n ; i++) if (!strcmp(rc_tricks[i].name, name)) return i ;
  return 0 ;
}

static void set (char const *name, unsigned stage, unsigned code)
{
  size_t i = find(name) ;
  res[i].stage = (unsigned char)stage ; res[i].code = code ; res[i].outcome = (unsigned char)rc_verdict_outcome(code, 0) ;
}

int main (void)
{
  struct rc_ctx c = { .local = "lp", .foreign = "far.example", .domain = "own.example", .literal = "[192.0.2.7]",
                      .control = "nobody", .direct = "cust.example", .probe = "me@ops.example" } ;
  char buf[RC_ADDR_MAX] ;
  size_t i, j, n, relay = 0 ;
  int names_unique = 1, order = 1, ctl_ok = 1, render_ok = 1 ;
  unsigned direct, prev = 0 ;

  /* battery shape */
  for (i = 0 ; i < rc_tricks_n ; i++)
  {
    if (rc_tricks[i].cls == RC_CLS_RELAY || rc_tricks[i].cls == RC_CLS_HIDDEN) relay++ ;
    if (rc_tricks[i].greet < prev) order = 0 ;
    prev = rc_tricks[i].greet ;
    for (j = 0 ; j < i ; j++) if (!strcmp(rc_tricks[i].name, rc_tricks[j].name)) names_unique = 0 ;
    if (rc_tricks[i].cls == RC_CLS_HIDDEN && (rc_tricks[i].ctl < 0 || rc_tricks[(size_t)rc_tricks[i].ctl].cls != RC_CLS_CONTROL)) ctl_ok = 0 ;
    if (!rc_trick_render(rc_tricks[i].from, &c, buf, sizeof buf) || !rc_trick_render(rc_tricks[i].rcpt, &c, buf, sizeof buf)) render_ok = 0 ;
  }
  CHECK(relay >= 20, "at least 20 relaying tricks") ;
  CHECK(rc_tricks_n + 2 <= RC_TRICKS_MAX, "table fits with direct and probe") ;
  CHECK(names_unique, "trick names unique") ;
  CHECK(order, "no greeting, then HELO, then EHLO") ;
  CHECK(ctl_ok, "every hidden trick names a control trick") ;
  CHECK(render_ok, "every template renders") ;

  /* renderer */
  CHECK(rc_trick_render("<$L%$F@$D>", &c, buf, sizeof buf) == 28 && !strcmp(buf, "<lp%far.example@own.example>"), "percent hack rendered") ;
  CHECK(rc_trick_render("<$L@$U>", &c, buf, sizeof buf) && !strcmp(buf, "<lp@OWN.EXAMPLE>"), "upper case domain") ;
  CHECK(rc_trick_render("<@$A:$L@$F>", &c, buf, sizeof buf) && !strcmp(buf, "<@[192.0.2.7]:lp@far.example>"), "source route via literal") ;
  CHECK(rc_trick_render("a$$b", &c, buf, sizeof buf) == 3 && !strcmp(buf, "a$b"), "dollar escaped") ;
  CHECK(rc_trick_render("$x", &c, buf, sizeof buf) == 0, "unknown placeholder") ;
  CHECK(rc_trick_render("ab$", &c, buf, sizeof buf) == 0, "trailing dollar") ;
  c.probe = 0 ;
  CHECK(rc_trick_render("<$M>", &c, buf, sizeof buf) == 0, "missing value") ;
  CHECK(rc_trick_render("<$L>", &c, buf, 5) == 4 && !strcmp(buf, "<lp>"), "exact fit") ;
  CHECK(rc_trick_render("<$L>", &c, buf, 4) == 0, "one byte short") ;
  CHECK(rc_trick_render("", &c, buf, 1) == 0 && buf[0] == 0, "empty template") ;

  /* verdicts */
  n = all(554) ;
  CHECK(rc_verdict_judge(res, n, &direct) == RC_SUM_CLOSED && direct == RC_TV_UNKNOWN, "all 5xx: closed") ;
  CHECK(rc_sum_exit(RC_SUM_CLOSED, RC_TV_UNKNOWN) == 0, "closed exits 0") ;
  set("plain", RC_ST_RCPT, 250) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_OPEN && res[find("plain")].verdict == RC_TV_OPEN, "one foreign 250: open") ;
  CHECK(rc_sum_exit(RC_SUM_OPEN, RC_TV_UNKNOWN) == 1, "open exits 1") ;
  n = all(554) ; set("source-route", RC_ST_RCPT, 251) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_OPEN, "251 counts as accepted") ;
  n = all(554) ; set("plain", RC_ST_MAIL, 550) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_CLOSED, "refused at MAIL: closed") ;
  n = all(554) ; set("plain", RC_ST_RCPT, 450) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_INCONCLUSIVE, "one 4xx: inconclusive") ;
  CHECK(rc_sum_exit(RC_SUM_INCONCLUSIVE, RC_TV_UNKNOWN) == 111, "inconclusive exits 111") ;
  n = all(451) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_INCONCLUSIVE, "4xx everywhere: inconclusive") ;
  n = all(554) ; set("plain", RC_ST_CONNECT, 0) ; res[find("plain")].outcome = RC_OUT_ERROR ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_INCONCLUSIVE, "error: inconclusive") ;
  n = all(554) ; set("percent-domain", RC_ST_RCPT, 250) ; set("ctl-domain", RC_ST_RCPT, 550) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_OPEN && res[find("ctl-domain")].verdict == RC_TV_VERIFIES, "hidden accepted, control refused: open") ;
  set("ctl-domain", RC_ST_RCPT, 250) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_CLOSED && res[find("percent-domain")].verdict == RC_TV_LOCAL, "hidden accepted, control accepted: local, closed") ;
  set("ctl-domain", RC_ST_RCPT, 450) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_INCONCLUSIVE, "hidden accepted, control unknown: inconclusive") ;
  n = all(554) ; set("ctl-literal", RC_ST_RCPT, 250) ; set("ctl-domain", RC_ST_RCPT, 250) ;
  CHECK(rc_verdict_judge(res, n, 0) == RC_SUM_CLOSED, "controls accepted alone: still closed") ;
  n = all(554) ;
  res[n].t = &rc_trick_direct ; res[n].stage = RC_ST_RCPT ; res[n].code = 250 ; res[n].outcome = RC_OUT_ACCEPTED ;
  CHECK(rc_verdict_judge(res, n + 1, &direct) == RC_SUM_CLOSED && direct == RC_TV_WARN, "direct accepted: warning") ;
  CHECK(rc_sum_exit(RC_SUM_CLOSED, RC_TV_WARN) == 1, "closed with direct warning exits 1") ;
  res[n].code = 550 ; res[n].outcome = RC_OUT_REFUSED ;
  CHECK(rc_verdict_judge(res, n + 1, &direct) == RC_SUM_CLOSED && direct == RC_TV_OK, "direct refused: ok") ;
  res[n].t = &rc_trick_probe ; res[n].stage = RC_ST_DOT ; res[n].code = 550 ; res[n].outcome = RC_OUT_REFUSED ;
  CHECK(rc_verdict_judge(res, n + 1, 0) == RC_SUM_OPEN, "probe RCPT accepted (data refused): open") ;
  CHECK(rc_verdict_judge(res, 0, 0) == RC_SUM_INCONCLUSIVE, "nothing run: inconclusive") ;

  /* 4xx with a policy enhanced code is a refusal */
  CHECK(rc_verdict_outcome(454, "454 4.7.1 <a@b>: Relay access denied") == RC_OUT_REFUSED, "454 4.7.1: refused") ;
  CHECK(rc_verdict_outcome(450, "450 4.7.25 x") == RC_OUT_REFUSED, "450 4.7.25: refused") ;
  CHECK(rc_verdict_outcome(451, "451 4.3.0 try later") == RC_OUT_TEMPFAIL, "451 4.3.0: tempfail") ;
  CHECK(rc_verdict_outcome(421, "421 4.7.0 closing") == RC_OUT_TEMPFAIL, "421 4.7.0: tempfail (connection)") ;
  CHECK(rc_verdict_outcome(454, "454 4.7.") == RC_OUT_TEMPFAIL, "454 4.7. truncated: tempfail") ;
  CHECK(rc_verdict_outcome(454, "454 4.7.1x") == RC_OUT_TEMPFAIL, "454 4.7.1x: tempfail") ;
  CHECK(rc_verdict_outcome(454, "454") == RC_OUT_TEMPFAIL, "454 without text: tempfail") ;
  CHECK(rc_verdict_outcome(454, 0) == RC_OUT_TEMPFAIL, "no text: tempfail") ;
  CHECK(rc_verdict_outcome(550, 0) == RC_OUT_REFUSED && rc_verdict_outcome(250, 0) == RC_OUT_ACCEPTED && rc_verdict_outcome(0, 0) == RC_OUT_ERROR, "by class") ;
  return fails ? 1 : 0 ;
}
