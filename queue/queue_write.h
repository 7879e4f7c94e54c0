/* queue_write.h: mxhold-queue's steps (queue_write.c). libc only. */
#ifndef MXHOLD_QUEUE_WRITE_H
#define MXHOLD_QUEUE_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include "queue/queue.h"

#define QUEUE_INMEM_BYTES (64u << 10)   /* a message up to this stays in memory: one writev */
/* the whole text header, empty line included: no more than the readers
   (deliver, remote, queuectl) accept, or a queued message could never go */
#define QUEUE_HDR_MAX_BYTES QUEUE_ENVELOPE_MAX_BYTES

struct queue_msg {
  char buf[QUEUE_INMEM_BYTES] ;
  size_t len ;        /* bytes in buf still to write (0 once spilled) */
  size_t total ;      /* message size */
  int spill ;         /* O_TMPFILE holding the whole message, or -1 */
} ;

struct queue_hdr {
  char *s ;                   /* the text header being built (malloc) */
  size_t len ;
  size_t a ;
  int state ;                 /* envelope parser: 0 F, 1 sender, 2 T or end, 3 rcpt */
  size_t addrlen ;
  size_t nrcpt ;
  size_t fromoff ;            /* the sender in s, for the log line */
  size_t fromlen ;
} ;

/* Reads fd to EOF into m (spilling to an O_TMPFILE in tmpdir past
   QUEUE_INMEM_BYTES). 0, or -1 with errno. */
int queue_msg_read (struct queue_msg *m, int fd, int tmpdir) ;

/* Writes hdr then the message to out. 0, or -1 with errno. */
int queue_msg_out (struct queue_msg *m, int out, char const *hdr, size_t hdrlen) ;

/* Starts the text header: format line, arrived, client, helo, spf (values
   may be NULL). 0, or -1 with errno. */
int queue_hdr_start (struct queue_hdr *h, uint64_t arrived, char const *client, char const *helo, char const *spf) ;

/* Adds the line "KEY 1" (a flag the message carries: "smtputf8"). 0, or
   -1 with errno. */
int queue_hdr_flag (struct queue_hdr *h, char const *key) ;

/* Adds lines as they are (DSN lines already checked by queue_dsn_valid).
   0, or -1 with errno. */
int queue_hdr_lines (struct queue_hdr *h, char const *s, size_t len) ;

/* Reads the qmail-queue envelope from fd up to its final NUL, appending
   "from"/"to" lines and the empty line to h. 1 done; 0 EOF before the
   final NUL (*err says so; h->state is still 0 if no byte came at all:
   the feeder aborted the message); -2 malformed, *err says why
   (permanent); -1 system error, errno set. */
int queue_env_read (struct queue_hdr *h, int fd, char const **err) ;

#endif
