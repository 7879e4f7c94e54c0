/* queuectl.h: mxhold-queuectl's modules (queue_ctl.c, queue_list.c,
   queue_stats.c). skalibs programs only. */
#ifndef MXHOLD_QUEUECTL_H
#define MXHOLD_QUEUECTL_H

#include <stdint.h>
#include "queue/queue.h"

struct queue_walk {
  char const *q ;
  uint64_t now ;
  uint64_t count ;
  int all ;              /* show: the whole message, not only its headers */
  void *ctx ;            /* stats: the domain table */
} ;

struct queue_map { char const *p ; size_t len ; } ;

struct queue_item {
  char const *id ;
  int innew ;            /* in new/ (deliver has not taken it in yet) */
  struct queue_map msg ; /* mmapped */
  struct queue_map state ;   /* mmapped; may be empty */
  int envok ;            /* queue_env_parse's result */
  struct queue_env env ;
} ;

/* Calls fn for each message in new/ and mess/HH/ (files that vanish are skipped). */
void queue_walk (struct queue_walk *w, void (*fn)(struct queue_walk *, struct queue_item *)) ;
void queue_list (char const *q) ;
/* 1 shown, 0 no such message. */
int queue_show (char const *q, char const *id, int all) ;
void queue_stats (char const *q) ;
/* The queue's gauges and the event counters in the Prometheus text format,
   written atomically to file (tmp + rename), or to stdout for "-". */
void queue_metrics (char const *q, char const *file) ;
void queue_put_safe_lines (char const *s, size_t len) ;
/* u in decimal to stdout (buffer_1). */
void queue_put_u64 (uint64_t u) ;

void queue_ctl_init (char const *q) ;
/* verb "flush" (arg a domain or NULL), "delete" or "bounce" (arg an id). Dies on error. */
void queue_ctl_request (char const *q, char const *verb, char const *arg) ;
void queue_ctl_sweep (char const *q) ;

/* The fatal lines (doc/log.md): "EVENT path=PATH error=strerror(errno)";
   "bad-qid qid=ID" (exit 100) unless id is well formed; "no-message
   qid=ID path=Q" (exit 100). */
void queue_ctl_die_sys (int code, char const *event, char const *path) __attribute__((noreturn)) ;
void queue_ctl_check_id (char const *id) ;
void queue_ctl_no_message (char const *q, char const *id) __attribute__((noreturn)) ;

#endif
