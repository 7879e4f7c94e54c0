/* rc_verdict.c: turn the replies into verdicts. libc only.

   Open means: the server accepted (250 or 251, any 2xx) a RCPT whose
   recipient is foreign however the address is read (class RELAY or PROBE),
   or one that hides a foreign address behind the own domain (HIDDEN) while
   the same server refused a made-up mailbox at that own domain (its
   CONTROL) -- a server that verifies recipients and still takes
   "user%foreign@own" has understood it as routable. If the control was
   accepted too, the server takes anything at its own domain and the 2xx
   says nothing: that trick is "local", not open.
   Closed means: not open, and every RELAY/HIDDEN/PROBE trick got a
   definite answer (5xx at any step, or "local").
   Anything else (4xx, timeouts, drops, tricks not run) is inconclusive.
   One exception: a 4xx whose enhanced status code is 4.7.x (security or
   policy, RFC 3463) counts as a refusal. Postfix's stock rules answer a
   relay attempt "454 4.7.1 Relay access denied" (defer_unauth_destination)
   so that a configuration mistake costs a retry instead of a bounce; the
   server has refused to relay, which is all we ask. */

#include <string.h>
#include "relaycheck/relaycheck.h"

/* "454 4.7.1 ..." : a temporary reply whose enhanced status code (RFC 3463)
   is in class 7, security or policy. */
static int policy_4xx (char const *text)
{
  size_t i = 6 ;
  if (!text || strlen(text) < 9 || text[3] != ' ' || text[4] != '4' || text[5] != '.' || text[6] != '7') return 0 ;
  if (text[++i] != '.') return 0 ;
  i++ ;
  if (text[i] < '0' || text[i] > '9') return 0 ;
  while (text[i] >= '0' && text[i] <= '9') i++ ;
  return text[i] == ' ' || !text[i] ;
}

unsigned rc_verdict_outcome (unsigned code, char const *text)
{
  if (code >= 200 && code < 300) return RC_OUT_ACCEPTED ;
  if (code >= 500 && code < 600) return RC_OUT_REFUSED ;
  if (code >= 400 && code < 500) return code != 421 && policy_4xx(text) ? RC_OUT_REFUSED : RC_OUT_TEMPFAIL ;
  return RC_OUT_ERROR ;
}

/* Did the server say yes to the RCPT? */
static int rcpt_ok (struct rc_result const *r)
{
  if (r->stage == RC_ST_DATA || r->stage == RC_ST_DOT) return 1 ;
  return r->stage == RC_ST_RCPT && r->outcome == RC_OUT_ACCEPTED ;
}

static unsigned judge_one (struct rc_result const *r, struct rc_result const *all, size_t n)
{
  int yes = rcpt_ok(r), no = r->outcome == RC_OUT_REFUSED && !yes ;
  switch (r->t->cls)
  {
    case RC_CLS_RELAY :
    case RC_CLS_PROBE :
      return yes ? RC_TV_OPEN : no ? RC_TV_CLOSED : RC_TV_UNKNOWN ;
    case RC_CLS_CONTROL :
      return yes ? RC_TV_NOVERIFY : no ? RC_TV_VERIFIES : RC_TV_UNKNOWN ;
    case RC_CLS_DIRECT :
      return yes ? RC_TV_WARN : no ? RC_TV_OK : RC_TV_UNKNOWN ;
    case RC_CLS_HIDDEN :
    {
      size_t i ;
      if (no) return RC_TV_CLOSED ;
      if (!yes) return RC_TV_UNKNOWN ;
      for (i = 0 ; i < n ; i++)
        if (all[i].t == &rc_tricks[(size_t)r->t->ctl])
        {
          unsigned c = judge_one(all + i, all, n) ;
          return c == RC_TV_VERIFIES ? RC_TV_OPEN : c == RC_TV_NOVERIFY ? RC_TV_LOCAL : RC_TV_UNKNOWN ;
        }
      return RC_TV_UNKNOWN ;
    }
  }
  return RC_TV_UNKNOWN ;
}

unsigned rc_verdict_judge (struct rc_result *r, size_t n, unsigned *direct)
{
  size_t i, relay = 0 ;
  int open = 0, unknown = 0 ;
  if (direct) *direct = RC_TV_UNKNOWN ;
  for (i = 0 ; i < n ; i++)
  {
    r[i].verdict = (unsigned char)judge_one(r + i, r, n) ;
    switch (r[i].t->cls)
    {
      case RC_CLS_RELAY :
      case RC_CLS_PROBE :
      case RC_CLS_HIDDEN :
        relay++ ;
        if (r[i].verdict == RC_TV_OPEN) open = 1 ;
        else if (r[i].verdict == RC_TV_UNKNOWN) unknown = 1 ;
        break ;
      case RC_CLS_DIRECT :
        if (direct) *direct = r[i].verdict ;
        break ;
    }
  }
  if (open) return RC_SUM_OPEN ;
  if (unknown || !relay) return RC_SUM_INCONCLUSIVE ;
  return RC_SUM_CLOSED ;
}

char const *rc_verdict_name (unsigned tv)
{
  static char const *const names[] = { "unknown", "OPEN", "closed", "local", "verifies", "no-verify", "WARN", "ok" } ;
  return tv < sizeof(names) / sizeof(names[0]) ? names[tv] : "unknown" ;
}

char const *rc_sum_name (unsigned sum)
{
  return sum == RC_SUM_OPEN ? "open" : sum == RC_SUM_CLOSED ? "closed" : "inconclusive" ;
}

char const *rc_stage_name (unsigned st)
{
  static char const *const names[] = { "notrun", "connect", "banner", "greeting", "mail", "rcpt", "data", "dot" } ;
  return st < sizeof(names) / sizeof(names[0]) ? names[st] : "notrun" ;
}

int rc_sum_exit (unsigned sum, unsigned direct)
{
  if (sum == RC_SUM_OPEN) return 1 ;
  if (sum == RC_SUM_INCONCLUSIVE) return 111 ;
  return direct == RC_TV_WARN ? 1 : 0 ;
}
