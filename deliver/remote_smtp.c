/* remote_smtp.c: one SMTP client session (RFC 5321) for a batch of
   messages: connect, EHLO/HELO, one transaction per message with all its
   recipients, 452 carry-over to a new transaction (4.5.3.1.10), SIZE,
   dot-stuffing, RSET after an aborted transaction, QUIT. libc I/O. */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "queue/queue.h"
#include "deliver/remote.h"

struct io {
  int fd ;
  unsigned int timeout ;     /* seconds, per step */
  size_t len ;
  char host[300] ;           /* "name[ip]:port" for logs */
  char in[REMOTE_IO_BYTES] ;
} ;

static struct dlv_buf err = DLV_BUF_ZERO ;   /* last error text, for t results */

static void seterr (char const *what, char const *why)
{
  err.len = 0 ;
  dlv_buf_cats(&err, what) ;
  dlv_buf_cats(&err, why) ;
}

static int io_wait (struct io *io, short ev)
{
  struct pollfd p = { .fd = io->fd, .events = ev } ;
  int r ;
  do r = poll(&p, 1, (int)io->timeout * 1000) ; while (r == -1 && errno == EINTR) ;
  if (r == 0) errno = ETIMEDOUT ;
  return r > 0 ? 0 : -1 ;
}

static int io_put (struct io *io, char const *s, size_t len)
{
  while (len)
  {
    ssize_t w = write(io->fd, s, len) ;
    if (w == -1)
    {
      if (errno == EINTR) continue ;
      if (errno != EAGAIN || io_wait(io, POLLOUT) == -1) { seterr("write failed: ", strerror(errno)) ; return -1 ; }
      continue ;
    }
    s += w ; len -= (size_t)w ;
  }
  return 0 ;
}

/* Reads one reply. 0 with code and text (text reset first), or -1 with err set. */
static int io_reply (struct io *io, unsigned int *code, struct dlv_buf *text, struct remote_ext *ext)
{
  text->len = 0 ;
  for (;;)
  {
    long r = remote_reply_parse(io->in, io->len, code, text, ext) ;
    ssize_t n ;
    if (r > 0)
    {
      memmove(io->in, io->in + r, io->len - (size_t)r) ;
      io->len -= (size_t)r ;
      return 0 ;
    }
    if (r < 0) { seterr("protocol error: ", "malformed reply from downstream") ; return -1 ; }
    if (io->len == sizeof io->in) { seterr("protocol error: ", "reply too long") ; return -1 ; }
    n = read(io->fd, io->in + io->len, sizeof io->in - io->len) ;
    if (n > 0) { io->len += (size_t)n ; continue ; }
    if (n == 0) { seterr("connection closed by downstream", "") ; return -1 ; }
    if (errno == EINTR) continue ;
    if (errno != EAGAIN) { seterr("read failed: ", strerror(errno)) ; return -1 ; }
    if (io_wait(io, POLLIN) == -1) { seterr("timeout waiting for reply", "") ; return -1 ; }
  }
}

/* Sends a command line (CRLF added) and reads the reply. */
static int io_cmd (struct io *io, char const *a, char const *b, char const *c, unsigned int *code, struct dlv_buf *text)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  int r ;
  if (dlv_buf_cats(&l, a) == -1 || dlv_buf_cats(&l, b) == -1 || dlv_buf_cats(&l, c) == -1 || dlv_buf_cat(&l, "\r\n", 2) == -1)
  { dlv_buf_free(&l) ; seterr("out of memory", "") ; return -1 ; }
  r = io_put(io, l.s, l.len) ;
  dlv_buf_free(&l) ;
  return r == -1 ? -1 : io_reply(io, code, text, 0) ;
}

