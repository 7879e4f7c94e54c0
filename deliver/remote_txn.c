/* remote_txn.c: one message over an open connection: its envelope,
   SIZE, transactions (plain or PIPELINING, RFC 2920) with the 452
   carry-over (RFC 5321 4.5.3.1.10), dot-stuffing. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/u64.h"
#include "queue/queue.h"
#include "deliver/remote_txn.h"

#define REMOTE_ENVID_MAX 100          /* RFC 3461 4.4 */
#define REMOTE_MAIL_PARAMS_MAX 192    /* ">", " SIZE=" and 20 digits, " SMTPUTF8", " RET=HDRS", " ENVID=" and 100, NUL */

/* Streams the message from fd (at its body), dot-stuffed, then the final dot. */
static int send_body (struct remote_io *io, int fd)
{
  static char in[REMOTE_IO_BYTES], out[2 * REMOTE_IO_BYTES + 8] ;
  int bol = 1 ;
  char last = '\n' ;
  for (;;)
  {
    size_t o = 0 ;
    ssize_t n = read(fd, in, sizeof in) ;
    if (n == -1)
    {
      if (errno == EINTR) continue ;
      remote_fail_errno("read-failed", "read message: ", errno) ;
      return -1 ;
    }
    if (!n) break ;
    for (ssize_t i = 0 ; i < n ; i++)
    {
      if (bol && in[i] == '.') out[o++] = '.' ;   /* RFC 5321 4.5.2 */
      out[o++] = in[i] ;
      bol = in[i] == '\n' ;
    }
    last = in[n-1] ;
    if (remote_io_put(io, out, o) == -1) return -1 ;
  }
  /* a message always ends with CRLF before the dot, or the dot would join its last line */
  if (last != '\n' && remote_io_put(io, "\r\n", 2) == -1) return -1 ;
  return remote_io_put(io, ".\r\n", 3) ;
}

/* The body as one chunk (RFC 3030): "BDAT size LAST", then exactly size
   bytes of the file as stored, nothing stuffed, nothing added: the count
   is the file's, so a file that ends early fails the connection (the
   server would take what follows for the rest of the chunk). */
static int send_bdat (struct remote_io *io, int fd, off_t size)
{
  static char out[REMOTE_IO_BYTES] ;
  size_t o = 5 ;
  memcpy(out, "BDAT ", 5) ;
  o += mx_u64_fmt(out + o, (uint64_t)size) ;
  memcpy(out + o, " LAST\r\n", 7) ;
  o += 7 ;
  for (;;)
  {
    while (size > 0 && o < sizeof out)   /* the command and the first bytes in one write */
    {
      size_t room = sizeof out - o ;
      ssize_t n = read(fd, out + o, (uint64_t)size < room ? (size_t)size : room) ;
      if (n == -1 && errno == EINTR) continue ;
      if (n <= 0)
      {
        remote_fail_errno("read-failed", "read message: ", n ? errno : EIO) ;
        return -1 ;
      }
      o += (size_t)n ;
      size -= n ;
    }
    if (remote_io_put(io, out, o) == -1) return -1 ;
    if (!size) return 0 ;
    o = 0 ;
  }
}

/* Reads the envelope of m's file: sender and the offset of the message. */
static int msg_open (struct remote_msg *m, struct dlv_buf *from, off_t *size, off_t *body, struct dlv_buf *hb, struct queue_env *ep)
{
  struct dlv_buf h = DLV_BUF_ZERO ;
  struct queue_env e ;
  struct stat st ;
  int fd = open(m->path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1)
  {
    remote_fail_errno("open-failed", "unable to open message: ", errno) ;
    return -1 ;
  }
  for (;;)
  {
    char buf[4096] ;
    ssize_t n = read(fd, buf, sizeof buf) ;
    int r ;
    if (n <= 0 || h.len >= QUEUE_ENVELOPE_MAX_BYTES)   /* cut, or a header no writer makes */
    {
      remote_fail("malformed", "bad message file") ;
      goto fail ;
    }
    if (dlv_buf_cat(&h, buf, (size_t)n) == -1)
    {
      remote_fail("out-of-memory", "out of memory") ;
      goto fail ;
    }
    r = queue_env_parse(h.s, h.len, &e) ;
    if (r < 0)
    {
      remote_fail("malformed", "bad message file") ;
      goto fail ;
    }
    if (r > 0) break ;
  }
  from->len = 0 ;
  if (dlv_buf_cat(from, e.from.p, e.from.len) == -1 || fstat(fd, &st) == -1
   || lseek(fd, (off_t)e.hdrlen, SEEK_SET) == -1)
  {
    remote_fail_errno("read-failed", "read message: ", errno) ;
    goto fail ;
  }
  *size = st.st_size - (off_t)e.hdrlen ;
  *body = (off_t)e.hdrlen ;
  *hb = h ;    /* the header stays: e's spans point into it (DSN lines) */
  *ep = e ;
  return fd ;
 fail:
  dlv_buf_free(&h) ;
  close(fd) ;
  return -1 ;
}

