/* rl_closed.c: what ratelimit does when its state cannot be used (a
   state file made by root and a ratelimit running as another user, a
   read-only or full disk). It fails closed, temporarily: admitting
   everyone would drop the limit without a sound, and the queue behind a
   deploy that broken answers 451 anyway. 421 4.3.0 tells every client to
   come back later (no mail is lost), and one warning a minute, not one per
   connection, tells the operator. */
#include <string.h>
#include <unistd.h>
#include "lib/fnv.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "ratelimit/rl_redis.h"

#define RL_CLOSED_REPLY " rate-limit state unusable, try again later"

/* Should this process log? The marker next to the state file, else one
   in /dev/shm named for this user and this state file. */
static int once (char const *state)
{
  char path[RL_PATH_MAX + sizeof RL_CLOSED_MARKER] ;
  int r = -1 ;
  if (state[0] && strlen(state) + sizeof RL_CLOSED_MARKER <= sizeof path)
  {
    memcpy(path, state, strlen(state)) ;
    memcpy(path + strlen(state), RL_CLOSED_MARKER, sizeof RL_CLOSED_MARKER) ;
    r = rl_once(path, RL_ONCE_SECS) ;
  }
  if (r != -1) return r ;
  {
    uint32_t h = mx_fnv1a32(MX_FNV_BASIS, state, strlen(state)) ;
    size_t n = sizeof RL_CLOSED_SHM - 1 ;
    memcpy(path, RL_CLOSED_SHM, n) ;
    n += mx_u64_fmt(path + n, geteuid()) ;
    path[n++] = '.' ;
    for (int i = 7 ; i >= 0 ; i--) path[n++] = "0123456789abcdef"[h >> (4 * i) & 15] ;
    memcpy(path + n, RL_CLOSED_MARKER, sizeof RL_CLOSED_MARKER) ;
  }
  return rl_once(path, RL_ONCE_SECS) != 0 ;
}

void rl_closed (char const *me, char const *state, char const *ip, int e)
{
  char reply[RL_REFUSE_LINE_MAX] ;
  size_t n = sizeof "421 4.3.0 " - 1 ;
  size_t ml = strlen(me) ;
  memcpy(reply, "421 4.3.0 ", n) ;
  if (ml > RL_REFUSE_LINE_MAX - 64) ml = RL_REFUSE_LINE_MAX - 64 ;
  for (size_t i = 0 ; i < ml ; i++) reply[n++] = (unsigned char)me[i] < 33 || (unsigned char)me[i] > 126 ? '?' : me[i] ;
  memcpy(reply + n, RL_CLOSED_REPLY, sizeof RL_CLOSED_REPLY - 1) ;
  n += sizeof RL_CLOSED_REPLY - 1 ;
  if (once(state))
  {
    struct mx_log l ;
    mx_log_start(&l, MX_LOG_WARN, "refused") ;
    mx_log_str(&l, "client", ip) ;
    mx_log_str(&l, "reason", "state-unusable") ;
    mx_log_str(&l, "path", state[0] ? state : "-") ;
    mx_log_errno(&l, e) ;
    mx_log_bytes(&l, "reply", reply, n) ;
    mx_log_str(&l, "detail", "every connection gets this until the state file can be used; logged once a minute") ;
    mx_log_end(&l) ;
  }
  reply[n++] = '\r' ;
  reply[n++] = '\n' ;
  mx_write_all(1, reply, n) ;
  _exit(0) ;
}
