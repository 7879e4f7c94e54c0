/* queue.h: the queue's on-disk format, shared by mxhold-queue (writer),
   mxhold-deliver (scheduler), mxhold-remote (reads message files) and
   mxhold-queuectl. libc only.

   Layout under the queue directory Q (the config file `queue`):

     Q/tmp/ID          being written; never read by anyone but its writer.
                       A sweep removes files older than QUEUE_TMP_STALE_SECS.
     Q/new/ID          published by mxhold-queue, not yet taken in by deliver.
     Q/mess/HH/ID      taken in by deliver (renamed from new/). Immutable.
     Q/state/HH/ID     per-recipient progress, written by deliver only,
                       replaced atomically (tmp, fsync, rename, fsync dir).
                       Absent: every recipient pending, never tried.
     Q/trigger/        an s6 fifodir: mxhold-queue calls
                       ftrigw_notify(Q/trigger, 'n') after publishing;
                       mxhold-queuectl sends 'f' (flush) the same way.
     Q/ctl/            requests from mxhold-queuectl to a running deliver
                       (flush, delete, bounce), one file each.

   HH is queue_hash(ID) as two lowercase hex digits, 00 to 3f
   (QUEUE_SPLIT = 64 buckets), so no directory grows past 1/64 of the queue.

   ID is "SECONDS.MICROS.PID" of the moment of queueing, e.g.
   "1795800000.123456.4242"; digits and dots only, at most QUEUE_ID_MAX
   bytes. smtpd picks it (for its Received header) and passes it to the
   queue writer in $MXHOLD_QID; the writer uses it if it is well formed and
   not taken, else makes its own. Publishing never overwrites: a taken name
   fails with EEXIST (link + unlink, or renameat2 RENAME_NOREPLACE).

   Message file (new/ID, mess/HH/ID): an envelope of text lines, an empty
   line, then the message exactly as it goes downstream minus dot-stuffing:
   CRLF line ends, each line at most 998 bytes + CRLF, the Received header
   smtpd added first.

     mxhold 1                    format version
     arrived 1795800000          unix seconds of acceptance
     client 192.0.2.7            $TCPREMOTEIP, or "-" if unknown
     helo mail.sender.example    $MXHOLD_HELO, bytes outside 33..126 as '?', or "-"
     spf pass                    $MXHOLD_SPF (pass fail softfail neutral none
                                 permerror temperror skipped), or "-"
     from sender@example.org     "from " alone for the null sender <>
     to rcpt1@example.com        one line per recipient, in RCPT order
     to rcpt2@example.com
     (empty line)
     Received: from ...\r\n      the message

   Addresses contain no bytes below 33 (no space, no NUL, no LF) and at most
   QUEUE_ADDR_MAX bytes; the writer refuses any other envelope (exit 100).
   Unknown envelope lines are ignored by readers (forward compatibility).

   State file (state/HH/ID): one line per recipient that has been tried or
   settled, index = position among the "to" lines, from 0:

     INDEX STATUS ATTEMPTS NEXT LAST REPLY...
       STATUS   p pending (retry at NEXT), d delivered, b bounced (DSN queued
                or not owed), x expired (DSN queued)
       ATTEMPTS tries so far; NEXT, LAST unix seconds (0 = never)
       REPLY    the last reply or error text, bytes outside 32..126 as '?'

   Removing a finished message: unlink mess/HH/ID, fsync mess/HH, then
   unlink state/HH/ID. A state file without a message is garbage (sweep).
*/
#ifndef MXHOLD_QUEUE_H
#define MXHOLD_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "smtpd/span.h"

#define QUEUE_FORMAT_LINE "mxhold 1"
#define QUEUE_SPLIT 64                 /* hashed buckets under mess/ and state/ */
#define QUEUE_ID_MAX 40                /* "SECONDS.MICROS.PID" with room to spare */
#define QUEUE_ADDR_MAX 1024            /* RFC 5321 4.5.3.1.3 path is 256; be lenient, not unbounded */
#define QUEUE_RCPT_MAX 100000          /* envelope recipients a writer accepts */
#define QUEUE_ENVELOPE_MAX_BYTES (16u << 20)
#define QUEUE_TMP_STALE_SECS (36 * 3600)  /* qmail's rule: a slow writer may still be at work */
#define QUEUE_ENV_QID "MXHOLD_QID"
#define QUEUE_ENV_HELO "MXHOLD_HELO"
#define QUEUE_ENV_SPF "MXHOLD_SPF"

/* Bucket of an id: 0 .. QUEUE_SPLIT-1 (FNV-1a of the id bytes). */
unsigned int queue_hash (char const *id, size_t len) ;

/* Is s a well-formed id (digits and dots, 1..QUEUE_ID_MAX bytes)? */
int queue_id_valid (char const *s, size_t len) ;

#endif
