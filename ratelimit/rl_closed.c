/* rl_closed.c: what ratelimit does when its state cannot be used (a
   state file made by root and a ratelimit running as another user, a
   read-only or full disk). It fails closed, temporarily: admitting
   everyone would drop the limit without a sound, and the queue behind a
   deploy that broken answers 451 anyway. 421 4.3.0 tells every client to
   come back later (no mail is lost), and one warning a minute, not one per
   connection, tells the operator. */
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/write_all.h"
#include "ratelimit/rl_redis.h"

#define RL_CLOSED_REPLY " rate-limit state unusable, try again later"

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
  if (rl_once_for(state, RL_CLOSED_MARKER, RL_ONCE_SECS))
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
