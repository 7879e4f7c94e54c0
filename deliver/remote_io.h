/* remote_io.h: mxhold-remote's connection I/O, shared by remote_smtp.c
   (connection, greeting, session) and remote_txn.c (transactions). */
#ifndef MXHOLD_REMOTE_IO_H
#define MXHOLD_REMOTE_IO_H

#include "deliver/remote.h"

struct remote_io {
  int fd ;
  unsigned int timeout ;     /* seconds, per step */
  size_t len ;
  char host[300] ;           /* "name[ip]:port" for logs */
  char in[REMOTE_IO_BYTES] ;
} ;

extern struct dlv_buf remote_err ;   /* the last error, for t results */
void remote_seterr (char const *what, char const *why) ;
/* Writes all of s within the timeout. 0, or -1 with remote_err set. */
int remote_io_put (struct remote_io *io, char const *s, size_t len) ;
/* Reads one reply into code and text. 0, or -1 with remote_err set. */
int remote_io_reply (struct remote_io *io, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext) ;
/* Sends a+b+c CRLF and reads the reply. 0, or -1 with remote_err set. */
int remote_io_cmd (struct remote_io *io, char const *a, char const *b, char const *c, unsigned int *code, struct dlv_buf *text) ;
/* Streams the message from fd (at its body), dot-stuffed, then the final dot. */
int remote_send_body (struct remote_io *io, int fd) ;
/* The result line for recipient r from a reply code: 2xx d, 5xx p, else t. */
void remote_result_code (struct remote_msg *m, size_t r, unsigned int code, char const *host, struct dlv_buf const *t) ;
/* One message over io: every recipient gets a result. 0 done, -1 the
   connection is lost (the message's rest reported t). With retry (the
   first message on a kept connection): -2 if the connection was lost, or
   MAIL got 421, before any result and before a DATA was accepted; then
   nothing is reported and the message may be sent again. */
int remote_msg_send (struct remote_io *io, struct remote_ext const *ext, struct remote_msg *m, int retry) ;

#endif
