/* smtp_guard.h: the limits that keep one client from holding a session
   for nothing (libc only, no clock of its own: the caller passes the
   time, so the unit test can): idle commands per session, a deadline for
   the whole session, and a minimum transfer rate inside DATA. */
#ifndef MXHOLD_SMTP_GUARD_H
#define MXHOLD_SMTP_GUARD_H

#include <stdint.h>

#define SMTPD_MS_PER_SEC 1000

/* What a guard says about the session. */
enum smtp_gverdict
{
  SMTP_GUARD_OK,
  SMTP_GUARD_DEADLINE,   /* timeout_session is over */
  SMTP_GUARD_SLOW        /* DATA slower than data_rate_min over a window */
} ;

struct smtp_guard
{
  uint64_t idle ;          /* idle commands so far */
  uint64_t idle_max ;      /* idle_commands */
  uint64_t deadline ;      /* ms (the caller's clock) when the session is over */
  uint64_t rate_min ;      /* data_rate_min, bytes per second; 0: none */
  uint64_t window ;        /* data_rate_window, ms */
  uint64_t waited ;        /* ms spent waiting for the client in this window */
  uint64_t got ;           /* bytes the client sent in this window */
} ;

/* start: the session's start (ms); session_secs: timeout_session;
   idle_max: idle_commands; rate_min (bytes/s) and window_secs:
   data_rate_min and data_rate_window. */
void smtp_guard_init (struct smtp_guard *g, uint64_t start, uint64_t session_secs, uint64_t idle_max,
                      uint64_t rate_min, uint64_t window_secs) ;

/* Counts one idle command (NOOP, RSET, VRFY, HELP, a repeated HELO):
   1 if it is one too many (number idle_max + 1), else 0. */
int smtp_guard_idle (struct smtp_guard *g) ;

/* The read timeout to use at now for a wait whose own limit is secs:
   never past the session's deadline, and in DATA (data != 0) never past
   the end of the rate window. At least 1 while time is left; 0 once the
   deadline is reached. */
unsigned smtp_guard_secs (struct smtp_guard const *g, uint64_t secs, uint64_t now, int data) ;

/* Is the session over at now? */
enum smtp_gverdict smtp_guard_check (struct smtp_guard const *g, uint64_t now) ;

/* DATA begins: a fresh rate window. */
void smtp_guard_data_begin (struct smtp_guard *g) ;
/* In DATA: the client was waited for waited ms and sent bytes in that
   time. SLOW once a window of waiting is complete and it held fewer than
   rate_min bytes per second of it (the window then starts anew); the
   deadline as smtp_guard_check. Time the relay spends on its own (writing
   to the queue's pipe) is not the client's and is not counted. */
enum smtp_gverdict smtp_guard_data (struct smtp_guard *g, uint64_t waited, uint64_t bytes, uint64_t now) ;

#endif
