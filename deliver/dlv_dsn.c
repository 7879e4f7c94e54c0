/* dlv_dsn.c: delivery status notifications (RFC 3464 multipart/report,
   RFC 3462 text/rfc822-headers) for a message's newly failed recipients,
   queued with the null sender by running mxhold-queue (the qmail-queue
   interface: message on fd 0, envelope on fd 1). */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include "lib/fold.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "deliver/deliver.h"

static void cat_date (struct dlv_buf *b, uint64_t when)
{
  char tmp[64] ;
  struct tm tm ;
  time_t t = (time_t)when ;
  size_t n = localtime_r(&t, &tm) ? strftime(tmp, sizeof tmp, "%a, %d %b %Y %H:%M:%S %z", &tm) : 0 ;
  dlv_buf_cat(b, tmp, n) ;
}

/* The original header section (up to the first empty line), CRLF lines,
   at most DLV_HDR_MAX_BYTES of it: a longer one is cut at a field
   boundary, the last field read (which may go on past the bound) left
   out with its folded lines, so the DSN never carries a half field nor
   the sender's body (RFC 3462 text/rfc822-headers). 1 if cut, else 0. */
static int cat_headers (struct dlv_buf *b, uint32_t i, size_t hdrlen)
{
  char path[QUEUE_PATH_MAX] ;
  char *buf = malloc(DLV_HDR_MAX_BYTES) ;
  size_t len = 0 ;
  size_t start = b->len ;
  size_t field = b->len ;   /* where the last field began in b */
  int whole = 0 ;           /* the empty line that ends the headers came */
  int fd ;
  if (!buf || queue_path_mess(path, sizeof path, g.q, g.m[i].id) == -1)
  {
    free(buf) ;
    return 0 ;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd != -1)
  {
    ssize_t n ;
    while (len < DLV_HDR_MAX_BYTES && (n = pread(fd, buf + len, DLV_HDR_MAX_BYTES - len, (off_t)(hdrlen + len))) > 0) len += (size_t)n ;
    close(fd) ;
  }
  for (size_t p = 0 ; p < len ; )
  {
    char const *nl = memchr(buf + p, '\n', len - p) ;
    size_t l = nl ? (size_t)(nl - (buf + p)) : len - p ;
    size_t t = l && buf[p + l - 1] == '\r' ? l - 1 : l ;
    if (!nl) break ;   /* a cut line */
    if (!t)
    {
      whole = 1 ;   /* the end of the headers */
      break ;
    }
    if (buf[p] != ' ' && buf[p] != '\t') field = b->len ;
    dlv_buf_cat(b, buf + p, t) ;
    dlv_buf_cat(b, "\r\n", 2) ;
    p += l + 1 ;
  }
  /* no end in sight (a message without a body reaches its end: whole) */
  free(buf) ;
  if (whole || len < DLV_HDR_MAX_BYTES) return 0 ;
  if (b->len > start) b->len = field ;
  return 1 ;
}

/* The cats of one part: strings, NULL-terminated. */
static void cat_all (struct dlv_buf *b, char const *const *s)
{
  for (; *s ; s++) dlv_buf_cats(b, *s) ;
}

/* RET=FULL (RFC 3461 4.3): the whole message into w, if it is at most
   DLV_RET_FULL_MAX_BYTES. 0 done; -1 not (too big, unreadable, memory:
   the DSN then returns the headers, as for RET=HDRS or no RET). */
static int read_full (struct dlv_buf *w, uint32_t i, size_t hdrlen)
{
  char path[QUEUE_PATH_MAX] ;
  struct stat st ;
  char *whole = 0 ;
  size_t want ;
  size_t got = 0 ;
  int rc = -1 ;
  int fd ;
  if (queue_path_mess(path, sizeof path, g.q, g.m[i].id) == -1) return -1 ;
  fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (fstat(fd, &st) == -1 || (uint64_t)st.st_size < hdrlen || (uint64_t)st.st_size - hdrlen > DLV_RET_FULL_MAX_BYTES) goto end ;
  want = (size_t)st.st_size - hdrlen ;
  whole = malloc(want ? want : 1) ;
  if (!whole) goto end ;
  while (got < want)
  {
    ssize_t n = pread(fd, whole + got, want - got, (off_t)(hdrlen + got)) ;
    if (n <= 0) goto end ;
    got += (size_t)n ;
  }
  rc = dlv_buf_cat(w, whole, want) ;
 end:
  free(whole) ;
  close(fd) ;
  return rc ;
}

