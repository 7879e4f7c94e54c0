/* remote_guard.h: the addresses a delivery by MX may go to (remote_guard.c,
   libc only). An MX set, and a bounce's destination, is chosen by whoever
   runs that domain's DNS: a sender can make its bounce, or its MX, point
   into the relay's own networks. So delivery other than by an explicit
   route in `domains` connects only to public unicast addresses: never
   loopback, private (RFC 1918, RFC 6598 shared 100.64/10, fc00::/7),
   link-local, unspecified, multicast, reserved or documentation ranges,
   nor an address of one of the relay's own interfaces. An explicit route
   is the operator's word and is not checked. */
#ifndef MXHOLD_REMOTE_GUARD_H
#define MXHOLD_REMOTE_GUARD_H

#include "deliver/remote.h"

/* TEST ONLY: with this set to 1 in mxhold-remote's environment, loopback
   addresses (127.0.0.0/8, ::1) pass, so the suite can run MX hosts on
   127.x addresses (tests/e2e/43-deliver-mx.sh). Never set it for a relay. */
#define REMOTE_GUARD_TEST_ENV "MXHOLD_TEST_MX_LOOPBACK"

/* 0 if a may be connected to after an MX lookup, else why not (a static
   word for the log's reason=): loopback, private, link-local,
   unspecified, multicast, reserved, own-address. */
char const *remote_guard_check (struct remote_addr const *a) ;

#endif
