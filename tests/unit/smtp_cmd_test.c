/* smtp_cmd_test.c: command lines and MAIL/RCPT arguments. */
#include <string.h>
#include "smtpd/smtp_cmd.h"
#include "tests/unit/check.h"

static struct span S (char const *s, size_t n)
{
  return (struct span){ s, n } ;
}
#define L(lit) S(lit, sizeof(lit) - 1)

static int argis (struct span a, char const *s)
{
  return a.len == strlen(s) && !memcmp(a.p, s, a.len) ;
}

int main (void)
{
  struct span a ;
  struct smtp_path p ;
  char big[SMTPD_CMD_LINE_MAX] ;
  CHECK(smtp_cmd_parse(L(""), &a) == SMTP_V_UNKNOWN, "empty line is unknown") ;
  CHECK(smtp_cmd_parse(L("EHLO x.example"), &a) == SMTP_V_EHLO && argis(a, "x.example"), "EHLO and its argument") ;
  CHECK(smtp_cmd_parse(L("ehlo   x  "), &a) == SMTP_V_EHLO && argis(a, "x"), "verbs any case, spaces trimmed") ;
  CHECK(smtp_cmd_parse(L("QUIT"), &a) == SMTP_V_QUIT && a.len == 0, "QUIT, no argument") ;
  CHECK(smtp_cmd_parse(L("QUITX"), &a) == SMTP_V_UNKNOWN, "QUITX is unknown") ;
  CHECK(smtp_cmd_parse(L("STARTTLS"), &a) == SMTP_V_STARTTLS, "STARTTLS") ;
  CHECK(smtp_cmd_parse(L("NOOP\0x"), &a) == SMTP_V_BAD, "NUL inside is BAD") ;
  CHECK(smtp_cmd_parse(L("NOOP\nRSET"), &a) == SMTP_V_BAD, "bare LF inside is BAD") ;
  CHECK(smtp_cmd_parse(L("DATA\r"), &a) == SMTP_V_BAD, "CR inside is BAD") ;
  memset(big, 'A', sizeof big) ;
  memcpy(big, "NOOP ", 5) ;
  CHECK(smtp_cmd_parse(S(big, sizeof big), &a) == SMTP_V_NOOP && a.len == sizeof big - 5, "max length line parses") ;

  CHECK(smtp_cmd_path(L("FROM:<a@b.example>"), "FROM:", 1, &p) == SMTP_P_OK && argis(p.path, "a@b.example"), "MAIL path") ;
  CHECK(smtp_cmd_path(L("from: <a@b>"), "FROM:", 1, &p) == SMTP_P_OK && argis(p.path, "a@b"), "space after FROM: allowed") ;
  CHECK(smtp_cmd_path(L("FROM:<>"), "FROM:", 1, &p) == SMTP_P_OK && p.path.len == 0, "null path") ;
  CHECK(smtp_cmd_path(L("FROM:a@b"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "no brackets") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "no closing bracket") ;
  CHECK(smtp_cmd_path(L("TO:<a@b>"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "wrong keyword") ;
  CHECK(smtp_cmd_path(L(""), "FROM:", 1, &p) == SMTP_P_SYNTAX, "empty argument") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE=20971521 BODY=8BITMIME"), "FROM:", 1, &p) == SMTP_P_OK
        && p.has_size && p.size == 20971521 && p.body == SMTP_BODY_8BITMIME, "SIZE and BODY") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> body=7bit"), "FROM:", 1, &p) == SMTP_P_OK && p.body == SMTP_BODY_7BIT, "BODY=7BIT any case") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE=18446744073709551615"), "FROM:", 1, &p) == SMTP_P_OK && p.size == 18446744073709551615ULL, "SIZE max") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE=18446744073709551616"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SIZE max+1 overflows: syntax") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE="), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SIZE empty") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE=1x"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SIZE not a number") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SIZE=1 SIZE=2"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SIZE twice") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> BODY=BINARYMIME"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "BODY=BINARYMIME refused") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> AUTH=<>"), "FROM:", 1, &p) == SMTP_P_PARAM, "unknown parameter: 555") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SMTPUTF8"), "FROM:", 1, &p) == SMTP_P_OK && p.smtputf8, "SMTPUTF8 (RFC 6531)") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> smtputf8 BODY=8BITMIME"), "FROM:", 1, &p) == SMTP_P_OK && p.smtputf8 && p.body == SMTP_BODY_8BITMIME, "smtputf8 any case, with BODY") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SMTPUTF8=1"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SMTPUTF8 takes no value") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> SMTPUTF8 SMTPUTF8"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "SMTPUTF8 twice") ;
  CHECK(smtp_cmd_path(L("TO:<a@b> SMTPUTF8"), "TO:", 0, &p) == SMTP_P_PARAM, "no SMTPUTF8 on RCPT") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> RET=FULL ENVID=x+2B"), "FROM:", 1, &p) == SMTP_P_OK && p.ret == 'F' && p.envid.len == 4, "RET= and ENVID= (RFC 3461)") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> ENVID=a=b"), "FROM:", 1, &p) == SMTP_P_SYNTAX, "ENVID with '=': syntax") ;
  CHECK(smtp_cmd_path(L("TO:<a@b> NOTIFY=NEVER ORCPT=rfc822;a@b"), "TO:", SMTP_PARAMS_RCPT, &p) == SMTP_P_OK && p.notify && p.orcpt.len == 10, "NOTIFY= and ORCPT= on RCPT") ;
  CHECK(smtp_cmd_path(L("TO:<a@b> SIZE=1"), "TO:", SMTP_PARAMS_RCPT, &p) == SMTP_P_PARAM, "SIZE on RCPT: 555") ;
  CHECK(smtp_cmd_path(L("FROM:<a@b> NOTIFY=NEVER"), "FROM:", 1, &p) == SMTP_P_PARAM, "NOTIFY on MAIL: 555") ;
  CHECK(smtp_cmd_path(L("TO:<a@b> NOTIFY=NEVER"), "TO:", 0, &p) == SMTP_P_PARAM, "RCPT takes no parameters") ;
  CHECK(smtp_cmd_path(L("TO:<a@b>x"), "TO:", 0, &p) == SMTP_P_GARBAGE, "garbage glued after >") ;
  CHECK(smtp_cmd_path(L("TO:<a@b>   "), "TO:", 0, &p) == SMTP_P_OK, "trailing spaces fine") ;
  CHECK(smtp_cmd_path(L("TO:<a\0b@c>"), "TO:", 0, &p) == SMTP_P_OK && p.path.len == 5, "NUL in path kept in the span (address parser refuses it)") ;

  {
    uint64_t c = 7 ;
    int last = 7 ;
    char d20[] = "18446744073709551615" ;
    CHECK(smtp_cmd_parse(L("BDAT 10 LAST"), &a) == SMTP_V_BDAT && argis(a, "10 LAST"), "BDAT verb") ;
    CHECK(smtp_cmd_bdat(L("10"), &c, &last) == 0 && c == 10 && !last, "BDAT 10") ;
    CHECK(smtp_cmd_bdat(L("0 LAST"), &c, &last) == 0 && c == 0 && last, "BDAT 0 LAST") ;
    CHECK(smtp_cmd_bdat(L("5   last"), &c, &last) == 0 && c == 5 && last, "LAST any case, spaces between") ;
    CHECK(smtp_cmd_bdat(L("007"), &c, &last) == 0 && c == 7, "leading zeros") ;
    CHECK(smtp_cmd_bdat(S(d20, 20), &c, &last) == 0 && c == UINT64_MAX, "20 digits, UINT64_MAX") ;
    CHECK(smtp_cmd_bdat(L("18446744073709551616"), &c, &last) == -1, "UINT64_MAX + 1") ;
    CHECK(smtp_cmd_bdat(L("000000000000000000001"), &c, &last) == -1, "21 digits") ;
    CHECK(smtp_cmd_bdat(L(""), &c, &last) == -1, "no count") ;
    CHECK(smtp_cmd_bdat(L("LAST"), &c, &last) == -1, "LAST without a count") ;
    CHECK(smtp_cmd_bdat(L("-1"), &c, &last) == -1, "a sign") ;
    CHECK(smtp_cmd_bdat(L("+1"), &c, &last) == -1, "a plus") ;
    CHECK(smtp_cmd_bdat(L("0x10"), &c, &last) == -1, "hex") ;
    CHECK(smtp_cmd_bdat(L("10 LASTX"), &c, &last) == -1, "LASTX") ;
    CHECK(smtp_cmd_bdat(L("10 LAST LAST"), &c, &last) == -1, "two words") ;
    CHECK(smtp_cmd_bdat(L("1\0 LAST"), &c, &last) == -1, "NUL in the count") ;
  }
  return check_done() ;
}