/* An xtext (RFC 3461 4) decoded, unsafe bytes as '?': for the report's
   Original-Envelope-Id and Original-Recipient fields. */
static void cat_xtext (struct dlv_buf *b, struct span x)
{
  for (size_t k = 0 ; k < x.len ; k++)
  {
    char c = x.p[k] ;
    if (c == '+' && k + 2 < x.len)
    {
      char h[3] = { x.p[k + 1], x.p[k + 2], 0 } ;
      c = (char)strtol(h, 0, 16) ;
      k += 2 ;
    }
    dlv_buf_catsafe(b, &c, 1) ;
  }
}

static void cat_status (struct dlv_buf *b, struct dlv_rcpt const *x)
{
  struct span st ;
  if (x->status == 'd') dlv_buf_cats(b, "2.0.0") ;   /* relayed */
  else if (x->status == 'x') dlv_buf_cats(b, "4.4.7") ;   /* RFC 3463: delivery time expired */
  else if (x->reply && dlv_reply_status(x->reply, strlen(x->reply), &st) && st.p[0] == '5') dlv_buf_cat(b, st.p, st.len) ;
  else dlv_buf_cats(b, "5.0.0") ;
}

static char const *reply_of (struct dlv_rcpt const *x)
{
  return x->reply ? x->reply : "failed" ;
}

/* Does the DSN report a failure (or only "relayed" recipients)? */
static int failed_any (struct dlv_msg const *m)
{
  for (uint32_t r = 0 ; r < m->nrcpt ; r++) if (m->r[r].dsn && m->r[r].status != 'd') return 1 ;
  return 0 ;
}

#define DSN_FIELD_MAX 4096   /* a folded field: a reply is at most 1000 bytes (remote) */

/* name, then text's space-separated words, folded (lib/fold.h) and ended
   with CRLF: a downstream reply of up to 1000 bytes stays within lines of
   78 bytes where it has spaces, never over 998 (issue of the 17th item: a
   strict server refuses longer lines). Used for header fields and for
   the text part's lines alike (a TAB-indented continuation reads well in
   both). A field too long for DSN_FIELD_MAX keeps its name and says so. */
static void cat_folded (struct dlv_buf *b, char const *name, char const *text)
{
  char field[DSN_FIELD_MAX] ;
  struct mx_fold f ;
  size_t n ;
  mx_fold_start(&f, field, sizeof field, name) ;
  while (*text)
  {
    size_t w ;
    while (*text == ' ') text++ ;
    w = strcspn(text, " ") ;
    if (w) mx_fold_word(&f, text, w) ;
    text += w ;
  }
  n = mx_fold_end(&f) ;
  if (n)
  {
    dlv_buf_cat(b, field, n) ;
    return ;
  }
  dlv_buf_cats(b, name) ;
  dlv_buf_cats(b, " (too long to quote)\r\n") ;
}

