/* smtp_addr.h: RFC 5321 Mailbox syntax, and the relaying tricks that hide
   a second address in a recipient (libc only, spans only). */
#ifndef MXHOLD_SMTP_ADDR_H
#define MXHOLD_SMTP_ADDR_H

#include "lib/span.h"

#define SMTPD_PATH_MAX 256          /* RFC 5321 4.5.3.1.3, brackets included */
#define SMTPD_LOCAL_MAX 64          /* 4.5.3.1.1 */
#define SMTPD_DOMAIN_MAX 255        /* 4.5.3.1.2 */
#define SMTPD_LABEL_MAX 63          /* RFC 1035 2.3.4 */

enum smtp_ares
{
  SMTP_ADDR_OK,      /* a mailbox: local@domain */
  SMTP_ADDR_NULL,    /* <>: only with SMTP_ADDR_SENDER */
  SMTP_ADDR_SYNTAX,  /* not an address: 501 */
  SMTP_ADDR_RELAY    /* a relaying trick (percent hack, bang path, source
                        route, quoted @, extra @, address literal,
                        trailing garbage): 550 5.7.1 */
} ;

#define SMTP_ADDR_SENDER 1   /* MAIL: <> allowed, address literals allowed,
                                a source route is ignored (RFC 5321 4.1.1.2) */

struct smtp_addr
{
  struct span mailbox ;
  struct span local ;
  struct span domain ;
} ;

/* Classifies the path (the bytes between < and >). The spans point into path. */
enum smtp_ares smtp_addr_parse (struct span path, unsigned flags, struct smtp_addr *a) ;
/* Is d a host name: LDH labels of 1..63 bytes, no '-' at either end, at
   most 255 bytes, one trailing dot tolerated? */
int smtp_addr_hostname (struct span d) ;

/* What a sender's domain is, for MAIL's check (a bounce goes there): only
   a fully-qualified name is a place mail can go back to. The others name
   a host by its address or are local by nature, and a bounce to them
   would reach loopback or an internal network. */
enum smtp_dkind
{
  SMTP_DOM_FQDN,       /* a.example: two labels or more, the last not numeric */
  SMTP_DOM_LITERAL,    /* [192.0.2.1], [IPv6:::1] (RFC 5321 4.1.3) */
  SMTP_DOM_NUMERIC,    /* the last label all digits, or 0x and hex digits: an
                          address in inet_aton's forms (127.0.0.1, 2130706433,
                          127.1, 0x7f.0.0.1); no top-level domain is numeric
                          (RFC 3696 2) */
  SMTP_DOM_SHORT,      /* one label (localhost, intranet): not fully qualified */
  SMTP_DOM_LOCALHOST   /* localhost's names, x.localhost (RFC 6761 6.3): loopback */
} ;
/* Classifies d, a domain smtp_addr_parse accepted (one trailing dot
   tolerated). */
enum smtp_dkind smtp_addr_domkind (struct span d) ;

#endif