static int io_connect (struct io *io, struct remote_addr const *a, unsigned int tconn)
{
  struct sockaddr_storage ss ;
  socklen_t sl ;
  char ipt[INET6_ADDRSTRLEN] ;
  int e = 0 ;
  socklen_t el = sizeof e ;
  memset(&ss, 0, sizeof ss) ;
  if (a->family == 4)
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss ;
    s4->sin_family = AF_INET ; s4->sin_port = htons(a->port) ; memcpy(&s4->sin_addr, a->ip, 4) ;
    sl = sizeof *s4 ;
  }
  else
  {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss ;
    s6->sin6_family = AF_INET6 ; s6->sin6_port = htons(a->port) ; memcpy(&s6->sin6_addr, a->ip, 16) ;
    sl = sizeof *s6 ;
  }
  inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, ipt, sizeof ipt) ;
  {
    struct dlv_buf h = DLV_BUF_ZERO ;
    dlv_buf_cats(&h, a->name) ; dlv_buf_cats(&h, "[") ; dlv_buf_cats(&h, ipt) ; dlv_buf_cats(&h, "]:") ; dlv_buf_catu(&h, a->port) ;
    if (h.s) { size_t n = h.len < sizeof io->host - 1 ? h.len : sizeof io->host - 1 ; memcpy(io->host, h.s, n) ; io->host[n] = 0 ; }
    dlv_buf_free(&h) ;
  }
  io->len = 0 ;
  io->fd = socket(a->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (io->fd == -1) { seterr("socket: ", strerror(errno)) ; return -1 ; }
  if (connect(io->fd, (struct sockaddr *)&ss, sl) == 0) return 0 ;
  if (errno == EINPROGRESS)
  {
    io->timeout = tconn ;
    if (io_wait(io, POLLOUT) == 0 && getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && !e) return 0 ;
    if (!e) e = errno ;
  }
  else e = errno ;
  seterr("connect failed: ", strerror(e)) ;
  close(io->fd) ; io->fd = -1 ;
  return -1 ;
}

/* Streams the message from fd, dot-stuffed, then the final dot. */
static int send_body (struct io *io, int fd)
{
  static char in[REMOTE_IO_BYTES], out[2 * REMOTE_IO_BYTES + 8] ;
  int bol = 1 ;
  char last = '\n' ;
  for (;;)
  {
    size_t o = 0 ;
    ssize_t n = read(fd, in, sizeof in) ;
    if (n == -1) { if (errno == EINTR) continue ; seterr("read message: ", strerror(errno)) ; return -1 ; }
    if (!n) break ;
    for (ssize_t i = 0 ; i < n ; i++)
    {
      if (bol && in[i] == '.') out[o++] = '.' ;   /* RFC 5321 4.5.2 */
      out[o++] = in[i] ;
      bol = in[i] == '\n' ;
    }
    last = in[n-1] ;
    if (io_put(io, out, o) == -1) return -1 ;
  }
  /* a message always ends with CRLF before the dot, or the dot would join its last line */
  if (last != '\n' && io_put(io, "\r\n", 2) == -1) return -1 ;
  return io_put(io, ".\r\n", 3) ;
}

void remote_result (struct remote_msg *m, size_t r, char status, char const *host, char const *text, size_t len)
{
  struct dlv_buf l = DLV_BUF_ZERO ;
  char st[3] = { ' ', status, ' ' } ;
  if (m->done[r]) return ;
  m->done[r] = 1 ;
  if (dlv_buf_cats(&l, m->id) == -1 || dlv_buf_cat(&l, " ", 1) == -1 || dlv_buf_cats(&l, m->idx[r]) == -1
   || dlv_buf_cat(&l, st, 3) == -1 || dlv_buf_cats(&l, host && *host ? host : "-") == -1
   || dlv_buf_cat(&l, " ", 1) == -1 || dlv_buf_catsafe(&l, text, len > REMOTE_TEXT_MAX ? REMOTE_TEXT_MAX : len) == -1
   || dlv_buf_cat(&l, "\n", 1) == -1) { dlv_buf_free(&l) ; return ; }
  /* one write per line, so deliver sees whole lines even if we die */
  for (size_t o = 0 ; o < l.len ; )
  {
    ssize_t w = write(1, l.s + o, l.len - o) ;
    if (w == -1)
    {
      if (errno == EINTR) continue ;
      /* deliver is gone (killed): whatever we send now could not be
         recorded and would be sent again, so stop at once */
      _exit(111) ;
    }
    o += (size_t)w ;
  }
  dlv_buf_free(&l) ;
}

void remote_result_rest (struct remote_msg *msgs, size_t from, size_t n, char const *host, char const *text)
{
  for (size_t i = from ; i < n ; i++)
    for (size_t r = 0 ; r < msgs[i].n ; r++)
      remote_result(msgs + i, r, 't', host, text, strlen(text)) ;
}