static int build (uint32_t i, struct dlv_buf *b, struct dlv_buf *hdr, struct queue_env *e)
{
  struct dlv_msg *m = g.m + i ;
  struct span to ;
  size_t pos = 0 ;
  char const *me = g.me ;
  struct dlv_buf bd = DLV_BUF_ZERO ;
  struct dlv_buf hb = DLV_BUF_ZERO ;   /* the original headers, read first: the text says if they are cut */
  int cut ;
  struct dlv_buf wb = DLV_BUF_ZERO ;   /* RET=FULL: the whole message */
  int full = e->ret.len == 4 && !memcmp(e->ret.p, "FULL", 4) && read_full(&wb, i, e->hdrlen) == 0 ;
  cut = full ? 0 : cat_headers(&hb, i, e->hdrlen) ;
  dlv_buf_cats(&bd, "=_mxhold_") ;
  dlv_buf_cats(&bd, m->id) ;
  dlv_buf_cats(&bd, "_") ;
  dlv_buf_catu(&bd, g.now) ;
  if (!bd.s)
  {
    dlv_buf_free(&hb) ;
    dlv_buf_free(&wb) ;
    return -1 ;
  }
  dlv_buf_cats(b, "From: Mail Delivery System <MAILER-DAEMON@") ;
  dlv_buf_cats(b, me) ;
  dlv_buf_cats(b, ">\r\nTo: <") ;
  dlv_buf_cat(b, e->from.p, e->from.len) ;
  dlv_buf_cats(b, failed_any(m) ? ">\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: "
    : ">\r\nSubject: Delivery Status Notification (Relayed)\r\nDate: ") ;
  cat_date(b, g.now) ;
  cat_all(b, (char const *const []){ "\r\nMessage-ID: <dsn.", m->id, ".", 0 }) ;
  dlv_buf_catu(b, g.now) ;
  cat_all(b, (char const *const []){ "@", me, ">\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"", bd.s,
    "\"\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n--", bd.s,
    "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail relay at ", me, ".\r\n\r\n",
    failed_any(m) ? "Your message could not be delivered to the following recipients:\r\n\r\n"
      : "Your message was relayed, as you asked to be told (RFC 3461), to these recipients:\r\n\r\n", 0 }) ;
  for (uint32_t r = 0 ; r < m->nrcpt && queue_env_to_next(hdr->s, e, &pos, &to) ; r++) if (m->r[r].dsn)
  {
    struct dlv_buf who = DLV_BUF_ZERO ;
    dlv_buf_cat(&who, "<", 1) ;
    dlv_buf_catsafe(&who, to.p, to.len) ;
    dlv_buf_cat(&who, ">:", 2) ;
    if (m->r[r].status == 'd') dlv_buf_cats(&who, " relayed to a server that sends no notifications:") ;
    dlv_buf_cat(&who, "", 1) ;   /* NUL-terminated: a name for cat_folded */
    if (who.s) cat_folded(b, who.s, reply_of(m->r + r)) ;
    dlv_buf_free(&who) ;
  }
  dlv_buf_cats(b, full ? "\r\nYour message is attached" : "\r\nThe headers of your message are attached") ;
  if (cut)
  {
    dlv_buf_cats(b, ", at most the first ") ;
    dlv_buf_catu(b, DLV_HDR_MAX_BYTES) ;
    dlv_buf_cats(b, " bytes of them (cut at a header field)") ;
  }
  dlv_buf_cats(b, ".\r\n") ;
  cat_all(b, (char const *const []){ "\r\n--", bd.s, "\r\nContent-Type: message/delivery-status\r\n\r\n", 0 }) ;
  if (e->envid.len)
  {
    dlv_buf_cats(b, "Original-Envelope-Id: ") ;   /* RFC 3464 2.2.1: ENVID, first */
    cat_xtext(b, e->envid) ;
    dlv_buf_cats(b, "\r\n") ;
  }
  cat_all(b, (char const *const []){ "Reporting-MTA: dns; ", me, "\r\nX-Mxhold-Queue-ID: ", m->id, "\r\nArrival-Date: ", 0 }) ;
  cat_date(b, m->arrived) ;
  dlv_buf_cats(b, "\r\n") ;
  pos = 0 ;
  for (uint32_t r = 0 ; r < m->nrcpt && queue_env_to_next(hdr->s, e, &pos, &to) ; r++) if (m->r[r].dsn)
  {
    struct span nt ;
    struct span oc ;
    if (queue_env_dsn(hdr->s, e, r, &nt, &oc) && !(oc.len == 1 && oc.p[0] == '-'))
    {
      dlv_buf_cats(b, "\r\nOriginal-Recipient: ") ;   /* RFC 3464 2.3.1: ORCPT */
      cat_xtext(b, oc) ;
    }
    dlv_buf_cats(b, "\r\nFinal-Recipient: rfc822; ") ;
    dlv_buf_catsafe(b, to.p, to.len) ;
    dlv_buf_cats(b, m->r[r].status == 'd' ? "\r\nAction: relayed\r\nStatus: " : "\r\nAction: failed\r\nStatus: ") ;
    cat_status(b, m->r + r) ;
    dlv_buf_cats(b, "\r\n") ;
    cat_folded(b, "Diagnostic-Code: smtp;", reply_of(m->r + r)) ;
    dlv_buf_cats(b, "Last-Attempt-Date: ") ;
    cat_date(b, m->r[r].last ? m->r[r].last : g.now) ;
    dlv_buf_cats(b, "\r\n") ;
  }
  cat_all(b, (char const *const []){ "\r\n--", bd.s, full ? "\r\nContent-Type: message/rfc822\r\n\r\n" : "\r\nContent-Type: text/rfc822-headers\r\n\r\n", 0 }) ;
  if (full && wb.len) dlv_buf_cat(b, wb.s, wb.len) ;
  if (!full && hb.len) dlv_buf_cat(b, hb.s, hb.len) ;
  cat_all(b, (char const *const []){ "\r\n--", bd.s, "--\r\n", 0 }) ;
  dlv_buf_free(&bd) ;
  dlv_buf_free(&hb) ;
  dlv_buf_free(&wb) ;
  return b->s ? 0 : -1 ;
}

