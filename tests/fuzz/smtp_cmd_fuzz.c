/* smtp_cmd_fuzz.c: command lines, MAIL/RCPT arguments, BDAT's count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd/smtp_cmd.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct span arg ;
  struct smtp_path p ;
  char *copy = malloc(size ? size : 1) ;   /* exact size: ASan sees overreads */
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  smtp_cmd_parse((struct span){ copy, size }, &arg) ;
  if (arg.p < copy || arg.p + arg.len > copy + size) abort() ;
  if (smtp_cmd_path(arg, "FROM:", 1, &p) == SMTP_P_OK && (p.path.p < copy || p.path.p + p.path.len > copy + size)) abort() ;
  smtp_cmd_path((struct span){ copy, size }, "TO:", 0, &p) ;
  /* RCPT with DSN parameters: an ORCPT taken is within its limit */
  if (smtp_cmd_path((struct span){ copy, size }, "TO:", SMTP_PARAMS_RCPT, &p) == SMTP_P_OK && p.orcpt.len > 500) abort() ;
  {
    uint64_t count ;
    int last ;
    /* BDAT's argument: accepted only as digits, optionally " LAST" */
    if (smtp_cmd_bdat(arg, &count, &last) == 0 && (!arg.len || arg.p[0] < '0' || arg.p[0] > '9')) abort() ;
    smtp_cmd_bdat((struct span){ copy, size }, &count, &last) ;
  }
  free(copy) ;
  return 0 ;
}
