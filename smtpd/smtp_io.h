/* smtp_io.h: the only reader of the client (fd 0) and writer to it
   (fd 1), and smtpd's one timed write (the client's replies, the child's
   pipes). libc only. */
#ifndef MXHOLD_SMTP_IO_H
#define MXHOLD_SMTP_IO_H

#include <stddef.h>
#include <sys/types.h>

#define SMTPD_IN_BYTES 8192         /* network input buffer */
#define SMTPD_OUT_BYTES 4096        /* reply buffer (flushed when full) */

struct smtp_io
{
  /* bytes read (0 EOF), or -1 + errno (ETIMEDOUT after secs idle) */
  ssize_t (*read) (void *ctx, char *buf, size_t len, unsigned secs) ;
  /* writes everything: 0, or -1 + errno */
  int (*write) (void *ctx, char const *buf, size_t len, unsigned secs) ;
  /* 1 if input is waiting (or EOF) after ms milliseconds, 0 if not */
  int (*ready) (void *ctx, unsigned ms) ;
  void *ctx ;
  unsigned wsecs ;               /* write timeout */
  char in[SMTPD_IN_BYTES] ;
  size_t inpos ;
  size_t inlen ;
  char out[SMTPD_OUT_BYTES] ;
  size_t outlen ;
} ;

/* Writes all n bytes to fd within secs (fd blocking or not): 0, or -1
   and errno (ETIMEDOUT, EPIPE, ...). */
int smtp_io_write_fd (int fd, char const *p, size_t n, unsigned secs) ;

void smtp_io_init_fd (struct smtp_io *io, unsigned wsecs) ;
int smtp_io_put (struct smtp_io *io, char const *s, size_t n) ;
int smtp_io_puts (struct smtp_io *io, char const *s) ;
int smtp_io_flush (struct smtp_io *io) ;
/* Makes input available, flushing replies first if the buffer is empty
   (RFC 2920: replies go out when the client's batch is used up). Returns
   the bytes available, 0 on EOF, -1 + errno. */
ssize_t smtp_io_fill (struct smtp_io *io, unsigned secs) ;
/* One line into line (max bytes), line end removed: 1 a line, 2 too long
   (discarded up to its LF), 0 EOF, -1 + errno (ETIMEDOUT: the whole line
   did not come within secs, however it was dripped). */
int smtp_io_line (struct smtp_io *io, char *line, size_t max, size_t *len, unsigned secs) ;

#endif
