/* queuectl.h: mxhold-queuectl's modules (queue_walk.c, queue_out.c,
   queue_list.c, queue_show.c, queue_stats.c, queue_hold.c, queue_ctl.c).
   skalibs programs only. Every line they print on stdout is in the log's
   key=value grammar without its head (doc/log.md, lib/log.h's
   mx_log_start_bare): "EVENT key=value ...". */
#ifndef MXHOLD_QUEUECTL_H
#define MXHOLD_QUEUECTL_H

#include <stdint.h>
#include "lib/log.h"
#include "queue/queue.h"

struct queue_map { char const *p ; size_t len ; } ;

struct queue_item {
  char const *id ;
  char const *path ;     /* the message file */
  int innew ;            /* in new/ (deliver has not taken it in yet) */
  struct queue_map msg ; /* mmapped */
  struct queue_map state ;   /* mmapped; may be empty */
  struct queue_env env ;
} ;

struct queue_walk {
  char const *q ;
  uint64_t now ;
  uint64_t count ;       /* messages handed to fn */
  uint64_t bad ;         /* files that are not messages */
  int all ;              /* show: the whole message, not only its headers */
  int quiet ;            /* metrics: files that are not messages counted in bad, not printed */
  void *ctx ;            /* the command's own */
} ;

/* Calls fn for each message in new/ and mess/HH/ (files that vanish are
   skipped). Every other file there (a name that is no id, an empty,
   cut or malformed file, one that cannot be read) is reported on stdout
   as "unreadable path=P reason=bad-name|empty|cut|malformed|unreadable
   [error=E]" (unless w->quiet) and counted in w->bad (doc/log.md). */
void queue_walk (struct queue_walk *w, void (*fn)(struct queue_walk *, struct queue_item *)) ;
/* Message id alone: 1 and fn called, 0 not in the queue. */
int queue_walk_one (struct queue_walk *w, char const *id, void (*fn)(struct queue_walk *, struct queue_item *)) ;

/* ---- queue_out.c: the pieces of the output lines ---- */

/* Recipient INDEX's state line (the last one for it), 1; 0: none yet. */
int queue_rcpt_state (struct queue_item const *it, uint32_t index, struct queue_state *st) ;
/* The recipient's state word: queued (never tried, or due), deferred
   (tried, waiting), held, delivered, bounced, expired. */
char const *queue_state_word (struct queue_state const *st, int has, int held) ;
/* " KEY=+Ns|-Ns KEY_at=ISO" for a time t beside now ("now" and "-" as
   the manual says: see each caller). ISO: 2026-12-04T17:50:00Z (UTC). */
void queue_out_time (struct mx_log *l, char const *key, char const *keyat, uint64_t t, uint64_t now) ;
void queue_out_iso (struct mx_log *l, char const *key, uint64_t t) ;
/* " KEY=Ns": a duration (an age). */
void queue_out_secs (struct mx_log *l, char const *key, uint64_t secs) ;
/* " reply=" when the text is an SMTP reply, else " error=" (doc/log.md). */
void queue_out_reply (struct mx_log *l, struct span r) ;
/* Ends the line on stdout; dies (111) if stdout cannot be written. */
void queue_out_end (struct mx_log *l) ;

/* ---- the commands ---- */

/* list's filters: NULL / 0 for none. */
struct queue_filter {
  char const *domain ;   /* recipients in this domain (any case) */
  char const *state ;    /* a queue_state_word */
  uint64_t older ;       /* messages at least this many seconds old */
} ;
void queue_list (char const *q, struct queue_filter const *f) ;
/* 1 shown, 0 no such message. */
int queue_show (char const *q, char const *confdir, char const *id, int all) ;
void queue_stats (char const *q) ;
/* The queue's gauges and the event counters in the Prometheus text format,
   written atomically to file (tmp + rename), or to stdout for "-". */
void queue_metrics (char const *q, char const *file) ;

/* Holds (queue/queue.h, QUEUE_HOLD_DIR): what is a message id or a
   domain into name ("ID" or "@domain", lower case). */
void queue_hold_name (char const *arg, char *name, size_t size) ;
/* Is name held (Q/hold/NAME exists)? Q/hold/ is read once per run. */
int queue_held (char const *q, char const *name) ;
/* hold: makes Q/hold/NAME durably; release: removes it (exit 100 if it
   was not held). Then a ctl request so a running deliver rereads hold/. */
void queue_hold (char const *q, char const *arg, int on) ;

void queue_ctl_init (char const *q) ;
/* verb "flush" (arg a domain or NULL), "delete" or "bounce" (arg an id),
   "hold" or "release" (arg a hold name). Dies on error. */
void queue_ctl_request (char const *q, char const *verb, char const *arg) ;
void queue_ctl_sweep (char const *q) ;
/* A flush or hold domain: at most 255 bytes, each in 33..126 (exit 100). */
void queue_ctl_check_domain (char const *d, size_t len) ;

/* The fatal lines (doc/log.md): "EVENT path=PATH error=strerror(errno)";
   "bad-qid qid=ID" (exit 100) unless id is well formed; "no-message
   qid=ID path=Q" (exit 100). */
void queue_ctl_die_sys (int code, char const *event, char const *path) __attribute__((noreturn)) ;
void queue_ctl_check_id (char const *id) ;
void queue_ctl_no_message (char const *q, char const *id) __attribute__((noreturn)) ;

#endif