static int memfd_with (char const *name, char const *s, size_t len)
{
  int fd = memfd_create(name, MFD_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (allwrite(fd, s, len) < len || lseek(fd, 0, SEEK_SET) == -1)
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
    return -1 ;
  }
  return fd ;
}

/* A DSN to an address with UTF-8 (an SMTPUTF8 sender) can only be
   delivered with SMTPUTF8 (RFC 6531): mxhold-queue marks it when
   $MXHOLD_SMTPUTF8 is 1 (queue.h). 0, or an errno value. */
static int utf8_mark (struct dlv_buf const *env)
{
  int utf8 = 0 ;
  for (size_t k = 0 ; k < env->len ; k++) if ((unsigned char)env->s[k] >= 0x80) utf8 = 1 ;
  if ((utf8 ? setenv(QUEUE_ENV_SMTPUTF8, "1", 1) : unsetenv(QUEUE_ENV_SMTPUTF8)) == -1) return errno ;
  return 0 ;
}

/* Runs mxhold-queue with msg on fd 0, env on fd 1, our log on fd 2, and
   nothing else. 0 if it exited 0; else -1 (logged for message i). */
static int run_queue (uint32_t i, struct dlv_buf const *msg, struct dlv_buf const *env)
{
  char const *argv[2] = { "mxhold-queue", 0 } ;
  int fds[3] = { -1, -1, 2 } ;
  struct dlv_buf why = DLV_BUF_ZERO ;
  int wstat ;
  int e ;
  pid_t pid ;
  fds[0] = memfd_with("dsn", msg->s, msg->len) ;
  if (fds[0] == -1) goto syserr ;
  fds[1] = memfd_with("dsnenv", env->s, env->len) ;
  if (fds[1] == -1)
  {
    e = errno ;
    close(fds[0]) ;
    errno = e ;
    goto syserr ;
  }
  e = utf8_mark(env) ;
  if (!e) e = mx_spawn(&pid, argv, fds, 3) ;
  close(fds[0]) ;
  close(fds[1]) ;
  if (e)
  {
    errno = e ;
    goto syserr ;
  }
  while (waitpid(pid, &wstat, 0) == -1) if (errno != EINTR) goto syserr ;
  if (WIFEXITED(wstat) && !WEXITSTATUS(wstat)) return 0 ;
  dlv_buf_catwait(&why, wstat) ;
  mx_log_kv(MX_LOG_WARN, "dsn-failed", "qid", g.m[i].id, "reason", why.s ? why.s : "failed", (char const *)0) ;
  dlv_buf_free(&why) ;
  return -1 ;
 syserr:
  mx_log_kv(MX_LOG_WARN, "dsn-failed", "qid", g.m[i].id, "reason", "spawn", "error", strerror(errno), (char const *)0) ;
  return -1 ;
}

