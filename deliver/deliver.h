/* deliver.h: mxhold-deliver's modules (skalibs program). One process-wide
   struct g (doc/design.md, "How the code is written"); messages, routes
   and sessions are referred to by index, never by pointer, because their
   arrays grow.

   The modules stand in layers, each calling only the ones above it in
   this list (declared before it below), never one under it:

     lib/, conf/, queue/queue.h   shared, libc only
     dlv_buf, dlv_reply (dlv.h)   libc only, shared with mxhold-remote
     dlv_sched     the schedule in memory: tables, heap, routes, backoff,
                   expiry; touches no disk
     dlv_disk      the queue on disk as deliver reads it: take-in, load,
                   message headers, directory fsyncs
     dlv_outcome   a recipient's outcome: recorded in memory, logged
     dlv_dsn       delivery status notifications, queued by mxhold-queue
     dlv_learn     recipients=learn: delivery answers into the recipient cache
     dlv_result    a session's result lines, its idle marker and its end
     dlv_commit    the batch that makes a loop turn durable (with the DSNs)
     dlv_sess      due messages into batches; sessions started, handed work
     dlv_ctl       the trigger fifo and the operator's requests
     deliver.c     main: the loop */
#ifndef MXHOLD_DELIVER_H
#define MXHOLD_DELIVER_H

#include <stdint.h>
#include <sys/types.h>
#include "conf/conf.h"
#include "queue/queue.h"
#include "deliver/dlv.h"
#include "lib/span.h"

#define DLV_NONE UINT32_MAX
/* The two slot budgets (deliver.md, Bounce destinations): sessions to
   customer routes (concurrency) and to senders' domains, DSNs only
   (concurrency_bounce); neither class waits for the other's slots. */
#define DLV_CUSTOMER 0
#define DLV_BOUNCE 1
#define DLV_BATCH_MSGS 50            /* messages handed to one mxhold-remote */
#define DLV_BATCH_RCPTS 1000         /* recipients handed to one mxhold-remote */
#define DLV_TICK_MS 1000             /* timer: config check, expiry */
#define DLV_NEWSCAN_SECS 10          /* safety net if a wake-up was missed */
#define DLV_REPLY_KEEP 400           /* reply bytes kept in memory per recipient */
#define DLV_RET_FULL_MAX_BYTES (1u << 20)  /* RET=FULL returns a message up to this; a bigger one its headers (RFC 3461 4.3 allows it) */
#define DLV_HDR_MAX_BYTES 16384      /* original headers attached to a DSN: at most this, cut at a field boundary */
#define DLV_POP_MAX 5000             /* due messages taken per loop turn */
#define DLV_RENAME_TRIES 100         /* fresh ids tried for a message whose id is taken */
#define DLV_REUSE_MAX 100            /* messages one session carries at most (Postfix's smtp_connection_reuse_count_limit) */

/* message flags */
#define DLV_F_NULLSENDER 1
#define DLV_F_SPFPASS 2
#define DLV_F_DIRTY 4                /* state must be written */
#define DLV_F_DELETE 8               /* ctl delete: remove when idle */
#define DLV_F_BOUNCE 16              /* ctl bounce: DSN then remove when idle */
#define DLV_F_GONE 32                /* settled and unlinked; freed when idle */
#define DLV_F_OPBOUNCE 64            /* settled by ctl bounce, DSN not queued yet */

struct dlv_rcpt {
  uint32_t dom ;                     /* index in g.dom */
  uint32_t attempts ;
  uint64_t next, last ;
  uint64_t expires ;                 /* 0: the message's; else its domain's lifetime overrides the global one */
  char status ;                      /* p d b x (queue.h) */
  char busy ;                        /* in a running session */
  char dsn ;                         /* settled, DSN not queued yet */
  char *reply ;                      /* malloc'd, may be NULL */
} ;

struct dlv_msg {
  char id[QUEUE_ID_MAX + 1] ;        /* "" : free slot */
  uint64_t arrived, expires ;        /* expires: under the global lifetime */
  struct dlv_rcpt *r ;
  uint32_t nrcpt ;
  uint32_t heappos ;                 /* DLV_NONE: not in the heap */
  uint32_t busy ;                    /* route queues and sessions holding it */
  uint32_t nextdirty ;
  uint8_t flags ;
} ;

/* The delivery limits of one domain: the global limits with the domain's
   key=value overrides from `domains` applied, read once per config load. */
struct dlv_lim {
  uint32_t lifetime, lifetime_days ;
  uint32_t retry_min, retry_max ;
  uint32_t conc_host, session_idle ;
  uint8_t dsn_pass_only ;
} ;

