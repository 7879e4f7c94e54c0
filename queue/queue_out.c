/* queue_out.c: the pieces of mxhold-queuectl's output lines (queuectl.h):
   recipient states in words, times relative and in ISO 8601, replies. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include "lib/log.h"
#include "lib/u64.h"
#include "queue/queue.h"
#include "queue/queuectl.h"

#define QUEUE_ISO_BYTES 32   /* "2026-12-04T17:50:00Z" and room */

int queue_rcpt_state (struct queue_item const *it, uint32_t index, struct queue_state *st)
{
  size_t pos = 0 ;
  int found = 0 ;
  struct queue_state x ;
  while (queue_state_next(it->state.p, it->state.len, &pos, &x))
    if (x.index == index)     /* the last line wins */
    {
      *st = x ;
      found = 1 ;
    }
  return found ;
}

char const *queue_state_word (struct queue_state const *st, int has, int held)
{
  switch (has ? st->status : 'p')
  {
    case 'd' :
      return "delivered" ;
    case 'b' :
      return "bounced" ;
    case 'x' :
      return "expired" ;
    default :
      if (held || (has && st->next == QUEUE_NEXT_HELD)) return "held" ;
      return has && st->attempts ? "deferred" : "queued" ;
  }
}

void queue_out_iso (struct mx_log *l, char const *key, uint64_t t)
{
  char iso[QUEUE_ISO_BYTES] ;
  time_t tt = (time_t)t ;
  struct tm tm ;
  if (!gmtime_r(&tt, &tm) || !strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
  {
    mx_log_str(l, key, "-") ;
    return ;
  }
  mx_log_str(l, key, iso) ;
}

void queue_out_time (struct mx_log *l, char const *key, char const *keyat, uint64_t t, uint64_t now)
{
  char rel[MX_U64_FMT + 2] ;
  uint64_t d = t >= now ? t - now : now - t ;
  size_t n = 0 ;
  rel[n++] = t > now ? '+' : t < now ? '-' : keyat && !strcmp(key, "last") ? '-' : '+' ;
  n += mx_u64_fmt(rel + n, d) ;
  rel[n++] = 's' ;
  mx_log_bytes(l, key, rel, n) ;
  if (keyat) queue_out_iso(l, keyat, t) ;
}

void queue_out_secs (struct mx_log *l, char const *key, uint64_t secs)
{
  char s[MX_U64_FMT + 1] ;
  size_t n = mx_u64_fmt(s, secs) ;
  s[n++] = 's' ;
  mx_log_bytes(l, key, s, n) ;
}

void queue_out_reply (struct mx_log *l, struct span r)
{
  int smtp = r.len >= 3 && r.p[0] >= '2' && r.p[0] <= '5' && r.p[1] >= '0' && r.p[1] <= '9'
          && r.p[2] >= '0' && r.p[2] <= '9' && (r.len == 3 || r.p[3] == ' ') ;
  if (!r.len) return ;
  mx_log_bytes(l, smtp ? "reply" : "error", r.p, r.len) ;
}

void queue_out_end (struct mx_log *l)
{
  if (mx_log_end_fd(l, 1) == -1) mx_die_kv(111, "unable-write-stdout", "error", strerror(errno), (char const *)0) ;
}
