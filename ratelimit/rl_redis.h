/* rl_redis.h: mxhold-ratelimit's shared state on Redis (the config's
   `redis` file), for several relay hosts that count each client together.
   hiredis (Debian's libhiredis, libc only) speaks the protocol; this module
   connects within a deadline and runs the GCRA step as one Lua script, so
   every host's connections for a key are counted atomically.

   rl_once   a marker file that lets one process in an interval log an
             outage (libc only) */
#ifndef MXHOLD_RL_REDIS_H
#define MXHOLD_RL_REDIS_H

#include <stdint.h>
#include "conf/conf.h"
#include "ratelimit/ratelimit.h"

#define RL_REDIS_TIMEOUT_MS 50       /* connect + reply, whole: a gate must never hold a session up */
#define RL_REDIS_KEY_PREFIX "mxhold:rl:"   /* then the key as rl_key_fmt writes it */
#define RL_ONCE_SECS 60              /* an outage is logged once per this many seconds */
#define RL_REDIS_MS_ENV "MXHOLD_RL_REDIS_MS"   /* overrides RL_REDIS_TIMEOUT_MS (1..10000) */
#define RL_REDIS_MARKER ".redis-down"  /* after the state file's path: the outage marker */

/* Counts one connection from k at now against l in Redis at a, giving up
   after timeout_ms (0: RL_REDIS_TIMEOUT_MS) from the call. Fills v as
   rl_state_take does. 0, or -1 with *why a reason word and errno where
   one applies: "connect" (refused, unreachable), "timeout" (connect or
   reply past the deadline), "closed" (the connection failed mid-reply),
   "error-reply" (Redis answered an error: its text in rl_redis_error,
   e.g. NOAUTH), "bad-reply" (not the script's five integers). */
int rl_redis_take (struct conf_redis_addr const *a, unsigned int timeout_ms, struct rl_key const *k, uint64_t now,
                   struct rl_limit const *l, struct rl_verdict *v, char const **why) ;

#define RL_REDIS_ERROR_MAX 200      /* Redis's error text kept for the log */
extern char rl_redis_error[RL_REDIS_ERROR_MAX] ;

/* ratelimit's hook: counts the connection in Redis (1, verdict in v), or
   returns 0 when Redis cannot answer and the caller must count locally.
   The outage is logged once per RL_ONCE_SECS through the marker
   rl_once_for(state, RL_REDIS_MARKER), its end once ("redis-restored"). */
int rl_redis_gate (struct conf_redis_addr const *a, unsigned int timeout_ms, char const *state, struct rl_key const *k,
                   uint64_t now, struct rl_limit const *l, struct rl_verdict *v) ;

/* The GCRA step in Lua: KEYS[1] the key, ARGV now, interval, tolerance
   (microseconds); returns { admitted, tat, retry, admitted_total,
   denied_total }. Exposed for the tests. */
extern char const rl_redis_script[] ;

/* 1 if the caller should log an event now: the marker path did not exist
   or is older than secs (it is then created or touched), and no other
   process is deciding at the same moment. 0 otherwise. -1 if the marker
   cannot be made or opened at all (the caller logs: better a line too
   many than none). */
int rl_once (char const *path, unsigned int secs) ;
/* Removes the marker: 1 if there was one (the outage is over), 0 if not. */
int rl_once_clear (char const *path) ;

/* rl_once for the outage SUFFIX of the state file STATE: the marker is
   STATE SUFFIX, or, when that cannot be made (the state's directory is
   the queue's, which the SMTP user may not write: conf/install-host.sh),
   RL_ONCE_SHM UID "." HASH SUFFIX, HASH the FNV-1a of STATE in hex, so
   two relays on one host do not share it. 1 log, 0 quiet. */
#define RL_ONCE_SHM "/dev/shm/mxhold-ratelimit."
#define RL_ONCE_PATH_MAX (RL_PATH_MAX + 64)
int rl_once_for (char const *state, char const *suffix, unsigned int secs) ;
/* Removes either marker: 1 if there was one. */
int rl_once_clear_for (char const *state, char const *suffix) ;

/* The state cannot be used (its open or update failed with errno e):
   fails closed, for now. Writes "421 4.3.0 ME rate-limit state unusable,
   try again later" on fd 1 and exits 0; logs one warning (refused,
   reason=state-unusable) per RL_ONCE_SECS, through the marker
   rl_once_for(state, RL_CLOSED_MARKER). */
void rl_closed (char const *me, char const *state, char const *ip, int e) __attribute__((noreturn)) ;
#define RL_CLOSED_MARKER ".unusable"
#define RL_PATH_MAX 4096             /* a state file's path, NUL included */

#endif