struct dlv_dom {
  char *name ;
  uint32_t route ;                   /* DLV_NONE: route and lim not resolved (config changed) */
  struct dlv_lim lim ;               /* valid when route is */
  uint8_t held ;                     /* Q/hold/@DOMAIN: its recipients are not tried */
} ;

struct dlv_route {
  char *key ;                        /* argv[1] of remote: "HOST[:PORT],..." or "mx" */
  char *domain ;                     /* argv[2]: the domain (for mx) */
  uint32_t active ;                  /* sessions running, idle ones included */
  uint32_t *q ;                      /* messages waiting for a session */
  uint32_t qlen, qa ;
  uint32_t conc ;                    /* concurrency_host: the smallest of its domains' */
  uint32_t idle ;                    /* session_idle: the smallest of its domains' */
  int fresh ;                        /* no domain resolved to it since the last config load */
  uint32_t stamp ;                   /* last g.stamp that queued a message here */
  int failing ;                      /* last attempt failed temporarily */
  int ready ;                        /* on g.ready */
  int bounce ;                       /* DLV_BOUNCE: a bounce destination (no customer's domain), else DLV_CUSTOMER */
} ;

/* One recipient handed to a session: its message and index, where its
   address and its sender are in the session's text, and whether its
   result came. */
struct dlv_sent {
  uint32_t msg, ridx ;
  uint32_t roff, rlen, foff, flen ;
  int got ;
} ;

struct dlv_sess {
  pid_t pid ;                        /* 0: free slot */
  int fd ;                           /* remote's stdout */
  int wfd ;                          /* remote's stdin (write end); -1: closed, remote ends after its batch */
  int idle ;                         /* 1: said "." and waits for a batch; 2: closing (stdin closed) */
  uint64_t idlesince ;
  uint32_t carried ;                 /* messages handed to it so far (DLV_REUSE_MAX) */
  uint32_t route ;
  int cls ;                          /* its route's class when it started: DLV_CUSTOMER, DLV_BOUNCE */
  struct dlv_sent *sent ;
  uint32_t nsent ;
  struct dlv_buf text ;              /* recipients' addresses, and senders */
  struct dlv_buf in ;                /* partial result line */
  uint32_t cursor ;
} ;

struct dlv_g {
  struct conf conf ;
  struct conf_limits lim ;
  char me[256] ;
  char q[QUEUE_PATH_MAX] ;
  uint64_t now ;
  struct dlv_msg *m ;
  uint32_t nm, am ;
  uint32_t *freem ;
  uint32_t nfree, afree ;
  uint32_t count ;                   /* messages loaded */
  uint32_t *idtab ;                  /* open addressing, msg index + 1 */
  uint32_t idcap ;
  uint32_t *heap ;
  uint32_t nheap, aheap ;
  struct dlv_dom *dom ;
  uint32_t ndom, adom ;
  uint32_t *domtab ;
  uint32_t domcap ;
  struct dlv_route *route ;
  uint32_t nroute, aroute ;
  uint32_t *ready ;
  uint32_t nready, aready ;
  struct dlv_sess *sess ;
  uint32_t nsess ;
  uint32_t active ;
  uint32_t closing ;                 /* idle sessions told to end, not reaped yet */
  uint32_t active_c[2], closing_c[2] ;   /* the same per class, DLV_CUSTOMER and DLV_BOUNCE */
  uint32_t dirty ;                   /* list through nextdirty */
  int trigfd, trigwfd ;
  char trigname[QUEUE_PATH_MAX] ;
  int stopping ;
  uint64_t takein ;                  /* mess/HH to fsync after a take-in (bit per bucket) */
  int takein_new ;                   /* new/ to fsync too */
  uint32_t stamp ;
  uint32_t hashseed ;                 /* mixed into the table hashes: domains come from envelopes */
  struct dlv_buf holdids ;           /* held message ids (Q/hold/ID), each NUL-terminated */
} ;
extern struct dlv_g g ;   /* in dlv_sched.c, the bottom layer */

/* ---- dlv_sched.c: the schedule in memory ---- */
uint32_t dlv_msg_new (char const *id) ;
void dlv_msg_free (uint32_t i) ;
uint32_t dlv_msg_find (char const *id, size_t len) ;
uint64_t dlv_msg_key (uint32_t i) ;   /* heap key; UINT64_MAX: nothing pending */
void dlv_heap_set (uint32_t i) ;      /* (re)insert with its current key, or remove */
uint32_t dlv_heap_top (void) ;
uint32_t dlv_dom_intern (char const *s, size_t len) ;
uint32_t dlv_dom_route (uint32_t d) ;
/* Domain d's limits (resolved with its route on first use). */
struct dlv_lim const *dlv_dom_lim (uint32_t d) ;
/* After a config load: every domain's route and limits read again. */
void dlv_routes_reset (void) ;
/* Retry interval after the attempts-th attempt: with the global limits,
   and for a recipient of domain d. */
