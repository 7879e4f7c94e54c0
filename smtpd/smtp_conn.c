/* smtp_conn.c: a connection's replies and its log lines. Every line of
   mxhold-smtpd but the usage and config errors is written here, so the
   events and their keys are in one place (smtpd.md, "Log"). */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/counter.h"
#include "lib/log.h"
#include "smtpd/smtp_conn.h"
#include "smtpd/smtp_tls.h"

uint64_t smtp_conn_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

void smtp_conn_reply (struct smtp_conn *g, char const *s)
{
  if (smtp_io_puts(&g->io, s) == -1 || smtp_io_put(&g->io, "\r\n", 2) == -1) smtp_conn_end(g, SMTPD_END_ERROR, 0) ;
}

/* client=, helo=: first on every line about the client after connect */
static void who (struct mx_log *l, struct smtp_conn *g)
{
  mx_log_str(l, "client", g->ip) ;
  mx_log_str(l, "helo", g->helo[0] ? g->helo : "-") ;
}

/* from=: the transaction's sender, or the one MAIL offered */
static void from (struct mx_log *l, struct smtp_conn *g)
{
  if (g->inmail) mx_log_str(l, "from", g->env + 1) ;
  else if (g->addrkind == 'F') mx_log_bytes(l, "from", g->addr.p, g->addr.len) ;
  else mx_log_str(l, "from", "-") ;
}

/* Refusals by reason, for the metrics (lib/counter.h, in the queue
   directory). A failure to count is not the client's problem: ignored. */
static void count_refusal (struct smtp_conn *g, char const *reason)
{
  char name[MX_COUNTER_NAME_MAX + 1] ;
  struct span q ;
  if (!g->conf.map || !conf_queue(&g->conf, &q)) return ;
  if (mx_counter_name(name, sizeof name, "mxhold_refusals_total", "program", "smtpd", "reason", reason, (char const *)0))
    mx_counter_add_q(q.p, q.len, name, 1) ;
}

void smtp_conn_refuse_errno (struct smtp_conn *g, char const *reason, char const *reply, int e)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "refused") ;
  mx_log_str(&l, "stage", g->stage) ;
  if (g->qid[0]) mx_log_str(&l, "qid", g->qid) ;
  who(&l, g) ;
  from(&l, g) ;
  if (g->addrkind == 'T') mx_log_bytes(&l, "to", g->addr.p, g->addr.len) ;
  if (g->qid[0])
  {
    mx_log_u64(&l, "rcpts", g->nrcpt) ;
    mx_log_u64(&l, "size", g->size) ;
  }
  if (g->showline) mx_log_bytes(&l, "command", g->line, g->linelen) ;
  mx_log_str(&l, "reply", reply) ;
  mx_log_str(&l, "reason", reason) ;
  if (g->basis) mx_log_str(&l, "basis", g->basis) ;
  g->basis = 0 ;
  if (e) mx_log_errno(&l, e) ;
  mx_log_end(&l) ;
  count_refusal(g, reason) ;
  g->nrefused++ ;
  smtp_conn_reply(g, reply) ;
}

void smtp_conn_refuse (struct smtp_conn *g, char const *reason, char const *reply)
{
  smtp_conn_refuse_errno(g, reason, reply, 0) ;
}

void smtp_conn_connect (struct smtp_conn *g)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "connect") ;
  mx_log_str(&l, "client", g->ip) ;
  mx_log_str(&l, "port", g->port) ;
  mx_log_end(&l) ;
}

void smtp_conn_accepted (struct smtp_conn *g)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "accepted") ;
  mx_log_str(&l, "qid", g->qid) ;
  who(&l, g) ;
  from(&l, g) ;
  mx_log_u64(&l, "rcpts", g->nrcpt) ;
  mx_log_u64(&l, "size", g->size) ;
  if (g->chunks) mx_log_u64(&l, "chunks", g->chunks) ;
  if (g->smtputf8) mx_log_str(&l, "smtputf8", "1") ;
  if (g->tls[0]) mx_log_str(&l, "tls", g->tls) ;
  mx_log_end(&l) ;
  g->naccepted++ ;
  g->nrcpts += g->nrcpt ;
}

void smtp_conn_aborted (struct smtp_conn *g, char const *reason)
{
  struct mx_log l ;
  mx_log_start(&l, MX_LOG_INFO, "aborted") ;
  mx_log_str(&l, "stage", g->stage) ;
  mx_log_str(&l, "qid", g->qid) ;
  who(&l, g) ;
  from(&l, g) ;
  mx_log_u64(&l, "rcpts", g->nrcpt) ;
  mx_log_u64(&l, "size", g->size) ;
  mx_log_str(&l, "reason", reason) ;
  mx_log_end(&l) ;
}

void smtp_conn_close (struct smtp_conn *g, char const *reason)
{
  struct mx_log l ;
  smtp_io_flush(&g->io) ;
  mx_log_start(&l, MX_LOG_INFO, "disconnect") ;
  mx_log_str(&l, "client", g->ip) ;
  mx_log_u64(&l, "messages", g->naccepted) ;
  mx_log_u64(&l, "rcpts", g->nrcpts) ;
  mx_log_u64(&l, "refused", g->nrefused) ;
  mx_log_ms(&l, "duration", smtp_conn_ms() - g->start) ;
  if (g->tls[0]) mx_log_str(&l, "tls", g->tls) ;
  mx_log_str(&l, "reason", reason) ;
  mx_log_end(&l) ;
}

void smtp_conn_end (struct smtp_conn *g, char const *reason, int code)
{
  smtp_conn_close(g, reason) ;
  smtp_tls_end(g) ;
  _exit(code) ;
}
