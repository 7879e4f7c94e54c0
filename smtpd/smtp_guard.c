/* smtp_guard.c: idle commands, the session deadline, DATA's minimum rate
   (smtp_guard.h). One client may otherwise hold a session slot for ever:
   NOOP every few minutes, a command line or DATA dripped a byte at a time
   inside timeout_command / timeout_data. libc only. */
#include "smtpd/smtp_guard.h"

static uint64_t sat_add (uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b ;
}

static uint64_t sat_mul (uint64_t a, uint64_t b)
{
  return b && a > UINT64_MAX / b ? UINT64_MAX : a * b ;
}

void smtp_guard_init (struct smtp_guard *g, uint64_t start, uint64_t session_secs, uint64_t idle_max,
                      uint64_t rate_min, uint64_t window_secs)
{
  g->idle = 0 ;
  g->idle_max = idle_max ;
  g->deadline = sat_add(start, sat_mul(session_secs, SMTPD_MS_PER_SEC)) ;
  g->rate_min = rate_min ;
  g->window = sat_mul(window_secs ? window_secs : 1, SMTPD_MS_PER_SEC) ;
  g->waited = 0 ;
  g->got = 0 ;
}

int smtp_guard_idle (struct smtp_guard *g)
{
  if (g->idle < UINT64_MAX) g->idle++ ;
  return g->idle > g->idle_max ;
}

/* ms left, as whole seconds rounded up */
static uint64_t ceil_secs (uint64_t ms)
{
  return ms / SMTPD_MS_PER_SEC + (ms % SMTPD_MS_PER_SEC ? 1 : 0) ;
}

unsigned smtp_guard_secs (struct smtp_guard const *g, uint64_t secs, uint64_t now, int data)
{
  uint64_t left ;
  if (now >= g->deadline) return 0 ;
  left = ceil_secs(g->deadline - now) ;
  if (left < secs) secs = left ;
  if (data && g->rate_min)
  {
    uint64_t w = g->waited < g->window ? ceil_secs(g->window - g->waited) : 1 ;
    if (w < secs) secs = w ;
  }
  if (!secs) secs = 1 ;
  return secs > UINT32_MAX ? UINT32_MAX : (unsigned)secs ;
}

enum smtp_gverdict smtp_guard_check (struct smtp_guard const *g, uint64_t now)
{
  return now >= g->deadline ? SMTP_GUARD_DEADLINE : SMTP_GUARD_OK ;
}

void smtp_guard_data_begin (struct smtp_guard *g)
{
  g->waited = 0 ;
  g->got = 0 ;
}

enum smtp_gverdict smtp_guard_data (struct smtp_guard *g, uint64_t waited, uint64_t bytes, uint64_t now)
{
  if (now >= g->deadline) return SMTP_GUARD_DEADLINE ;
  if (!g->rate_min) return SMTP_GUARD_OK ;
  g->waited = sat_add(g->waited, waited) ;
  g->got = sat_add(g->got, bytes) ;
  if (g->waited < g->window) return SMTP_GUARD_OK ;
  /* bytes / (waited / 1000) < rate_min, without a division */
  if (sat_mul(g->got, SMTPD_MS_PER_SEC) < sat_mul(g->rate_min, g->waited)) return SMTP_GUARD_SLOW ;
  g->waited = 0 ;
  g->got = 0 ;
  return SMTP_GUARD_OK ;
}
