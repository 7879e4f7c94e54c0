/* smtp_addr_fuzz.c: the address parser, as recipient and as sender, and
   the sender domain's kind. An address it accepts as a recipient must be
   storable: no byte below 33. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd/smtp_addr.h"

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
  /* a sender's domain is classified (MAIL refuses addresses and local
     names): a literal only when it starts with '[' */
  if (smtp_addr_parse((struct span){ copy, size }, SMTP_ADDR_SENDER, &a) == SMTP_ADDR_OK
   && (smtp_addr_domkind(a.domain) == SMTP_DOM_LITERAL) != (a.domain.len && a.domain.p[0] == '[')) abort() ;
  smtp_addr_hostname((struct span){ copy, size }) ;
  free(copy) ;
  return 0 ;
}