uint64_t dlv_backoff (uint32_t attempts) ;
uint64_t dlv_backoff_dom (uint32_t d, uint32_t attempts) ;
/* Expiry of a message that arrived then, under the global lifetime. */
uint64_t dlv_expiry (uint64_t arrived) ;
/* Sets message i's expiry and, for recipients whose domain overrides the
   lifetime, theirs. */
void dlv_msg_expiry (uint32_t i) ;
/* Recipient x of m expires then: its own expiry, or its message's. */
uint64_t dlv_rcpt_expires (struct dlv_msg const *m, struct dlv_rcpt const *x) ;
void dlv_dirty (uint32_t i) ;
void dlv_flush_where (uint32_t route, uint32_t dom) ;   /* DLV_NONE: any */
/* Is message id held (in g.holdids)? */
int dlv_held_id (char const *id) ;

/* ---- dlv_disk.c: the queue on disk ---- */
int dlv_msg_load (char const *id) ;           /* from mess/HH/ID (+ state) */
void dlv_scan_mess (void) ;
void dlv_scan_new (void) ;
void dlv_tmp_clean (void) ;                   /* our own tmp/dlv.* left by a crash */
void dlv_fsync_dir (char const *sub, int hh) ; /* Q/sub or Q/sub/HH (hh >= 0); logs a failure */
/* Message i's envelope header into b (reset first), parsed into e. 0, or
   -1 with errno (EPROTO, EFBIG: malformed). */
int dlv_msg_header (uint32_t i, struct dlv_buf *b, struct queue_env *e) ;

/* ---- dlv_outcome.c: a recipient's outcome ---- */
/* Records the result of an attempt at recipient r of message i (st: d
   delivered, p permanent failure, t temporary), to and from its
   addresses, host the server that answered ("-": none), text its reply
   or error; logs its outcome line (doc/log.md) and marks i dirty. */
void dlv_rcpt_result (uint32_t i, uint32_t r, char st, struct span to, struct span from,
  char const *host, char const *text, size_t tlen) ;
/* Settles idle pending recipients of i: with expired, those whose expiry
   has passed, status 'x'; else all of them, status 'b' (bounced by the
   operator); a DSN owed unless the sender is null or the recipient
   domain's dsn_pass_only forbids it. */
void dlv_settle_all (uint32_t i, int expired) ;
int dlv_dsn_owed (uint32_t i, uint32_t r) ;   /* for recipient r of message i */

/* ---- dlv_dsn.c ---- */
/* Queues one DSN for message i's recipients with r->dsn set, via
   mxhold-queue. 0 done (or not owed), -1 failed (logged). */
int dlv_dsn_send (uint32_t i) ;

/* ---- dlv_result.c: a session's results and its end ---- */
/* recipients=learn: records what the answer (st 'd', 'p', 't', text the
   reply) says about recipient to, if its domain learns (dlv_learn.c) */
void dlv_learn (struct span to, char st, char const *text, size_t tlen) ;

void dlv_sess_read (uint32_t s) ;             /* results; ends the session on EOF */
void dlv_sess_end (uint32_t s, char const *why) ;  /* t for the rest, reap, free */
/* Closes an idle session's stdin: its remote QUITs and exits, and the EOF
   on its stdout ends it as usual. */
void dlv_sess_close (uint32_t s) ;

/* ---- dlv_commit.c ---- */
void dlv_commit (void) ;                      /* DSNs, dirty state, finished messages */

/* ---- dlv_sess.c: from due recipients to sessions ---- */
void dlv_due (void) ;                         /* pop due messages into route queues */
void dlv_spawn (void) ;                       /* start sessions within the limits */
/* Closes the idle sessions past session_idle, or all of them when stopping. */
void dlv_idle_expire (void) ;

/* ---- dlv_ctl.c: the trigger fifo and Q/ctl/ requests ---- */
void dlv_trigger_open (void) ;
void dlv_trigger_close (void) ;
void dlv_trigger_read (void) ;
void dlv_ctl_scan (void) ;
/* Reads Q/hold/ into g.holdids and the domains' held flags, and puts
   every loaded message back in the heap with them applied. */
void dlv_hold_scan (void) ;

#endif
