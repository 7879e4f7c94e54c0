/* smtp_rcpt.h: a customer domain's recipient policy at RCPT (recipients=
   in domains, conf/conf.md): list from config.cdb; verify and learn from
   the recipient cache (rcptcheck/rcpt_cache.h), asking mxhold-rcptcheck
   only about what the cache does not answer. */
#ifndef MXHOLD_SMTP_RCPT_H
#define MXHOLD_SMTP_RCPT_H

#include "lib/span.h"
#include "smtpd/smtp_addr.h"
#include "smtpd/smtp_conn.h"

/* rcptcheck's whole run: verify_timeout, plus this for its start and the
   cache; then it is killed and the address is unverified */
#define SMTPD_RCPT_SLACK_SECS 5
#define SMTPD_RCPTCHECK "mxhold-rcptcheck"   /* found in $PATH */

/* 0 if the recipient a (at the domain whose value is domval) may be
   accepted; else the reply to refuse it with, *reason its reason= and
   g->basis what the verdict rests on (smtp_conn_refuse logs it as
   basis=). An accepted address that could not be verified is logged. */
char const *smtp_rcpt_check (struct smtp_conn *g, struct smtp_addr const *a, struct span domval, char const **reason) ;

#endif
