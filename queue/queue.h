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
                       mxhold-queuectl sends 'c' after adding a request
                       to ctl/ (see queue/queue.md, "ctl protocol").
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
     ret FULL                    RFC 3461 RET= (FULL or HDRS), if given
     envid QQ+2B1                RFC 3461 ENVID= (xtext), if given
     dsn 0 SUCCESS,FAILURE rfc822;a@b   RFC 3461 NOTIFY= and ORCPT= of the
                                 recipient INDEX ("-" for one not given)
     smtputf8 1                  only if $MXHOLD_SMTPUTF8 is "1": the message
                                 came with SMTPUTF8 (RFC 6531) and may go only
                                 to a server that offers it
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
#include "lib/span.h"

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
#define QUEUE_ENV_SMTPUTF8 "MXHOLD_SMTPUTF8"   /* "1": an SMTPUTF8 message (RFC 6531) */
#define QUEUE_ENV_DSN "MXHOLD_DSN"             /* DSN header lines (RFC 3461): ret, envid, dsn */
#define QUEUE_DSN_LINE_MAX 640                 /* "dsn INDEX NOTIFY ORCPT": ORCPT is 500 at most */

/* Bucket of an id: 0 .. QUEUE_SPLIT-1 (FNV-1a of the id bytes). */
unsigned int queue_hash (char const *id, size_t len) ;

/* Is s a well-formed id (digits and dots, 1..QUEUE_ID_MAX bytes, the
   first byte a digit, so "." and ".." never pass)? 1 yes, 0 no. */
int queue_id_valid (char const *s, size_t len) ;

/* ---- additions (queue_fmt.c, libc only) ---- */

#define QUEUE_STATE_LINE_MAX 2048      /* one state line, LF included */
#define QUEUE_REPLY_MAX 1024           /* REPLY text kept in a state line */
#define QUEUE_PATH_MAX 4096            /* a path the helpers build */

/* The envelope header of a message file, as spans into the caller's buffer. */
struct queue_env {
  uint64_t arrived ;
  struct span client, helo, spf ;  /* "-" when unknown */
  struct span from ;               /* empty for the null sender */
  size_t nto ;                     /* number of "to" lines */
  int smtputf8 ;                   /* "smtputf8 1": deliver only with SMTPUTF8 */
  struct span ret ;                /* "FULL", "HDRS", or empty (RFC 3461 RET=) */
  struct span envid ;              /* ENVID= as xtext, or empty */
  size_t hdrlen ;                  /* bytes of the header, empty line included:
                                      the message body starts at this offset */
} ;

/* 1 if the environment variable name is "1" (a flag smtpd or deliver
   passes to mxhold-queue), else 0. */
int queue_env_flag (char const *name) ;
/* Parses the envelope header at the start of buf. 1: complete, *e filled.
   0: incomplete (no empty line yet: read more bytes, or the file was cut).
   -1: malformed or unknown version (errno EPROTO). Unknown lines ignored;
   a file with no "from", no "arrived" or no "to" is malformed. */
int queue_env_parse (char const *buf, size_t len, struct queue_env *e) ;

/* Checks the DSN header lines in s[0..len) (from $MXHOLD_DSN): each is
   "ret FULL", "ret HDRS", "envid XTEXT" or "dsn INDEX NOTIFY ORCPT"
   (NOTIFY "NEVER" or a ',' list of SUCCESS FAILURE DELAY, or "-"; ORCPT
   "type;xtext" or "-"), LF-terminated, printable ASCII, at most
   QUEUE_DSN_LINE_MAX bytes. 1 if every line is, 0 else. */
int queue_dsn_valid (char const *s, size_t len) ;
/* The "dsn" line of recipient index in a parsed header: 1 and *notify,
   *orcpt set ("-" when not given), 0 if it has none. */
int queue_env_dsn (char const *buf, struct queue_env const *e, size_t index, struct span *notify, struct span *orcpt) ;
/* Recipient iterator over a parsed header: start with pos = 0; returns
   1 with *to set and pos advanced, 0 after the last one. */
int queue_env_to_next (char const *buf, struct queue_env const *e, size_t *pos, struct span *to) ;

