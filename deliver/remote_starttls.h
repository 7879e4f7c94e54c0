/* remote_starttls.h: the domain's tls= policy on one connection
   (remote_starttls.c, remote.md "TLS"): what it asks of an address (for
   tls=dane, the TLSA records), then after EHLO the STARTTLS command, the
   handshake, the certificate's check and EHLO again. For remote_smtp.c. */
#ifndef MXHOLD_REMOTE_STARTTLS_H
#define MXHOLD_REMOTE_STARTTLS_H

#include "deliver/remote_io.h"
#include "deliver/remote_tlsa.h"

struct remote_tls_plan {
  enum remote_tls_policy policy ;   /* what applies: dane only with usable records, else the fallback */
  char const *fallback ;            /* tls=dane fell back: why (a word), else 0 */
  int ntlsa ;
  struct remote_tlsa tlsa[REMOTE_TLSA_MAX] ;
} ;

/* The plan for address a under cfg; for tls=dane the TLSA records of
   _PORT._tcp.NAME (RFC 7672 2.2: an answer that is not authenticated, no
   records, or none usable mean the fallback; a lookup that failed is a
   temporary failure). 0, or -1 with the failure set (logged). */
int remote_starttls_plan (struct remote_cfg const *cfg, struct remote_addr const *a, struct remote_tls_plan *p) ;

/* After EHLO on io: STARTTLS as the plan asks (RFC 3207), the handshake,
   the checks, EHLO again (ext anew). plain: a handshake with this host
   failed under tls=may before: no STARTTLS. Returns 0 to go on (TLS up,
   or plain where the policy allows it; either logged), -1 failed (the
   failure set: the host's recipients get a temporary failure), -2 the
   handshake failed under tls=may: the caller tries this host again with
   plain set. */
int remote_starttls (struct remote_io *io, char const *me, struct remote_cfg const *cfg,
  struct remote_tls_plan const *p, struct remote_ext *ext, int plain) ;

#endif
