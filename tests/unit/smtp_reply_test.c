/* smtp_reply_test.c: exit status (and fd-4 text) to SMTP reply. */
#include <stdio.h>
#include <string.h>
#include "smtpd/smtp_reply.h"
#include "tests/unit/check.h"

static void t (int st, int broken, char const *txt, int wcode, char const *wreply, char const *what)
{
  char reply[SMTPD_REPLY_LINE] ;
  int code = smtp_reply_status(st, broken, txt, strlen(txt), "1.2.3", reply) ;
  CHECK(code == wcode && !strcmp(reply, wreply), what) ;
  if (code != wcode || strcmp(reply, wreply)) printf("# got %d '%s'\n", code, reply) ;
}
#define EXIT(n) ((n) << 8)

int main (void)
{
  t(EXIT(0), 0, "", 250, "250 2.0.0 Ok: queued as 1.2.3", "exit 0: 250") ;
  t(EXIT(0), 1, "", 451, "451 4.3.0 queue failure, try again later", "exit 0 without the whole message: 451") ;
  t(EXIT(0), 0, "554 5.7.1 no", 250, "250 2.0.0 Ok: queued as 1.2.3", "exit 0 ignores fd 4") ;
  t(EXIT(100), 0, "", 554, "554 5.3.0 message refused by the queue", "exit 100: 554") ;
  t(EXIT(31), 0, "", 554, "554 5.3.0 message refused by the queue", "qmail 31: 554") ;
  t(EXIT(111), 0, "", 451, "451 4.3.0 queue failure, try again later", "exit 111: 451") ;
  t(EXIT(53), 0, "", 451, "451 4.3.0 queue failure, try again later", "qmail 53: 451") ;
  t(EXIT(1), 0, "", 451, "451 4.3.0 queue failure, try again later", "exit 1: 451") ;
  t(11, 0, "", 451, "451 4.3.0 queue failure, try again later", "SIGSEGV: 451") ;
  t(-1, 0, "", 451, "451 4.3.0 queue failure, try again later", "killed on timeout: 451") ;
  t(EXIT(100), 0, "550 5.7.1 SPF fail\r\n", 550, "550 5.7.1 SPF fail", "custom 5xx reply") ;
  t(EXIT(111), 0, "450 4.7.1 greylisted\n", 450, "450 4.7.1 greylisted", "custom 4xx reply") ;
  t(EXIT(111), 0, "550 5.7.1 wrong class\n", 451, "451 4.3.0 queue failure, try again later", "custom reply of the wrong class ignored") ;
  t(EXIT(100), 0, "250 ok\n", 554, "554 5.3.0 message refused by the queue", "a 250 from the child ignored") ;
  t(EXIT(100), 0, "553 no code here\n", 553, "553 5.3.0 no code here", "enhanced code added") ;
  t(EXIT(82), 0, "Dvirus found\n", 554, "554 5.3.0 virus found", "qmail D custom error") ;
  t(EXIT(82), 0, "Ztry later\n", 451, "451 4.3.0 try later", "qmail Z custom error") ;
  t(EXIT(100), 0, "550 5.7.1 bad\x01\x7f bytes\n", 550, "550 5.7.1 bad?? bytes", "sanitised") ;
  return check_done() ;
}
