/* smtpd.h: mxhold-smtpd's modules. smtp_cmd, smtp_addr and smtp_data are
   libc only (unit tests and fuzz targets link them alone); smtp_io,
   smtp_child, smtp_session and smtp_msg make up the program. */
#ifndef MXHOLD_SMTPD_H
#define MXHOLD_SMTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "smtpd/span.h"
#include "conf/conf.h"
#include "queue/queue.h"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 bytes with CRLF; SIZE=
   (RFC 1870: 26 bytes) and BODY= (RFC 6152: 14 bytes) add to MAIL. We take
   a round 1024, CRLF included; a longer line gets 500 5.5.2. */
#define SMTPD_CMD_LINE_MAX 1024
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 bytes, CRLF included. */
#define SMTPD_TEXT_LINE_MAX 1000
#define SMTPD_PATH_MAX 256          /* 4.5.3.1.3, brackets included */
#define SMTPD_LOCAL_MAX 64          /* 4.5.3.1.1 */
#define SMTPD_DOMAIN_MAX 255        /* 4.5.3.1.2 */
#define SMTPD_LABEL_MAX 63          /* RFC 1035 2.3.4 */
#define SMTPD_HELO_MAX 255          /* a HELO argument; longer: 501 */
#define SMTPD_IN_BYTES 8192         /* network input buffer */
#define SMTPD_OUT_BYTES 4096        /* reply buffer (flushed when full) */
#define SMTPD_PIPE_BYTES 16384      /* message bytes buffered for the child */
#define SMTPD_REPLY_MAX 512         /* a filter's custom reply line (fd 4) */

/* ---- smtp_cmd: command lines (libc only) ---- */

enum smtp_verb {
  SMTP_V_UNKNOWN, SMTP_V_BAD, SMTP_V_HELO, SMTP_V_EHLO, SMTP_V_MAIL,
  SMTP_V_RCPT, SMTP_V_DATA, SMTP_V_RSET, SMTP_V_NOOP, SMTP_V_QUIT,
  SMTP_V_VRFY, SMTP_V_HELP, SMTP_V_STARTTLS
} ;

/* Splits a command line (line end removed) into its verb and its argument
   (spaces around it trimmed; empty if none). SMTP_V_BAD: the line holds a
   NUL or another control byte; SMTP_V_UNKNOWN: no such verb. */
enum smtp_verb smtp_cmd_parse (struct span line, struct span *arg) ;

enum smtp_perr {
  SMTP_P_OK,        /* parsed */
  SMTP_P_SYNTAX,    /* no "FROM:"/"TO:", no <path>, bad parameter value: 501 */
  SMTP_P_PARAM,     /* unknown or unsupported parameter: 555 5.5.4 */
  SMTP_P_GARBAGE    /* bytes glued to the closing '>': a relay trick for RCPT */
} ;

#define SMTP_BODY_7BIT 1
#define SMTP_BODY_8BITMIME 2

struct smtp_path {
  struct span path ;   /* between < and >, brackets excluded */
  uint64_t size ;      /* SIZE= value, if has_size */
  int has_size ;
  int body ;           /* 0 or SMTP_BODY_* */
} ;

/* Parses the argument of MAIL (kw "FROM:", params 1: SIZE= BODY= allowed)
   or RCPT (kw "TO:", params 0: none allowed). */
enum smtp_perr smtp_cmd_path (struct span arg, char const *kw, int params, struct smtp_path *out) ;

/* ---- smtp_addr: RFC 5321 Mailbox syntax (libc only) ---- */

enum smtp_ares {
  SMTP_ADDR_OK,      /* a mailbox: local@domain */
  SMTP_ADDR_NULL,    /* <>: only with SMTP_ADDR_SENDER */
  SMTP_ADDR_SYNTAX,  /* not an address: 501 */
  SMTP_ADDR_RELAY    /* a relaying trick (percent hack, bang path, source
                        route, quoted @, extra @, address literal,
                        trailing garbage): 550 5.7.1 */
} ;

#define SMTP_ADDR_SENDER 1   /* MAIL: <> allowed, address literals allowed,
                                a source route is ignored (RFC 5321 4.1.1.2) */

