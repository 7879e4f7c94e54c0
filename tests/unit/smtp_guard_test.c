/* smtp_guard_test.c: idle commands, the session deadline, DATA's rate. */
#include <stdint.h>
#include "smtpd/smtp_guard.h"
#include "tests/unit/check.h"

int main (void)
{
  struct smtp_guard g ;
  unsigned i ;
  int over = 0 ;

  smtp_guard_init(&g, 1000, 1800, 3, 500, 30) ;
  for (i = 0 ; i < 3 ; i++) over |= smtp_guard_idle(&g) ;
  CHECK(!over, "idle: 3 of 3 allowed") ;
  CHECK(smtp_guard_idle(&g), "idle: the 4th is one too many") ;
  smtp_guard_init(&g, 0, 10, 0, 0, 30) ;
  CHECK(smtp_guard_idle(&g), "idle_commands 0: the first is too many") ;

  smtp_guard_init(&g, 1000, 10, 100, 0, 30) ;
  CHECK(smtp_guard_secs(&g, 300, 1000, 0) == 10, "secs: cut to the session's 10 s") ;
  CHECK(smtp_guard_secs(&g, 5, 1000, 0) == 5, "secs: the wait's own 5 s when shorter") ;
  CHECK(smtp_guard_secs(&g, 300, 10500, 0) == 1, "secs: 0.5 s left rounds up to 1") ;
  CHECK(smtp_guard_secs(&g, 300, 11000, 0) == 0, "secs: 0 at the deadline") ;
  CHECK(smtp_guard_check(&g, 10999) == SMTP_GUARD_OK, "check: 1 ms before the deadline") ;
  CHECK(smtp_guard_check(&g, 11000) == SMTP_GUARD_DEADLINE, "check: at the deadline") ;
  smtp_guard_init(&g, UINT64_MAX - 5, 86400, 100, 0, 30) ;
  CHECK(smtp_guard_check(&g, UINT64_MAX - 1) == SMTP_GUARD_OK, "deadline saturates, no wrap") ;

  /* 500 B/s over 30 s windows: 15000 bytes per window of waiting */
  smtp_guard_init(&g, 0, 1800, 100, 500, 30) ;
  smtp_guard_data_begin(&g) ;
  CHECK(smtp_guard_secs(&g, 600, 0, 1) == 30, "data secs: no longer than the window") ;
  CHECK(smtp_guard_secs(&g, 600, 0, 0) == 600, "command secs: the window does not apply") ;
  CHECK(smtp_guard_data(&g, 10000, 100, 10000) == SMTP_GUARD_OK, "10 s, 100 B: window not complete") ;
  CHECK(smtp_guard_secs(&g, 600, 10000, 1) == 20, "data secs: what is left of the window") ;
  CHECK(smtp_guard_data(&g, 20000, 14899, 30000) == SMTP_GUARD_SLOW, "30 s, 14999 B: slow") ;
  smtp_guard_data_begin(&g) ;
  CHECK(smtp_guard_data(&g, 30000, 15000, 60000) == SMTP_GUARD_OK, "30 s, 15000 B: exactly the minimum") ;
  CHECK(g.waited == 0 && g.got == 0, "a passed window starts anew") ;
  CHECK(smtp_guard_data(&g, 31000, 0, 91000) == SMTP_GUARD_SLOW, "a silent window: slow") ;
  smtp_guard_data_begin(&g) ;
  for (i = 0 ; i < 100 ; i++) CHECK(smtp_guard_data(&g, 1, 16384, 91000) == SMTP_GUARD_OK, "fast reads: never slow") ;
  smtp_guard_init(&g, 0, 1800, 100, 0, 30) ;
  smtp_guard_data_begin(&g) ;
  CHECK(smtp_guard_data(&g, 600000, 0, 600000) == SMTP_GUARD_OK, "data_rate_min 0: no minimum") ;
  CHECK(smtp_guard_data(&g, 1, 0, 1800000) == SMTP_GUARD_DEADLINE, "the deadline inside DATA") ;
  return check_done() ;
}