static void result_code (struct remote_msg *m, size_t r, unsigned int code, char const *host, struct dlv_buf const *t)
{
  remote_result(m, r, code / 100 == 2 ? 'd' : code / 100 == 5 ? 'p' : 't', host, t->s ? t->s : "", t->len) ;
}

/* Reads the envelope of m's file: sender and the offset of the message. */
static int msg_open (struct remote_msg *m, struct dlv_buf *from, off_t *size, off_t *body)
{
  struct dlv_buf h = DLV_BUF_ZERO ;
  struct queue_env e ;
  struct stat st ;
  int fd = open(m->path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) { seterr("unable to open message: ", strerror(errno)) ; return -1 ; }
  for (;;)
  {
    char buf[4096] ;
    ssize_t n = read(fd, buf, sizeof buf) ;
    int r ;
    if (n <= 0) { seterr("bad message file", "") ; goto fail ; }
    if (dlv_buf_cat(&h, buf, (size_t)n) == -1) { seterr("out of memory", "") ; goto fail ; }
    r = queue_env_parse(h.s, h.len, &e) ;
    if (r < 0) { seterr("bad message file", "") ; goto fail ; }
    if (r > 0) break ;
  }
  from->len = 0 ;
  if (dlv_buf_cat(from, e.from.p, e.from.len) == -1 || fstat(fd, &st) == -1
   || lseek(fd, (off_t)e.hdrlen, SEEK_SET) == -1) { seterr("read message: ", strerror(errno)) ; goto fail ; }
  *size = st.st_size - (off_t)e.hdrlen ;
  *body = (off_t)e.hdrlen ;
  dlv_buf_free(&h) ;
  return fd ;
 fail:
  dlv_buf_free(&h) ;
  close(fd) ;
  return -1 ;
}

struct txn {
  struct io *io ;
  struct remote_msg *m ;
  int fd ;
  off_t body ;
  char const *from, *sz ;
  size_t *pend, npend ;       /* recipients still to send */
  size_t *acc, nacc ;         /* accepted in this transaction */
  struct dlv_buf t ;
} ;

/* A RCPT reply: accepted, carried to the next transaction (a 452 after
   some were accepted, RFC 5321 4.5.3.1.10), or a result. */
static void rcpt_reply (struct txn *x, size_t r, unsigned int code, size_t *carry, size_t *ncarry)
{
  if (code / 100 == 2) x->acc[x->nacc++] = r ;
  else if (code == 452 && x->nacc) carry[(*ncarry)++] = r ;
  else result_code(x->m, r, code, x->io->host, &x->t) ;
}

/* After MAIL and the RCPTs: DATA's reply in code; sends the body if 354. */
static int txn_data (struct txn *x, unsigned int code)
{
  if (code != 354)
  {
    for (size_t i = 0 ; i < x->nacc ; i++) result_code(x->m, x->acc[i], code / 100 == 2 ? 451 : code, x->io->host, &x->t) ;
    return io_cmd(x->io, "RSET", "", "", &code, &x->t) ;
  }
  if (send_body(x->io, x->fd) == -1 || io_reply(x->io, &code, &x->t, 0) == -1) return -1 ;
  for (size_t i = 0 ; i < x->nacc ; i++) result_code(x->m, x->acc[i], code, x->io->host, &x->t) ;
  return 0 ;
}

/* One transaction, one command at a time. */
static int txn_plain (struct txn *x, size_t *carry, size_t *ncarry)
{
  unsigned int code ;
  size_t k ;
  if (io_cmd(x->io, "MAIL FROM:<", x->from, x->sz, &code, &x->t) == -1) return -1 ;
  if (code / 100 != 2)
  {
    for (k = 0 ; k < x->npend ; k++) result_code(x->m, x->pend[k], code, x->io->host, &x->t) ;
    return io_cmd(x->io, "RSET", "", "", &code, &x->t) ;
  }
  for (k = 0 ; k < x->npend ; k++)
  {
    if (*ncarry) { carry[(*ncarry)++] = x->pend[k] ; continue ; }   /* after a 452: next transaction */
    if (io_cmd(x->io, "RCPT TO:<", x->m->rcpt[x->pend[k]], ">", &code, &x->t) == -1) return -1 ;
    rcpt_reply(x, x->pend[k], code, carry, ncarry) ;
  }
  if (!x->nacc) return io_cmd(x->io, "RSET", "", "", &code, &x->t) ;
  if (io_cmd(x->io, "DATA", "", "", &code, &x->t) == -1) return -1 ;
  return txn_data(x, code) ;
}

