/* queue_write.c: the writer's steps (mxhold-queue). libc only.

   The envelope arrives after the message (qmail-queue(8)) but goes first
   in the file. A message up to QUEUE_INMEM_BYTES stays in memory and goes
   out with the header in one writev. A larger one is spliced from fd 0
   into an anonymous O_TMPFILE in tmp/ (no name, so a crash leaves nothing
   to sweep; a named file unlinked at once where O_TMPFILE is missing) and
   copied after the header with copy_file_range: past the first 64 KiB the
   bytes never pass through user space, and RSS stays at the buffer size. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include "lib/u64.h"
#include "lib/write_all.h"
#include "queue/queue.h"
#include "queue/queue_write.h"

static ssize_t read_eintr (int fd, char *buf, size_t len)
{
  ssize_t r ;
  do
    r = read(fd, buf, len) ;
  while (r == -1 && errno == EINTR) ;
  return r ;
}

/* Moves everything left on fd into the spill file (splice: pipe to file in
   the kernel; read/write when fd is not a pipe). */
static int spill_rest (struct queue_msg *m, int fd)
{
  for (;;)
  {
    ssize_t r = splice(fd, 0, m->spill, 0, 1 << 20, SPLICE_F_MOVE) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1 && errno == EINVAL) break ;       /* fd is not a pipe */
    if (r == -1) return -1 ;
    if (!r) return 0 ;
    m->total += (size_t)r ;
  }
  for (;;)
  {
    ssize_t r = read_eintr(fd, m->buf, QUEUE_INMEM_BYTES) ;
    if (r == -1) return -1 ;
    if (!r) return 0 ;
    if (mx_write_all(m->spill, m->buf, (size_t)r) == -1) return -1 ;
    m->total += (size_t)r ;
  }
}

/* An unnamed file in tmp/. Where O_TMPFILE is not supported: a named one,
   unlinked at once (a crash in between leaves a tmp/ file for the sweep). */
static int spill_open (int tmpdir)
{
  char name[QUEUE_ID_MAX + 3] ;
  int fd = openat(tmpdir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) ;
  if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd ;
  for (int tries = 0 ; tries < 100 ; tries++)
  {
    size_t n = queue_id_make(name) ;
    memcpy(name + n, ".m", 3) ;
    fd = openat(tmpdir, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd != -1)
    {
      unlinkat(tmpdir, name, 0) ;
      return fd ;
    }
    if (errno != EEXIST) return -1 ;
  }
  return -1 ;
}

int queue_msg_read (struct queue_msg *m, int fd, int tmpdir)
{
  m->len = 0 ;
  m->total = 0 ;
  m->spill = -1 ;
  while (m->len < QUEUE_INMEM_BYTES)
  {
    ssize_t r = read_eintr(fd, m->buf + m->len, QUEUE_INMEM_BYTES - m->len) ;
    if (r == -1) return -1 ;
    if (!r)
    {
      m->total = m->len ;
      return 0 ;
    }
    m->len += (size_t)r ;
  }
  m->spill = spill_open(tmpdir) ;
  if (m->spill == -1) return -1 ;
  if (mx_write_all(m->spill, m->buf, m->len) == -1) return -1 ;
  m->total = m->len ;
  m->len = 0 ;
  return spill_rest(m, fd) ;
}

/* Where copy_file_range cannot: pread + write through the buffer. */
static int copy_slow (struct queue_msg *m, int out, loff_t off, size_t left)
{
  while (left)
  {
    ssize_t r = pread(m->spill, m->buf, left < QUEUE_INMEM_BYTES ? left : QUEUE_INMEM_BYTES, off) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) return -1 ;
    if (!r)
    {
      errno = EIO ;
      return -1 ;
    }
    if (mx_write_all(out, m->buf, (size_t)r) == -1) return -1 ;
    off += r ;
    left -= (size_t)r ;
  }
  return 0 ;
}

int queue_msg_out (struct queue_msg *m, int out, char const *hdr, size_t hdrlen)
{
  struct iovec v[2] = { { (void *)hdr, hdrlen }, { (void *)m->buf, m->len } } ;
  int n = m->spill == -1 ? 2 : 1 ;
  int i = 0 ;
  loff_t off = 0 ;
  size_t left ;
  while (i < n)         /* writev, resumed after short writes */
  {
    ssize_t w = writev(out, v + i, n - i) ;
    if (w == -1 && errno == EINTR) continue ;
    if (w == -1) return -1 ;
    while (i < n && (size_t)w >= v[i].iov_len)
    {
      w -= (ssize_t)v[i].iov_len ;
      i++ ;
    }
    if (i < n)
    {
      v[i].iov_base = (char *)v[i].iov_base + w ;
      v[i].iov_len -= (size_t)w ;
    }
  }
  if (m->spill == -1) return 0 ;
  for (left = m->total ; left ; )
  {
    ssize_t w = copy_file_range(m->spill, &off, out, 0, left, 0) ;
    if (w == -1 && errno == EINTR) continue ;
    if (w == -1 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
      return copy_slow(m, out, off, left) ;
    if (w == -1) return -1 ;
    if (!w)
    {
      errno = EIO ;   /* spill file shorter than written */
      return -1 ;
    }
    left -= (size_t)w ;
  }
  return 0 ;
}

/* ---- envelope: F<sender>\0 T<rcpt>\0 ... \0 ---- */

static int hdr_cat (struct queue_hdr *h, char const *s, size_t len)
{
  if (len > QUEUE_HDR_MAX_BYTES - h->len)
  {
    errno = EFBIG ;
    return -1 ;
  }
  if (h->len + len > h->a)
  {
    size_t a = h->a ? h->a : 1024 ;
    char *p ;
    while (a < h->len + len) a = a > QUEUE_HDR_MAX_BYTES / 2 ? QUEUE_HDR_MAX_BYTES : a * 2 ;
    p = realloc(h->s, a) ;
    if (!p) return -1 ;
    h->s = p ;
    h->a = a ;
  }
  memcpy(h->s + h->len, s, len) ;
  h->len += len ;
  return 0 ;
}

/* Appends "key value\n", value from the environment, bytes outside 33..126
   as '?', "-" if unset or empty, at most QUEUE_ADDR_MAX bytes (informational). */
static int hdr_env (struct queue_hdr *h, char const *key, char const *val)
{
  size_t n = val ? strlen(val) : 0 ;
  if (n > QUEUE_ADDR_MAX) n = QUEUE_ADDR_MAX ;
  if (hdr_cat(h, key, strlen(key)) == -1 || hdr_cat(h, " ", 1) == -1) return -1 ;
  if (!n) return hdr_cat(h, "-\n", 2) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)val[i] ;
    char x = (c < 33 || c > 126) ? '?' : (char)c ;
    if (hdr_cat(h, &x, 1) == -1) return -1 ;
  }
  return hdr_cat(h, "\n", 1) ;
}

