/* conf_floor.h: the floor of the timing limits (conf_floor.c). libc only.

   A cap keeps a limit from being absurdly large; a floor keeps a timing
   limit from being absurdly small (retry_min 0 made deliver retry a
   refusing host thousands of times a second). Each floored limit has:

     floor   the least value mxhold-conf accepts (a smaller one is an
             error, "file:line: value below the floor of N")
     hard    the least value any program uses, whatever config.cdb holds
             (conf_limits_get raises a smaller one to it): never 0
     zero    1 if 0 is a value of its own there (lifetime 0: calendar
             days), allowed beside the floor

   The test suite needs seconds where production needs minutes; with
   $MXHOLD_TEST_FLOORS set to 1 (TEST ONLY: tests/lib.sh exports it;
   never set it for a relay) mxhold-conf's floor is the hard one. */
#ifndef MXHOLD_CONF_FLOOR_H
#define MXHOLD_CONF_FLOOR_H

#include <stdint.h>
#include "conf/conf.h"

#define CONF_FLOOR_TEST_ENV "MXHOLD_TEST_FLOORS"

/*        limit             floor  hard  zero */
#define CONF_FLOORS(X) \
  X(window,           60,    1,    0) \
  X(lifetime,         3600,  1,    1) \
  X(lifetime_days,    1,     0,    0) \
  X(retry_min,        60,    1,    0) \
  X(retry_max,        60,    1,    0) \
  X(timeout_command,  30,    1,    0) \
  X(timeout_data,     30,    1,    0) \
  X(timeout_queue,    30,    1,    0) \
  X(timeout_session,  60,    1,    0) \
  X(data_rate_window, 5,     1,    0) \
  X(timeout_connect,  5,     1,    0) \
  X(timeout_remote,   30,    1,    0) \
  X(timeout_bounce,   10,    1,    0) \
  X(spf_budget,       5,     1,    0) \
  X(verify_timeout,   5,     1,    0)

/* The floor mxhold-conf enforces for limit i (0: none): the production
   one, or the hard one under $MXHOLD_TEST_FLOORS=1. */
uint64_t conf_floor (unsigned int i) ;
/* The hard floor of limit i (0: none). */
uint64_t conf_floor_hard (unsigned int i) ;
/* 1 if v is allowed for limit i although below its floor (0 with zero). */
int conf_floor_zero_ok (unsigned int i, uint64_t v) ;
/* Raises every value of l below its hard floor to it (a 0 that means
   something stays). */
void conf_floor_clamp (struct conf_limits *l) ;

#endif