struct smtp_addr { struct span mailbox, local, domain ; } ;

/* Classifies the path (the bytes between < and >). The spans point into path. */
enum smtp_ares smtp_addr_parse (struct span path, unsigned flags, struct smtp_addr *a) ;
/* Is d a host name: LDH labels of 1..63 bytes, no '-' at either end, at
   most 255 bytes, one trailing dot tolerated? */
int smtp_addr_hostname (struct span d) ;

/* ---- smtp_data: the DATA state machine (libc only) ---- */

#define SMTP_DATA_ERR_SIZE 1      /* more than max bytes: 552 5.3.4 */
#define SMTP_DATA_ERR_LINE 2      /* a text line over 1000 bytes: 554 5.6.0 */
#define SMTP_DATA_ERR_NUL 4       /* a NUL byte: 554 5.6.0 */
#define SMTP_DATA_ERR_HOPS 8      /* hops or more Received lines: 554 5.4.6 */
#define SMTP_DATA_ERR_SINK 16     /* the sink refused bytes (child gone) */

typedef int smtp_sink_fn (void *ctx, char const *p, size_t n) ;  /* 0 or -1 */

struct smtp_data {
  unsigned state ;
  int prevcrlf ;        /* the previous line ended with a real CRLF */
  size_t linelen ;      /* bytes of this line as sent, stuffing dot included */
  size_t outline ;      /* bytes of this line as stored */
  uint64_t bytes ;      /* bytes consumed so far, as sent */
  uint64_t max ;
  uint64_t hops, hopsmax ;
  int inheader ;
  char head[9] ;        /* start of the current header line ("received:") */
  unsigned err ;
  char *out ; size_t outlen, outmax ;
  smtp_sink_fn *sink ; void *ctx ;
} ;

/* max: the size limit in bytes as sent (inclusive); hopsmax: Received
   lines that make a loop. buf (bufmax bytes, caller's) collects the
   stored text; sink gets it in pieces. */
void smtp_data_init (struct smtp_data *d, uint64_t max, uint64_t hopsmax, char *buf, size_t bufmax, smtp_sink_fn *sink, void *ctx) ;
/* Stores raw bytes (our Received header) ahead of the message. */
void smtp_data_put (struct smtp_data *d, char const *p, size_t n) ;
/* Consumes bytes up to and including the final CRLF.CRLF. Returns the
   bytes consumed; *done is 1 once the end was seen (then d->bytes is the
   message size as sent, the final ".CRLF" excluded). */
size_t smtp_data_feed (struct smtp_data *d, char const *p, size_t n, int *done) ;
/* Hands what is buffered to the sink (unless err). */
void smtp_data_flush (struct smtp_data *d) ;

/* ---- smtp_io: the only reader of fd 0 and writer of fd 1 ---- */

struct smtp_io {
  /* bytes read (0 EOF), or -1 + errno (ETIMEDOUT after secs idle) */
  ssize_t (*read) (void *ctx, char *buf, size_t len, unsigned secs) ;
  /* writes everything: 0, or -1 + errno */
  int (*write) (void *ctx, char const *buf, size_t len, unsigned secs) ;
  /* 1 if input is waiting (or EOF) after ms milliseconds, 0 if not */
  int (*ready) (void *ctx, unsigned ms) ;
  void *ctx ;
  unsigned wsecs ;               /* write timeout */
  char in[SMTPD_IN_BYTES] ; size_t inpos, inlen ;
  char out[SMTPD_OUT_BYTES] ; size_t outlen ;
} ;

void smtp_io_init_fd (struct smtp_io *io, unsigned wsecs) ;
int smtp_io_put (struct smtp_io *io, char const *s, size_t n) ;
int smtp_io_puts (struct smtp_io *io, char const *s) ;
int smtp_io_flush (struct smtp_io *io) ;
/* Makes input available, flushing replies first if the buffer is empty
   (RFC 2920: replies go out when the client's batch is used up). Returns
   the bytes available, 0 on EOF, -1 + errno. */
