/* smtp_addr_fuzz.c: the address parser, as recipient and as sender, with
   and without SMTPUTF8, and the sender domain's kind. An address it
   accepts as a recipient must be storable: no byte below 33; without
   SMTPUTF8 no byte above 126; with it only well-formed UTF-8, and a host
   (the domain to match and store) that is an ASCII host name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd/smtp_addr.h"
#include "smtpd/smtp_utf8.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct smtp_addr a ;
  size_t i ;
  char *copy = malloc(size ? size : 1) ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  if (smtp_addr_parse((struct span){ copy, size }, 0, &a) == SMTP_ADDR_OK)
  {
    if (!a.domain.len || !a.local.len || a.domain.p[0] == '[' || memchr(a.domain.p, '@', a.domain.len)) abort() ;
    for (i = 0 ; i < a.mailbox.len ; i++)
      if ((unsigned char)a.mailbox.p[i] < 33 || a.mailbox.p[i] == '%' || a.mailbox.p[i] == '!') abort() ;
  }
  for (i = 0 ; i < size && copy[i] >= 0 ; i++) ;
  if (i < size && smtp_addr_parse((struct span){ copy, size }, 0, &a) == SMTP_ADDR_OK) abort() ;   /* 8-bit needs SMTPUTF8 */
  if (smtp_addr_parse((struct span){ copy, size }, SMTP_ADDR_UTF8, &a) == SMTP_ADDR_OK)
  {
    if (!smtp_utf8_valid(a.mailbox) || !smtp_addr_hostname(a.host) || smtp_utf8_nonascii(a.host)) abort() ;
    if (a.host.p != a.domain.p && (a.host.p != a.ace || a.host.len >= sizeof a.ace)) abort() ;
  }
  smtp_addr_parse((struct span){ copy, size }, SMTP_ADDR_SENDER | SMTP_ADDR_UTF8, &a) ;
  /* a sender's domain is classified (MAIL refuses addresses and local
     names): a literal only when it starts with '[' */
  if (smtp_addr_parse((struct span){ copy, size }, SMTP_ADDR_SENDER, &a) == SMTP_ADDR_OK
   && (smtp_addr_domkind(a.domain) == SMTP_DOM_LITERAL) != (a.domain.len && a.domain.p[0] == '[')) abort() ;
  smtp_addr_hostname((struct span){ copy, size }) ;
  free(copy) ;
  return 0 ;
}