struct txn {
  struct remote_io *io ;
  struct remote_msg *m ;
  int fd ;
  off_t body ;
  off_t size ;                /* the message's bytes after the queue header */
  int bdat ;                  /* the server offers CHUNKING: BDAT, not DATA */
  int dsn ;                   /* the server offers DSN: NOTIFY=, ORCPT= passed on */
  struct dlv_buf hdr ;        /* the message file's header, */
  struct queue_env e ;        /* as parsed: its dsn lines */
  struct dlv_buf rt ;         /* a RCPT's ">" and parameters */
  char const *from ;
  char const *sz ;            /* ">" or "> SIZE=n" */
  size_t *pend ;              /* recipients still to send */
  size_t npend ;
  size_t *acc ;               /* accepted in this transaction */
  size_t nacc ;
  struct dlv_buf t ;
  int retry ;                 /* first message on a kept connection: a 421 to MAIL is a lost connection */
  int data ;                  /* a DATA was accepted (354): never send this message again */
} ;

/* What follows RCPT's path: ">", and with a server that offers DSN the
   recipient's NOTIFY= and ORCPT= as they came (RFC 3461 4.1, 4.2: a
   relay passes them on). Points into x->rt (or is static). */
static char const *rcpt_tail (struct txn *x, size_t r)
{
  struct span nt ;
  struct span oc ;
  uint64_t index ;
  char const *s = x->m->idx[r] ;
  if (!x->dsn || !mx_u64_scan_all(s, strlen(s), UINT64_MAX, &index)
   || !queue_env_dsn(x->hdr.s, &x->e, (size_t)index, &nt, &oc)) return ">" ;
  x->rt.len = 0 ;
  dlv_buf_cats(&x->rt, ">") ;
  if (!(nt.len == 1 && nt.p[0] == '-'))
  {
    dlv_buf_cats(&x->rt, " NOTIFY=") ;
    dlv_buf_cat(&x->rt, nt.p, nt.len) ;
  }
  if (!(oc.len == 1 && oc.p[0] == '-'))
  {
    dlv_buf_cats(&x->rt, " ORCPT=") ;
    dlv_buf_cat(&x->rt, oc.p, oc.len) ;
  }
  return x->rt.s ? x->rt.s : ">" ;
}

/* RSET after an aborted transaction. 0, or -1 with the failure set. */
static int rset (struct txn *x)
{
  unsigned int code ;
  x->io->stage = "rset" ;
  return remote_io_cmd(x->io, "RSET", "", "", &code, &x->t) ;
}

/* The server closes the kept connection under our MAIL (RFC 5321 3.8):
   a lost connection, reported by no result, so the batch can go again. */
static int mail_closing (struct txn *x, unsigned int code, struct dlv_buf const *t)
{
  if (!x->retry || code != 421) return 0 ;
  remote_fail_reply("closing", "MAIL: ", t->s ? t->s : "421") ;
  return 1 ;
}

/* A RCPT reply: accepted, carried to the next transaction (a 452 after
   some were accepted, RFC 5321 4.5.3.1.10), or a result. */
static void rcpt_reply (struct txn *x, size_t r, unsigned int code, size_t *carry, size_t *ncarry)
{
  if (code / 100 == 2) x->acc[x->nacc++] = r ;
  else if (code == 452 && x->nacc) carry[(*ncarry)++] = r ;
  else remote_result_code(x->m, r, code, x->io->host, &x->t) ;
}

/* The final reply for accepted recipient r: with NOTIFY=SUCCESS and a
   server that offers no DSN, a 2xx is reported 'r' (relayed): deliver
   then owes the sender a "relayed" DSN (RFC 3461 4.1). */
