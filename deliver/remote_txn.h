/* remote_txn.h: one message over an open connection (remote_txn.c), for
   the session (remote_smtp.c). */
#ifndef MXHOLD_REMOTE_TXN_H
#define MXHOLD_REMOTE_TXN_H

#include "deliver/remote_io.h"

/* One message over io: every recipient gets a result. 0 done, -1 the
   connection is lost (the message's rest reported t). With retry (the
   first message on a kept connection): -2 if the connection was lost, or
   MAIL got 421, before any result and before a DATA was accepted; then
   nothing is reported and the message may be sent again. */
int remote_msg_send (struct remote_io *io, struct remote_ext const *ext, struct remote_msg *m, int retry) ;

#endif
