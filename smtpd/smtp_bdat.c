/* smtp_bdat.c: CHUNKING (RFC 3030). A BDAT chunk is exactly COUNT bytes
   after its command line: nothing in them is searched for an end (no
   dot, no dot-stuffing), so nothing in a message can end it early or
   smuggle a command behind it. Every chunk is read whole whatever its
   reply: bytes of a refused chunk are discarded as they come, never
   buffered and never read as commands. The text goes through the DATA
   state machine in raw mode (smtp_data_raw): bare LF and bare CR are
   repaired to CRLF, NUL bytes, long lines and loops refused as in DATA
   (BINARYMIME is not offered, so every chunk must be text). The first
   chunk starts the child, LAST finishes it: the child sees the same
   qmail-queue interface as for DATA, and 250 still means on disk. */
#include <errno.h>
#include <string.h>
#include <skalibs/uint64.h>
#include "smtpd/smtp_bdat.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_msg.h"

/* The open transaction's message (g->bdat): one per process, as a
   connection has one transaction at a time. */
static struct smtp_msg msg ;

/* A chunk refused before any of it is read: its bytes are discarded
   (smtp_msg_chunk ends the connection if the client goes), then the
   reply. */
static int skip (struct smtp_conn *g, uint64_t count, char const *reason, char const *reply)
{
  smtp_msg_chunk(g, 0, count, !g->chunks) ;
  smtp_conn_refuse(g, reason, reply) ;
  return SMTP_BDAT_ERROR ;
}

void smtp_bdat_close (struct smtp_conn *g, char const *why)
{
  g->chunks = 0 ;
  g->chunkbytes = 0 ;
  if (!g->bdat) return ;
  g->bdat = 0 ;
  smtp_child_abort(&msg.ch, (unsigned)CONF_LIM(&g->lim, timeout_queue)) ;
  if (why)
  {
    g->stage = "bdat" ;
    smtp_conn_aborted(g, why) ;
  }
  g->qid[0] = 0 ;
}

/* The count cannot be read, so neither can the end of the chunk: what
   follows may be message text, and reading it as commands is the
   smuggling this module exists to prevent. The connection is closed. */
static void unsynced (struct smtp_conn *g) __attribute__((noreturn)) ;
static void unsynced (struct smtp_conn *g)
{
  g->showline = 1 ;
  smtp_conn_refuse(g, "syntax", "501 5.5.4 syntax: BDAT count [LAST]") ;
  g->showline = 0 ;
  smtp_bdat_close(g, 0) ;
  smtp_conn_refuse(g, "bdat-unsynced", "421 4.5.0 cannot find the end of the BDAT chunk, closing connection") ;
  smtp_conn_end(g, "bdat-unsynced", 0) ;
}

/* "250 2.0.0 N octets received": a chunk taken, LAST still to come. */
static void chunk_ok (struct smtp_conn *g, uint64_t count)
{
  static char const head[] = "250 2.0.0 " ;
  static char const tail[] = " octets received" ;
  char r[sizeof head + UINT64_FMT + sizeof tail] ;
  size_t n = sizeof head - 1 ;
  memcpy(r, head, n) ;
  n += uint64_fmt(r + n, count) ;
  memcpy(r + n, tail, sizeof tail) ;
  smtp_conn_reply(g, r) ;
}

/* The chunk is in: the message refused (its bytes are all read), taken,
   or, after LAST, finished. */
static int chunk_done (struct smtp_conn *g, uint64_t count, int last)
{
  if (msg.d.err & ~SMTP_DATA_ERR_SINK)
  {
    char const *reason ;
    char const *r = smtp_msg_refusal(msg.d.err, &reason) ;
    smtp_child_abort(&msg.ch, (unsigned)CONF_LIM(&g->lim, timeout_queue)) ;
    g->bdat = 0 ;
    smtp_conn_refuse(g, reason, r) ;
    g->qid[0] = 0 ;
    return SMTP_BDAT_END ;
  }
  if (!last)
  {
    g->errors = 0 ;
    chunk_ok(g, count) ;
    return 0 ;
  }
  smtp_data_end(&msg.d) ;
  g->size = msg.d.size ;
  g->bdat = 0 ;
  smtp_msg_finish(g, &msg) ;
  return SMTP_BDAT_END ;
}

int smtp_bdat (struct smtp_conn *g, struct span arg)
{
  uint64_t count ;
  int last ;
  if (smtp_cmd_bdat(arg, &count, &last) == -1) unsynced(g) ;
  if (!g->inmail) return skip(g, count, "sequence", "503 5.5.1 need MAIL before BDAT") ;
  if (!g->nrcpt) return skip(g, count, "no-recipients", "554 5.5.1 no valid recipients") ;
  if (count > g->txsize - g->chunkbytes)
  {
    /* the limit is known before the bytes come: none of them is stored */
    if (g->bdat) smtp_child_abort(&msg.ch, (unsigned)CONF_LIM(&g->lim, timeout_queue)) ;
    g->bdat = 0 ;
    skip(g, count, "size", "552 5.3.4 message size exceeds fixed limit") ;
    g->qid[0] = 0 ;
    return SMTP_BDAT_END ;
  }
  if (!g->bdat)
  {
    if (smtp_msg_start(g, &msg, 1) == -1)
    {
      /* refused (451) before its bytes: still read them all */
      smtp_msg_chunk(g, 0, count, 1) ;
      return SMTP_BDAT_END ;
    }
    g->bdat = 1 ;
  }
  smtp_msg_chunk(g, &msg, count, !g->chunks) ;   /* the client gone or too slow: no return */
  g->chunks++ ;
  g->chunkbytes += count ;
  return chunk_done(g, count, last) ;
}