/* One state line, without its LF. */
struct queue_state {
  uint32_t index ;
  char status ;                    /* 'p' 'd' 'b' 'x' */
  uint32_t attempts ;
  uint64_t next, last ;
  struct span reply ;              /* text after LAST and one space; may be empty */
} ;

/* Parses "INDEX STATUS ATTEMPTS NEXT LAST REPLY..." (no LF). 1 ok, 0 malformed. */
int queue_state_parse (char const *s, size_t len, struct queue_state *st) ;

/* Iterates over a state file's lines: pos starts at 0. 1: *st is the next
   well-formed line; 0: end. Malformed lines and a last line without LF
   (a cut file) are skipped. */
int queue_state_next (char const *buf, size_t len, size_t *pos, struct queue_state *st) ;

/* Formats st as one line with its LF into buf. Reply bytes outside 32..126
   become '?', the reply is cut at QUEUE_REPLY_MAX. Returns the length, or 0
   if size is too small (QUEUE_STATE_LINE_MAX always suffices). */
size_t queue_state_fmt (char *buf, size_t size, struct queue_state const *st) ;

/* Builds "Q/SUB/ID" (hashed = 0) or "Q/SUB/HH/ID" (hashed = 1) into buf,
   NUL-terminated; q may be NULL for a path relative to the queue. Returns
   the length, or -1 with errno ENAMETOOLONG if it does not fit in size. */
int queue_path (char *buf, size_t size, char const *q, char const *sub, char const *id, int hashed) ;
#define queue_path_mess(buf, size, q, id) queue_path((buf), (size), (q), "mess", (id), 1)
#define queue_path_state(buf, size, q, id) queue_path((buf), (size), (q), "state", (id), 1)
#define queue_path_new(buf, size, q, id) queue_path((buf), (size), (q), "new", (id), 0)

/* Makes a fresh id "SECONDS.MICROS.PID" into buf (>= QUEUE_ID_MAX + 1). Length. */
size_t queue_id_make (char *buf) ;

/* When a message that arrived then expires: arrived + lifetime seconds if
   lifetime is not 0, else the first local midnight after arrival plus
   days days (the limits lifetime and lifetime_days, conf/conf.md). The
   one rule deliver applies and queuectl shows. */
uint64_t queue_expiry (uint64_t arrived, uint64_t lifetime, uint64_t days) ;

/* Holds (mxhold-queuectl hold): Q/hold/ID holds a message, Q/hold/@DOMAIN
   (lower case) a recipient domain; empty files. deliver tries no held
   recipient (they still expire), and writes NEXT = QUEUE_NEXT_HELD in the
   state line of each (any NEXT is a time; this one is never due). */
#define QUEUE_HOLD_DIR "hold"
#define QUEUE_NEXT_HELD (UINT64_MAX - 1)

/* ---- queue_dir.c (libc + conf) ---- */

#define QUEUE_ENV_DIR "MXHOLD_QUEUE"   /* overrides the config's queue path */

/* The queue directory into buf (NUL-terminated): $MXHOLD_QUEUE if set,
   else the config's "queue" (confdir NULL: $MXHOLD_CONF, /etc/mxhold).
   0, or -1 with errno (ENOENT: no config or no queue key). */
int queue_dir_find (char const *confdir, char *buf, size_t size) ;

/* What queue_dir_find(confdir, ...) reads, for messages: the value of
   $MXHOLD_QUEUE if set, else CONFDIR/config.cdb. Into buf (cut to size),
   NUL-terminated. */
void queue_dir_source (char const *confdir, char *buf, size_t size) ;

/* ---- queue_sweep.c (libc only) ---- */

/* Removes, under queue directory q, tmp/ files whose mtime is more than
   QUEUE_TMP_STALE_SECS before now (never younger ones), and state/HH/ID
   files (ID well-formed) that have neither mess/HH/ID nor new/ID (deliver
   puts a message it must retry back into new/). Calls report(path, ctx)
   for each removal if report is not NULL. Returns the number removed, or -1
   with errno if a directory could not be read (what was removed stays). */
int queue_sweep (char const *q, int64_t now, void (*report)(char const *path, void *ctx), void *ctx) ;

#endif