/* NOTIFY= (RFC 3461 4.1): a recipient that asked for NEVER, or named
   SUCCESS or DELAY without FAILURE, gets no failure DSN (dsn-withheld
   reason=notify); it is settled all the same. Returns how many
   recipients are still owed one. */
static uint32_t notify_filter (uint32_t i, struct dlv_buf const *hdr, struct queue_env const *e)
{
  struct dlv_msg *m = g.m + i ;
  struct span to ;
  size_t pos = 0 ;
  uint32_t n = 0 ;
  for (uint32_t r = 0 ; r < m->nrcpt && queue_env_to_next(hdr->s, e, &pos, &to) ; r++)
  {
    struct span nt ;
    struct span oc ;
    struct mx_log l ;
    int has = queue_env_dsn(hdr->s, e, r, &nt, &oc) && !(nt.len == 1 && nt.p[0] == '-') ;
    if (!m->r[r].dsn) continue ;
    if (m->r[r].status == 'd')   /* relayed: only if it asked for SUCCESS */
    {
      if (has && memmem(nt.p, nt.len, "SUCCESS", 7)) n++ ;
      else m->r[r].dsn = 0 ;
      continue ;
    }
    if (!has || memmem(nt.p, nt.len, "FAILURE", 7))
    {
      n++ ;
      continue ;
    }
    m->r[r].dsn = 0 ;
    mx_log_start(&l, MX_LOG_INFO, "dsn-withheld") ;
    mx_log_str(&l, "qid", m->id) ;
    mx_log_bytes(&l, "from", e->from.p, e->from.len) ;
    mx_log_bytes(&l, "to", to.p, to.len) ;
    mx_log_str(&l, "reason", "notify") ;
    mx_log_end(&l) ;
  }
  return n ;
}

int dlv_dsn_send (uint32_t i)
{
  static struct dlv_buf hdr = DLV_BUF_ZERO ;
  struct dlv_msg *m = g.m + i ;
  struct dlv_buf msg = DLV_BUF_ZERO ;
  struct dlv_buf env = DLV_BUF_ZERO ;
  struct queue_env e ;
  uint32_t n = 0 ;
  int rc = -1 ;
  struct mx_log l ;
  for (uint32_t r = 0 ; r < m->nrcpt ; r++) n += m->r[r].dsn != 0 ;
  if (!n) return 0 ;
  if (dlv_msg_header(i, &hdr, &e) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "dsn-failed", "qid", m->id, "reason", "unreadable", "error", strerror(errno), (char const *)0) ;
    return -1 ;
  }
  if (!e.from.len) goto done ;   /* never a DSN to the null sender */
  n = notify_filter(i, &hdr, &e) ;
  if (!n) goto done ;
  if (build(i, &msg, &hdr, &e) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "dsn-failed", "qid", m->id, "reason", "out-of-memory", (char const *)0) ;
    goto end ;
  }
  dlv_buf_cat(&env, "F\0T", 3) ;
  dlv_buf_cat(&env, e.from.p, e.from.len) ;
  dlv_buf_cat(&env, "\0\0", 2) ;
  if (!env.s || run_queue(i, &msg, &env) == -1) goto end ;
  mx_log_start(&l, MX_LOG_INFO, "dsn") ;
  mx_log_str(&l, "qid", m->id) ;
  mx_log_bytes(&l, "to", e.from.p, e.from.len) ;
  mx_log_u64(&l, "rcpts", n) ;
  mx_log_end(&l) ;
 done:
  for (uint32_t r = 0 ; r < m->nrcpt ; r++) m->r[r].dsn = 0 ;
  rc = 0 ;
 end:
  dlv_buf_free(&msg) ;
  dlv_buf_free(&env) ;
  return rc ;
}
