/* remote_io.h: mxhold-remote's I/O (remote_io.c): the downstream
   connection with a deadline per step, the last failure (its text for
   the results, its reason for the log), and the result lines to deliver
   on fd 1. Used by remote_txn.c (transactions), remote_smtp.c (the
   session) and remote.c; it knows none of them. */
#ifndef MXHOLD_REMOTE_IO_H
#define MXHOLD_REMOTE_IO_H

#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "lib/log.h"
#include "deliver/remote.h"

struct remote_io {
  int fd ;
  unsigned int timeout ;     /* seconds, per step */
  char const *stage ;        /* the step under way, for the log: connect, greeting, helo, mail, rcpt, data, bdat, rset, quit */
  unsigned int msgs ;        /* messages sent over the connection */
  int64_t since ;            /* when it was made, ms (monotonic) */
  uint16_t port ;
  char name[256] ;           /* the host name as routed */
  char ip[INET6_ADDRSTRLEN] ;
  char host[300] ;           /* "name[ip]:port", for the result lines */
  void *tls ;                /* the TLS session after STARTTLS (remote_tls.h), or 0: plain */
  char tlsdesc[96] ;         /* its "PROTOCOL/CIPHER", for the log */
  char const *verify ;       /* what checked the certificate: ca, dane, none */
  size_t len ;
  char in[REMOTE_IO_BYTES] ;
} ;

/* ---- the last failure ---- */
extern struct dlv_buf remote_err ;   /* its text, for t results */
/* A failure: reason is a word for the log (static), text what the
   recipients' results say. The _errno form adds strerror(e) to the text
   and logs it as error=, the _reply form adds a downstream reply and
   logs it as reply=. */
void remote_fail (char const *reason, char const *text) ;
void remote_fail_errno (char const *reason, char const *what, int e) ;
void remote_fail_reply (char const *reason, char const *what, char const *reply) ;
/* The same with a free text (a TLS library's reason), logged as detail=. */
void remote_fail_detail (char const *reason, char const *what, char const *detail) ;
/* " reason=... error=..." (or reply=, detail=) of the last failure into l. */
void remote_fail_log (struct mx_log *l) ;
/* Starts a line about io's connection: EVENT host= ip= port=. */
void remote_io_log (struct mx_log *l, char const *level, char const *event, struct remote_io const *io) ;
/* " tls=PROTOCOL/CIPHER verify=WHAT" of io's session, or " tls=- verify=none". */
void remote_io_log_tls (struct mx_log *l, struct remote_io const *io) ;

/* ---- the connection ---- */
int64_t remote_now_ms (void) ;
/* Connects io to a, within tconn seconds, and logs it (connect, or
   connect-failed). 0, or -1 with the failure set. */
int remote_io_connect (struct remote_io *io, struct remote_addr const *a, unsigned int tconn) ;
/* Ends the TLS session, if any, and closes the connection (fd -1). */
void remote_io_close (struct remote_io *io) ;
/* Writes all of s within the timeout. 0, or -1 with the failure set. */
int remote_io_put (struct remote_io *io, char const *s, size_t len) ;
/* Reads one reply into code and text (reset first). 0, or -1 with the
   failure set. */
int remote_io_reply (struct remote_io *io, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext) ;
/* Sends a+b+c CRLF and reads the reply. 0, or -1 with the failure set. */
int remote_io_cmd (struct remote_io *io, char const *a, char const *b, char const *c, unsigned int *code, struct dlv_buf *text) ;

/* ---- the result lines (remote.md: "ID INDEX S HOST TEXT") ---- */
/* Reports one result on fd 1, once per recipient; exits 111 if deliver
   is gone. */
void remote_result (struct remote_msg *m, size_t r, char status, char const *host, char const *text, size_t len) ;
/* Reports t for every recipient of msgs[from..n) without a result. */
void remote_result_rest (struct remote_msg *msgs, size_t from, size_t n, char const *host, char const *text) ;
/* The result for recipient r from a reply code: 2xx d, 5xx p, else t. */
void remote_result_code (struct remote_msg *m, size_t r, unsigned int code, char const *host, struct dlv_buf const *t) ;

#endif