static void accepted_result (struct txn *x, size_t r, unsigned int code)
{
  struct span nt ;
  struct span oc ;
  uint64_t index ;
  char const *s = x->m->idx[r] ;
  if (code / 100 == 2 && !x->dsn && x->t.s && mx_u64_scan_all(s, strlen(s), UINT64_MAX, &index)
   && queue_env_dsn(x->hdr.s, &x->e, (size_t)index, &nt, &oc) && memmem(nt.p, nt.len, "SUCCESS", 7))
  {
    remote_result(x->m, r, 'r', x->io->host, x->t.s, x->t.len) ;
    return ;
  }
  remote_result_code(x->m, r, code, x->io->host, &x->t) ;
}

/* After MAIL and the RCPTs, with CHUNKING: the body as BDAT LAST (no
   354 round trip, no dot-stuffing) and its reply. */
static int txn_bdat (struct txn *x)
{
  unsigned int code ;
  x->io->stage = "bdat" ;
  x->data = 1 ;   /* from the first byte of the chunk on, never send it again */
  if (send_bdat(x->io, x->fd, x->size) == -1 || remote_io_reply(x->io, &code, &x->t, 0) == -1) return -1 ;
  for (size_t i = 0 ; i < x->nacc ; i++) accepted_result(x, x->acc[i], code) ;
  return 0 ;
}

/* After MAIL and the RCPTs: DATA's reply in code; sends the body if 354. */
static int txn_data (struct txn *x, unsigned int code)
{
  if (code != 354)
  {
    for (size_t i = 0 ; i < x->nacc ; i++) remote_result_code(x->m, x->acc[i], code / 100 == 2 ? 451 : code, x->io->host, &x->t) ;
    return rset(x) ;
  }
  x->data = 1 ;
  if (send_body(x->io, x->fd) == -1 || remote_io_reply(x->io, &code, &x->t, 0) == -1) return -1 ;
  for (size_t i = 0 ; i < x->nacc ; i++) accepted_result(x, x->acc[i], code) ;
  return 0 ;
}

/* One transaction, one command at a time. */
static int txn_plain (struct txn *x, size_t *carry, size_t *ncarry)
{
  unsigned int code ;
  size_t k ;
  x->io->stage = "mail" ;
  if (remote_io_cmd(x->io, "MAIL FROM:<", x->from, x->sz, &code, &x->t) == -1) return -1 ;
  if (mail_closing(x, code, &x->t)) return -1 ;
  if (code / 100 != 2)
  {
    for (k = 0 ; k < x->npend ; k++) remote_result_code(x->m, x->pend[k], code, x->io->host, &x->t) ;
    return rset(x) ;
  }
  x->io->stage = "rcpt" ;
  for (k = 0 ; k < x->npend ; k++)
  {
    if (*ncarry)   /* after a 452: next transaction */
    {
      carry[(*ncarry)++] = x->pend[k] ;
      continue ;
    }
    if (remote_io_cmd(x->io, "RCPT TO:<", x->m->rcpt[x->pend[k]], rcpt_tail(x, x->pend[k]), &code, &x->t) == -1) return -1 ;
    rcpt_reply(x, x->pend[k], code, carry, ncarry) ;
  }
  if (!x->nacc) return rset(x) ;
  if (x->bdat) return txn_bdat(x) ;
  x->io->stage = "data" ;
  if (remote_io_cmd(x->io, "DATA", "", "", &code, &x->t) == -1) return -1 ;
  return txn_data(x, code) ;
}

/* Writes the RCPTs pend[k..end) (MAIL first when k is 0, DATA after the
   last group) in one write. */
static int pipe_put (struct txn *x, size_t k, size_t end)
{
  struct dlv_buf cmds = DLV_BUF_ZERO ;
  int rc ;
  if (!k)
  {
    dlv_buf_cats(&cmds, "MAIL FROM:<") ;
    dlv_buf_cats(&cmds, x->from) ;
    dlv_buf_cats(&cmds, x->sz) ;
    dlv_buf_cats(&cmds, "\r\n") ;
  }
  for (size_t j = k ; j < end ; j++)
  {
    dlv_buf_cats(&cmds, "RCPT TO:<") ;
    dlv_buf_cats(&cmds, x->m->rcpt[x->pend[j]]) ;
    dlv_buf_cats(&cmds, rcpt_tail(x, x->pend[j])) ;
    dlv_buf_cats(&cmds, "\r\n") ;
  }
  if (end == x->npend && !x->bdat) dlv_buf_cats(&cmds, "DATA\r\n") ;
  if (!cmds.s)
  {
    remote_fail("out-of-memory", "out of memory") ;
    return -1 ;
  }
  rc = remote_io_put(x->io, cmds.s, cmds.len) ;
  dlv_buf_free(&cmds) ;
  return rc ;
}