/* One transaction with PIPELINING (RFC 2920): MAIL, every RCPT and DATA in
   one write, then the replies in order; the body only after a 354. */
static int txn_pipe (struct txn *x, size_t *carry, size_t *ncarry)
{
  struct dlv_buf cmds = DLV_BUF_ZERO, mt = DLV_BUF_ZERO ;
  unsigned int code, mcode ;
  int rc = -1 ;
  dlv_buf_cats(&cmds, "MAIL FROM:<") ; dlv_buf_cats(&cmds, x->from) ; dlv_buf_cats(&cmds, x->sz) ; dlv_buf_cats(&cmds, "\r\n") ;
  for (size_t k = 0 ; k < x->npend ; k++)
  { dlv_buf_cats(&cmds, "RCPT TO:<") ; dlv_buf_cats(&cmds, x->m->rcpt[x->pend[k]]) ; dlv_buf_cats(&cmds, ">\r\n") ; }
  dlv_buf_cats(&cmds, "DATA\r\n") ;
  if (!cmds.s) { seterr("out of memory", "") ; goto end ; }
  if (io_put(x->io, cmds.s, cmds.len) == -1 || io_reply(x->io, &mcode, &mt, 0) == -1) goto end ;
  for (size_t k = 0 ; k < x->npend ; k++)
  {
    if (io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
    if (mcode / 100 == 2) rcpt_reply(x, x->pend[k], code, carry, ncarry) ;
    else result_code(x->m, x->pend[k], mcode, x->io->host, &mt) ;   /* the sender was refused */
  }
  if (io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
  if (!x->nacc)
  {
    if (code == 354 && io_put(x->io, ".\r\n", 3) == -1) goto end ;   /* a server that said 354 anyway */
    if (code == 354 && io_reply(x->io, &code, &x->t, 0) == -1) goto end ;
    rc = io_cmd(x->io, "RSET", "", "", &code, &x->t) ;
    goto end ;
  }
  rc = txn_data(x, code) ;
 end:
  dlv_buf_free(&cmds) ; dlv_buf_free(&mt) ;
  return rc ;
}

/* One message: transactions until every recipient has a result.
   0 done (connection usable), -1 connection lost (m's rest reported t). */
static int send_msg (struct io *io, struct remote_ext const *ext, struct remote_msg *m)
{
  struct dlv_buf from = DLV_BUF_ZERO ;
  struct txn x = { .io = io, .m = m, .t = DLV_BUF_ZERO } ;
  size_t *carry = 0, ncarry ;
  off_t size ;
  int rc = -1 ;
  char sz[40] = ">" ;
  x.fd = msg_open(m, &from, &size, &x.body) ;
  if (x.fd == -1) { remote_result_rest(m, 0, 1, io->host, err.s) ; return 0 ; }
  if (ext->size && ext->sizemax && (uint64_t)size > ext->sizemax)
  {
    struct dlv_buf b = DLV_BUF_ZERO ;
    dlv_buf_cats(&b, "552 5.3.4 message size ") ; dlv_buf_catu(&b, (uint64_t)size) ;
    dlv_buf_cats(&b, " exceeds the downstream's SIZE ") ; dlv_buf_catu(&b, ext->sizemax) ;
    for (size_t r = 0 ; r < m->n ; r++) remote_result(m, r, 'p', io->host, b.s ? b.s : "552", b.len) ;
    dlv_buf_free(&b) ; rc = 0 ; goto end ;
  }
  if (ext->size)   /* RFC 1870 6: declare the size */
  {
    struct dlv_buf b = DLV_BUF_ZERO ;
    dlv_buf_cats(&b, "> SIZE=") ; dlv_buf_catu(&b, (uint64_t)size) ;
    if (b.s && b.len < sizeof sz) memcpy(sz, b.s, b.len + 1) ;
    dlv_buf_free(&b) ;
  }
  x.from = from.s ? from.s : "" ; x.sz = sz ;
  x.pend = malloc((m->n + 1) * sizeof *x.pend) ;
  x.acc = malloc((m->n + 1) * sizeof *x.acc) ;
  carry = malloc((m->n + 1) * sizeof *carry) ;
  if (!x.pend || !x.acc || !carry) { seterr("out of memory", "") ; goto lost ; }
  for (size_t r = 0 ; r < m->n ; r++) x.pend[r] = r ;
  x.npend = m->n ;
  while (x.npend)
  {
    size_t *tmp ;
    ncarry = 0 ; x.nacc = 0 ;
    if (lseek(x.fd, x.body, SEEK_SET) == -1) { seterr("seek message: ", strerror(errno)) ; goto lost ; }
    if ((ext->pipelining ? txn_pipe(&x, carry, &ncarry) : txn_plain(&x, carry, &ncarry)) == -1) goto lost ;
    tmp = x.pend ; x.pend = carry ; carry = tmp ; x.npend = ncarry ;
  }
  rc = 0 ;
  goto end ;
 lost:
  remote_result_rest(m, 0, 1, io->host, err.s ? err.s : "connection lost") ;
 end:
  close(x.fd) ;
  free(x.pend) ; free(x.acc) ; free(carry) ;
  dlv_buf_free(&from) ; dlv_buf_free(&x.t) ;
  return rc ;
}

/* Greeting and EHLO (HELO if EHLO is refused). 0, or -1 with err set. */
static int hello (struct io *io, char const *me, struct remote_ext *ext)
{
  struct dlv_buf t = DLV_BUF_ZERO ;
  unsigned int code ;
  int rc = -1 ;
  memset(ext, 0, sizeof *ext) ;
  if (io_reply(io, &code, &t, 0) == -1) goto end ;
  if (code / 100 != 2) { seterr("greeting: ", t.s ? t.s : "") ; goto end ; }
  if (dlv_buf_cats(&t, "") == -1) goto end ;
  {
    struct dlv_buf l = DLV_BUF_ZERO ;
    dlv_buf_cats(&l, "EHLO ") ; dlv_buf_cats(&l, me) ; dlv_buf_cat(&l, "\r\n", 2) ;
    if (!l.s || io_put(io, l.s, l.len) == -1 || io_reply(io, &code, &t, ext) == -1) { dlv_buf_free(&l) ; goto end ; }
    dlv_buf_free(&l) ;
  }
  if (code / 100 != 2)
  {
    memset(ext, 0, sizeof *ext) ;
    if (io_cmd(io, "HELO ", me, "", &code, &t) == -1) goto end ;
    if (code / 100 != 2) { seterr("HELO: ", t.s ? t.s : "") ; goto end ; }
  }
  /* STARTTLS hook: when ext->starttls and the domain's tls policy asks for
     it, the handshake goes here, then EHLO again (RFC 3207 4.2). */
  rc = 0 ;
 end:
  dlv_buf_free(&t) ;
  return rc ;
}

void remote_session (struct remote_cfg const *cfg, struct remote_addr const *addrs, int naddr,
  struct remote_msg *msgs, size_t nmsg)
{
  static struct io io ;
  size_t next = 0 ;
  char const *lasthost = "-" ;
  for (int a = 0 ; a < naddr && next < nmsg ; a++)
  {
    struct remote_ext ext ;
    unsigned int code ;
    struct dlv_buf t = DLV_BUF_ZERO ;
    if (io_connect(&io, addrs + a, cfg->timeout_connect) == -1) { lasthost = addrs[a].name ; continue ; }
    lasthost = io.host ;
    io.timeout = cfg->timeout_remote ;
    if (hello(&io, cfg->me, &ext) == -1) { close(io.fd) ; continue ; }
    while (next < nmsg)
    {
      if (send_msg(&io, &ext, msgs + next) == -1) break ;
      next++ ;
    }
    if (next == nmsg) { io.timeout = 10 < cfg->timeout_remote ? 10 : cfg->timeout_remote ; io_cmd(&io, "QUIT", "", "", &code, &t) ; }
    else next++ ;  /* the message that was on the wire has its t results */
    dlv_buf_free(&t) ;
    close(io.fd) ;
  }
  remote_result_rest(msgs, next, nmsg, lasthost, err.s && err.len ? err.s : "no downstream host reachable") ;
}