int queue_hdr_start (struct queue_hdr *h, uint64_t arrived, char const *client, char const *helo, char const *spf)
{
  char num[MX_U64_FMT + 1] ;
  size_t n = mx_u64_fmt(num, arrived) ;
  num[n++] = '\n' ;
  h->s = 0 ;
  h->len = 0 ;
  h->a = 0 ;
  h->state = 0 ;
  h->addrlen = 0 ;
  h->nrcpt = 0 ;
  h->fromoff = 0 ;
  h->fromlen = 0 ;
  if (hdr_cat(h, QUEUE_FORMAT_LINE "\narrived ", sizeof(QUEUE_FORMAT_LINE "\narrived ") - 1) == -1
   || hdr_cat(h, num, n) == -1
   || hdr_env(h, "client", client) == -1
   || hdr_env(h, "helo", helo) == -1
   || hdr_env(h, "spf", spf) == -1) return -1 ;
  return 0 ;
}

int queue_hdr_lines (struct queue_hdr *h, char const *s, size_t len)
{
  return hdr_cat(h, s, len) ;
}

int queue_hdr_flag (struct queue_hdr *h, char const *key)
{
  return hdr_env(h, key, "1") ;
}

/* A malformed envelope: *err says why, nothing consumed. */
static size_t env_bad (char const **err, char const *why)
{
  *err = why ;
  return 0 ;
}

/* env_feed's work; a failed hdr_cat returns 0 with errno set. */
static size_t env_feed1 (struct queue_hdr *h, char const *s, size_t len, int *done, char const **err)
{
  size_t i ;
  for (i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    switch (h->state)
    {
      case 0 :                                  /* expect F */
        if (c != 'F') return env_bad(err, "no-sender-item") ;
        if (hdr_cat(h, "from ", 5) == -1) return 0 ;
        h->fromoff = h->len ;
        h->state = 1 ;
        h->addrlen = 0 ;
        break ;
      case 2 :                                  /* after an address: T or the final NUL */
        if (!c)
        {
          if (!h->nrcpt) return env_bad(err, "no-recipients") ;
          if (hdr_cat(h, "\n", 1) == -1) return 0 ;
          *done = 1 ;
          return i + 1 ;
        }
        if (c != 'T') return env_bad(err, "bad-item") ;
        if (++h->nrcpt > QUEUE_RCPT_MAX) return env_bad(err, "too-many-recipients") ;
        if (hdr_cat(h, "to ", 3) == -1) return 0 ;
        h->state = 3 ;
        h->addrlen = 0 ;
        break ;
      default :                                 /* 1 sender, 3 recipient */
        if (!c)
        {
          if (h->state == 3 && !h->addrlen) return env_bad(err, "empty-recipient") ;
          if (h->state == 1) h->fromlen = h->len - h->fromoff ;
          if (hdr_cat(h, "\n", 1) == -1) return 0 ;
          h->state = 2 ;
          break ;
        }
        if ((unsigned char)c < 33) return env_bad(err, "control-bytes") ;
        if (++h->addrlen > QUEUE_ADDR_MAX) return env_bad(err, "address-too-long") ;
        if (hdr_cat(h, &c, 1) == -1) return 0 ;
        break ;
    }
  }
  return i ;
}

/* Feeds envelope bytes. Returns bytes consumed; sets *done at the final
   NUL; 0 consumed with *err set on a malformed envelope (perm). */
static size_t env_feed (struct queue_hdr *h, char const *s, size_t len, int *done, char const **err)
{
  size_t i = env_feed1(h, s, len, done, err) ;
  /* too big for the header is permanent, like too many recipients */
  if (!i && !*err && errno == EFBIG) *err = "envelope-too-large" ;
  return i ;
}

int queue_env_read (struct queue_hdr *h, int fd, char const **err)
{
  char buf[4096] ;
  int done = 0 ;
  *err = 0 ;
  while (!done)
  {
    ssize_t r = read_eintr(fd, buf, sizeof buf) ;
    size_t used ;
    if (r == -1) return -1 ;
    if (!r)
    {
      *err = "envelope-truncated" ;
      errno = EPIPE ;
      return 0 ;
    }
    /* one byte at a time would be 1 syscall per byte: read in blocks, and
       ignore what follows the final NUL */
    used = env_feed(h, buf, (size_t)r, &done, err) ;
    if (*err) return -2 ;
    if (!used) return -1 ;          /* allocation or size failure: errno set */
  }
  return 1 ;
}