/* One transaction with PIPELINING (RFC 2920): MAIL, the RCPTs and DATA
   written in groups of REMOTE_PIPE_RCPTS, each group's replies read before
   the next is written (a client that writes everything first deadlocks
   with a server whose replies fill the buffers, RFC 2920 3.1); the body
   only after a 354. */
static int txn_pipe (struct txn *x, size_t *carry, size_t *ncarry)
{
  struct dlv_buf mt = DLV_BUF_ZERO ;
  unsigned int code ;
  unsigned int mcode = 0 ;
  int rc = -1 ;
  for (size_t k = 0, end ; k < x->npend ; k = end)
  {
    end = x->npend - k > REMOTE_PIPE_RCPTS ? k + REMOTE_PIPE_RCPTS : x->npend ;
    x->io->stage = k ? "rcpt" : "mail" ;
    if (pipe_put(x, k, end) == -1) goto end ;
    if (!k && remote_io_reply(x->io, &mcode, &mt, 0) == -1) goto end ;
    if (!k && mail_closing(x, mcode, &mt)) goto end ;
    x->io->stage = "rcpt" ;
    for (size_t j = k ; j < end ; j++)
    {
      if (remote_io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
      if (mcode / 100 == 2) rcpt_reply(x, x->pend[j], code, carry, ncarry) ;
      else remote_result_code(x->m, x->pend[j], mcode, x->io->host, &mt) ;   /* the sender was refused */
    }
  }
  if (x->bdat)   /* BDAT is sent only once a recipient was accepted */
  {
    rc = x->nacc ? txn_bdat(x) : rset(x) ;
    goto end ;
  }
  x->io->stage = "data" ;
  if (remote_io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
  if (!x->nacc)
  {
    if (code == 354 && remote_io_put(x->io, ".\r\n", 3) == -1) goto end ;   /* a server that said 354 anyway */
    if (code == 354 && remote_io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
    rc = rset(x) ;
    goto end ;
  }
  rc = txn_data(x, code) ;
 end:
  dlv_buf_free(&mt) ;
  return rc ;
}

/* Has any recipient of m got its result? */
static int any_done (struct remote_msg const *m)
{
  for (size_t r = 0 ; r < m->n ; r++) if (m->done[r]) return 1 ;
  return 0 ;
}

/* The message file could not be read: a local fault, logged; its
   recipients get t. */
static void unreadable (struct remote_io *io, struct remote_msg *m)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_WARN, "read-failed") ;
  mx_log_str(&l, "qid", m->id) ;
  mx_log_str(&l, "path", m->path) ;
  remote_fail_log(&l) ;
  mx_log_end(&l) ;
  remote_result_rest(m, 0, 1, io->host, remote_err.s) ;
}

/* The SIZE the downstream announced is smaller: a permanent failure for
   every recipient (RFC 1870 6). */
static void too_big (struct remote_io *io, struct remote_ext const *ext, struct remote_msg *m, off_t size)
{
  struct dlv_buf b = DLV_BUF_ZERO ;
  dlv_buf_cats(&b, "552 5.3.4 message size ") ;
  dlv_buf_catu(&b, (uint64_t)size) ;
  dlv_buf_cats(&b, " exceeds the downstream's SIZE ") ;
  dlv_buf_catu(&b, ext->sizemax) ;
  for (size_t r = 0 ; r < m->n ; r++) remote_result(m, r, 'p', io->host, b.s ? b.s : "552", b.len) ;
  dlv_buf_free(&b) ;
}

/* An SMTPUTF8 message and a server without SMTPUTF8: a permanent failure
   for every recipient, never a silent downgrade (RFC 6531 3.2: the
   addresses or headers may hold UTF-8 the server cannot take). */
static void no_utf8 (struct remote_io *io, struct remote_msg *m)
{
  static char const t[] = "553 5.6.7 the message needs SMTPUTF8 (RFC 6531) and the downstream does not offer it" ;
  for (size_t r = 0 ; r < m->n ; r++) remote_result(m, r, 'p', io->host, t, sizeof t - 1) ;
}

/* Whether m can go to this server at all: an SMTPUTF8 message needs
   SMTPUTF8, a message needs room under the server's SIZE. 0: every
   recipient got its p result. */
static int sendable (struct remote_io *io, struct remote_ext const *ext, struct remote_msg *m, off_t size, int utf8)
{
  if (utf8 && !ext->smtputf8)
  {
    no_utf8(io, m) ;
    return 0 ;
  }
  if (ext->size && ext->sizemax && (uint64_t)size > ext->sizemax)
  {
    too_big(io, ext, m, size) ;
    return 0 ;
  }
  return 1 ;
}

/* What follows MAIL's path into sz (REMOTE_MAIL_PARAMS_MAX bytes): ">",
   " SIZE=n" (RFC 1870 6: declare the size), " SMTPUTF8" (RFC 6531 3.4). */
static void mail_params (struct remote_ext const *ext, off_t size, struct queue_env const *e, char *sz)
{
  static char const skw[] = " SIZE=" ;
  static char const ukw[] = " SMTPUTF8" ;
  int utf8 = e->smtputf8 ;
  size_t n = 1 ;
  sz[0] = '>' ;
  if (ext->size)
  {
    memcpy(sz + n, skw, sizeof skw - 1) ;
    n += sizeof skw - 1 ;
    n += mx_u64_fmt(sz + n, (uint64_t)size) ;
  }
  if (utf8)
  {
    memcpy(sz + n, ukw, sizeof ukw - 1) ;
    n += sizeof ukw - 1 ;
  }
  if (ext->dsn && e->ret.len == 4)   /* RFC 3461 4.3, 4.4: passed on */
  {
    memcpy(sz + n, " RET=", 5) ;
    memcpy(sz + n + 5, e->ret.p, 4) ;
    n += 9 ;
  }
  if (ext->dsn && e->envid.len && e->envid.len <= REMOTE_ENVID_MAX)
  {
    memcpy(sz + n, " ENVID=", 7) ;
    memcpy(sz + n + 7, e->envid.p, e->envid.len) ;
    n += 7 + e->envid.len ;
  }
  sz[n] = 0 ;
}

int remote_msg_send (struct remote_io *io, struct remote_ext const *ext, struct remote_msg *m, int retry)
{
  struct dlv_buf from = DLV_BUF_ZERO ;
  struct txn x = { .io = io, .m = m, .t = DLV_BUF_ZERO, .hdr = DLV_BUF_ZERO, .rt = DLV_BUF_ZERO, .retry = retry } ;
  size_t *carry = 0 ;
  size_t ncarry ;
  off_t size ;
  int rc = -1 ;
  char sz[REMOTE_MAIL_PARAMS_MAX] ;
  x.fd = msg_open(m, &from, &size, &x.body, &x.hdr, &x.e) ;
  if (x.fd == -1)
  {
    unreadable(io, m) ;
    return 0 ;
  }
  if (!sendable(io, ext, m, size, x.e.smtputf8))
  {
    rc = 0 ;
    goto end ;
  }
  mail_params(ext, size, &x.e, sz) ;
  x.from = from.s ? from.s : "" ;
  x.sz = sz ;
  x.size = size ;
  x.bdat = ext->chunking ;
  x.dsn = ext->dsn ;
  x.pend = malloc((m->n + 1) * sizeof *x.pend) ;
  x.acc = malloc((m->n + 1) * sizeof *x.acc) ;
  carry = malloc((m->n + 1) * sizeof *carry) ;
  if (!x.pend || !x.acc || !carry)
  {
    remote_fail("out-of-memory", "out of memory") ;
    goto lost ;
  }
  for (size_t r = 0 ; r < m->n ; r++) x.pend[r] = r ;
  x.npend = m->n ;
  while (x.npend)
  {
    size_t *tmp ;
    ncarry = 0 ;
    x.nacc = 0 ;
    if (lseek(x.fd, x.body, SEEK_SET) == -1)
    {
      remote_fail_errno("read-failed", "seek message: ", errno) ;
      goto lost ;
    }
    if ((ext->pipelining ? txn_pipe(&x, carry, &ncarry) : txn_plain(&x, carry, &ncarry)) == -1) goto lost ;
    tmp = x.pend ;
    x.pend = carry ;
    carry = tmp ;
    x.npend = ncarry ;
  }
  io->msgs++ ;
  rc = 0 ;
  goto end ;
 lost:
  if (retry && !x.data && !any_done(m))
  {
    rc = -2 ;
    goto end ;
  }
  remote_result_rest(m, 0, 1, io->host, remote_err.s ? remote_err.s : "connection lost") ;
 end:
  close(x.fd) ;
  free(x.pend) ;
  free(x.acc) ;
  free(carry) ;
  dlv_buf_free(&from) ;
  dlv_buf_free(&x.t) ;
  dlv_buf_free(&x.hdr) ;
  dlv_buf_free(&x.rt) ;
  return rc ;
}

