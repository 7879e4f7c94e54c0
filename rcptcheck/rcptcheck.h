/* rcptcheck.h: mxhold-rcptcheck, the recipient prober of recipients=verify
   and learn (rcptcheck.md). Module prefix rcpt_. */
#ifndef MXHOLD_RCPTCHECK_H
#define MXHOLD_RCPTCHECK_H

#include <stddef.h>
#include <stdint.h>
#include "lib/span.h"
#include "rcptcheck/rcpt_cache.h"

#define RCPT_HOSTS_MAX 16            /* addresses tried per probe: conf's CONF_ROUTE_HOSTS_MAX */
#define RCPT_HOST_TEXT_MAX 300       /* "name[address]:port" */
#define RCPT_REPLY_MAX 512           /* the reply text kept for the log */
#define RCPT_LINE_MAX 1000           /* RFC 5321 4.5.3.1.5: a reply line, CRLF included */
#define RCPT_PORT_DEFAULT 25

/* What a probe found. */
enum rcpt_verdict { RCPT_KNOWN, RCPT_UNKNOWN, RCPT_UNVERIFIED } ;

struct rcpt_probe
{
  char const *me ;                   /* EHLO name, NUL-terminated */
  struct span route ;                /* HOST[:PORT],... */
  char const *addr ;                 /* the recipient, as the client gave it */
  size_t addrlen ;
  uint64_t deadline_ms ;             /* monotonic ms: the whole probe ends here */
  /* results */
  char host[RCPT_HOST_TEXT_MAX] ;    /* the server that answered, or "-" */
  char reply[RCPT_REPLY_MAX] ;       /* its deciding reply, or the error */
  int err ;                          /* an errno value when no reply decided */
} ;

/* One reply line at the start of buf (len bytes, not NUL-terminated): 0
   when no whole line is there yet; -1 when it is not a reply line (no
   code 200..599, or a fourth byte neither ' ' nor '-'); else the line's
   length with its LF, *code, *last (1: the reply's last line) and the
   line in text (tmax bytes, NUL-terminated, cut, bytes outside 32..126 as
   '?'; tmax 0: no text). */
long rcpt_reply_line (char const *buf, size_t len, unsigned int *code, int *last, char *text, size_t tmax) ;

/* Monotonic milliseconds. */
uint64_t rcpt_ms (void) ;

/* EHLO, MAIL FROM:<>, RCPT TO:<addr>, QUIT to the route's hosts in turn
   until one answers the RCPT (250/251 known; 550, 551, 553 unknown),
   before p->deadline_ms. Anything else (no host reachable, a 4xx, another
   5xx, a timeout) is RCPT_UNVERIFIED. */
enum rcpt_verdict rcpt_probe_run (struct rcpt_probe *p) ;

/* One server address to try. */
struct rcpt_addr
{
  int family ;                       /* 4 or 6 */
  unsigned char ip[16] ;
  uint16_t port ;
  char name[256] ;
} ;
/* The route's addresses, in order (DNS through libowfat for names):
   how many (0: none). */
int rcpt_route_resolve (struct span route, struct rcpt_addr *out, int max) ;

/* The whole check of one address (rcpt_check.c): the cache, the server's
   probe budget, the probe, the cache again. */
struct rcpt_check
{
  struct rcpt_cache *cache ;         /* open for writing; NULL: unusable */
  struct rcpt_probe probe ;          /* me, route, addr filled in */
  char const *domain ;               /* for the log */
  uint64_t now ;                     /* rcpt_now() */
  uint64_t positive, negative ;      /* verify_positive, verify_negative */
  uint64_t rate, burst, max ;        /* verify_rate, verify_burst, verify_cache */
  uint64_t timeout_ms ;              /* verify_timeout */
} ;
/* The verdict, and in *how what it rests on: "cache", "probe", "stale"
   (an expired entry, the server not answering now), "limited" (the
   budget is spent: no probe), "failed" (no answer). Logs the probe. */
enum rcpt_verdict rcpt_check_run (struct rcpt_check *k, char const **how) ;
/* "known", "unknown", "unverified" */
char const *rcpt_verdict_name (enum rcpt_verdict v) ;

#endif
