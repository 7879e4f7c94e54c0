/* smtp_cmd_fuzz.c: command lines and MAIL/RCPT arguments. */
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
  free(copy) ;
  return 0 ;
}
