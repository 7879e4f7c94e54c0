/* smtp_conn.h: one client connection: its state, the replies it is sent,
   and its log lines (doc/log.md: connect, refused, accepted, aborted,
   disconnect). smtp_session (the dialogue) and smtp_msg (one DATA
   transaction) both work on it; it knows neither of them. */
#ifndef MXHOLD_SMTP_CONN_H
#define MXHOLD_SMTP_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "conf/conf.h"
#include "lib/span.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_guard.h"
#include "smtpd/smtp_io.h"

/* A queue id's length, "SECONDS.MICROS.PID" with room to spare: the
   queue's QUEUE_ID_MAX (queue/queue.h). smtpd does not include the
   queue's header: it knows the queue only through the qmail-queue pipe,
   and a writer given a longer $MXHOLD_QID makes its own. */
#define SMTPD_QID_MAX 40
/* "PROTOCOL/CIPHER" of a TLS session, as mxhold-tls names them */
#define SMTPD_TLS_MAX 96

/* Why the connection ended (disconnect reason=), when it is not a refusal's */
#define SMTPD_END_QUIT "quit"
#define SMTPD_END_EOF "eof"
#define SMTPD_END_TIMEOUT "timeout"
#define SMTPD_END_ERROR "error"

struct smtp_conn
{
  struct conf conf ;
  struct conf_limits lim ;
  int trusted ;
  struct span me ;
  char const *ip ;                  /* $TCPREMOTEIP or "-" */
  char const *port ;                /* $TCPREMOTEPORT or "-" */
  char const *const *argv ;         /* the child: the rest of our argv */
  int sock ;                        /* fd 0 is a socket (not a pipe) */
  uint64_t start ;                  /* smtp_conn_ms() at connect */
  struct smtp_guard guard ;         /* idle commands, session deadline, DATA rate */
  struct smtp_io io ;
  char line[SMTPD_CMD_LINE_MAX] ;   /* the command line being answered */
  char helo[SMTPD_HELO_MAX + 1] ;   /* NUL-terminated; empty: no HELO yet */
  int ehlo ;

  /* the transaction */
  int inmail ;
  uint64_t declared ;               /* MAIL's SIZE=, 0 if none */
  uint64_t txsize ;                 /* this message's size limit: the client's,
                                       lowered by each recipient domain's size= */
  uint64_t nrcpt ;
  char *env ;                       /* "F<from>\0T<rcpt>\0..." so far */
  size_t envlen ;
  size_t envcap ;
  char qid[SMTPD_QID_MAX + 1] ;     /* the message in DATA; "" outside DATA */
  uint64_t size ;                   /* its bytes as received so far */
  long long lastsec ;               /* the previous qid's time: ids never repeat */
  long long lastusec ;

  int smtputf8 ;                    /* MAIL had SMTPUTF8 (RFC 6531): UTF-8 addresses,
                                       the message marked for the queue */

  /* DSN (smtp_dsnenv): the transaction's RET, ENVID and per-recipient
     NOTIFY/ORCPT, as the queue's header lines */
  char *dsn ;
  size_t dsnlen ;
  size_t dsncap ;

  /* BDAT (smtp_bdat): the transaction's chunks */
  int bdat ;                        /* a BDAT transaction is open: its child runs */
  uint64_t chunks ;                 /* BDAT chunks taken in this transaction; 0 for DATA */
  uint64_t chunkbytes ;             /* their bytes, as sent: the size limit counts these */

  /* the command being answered, for its refused line (smtp_session sets them) */
  char const *stage ;               /* "connect", "helo", "mail", "rcpt", "data", "command", ... */
  char addrkind ;                   /* 'F': addr is MAIL's path, 'T': RCPT's, 0: none */
  struct span addr ;
  int showline ;                    /* the refusal is of the line itself: log it */
  char const *basis ;               /* what a recipient policy's refusal rests on
                                       (basis=, smtp_rcpt.c); the refusal clears it */
  size_t linelen ;

  /* STARTTLS (smtp_tls) */
  int tlsstate ;                    /* the tls/ pair: not looked at yet, none, broken, ready */
  pid_t tlspid ;                    /* mxhold-tls once TLS is on, else 0 */
  int tlsdone ;                     /* a mxhold-tls server's child: its status pipe + 1 (EOF: it has exited), else 0 */
  char const *tlsvia ;              /* "server" or "spawn" (the starttls line's via=) */
  char tls[SMTPD_TLS_MAX] ;         /* "TLSv1.3/TLS_AES_256_GCM_SHA384" once on, "" before */

  /* counts */
  uint64_t nmail ;                  /* MAIL commands accepted: the messages limit */
  uint64_t errors ;                 /* refused commands in a row */
  uint64_t naccepted ;              /* messages queued */
  uint64_t nrcpts ;                 /* their recipients */
  uint64_t nrefused ;               /* refusals sent */
} ;

/* The clock of duration=: milliseconds, monotonic. */
uint64_t smtp_conn_ms (void) ;

/* Sends a reply line (CRLF added) into the output buffer. A client that
   cannot be written to ends the connection. */
void smtp_conn_reply (struct smtp_conn *g, char const *s) ;
/* A refusal: sends reply and logs it, one refused line with g's stage,
   reason in words; e, if not 0, an errno value that explains it. */
void smtp_conn_refuse (struct smtp_conn *g, char const *reason, char const *reply) ;
void smtp_conn_refuse_errno (struct smtp_conn *g, char const *reason, char const *reply, int e) ;

/* The other lines of a connection's life. */
void smtp_conn_connect (struct smtp_conn *g) ;
void smtp_conn_accepted (struct smtp_conn *g) ;
/* DATA cut short with no reply to send: the client went away */
void smtp_conn_aborted (struct smtp_conn *g, char const *reason) ;

/* Flushes the replies and logs the disconnect line; smtp_conn_end then
   exits with code. reason: SMTPD_END_*, or the refusal's that closed it. */
void smtp_conn_close (struct smtp_conn *g, char const *reason) ;
void smtp_conn_end (struct smtp_conn *g, char const *reason, int code) __attribute__((noreturn)) ;

#endif
