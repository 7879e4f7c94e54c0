/* relaycheck.h: mxhold-relaycheck, the open-relay tester. Every module
   is libc only (rc_reply, rc_trick, rc_verdict, rc_net, rc_check, rc_out,
   rc_batch, and main in relaycheck.c); diagnostics go through lib/log.h.
   See relaycheck/relaycheck.md for what "open" means. */
#ifndef MXHOLD_RELAYCHECK_H
#define MXHOLD_RELAYCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- limits (named, with the reason) ---- */

/* RFC 5321 4.5.3.1.5 caps a reply line at 512 octets with CRLF; servers in
   the wild overshoot a little, so we take twice that, and a longer line is
   a protocol error, never truncated. */
#define RC_REPLY_LINE_MAX 1024
/* An EHLO reply has ~15 lines; more than this is a hostile server. */
#define RC_REPLY_LINES_MAX 64
/* Reply text kept for display (joined lines, bytes outside 32..126 as '?'). */
#define RC_REPLY_TEXT_MAX 200
/* An address as rendered from a template, brackets included (RFC 5321
   4.5.3.1.3: a path is at most 256 octets; templates stay well inside). */
#define RC_ADDR_MAX 512
#define RC_ARG_MAX 255               /* --domain, --foreign, --helo, ... */
#define RC_TRICKS_MAX 40             /* table size, probe and direct included */

#define RC_TIMEOUT_SECS_DEFAULT 30   /* per step: connect, each reply, each write */
#define RC_TIMEOUT_SECS_CAP 600
#define RC_DEADLINE_SECS_DEFAULT 300 /* whole check of one host */
#define RC_DEADLINE_SECS_CAP 3600
#define RC_CONNS_DEFAULT 6           /* connections per target, reconnects included */
#define RC_CONNS_CAP 50
#define RC_JOBS_DEFAULT 4            /* batch: hosts checked at once */
#define RC_JOBS_CAP 64
#define RC_PROBE_MSG_MAX 2048       /* the --probe message, headers included */
#define RC_LITERAL_MAX 64            /* "[IPv6:" + INET6_ADDRSTRLEN + "]" fits */
#define RC_BATCH_LINE_MAX 1024
#define RC_BATCH_HOSTS_CAP 20000       /* the list is held in memory, ~1.2 kB a host */

#define RC_LOCAL_DEFAULT "relaytest"
#define RC_FOREIGN_DEFAULT "example.org"
#define RC_PORT_DEFAULT "25"
/* TEST-NET-1 (RFC 5737): a foreign address literal nobody owns */
#define RC_FOREIGN_LITERAL "[192.0.2.1]"

/* ---- rc_reply: SMTP reply parser (untrusted bytes) ---- */

struct rc_reply {
  unsigned code ;              /* 3 digits, first 2..5; 0 until the first line */
  unsigned lines ;
  int done ;                   /* the final line ("NNN " or "NNN") was read */
  size_t textlen ;
  char text[RC_REPLY_TEXT_MAX + 1] ;   /* NUL-terminated, safe bytes only */
} ;

void rc_reply_init (struct rc_reply *r) ;
/* Consumes whole lines (LF or CRLF ended) from s[0..len). Returns 1 when the
   reply is complete, 0 when more bytes are needed, -1 on a malformed reply
   (errno EPROTO: bad code, codes differ between lines, too many lines, a
   line longer than RC_REPLY_LINE_MAX). *used = bytes consumed; on 0 the
   caller keeps the unconsumed tail and feeds it again with more bytes. */
int rc_reply_feed (struct rc_reply *r, char const *s, size_t len, size_t *used) ;

/* ---- rc_trick: the battery ---- */

enum rc_greet { RC_GREET_NONE, RC_GREET_HELO, RC_GREET_EHLO } ;

enum rc_class {
  RC_CLS_RELAY,     /* the recipient is foreign however it is read: 2xx = open */
  RC_CLS_HIDDEN,    /* own domain/literal hiding a foreign address: 2xx = open
                       only if the matching control address was refused */
  RC_CLS_CONTROL,   /* a made-up mailbox at the own domain/literal: tells
                       whether the server verifies recipients */
  RC_CLS_DIRECT,    /* --direct: postmaster@DOMAIN from a stranger */
  RC_CLS_PROBE      /* --probe: a real message to the operator's mailbox */
} ;

