/* conf_explain.h: mxhold-conf explain IP [DOMAIN]: what the config in its
   text files means for one client and one recipient domain, each value
   with the file and line it comes from (or "default"). libc + lib/log. */
#ifndef MXHOLD_CONF_EXPLAIN_H
#define MXHOLD_CONF_EXPLAIN_H

#include "conf/conf_build.h"

/* b: a clean conf_build_finish of the directory. ip: a text address;
   domain: NULL or a recipient domain. Writes to fd 1, in the log's
   key=value grammar without its head (doc/log.md; conf/conf.md, explain):
     client client=IP prefix=ADDR/LEN|- trusted=yes|no [file= line=]
     domain domain=D route=R tls_policy=T rcpt_policy=P file= line=   (or reason=not-customer)
     limit name=N value=V source=default|limits|clients|domains [file= line=] [scope=domain]
     spf spf=RESULT action=A source=default|spf [file= line=]
   0, or -1 and errno when stdout cannot be written. */
int conf_explain (struct conf_build const *b, char const *dir, char const *ip, char const *domain) ;

#endif
