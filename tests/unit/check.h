/* check.h: the assertion of every unit test. A test prints one TAP line
   per check ("ok - what" / "not ok - what (file:line)"), counts the
   failures in check_fails, and ends with `return check_done() ;`, which
   is 0 when every check passed, else 1 (tests/run.sh counts the lines). */
#ifndef MXHOLD_TESTS_CHECK_H
#define MXHOLD_TESTS_CHECK_H

#include <stdio.h>

static unsigned int check_fails ;

#define CHECK(cond, what) do \
  { \
    if (cond) printf("ok - %s\n", (what)) ; \
    else \
    { \
      printf("not ok - %s (%s:%d)\n", (what), __FILE__, __LINE__) ; \
      check_fails++ ; \
    } \
  } while (0)

static inline int check_done (void)
{
  return check_fails ? 1 : 0 ;
}

#endif