struct rc_trick {
  char const *name ;
  unsigned char greet ;        /* enum rc_greet */
  unsigned char cls ;          /* enum rc_class */
  signed char ctl ;            /* HIDDEN: index of its CONTROL trick, else -1 */
  char const *from ;           /* templates, see rc_trick_render */
  char const *rcpt ;
  char const *what ;           /* one-line explanation */
} ;

/* The values the templates refer to. */
struct rc_ctx {
  char const *local ;          /* $L */
  char const *foreign ;        /* $F */
  char const *domain ;         /* $D  the target's own domain (or its literal) */
  char const *literal ;        /* $A  "[192.0.2.7]" / "[IPv6:::1]" of the target */
  char const *control ;        /* $R  a local part nobody has */
  char const *direct ;         /* $P  --direct DOMAIN */
  char const *probe ;          /* $M  --probe ADDRESS */
} ;

/* The fixed battery (without direct and probe), in sending order (no
   greeting first, then HELO, then EHLO). */
extern struct rc_trick const rc_tricks[] ;
extern size_t const rc_tricks_n ;
extern struct rc_trick const rc_trick_direct ;
extern struct rc_trick const rc_trick_probe ;

/* Renders template t: $L $F $D $A $R $P $M as in rc_ctx, $U = $D in upper
   case, $$ = '$'. Writes at most max-1 bytes and a NUL into buf. Returns the
   length, or 0 if the result would not fit or t is bad (unknown $x, a
   needed value NULL). */
size_t rc_trick_render (char const *t, struct rc_ctx const *c, char *buf, size_t max) ;

/* ---- rc_verdict: what the replies mean ---- */

enum rc_stage { RC_ST_NOTRUN, RC_ST_CONNECT, RC_ST_BANNER, RC_ST_GREET, RC_ST_MAIL, RC_ST_RCPT, RC_ST_DATA, RC_ST_DOT } ;
enum rc_outcome { RC_OUT_NONE, RC_OUT_ACCEPTED, RC_OUT_REFUSED, RC_OUT_TEMPFAIL, RC_OUT_ERROR } ;
enum rc_tv { RC_TV_UNKNOWN, RC_TV_OPEN, RC_TV_CLOSED, RC_TV_LOCAL, RC_TV_VERIFIES, RC_TV_NOVERIFY, RC_TV_WARN, RC_TV_OK } ;
enum rc_sum { RC_SUM_CLOSED = 0, RC_SUM_OPEN = 1, RC_SUM_INCONCLUSIVE = 2 } ;

struct rc_result {
  struct rc_trick const *t ;
  char from[RC_ADDR_MAX] ;
  char rcpt[RC_ADDR_MAX] ;
  unsigned char stage ;        /* where it ended (enum rc_stage) */
  unsigned char outcome ;      /* enum rc_outcome */
  unsigned char verdict ;      /* enum rc_tv, set by rc_verdict_judge */
  unsigned code ;              /* last reply code, 0 if none */
  char reply[RC_REPLY_TEXT_MAX + 1] ;  /* that reply's text, or the error */
} ;

/* 2xx accepted, 5xx refused, 4xx tempfail (but 4xx with enhanced status
   4.7.x, "454 4.7.1 Relay access denied", refused), anything else error.
   text: the reply as rc_reply keeps it ("454 4.7.1 ..."), may be NULL. */
unsigned rc_verdict_outcome (unsigned code, char const *text) ;
/* Sets every result's verdict and returns the summary. *direct (if not
   NULL) gets RC_TV_WARN / RC_TV_OK / RC_TV_UNKNOWN for a direct trick, or
   RC_TV_UNKNOWN when there is none. */
unsigned rc_verdict_judge (struct rc_result *r, size_t n, unsigned *direct) ;
char const *rc_verdict_name (unsigned tv) ;
char const *rc_sum_name (unsigned sum) ;
char const *rc_stage_name (unsigned st) ;
int rc_sum_exit (unsigned sum, unsigned direct) ;  /* 0, 1 or 111 */

/* ---- rc_net: one TCP connection with deadlines ---- */

