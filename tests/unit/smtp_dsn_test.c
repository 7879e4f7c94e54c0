/* smtp_dsn_test.c: RFC 3461 parameters: xtext, NOTIFY, ORCPT, ENVID, RET. */
#include <string.h>
#include "smtpd/smtp_dsn.h"
#include "tests/unit/check.h"

#define L(lit) ((struct span){ lit, sizeof(lit) - 1 })

int main (void)
{
  char big[600] ;
  char out[32] ;
  CHECK(smtp_dsn_xtext(L("QQ+2B1")) && smtp_dsn_xtext(L("")), "xtext with +2B; empty") ;
  CHECK(!smtp_dsn_xtext(L("a+2b")), "lower-case hex refused") ;
  CHECK(!smtp_dsn_xtext(L("a+2")) && !smtp_dsn_xtext(L("a+")), "cut +XX refused") ;
  CHECK(!smtp_dsn_xtext(L("a=b")) && !smtp_dsn_xtext(L("a b")) && !smtp_dsn_xtext(L("a\x7f")) && !smtp_dsn_xtext(L("\xc3\xbc")), "'=', space, DEL, 8-bit refused") ;
  CHECK(smtp_dsn_notify(L("NEVER")) == SMTP_NOTIFY_NEVER, "NEVER") ;
  CHECK(smtp_dsn_notify(L("success,Failure,DELAY")) == (SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY), "a list, any case") ;
  CHECK(!smtp_dsn_notify(L("NEVER,SUCCESS")) && !smtp_dsn_notify(L("FAILURE,FAILURE")), "NEVER with another, a duplicate") ;
  CHECK(!smtp_dsn_notify(L("")) && !smtp_dsn_notify(L("FAILURE,")) && !smtp_dsn_notify(L("SOMETIMES")), "empty, trailing comma, unknown") ;
  CHECK(smtp_dsn_orcpt(L("rfc822;u+40example.com")) && smtp_dsn_orcpt(L("utf-8;x")), "ORCPT") ;
  CHECK(!smtp_dsn_orcpt(L("rfc822")) && !smtp_dsn_orcpt(L(";a")) && !smtp_dsn_orcpt(L("rfc822;")) && !smtp_dsn_orcpt(L("rfc 822;a")), "ORCPT without type, value, or with a bad type") ;
  memcpy(big, "rfc822;", 7) ;
  memset(big + 7, 'x', sizeof big - 7) ;
  CHECK(smtp_dsn_orcpt((struct span){ big, SMTPD_DSN_ORCPT_MAX }), "ORCPT of 500") ;
  CHECK(!smtp_dsn_orcpt((struct span){ big, SMTPD_DSN_ORCPT_MAX + 1 }), "ORCPT of 501") ;
  memset(big, 'e', sizeof big) ;
  CHECK(smtp_dsn_envid((struct span){ big, SMTPD_DSN_ENVID_MAX }) && !smtp_dsn_envid((struct span){ big, SMTPD_DSN_ENVID_MAX + 1 }), "ENVID 100, not 101") ;
  CHECK(!smtp_dsn_envid(L("")), "empty ENVID") ;
  CHECK(smtp_dsn_ret(L("full")) == 'F' && smtp_dsn_ret(L("HDRS")) == 'H' && !smtp_dsn_ret(L("ALL")), "RET") ;
  smtp_dsn_notify_fmt(SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, out) ;
  CHECK(!strcmp(out, "FAILURE,DELAY"), "NOTIFY as stored") ;
  smtp_dsn_notify_fmt(SMTP_NOTIFY_NEVER, out) ;
  CHECK(!strcmp(out, "NEVER"), "NEVER as stored") ;
  return check_done() ;
}
