/* remote.h: the modules of mxhold-remote, the SMTP client (libowfat
   program, deliver/remote.md). They stand in layers, each calling only
   the ones above it in this list, never one under it:

     lib/, conf/, queue/queue.h   shared, libc only
     dlv_buf, dlv_reply (dlv.h)   libc only, shared with mxhold-deliver
     remote_reply   the SMTP reply parser (libc only; fuzzed: it parses
                    downstream bytes)
     remote_tlsa    the TLSA query and its reply's parser (libc only;
                    fuzzed: it parses the resolver's bytes) (remote_tlsa.h)
     remote_dane    the TLSA lookup with the AD bit, UDP then TCP (libc)
     remote_tls     the TLS client: handshake, checks, record I/O
                    (OpenSSL) (remote_tls.h)
     remote_route   a route to the addresses to try (libowfat DNS)
     remote_io      the connection with its deadlines (plain, or over
                    remote_tls after STARTTLS), the last failure, the
                    result lines to deliver (remote_io.h)
     remote_starttls  the domain's tls= policy on one connection:
                    TLSA records, STARTTLS, the checks (remote_starttls.h)
     remote_txn     one message over an open connection
     remote_smtp    the session: connections, greeting, reuse, QUIT
     remote.c       main: batches from stdin */
#ifndef MXHOLD_REMOTE_H
#define MXHOLD_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include "deliver/dlv.h"

#define REMOTE_LINE_MAX 2048         /* RFC 5321 4.5.3.1.5 says 512; be lenient, not unbounded */
#define REMOTE_REPLY_LINES_MAX 100   /* lines of one multiline reply */
#define REMOTE_TEXT_MAX 1000         /* reply text kept for logs, state and DSNs */
#define REMOTE_HOSTS_MAX 32          /* addresses tried per session */
#define REMOTE_BATCH_MAX_BYTES (16u << 20)  /* stdin from deliver */
#define REMOTE_IO_BYTES 65536
#define REMOTE_PIPE_RCPTS 100        /* RCPTs per pipelined write: their replies fit any socket buffer */
#define REMOTE_QUIT_TIMEOUT 10       /* seconds for QUIT's reply at most: the mail is already sent */

struct remote_ext {
  int size ;              /* SIZE advertised */
  uint64_t sizemax ;      /* its value; 0 = no fixed limit (RFC 1870) */
  int pipelining ;
  int starttls ;
  int chunking ;          /* CHUNKING (RFC 3030): the body goes as one BDAT LAST */
  int smtputf8 ;          /* SMTPUTF8 (RFC 6531): an SMTPUTF8 message may go */
  int dsn ;               /* DSN (RFC 3461): NOTIFY, ORCPT, RET, ENVID passed on */
} ;

/* Parses one complete SMTP reply at the start of s[0..len): "ddd-text" lines
   then a "ddd text" line, CRLF (or bare LF) ended. Returns the bytes it
   takes (> 0) with *code and text (appended: "ddd first / second / ...",
   at most REMOTE_TEXT_MAX bytes, unsafe bytes as '?'); 0 if more bytes are
   needed; -1 if malformed (bad code, codes differ between lines, a line
   over REMOTE_LINE_MAX, more than REMOTE_REPLY_LINES_MAX lines). If ext is
   not NULL, EHLO keywords on the continuation lines are recorded there. */
long remote_reply_parse (char const *s, size_t len, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext) ;

/* One downstream address to try. */
struct remote_addr {
  int family ;            /* 4 or 6 */
  unsigned char ip[16] ;
  uint16_t port ;
  char name[256] ;        /* host name as routed, for logs */
} ;

/* Why a route gave no address: a word for the log's reason= and a
   sentence for the recipients' results (both static). */
struct remote_why {
  char const *reason ;
  char const *text ;
  int permanent ;         /* 1: no retry can help (an MX set with no public address, a domain that does not exist) */
} ;

/* Resolves a route ("HOST[:PORT],..." or "mx") for domain into at most
   max addresses, in order. me and aliases (space or comma separated names
   and addresses, may be NULL) are skipped; so are, for "mx", the
   addresses remote_guard_check refuses (remote_guard.h, each logged).
   Returns the count (>= 0), or -1 with *why set (a temporary failure,
   or with why->permanent an MX set that is all refused addresses, or a
   domain whose MX query says NXDOMAIN). */
int remote_route_resolve (char const *route, char const *domain, char const *me,
  char const *aliases, struct remote_addr *out, int max, struct remote_why *why) ;

/* One message of a batch, as deliver handed it. */
struct remote_msg {
  char const *id ;
  char const *path ;
  size_t n ;              /* recipients for this host */
  char const **rcpt ;
  char const **idx ;      /* their indexes in the envelope, as text */
  char *done ;            /* per recipient: result already reported */
} ;

/* The domain's tls= (conf/conf.md, remote.md): none, may (default),
   require, verify, dane. */
enum remote_tls_policy { REMOTE_TLS_NONE, REMOTE_TLS_MAY, REMOTE_TLS_REQUIRE, REMOTE_TLS_VERIFY, REMOTE_TLS_DANE } ;

struct remote_cfg {
  char const *me ;
  char const *aliases ;   /* config's aliases, then $MXHOLD_ME_ALIASES; 0: none */
  unsigned int timeout_connect ;
  unsigned int timeout_remote ;
  int bounce ;            /* 1: DOMAIN is no customer's (a DSN to a sender): a bounce destination */
  enum remote_tls_policy tls ;
  enum remote_tls_policy dane_fallback ;   /* tls=dane without usable TLSA records: this (never dane) */
  char const *tls_ca ;    /* tls_ca=FILE, or 0: the system's CA store */
} ;

/* ---- the session (remote_smtp.c) ---- */
/* Delivers msgs over the connection kept from the last batch if it is
   still usable (else, or if it dies before the first message's DATA was
   accepted, over a new one), then over one connection per address,
   addresses in order, until every recipient has a result; each result is
   written to fd 1 as soon as it is known: "ID INDEX S HOST TEXT\n",
   S = d delivered, r delivered to a server without DSN that the
   recipient's NOTIFY=SUCCESS asked about (a "relayed" DSN is owed),
   p permanent failure, t temporary failure. Recipients
   left when the addresses run out get t with the last error. A connection
   that served the whole batch stays open for the next one. */
void remote_session (struct remote_cfg const *cfg, struct remote_addr const *addrs, int naddr,
  struct remote_msg *msgs, size_t nmsg) ;
/* 1 if a connection is kept open from the last batch. */
int remote_connected (void) ;
/* QUIT (REMOTE_QUIT_TIMEOUT at most) and close the kept connection, if any. */
void remote_quit (struct remote_cfg const *cfg) ;

#endif
