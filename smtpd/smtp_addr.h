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
  SMTP_ADDR_RELAY,   /* a relaying trick (percent hack, bang path, source
                        route, quoted @, extra @, address literal,
                        trailing garbage): 550 5.7.1 */
  SMTP_ADDR_NEEDUTF8 /* well-formed UTF-8 without SMTP_ADDR_UTF8: 553 5.6.7 */
} ;

#define SMTP_ADDR_SENDER 1   /* MAIL: <> allowed, address literals allowed,
                                a source route is ignored (RFC 5321 4.1.1.2) */
#define SMTP_ADDR_UTF8 2     /* MAIL had SMTPUTF8 (RFC 6531): UTF-8 allowed in
                                the local part and the domain */

struct smtp_addr
{
  struct span mailbox ;
  struct span local ;
  struct span domain ;
  struct span host ;                /* the domain to match and store: domain
                                       itself, or ace when it holds UTF-8 */
  char ace[SMTPD_DOMAIN_MAX + 1] ;  /* a UTF-8 domain as A-labels (smtp_utf8.h) */
} ;

/* Classifies the path (the bytes between < and >). The spans point into
   path (host may point into a->ace). A path with a byte above 0x7f must be
   well-formed UTF-8 (else SMTP_ADDR_SYNTAX) and is refused without
   SMTP_ADDR_UTF8 (SMTP_ADDR_NEEDUTF8); with it, UTF-8 counts as atext
   and qtext (RFC 6531 3.3), and a domain with UTF-8 is converted to
   A-labels, which must then be a host name. */
enum smtp_ares smtp_addr_parse (struct span path, unsigned flags, struct smtp_addr *a) ;
/* An address whose domain held UTF-8 is matched, checked and stored with
   its A-labels: a's mailbox, local and domain are rewritten into buf
   (SMTPD_PATH_MAX bytes, the caller's) as "local@A-labels". Nothing
   changes for an ASCII domain. */
void smtp_addr_ascii (struct smtp_addr *a, char *buf) ;
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