ssize_t smtp_io_fill (struct smtp_io *io, unsigned secs) ;
/* One line into line (max bytes), line end removed: 1 a line, 2 too long
   (discarded up to its LF), 0 EOF, -1 + errno. */
int smtp_io_line (struct smtp_io *io, char *line, size_t max, size_t *len, unsigned secs) ;

/* ---- smtp_child: the qmail-queue(8) interface ---- */

struct smtp_child {
  pid_t pid ;
  int msg, env, reply, pidfd ;
  int broken ;          /* a write failed or timed out: never 250 */
  size_t replylen ;
  char replybuf[SMTPD_REPLY_MAX + 1] ;
} ;

/* Forks argv with fd 0 = message pipe, 1 = envelope pipe, 4 = reply pipe,
   2 inherited, nothing else; env adds MXHOLD_QID, MXHOLD_HELO,
   MXHOLD_MAILFROM. 0, or -1 + errno. */
int smtp_child_start (struct smtp_child *ch, char const *const *argv, char const *qid, char const *helo, char const *from) ;
/* Writes to the message pipe within secs; on failure kills the child and
   marks it broken. 0 or -1. */
int smtp_child_write (struct smtp_child *ch, char const *p, size_t n, unsigned secs) ;
/* Final dot seen: writes the envelope (unless broken), closes the pipes,
   waits up to secs. Writes the SMTP reply line (no CRLF) into reply
   (SMTPD_REPLY_MAX + 32 bytes) and returns its code (250, 451, 554). */
int smtp_child_finish (struct smtp_child *ch, char const *env, size_t envlen, unsigned secs, char const *qid, char *reply) ;
/* DATA aborted: closes the pipes without an envelope and reaps the child. */
void smtp_child_abort (struct smtp_child *ch, unsigned secs) ;
/* Maps a wait status and the child's fd-4 text to a reply; see smtpd.md. */
int smtp_child_reply (int wstatus, int broken, char const *custom, size_t n, char const *qid, char *reply) ;

/* ---- smtp_log: one line per event on stderr (libc only) ---- */

struct smtp_log { char buf[1024] ; size_t len ; } ;
void smtp_log_start (struct smtp_log *l, char const *level) ;
void smtp_log_s (struct smtp_log *l, char const *s) ;
/* network bytes: outside 33..126 as '?' (qmail's outsafe), at most 300 */
void smtp_log_safe (struct smtp_log *l, char const *s, size_t n) ;
void smtp_log_u (struct smtp_log *l, uint64_t u) ;
void smtp_log_end (struct smtp_log *l) ;

/* ---- smtp_session / smtp_msg: the SMTP dialogue ---- */

struct smtpd {
  struct conf conf ;
  struct conf_limits lim ;
  int trusted ;
  struct span me ;
  char const *ip ;                  /* $TCPREMOTEIP or "-" */
  char const *const *argv ;         /* the child: the rest of our argv */
  int sock ;                        /* fd 0 is a socket (not a pipe) */
  struct smtp_io io ;
  char helo[SMTPD_HELO_MAX + 1] ;   /* NUL-terminated; empty: no HELO yet */
  int ehlo ;
  int inmail ;
  uint64_t declared ;               /* MAIL's SIZE=, 0 if none */
  uint64_t txsize ;                 /* this message's size limit: the client's,
                                       lowered by each recipient domain's size= */
  uint64_t nrcpt, nmsg, errors ;
  char *env ; size_t envlen, envcap ;   /* "F<from>\0T<rcpt>\0..." so far */
  char line[SMTPD_CMD_LINE_MAX] ;
  char qid[QUEUE_ID_MAX + 1] ;
  long long lastsec, lastusec ;     /* the previous qid's time: ids never repeat */
} ;

/* Runs the session to its end; returns the exit code. */
int smtp_session_run (struct smtpd *g) ;
/* Sends a reply line (CRLF added) into the output buffer. */
void smtp_reply (struct smtpd *g, char const *s) ;
/* Ends the session: flushes replies, exits with code. */
void smtp_end (struct smtpd *g, int code) __attribute__((noreturn)) ;
/* DATA: the whole transaction after the checks. */
void smtp_msg_data (struct smtpd *g) ;

#endif