#define RC_CONN_BUF (RC_REPLY_LINE_MAX * 4)

struct rc_conn {
  int fd ;
  size_t len ;                 /* unconsumed bytes in buf */
  char buf[RC_CONN_BUF] ;
} ;

int64_t rc_now_ms (void) ;     /* CLOCK_MONOTONIC */
/* Connects to host:port (names through getaddrinfo, every address in turn)
   before deadline (rc_now_ms scale). Writes the peer as an address literal
   into lit ("[127.0.0.1]", "[IPv6:::1]"). 0, or -1 with errno (ETIMEDOUT
   when the deadline passed, EHOSTUNREACH when the name has no address). */
int rc_conn_open (struct rc_conn *c, char const *host, char const *port, int64_t deadline, char *lit, size_t litmax) ;
/* Reads one reply. 0, or -1 with errno: ETIMEDOUT, ECONNRESET (peer closed
   or reset), EPROTO (malformed). */
int rc_conn_reply (struct rc_conn *c, struct rc_reply *r, int64_t deadline) ;
/* Writes all of s. 0, or -1 with errno (ETIMEDOUT, EPIPE, ...). */
int rc_conn_send (struct rc_conn *c, char const *s, size_t len, int64_t deadline) ;
void rc_conn_close (struct rc_conn *c) ;

/* ---- rc_check: one host ---- */

struct rc_opts {
  char const *local, *foreign, *domain, *helo, *direct, *probe ;
  unsigned timeout ;           /* seconds per step */
  unsigned deadline ;          /* seconds per host */
  unsigned conns ;             /* connections per host */
  int json ;
} ;

struct rc_host {
  char host[RC_ARG_MAX + 1] ;
  char port[8] ;
  char domain[RC_ARG_MAX + 1] ; /* per host (batch: domain=), else empty */
  char direct[RC_ARG_MAX + 1] ; /* per host (batch: direct=), else empty */
} ;

struct rc_run {
  struct rc_host const *h ;
  char literal[RC_LITERAL_MAX] ;  /* "[...]" of the address connected to */
  char banner[RC_REPLY_TEXT_MAX + 1] ;
  char error[RC_REPLY_TEXT_MAX + 1] ;  /* why the check stopped early, or "" */
  unsigned conns ;             /* connections made */
  unsigned summary ;           /* enum rc_sum */
  unsigned direct ;            /* enum rc_tv */
  int64_t ms ;                 /* wall time */
  size_t n ;
  struct rc_result r[RC_TRICKS_MAX] ;
} ;

/* Splits "HOST[:PORT]", "[v6addr]:PORT" or a bare IPv6 address into h.
   0, or -1 with errno EINVAL. */
int rc_host_parse (struct rc_host *h, char const *s, size_t len) ;
/* Runs the battery against h; fills run. Never fails: a host that cannot
   be checked gives RC_SUM_INCONCLUSIVE with run->error set. */
void rc_check_run (struct rc_opts const *o, struct rc_host const *h, struct rc_run *run) ;

/* ---- rc_out: printing ---- */

/* Full report: one line per trick and a summary line (or one JSON object
   with --json). */
void rc_out_report (FILE *f, struct rc_opts const *o, struct rc_run const *run) ;
/* Batch: one line per host (or one JSON object per line). */
void rc_out_line (FILE *f, struct rc_opts const *o, struct rc_run const *run) ;
/* A batch line for a host whose check was killed or crashed. */
void rc_out_failed (FILE *f, struct rc_opts const *o, struct rc_host const *h, char const *why, int64_t ms) ;
/* s as a JSON string, quotes included. */
void rc_out_json_str (FILE *f, char const *s) ;

/* ---- rc_batch: many hosts ---- */

/* Reads hosts from fd in ("HOST[:PORT] [domain=D] [direct=D]" per line, #
   comments; a bad line is logged with name, the list's path, and skipped), checks up to jobs of them at once in child processes, each
   killed after o->deadline + a grace period, and prints one line per host,
   in input order, on out. Returns the worst summary (open > inconclusive >
   closed) as an exit code (1, 111, 0), or -1 with errno on a local error. */
int rc_batch_run (struct rc_opts const *o, int in, char const *name, FILE *out, unsigned jobs) ;

#endif
