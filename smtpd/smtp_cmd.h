/* smtp_cmd.h: SMTP command lines and the arguments of MAIL and RCPT, over
   spans (libc only: the unit test and the fuzz target link it alone). */
#ifndef MXHOLD_SMTP_CMD_H
#define MXHOLD_SMTP_CMD_H

#include <stdint.h>
#include "lib/span.h"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 bytes with CRLF; SIZE=
   (RFC 1870: 26 bytes) and BODY= (RFC 6152: 14 bytes) add to MAIL. We take
   a round 1024, CRLF included; a longer line gets 500 5.5.2. */
#define SMTPD_CMD_LINE_MAX 1024
#define SMTPD_HELO_MAX 255          /* a HELO argument; longer: 501 */

enum smtp_verb
{
  SMTP_V_UNKNOWN,
  SMTP_V_BAD,
  SMTP_V_HELO,
  SMTP_V_EHLO,
  SMTP_V_MAIL,
  SMTP_V_RCPT,
  SMTP_V_DATA,
  SMTP_V_RSET,
  SMTP_V_NOOP,
  SMTP_V_QUIT,
  SMTP_V_VRFY,
  SMTP_V_HELP,
  SMTP_V_STARTTLS,
  SMTP_V_BDAT
} ;

/* Splits a command line (line end removed) into its verb and its argument
   (spaces around it trimmed; empty if none). SMTP_V_BAD: the line holds a
   NUL or another control byte; SMTP_V_UNKNOWN: no such verb. */
enum smtp_verb smtp_cmd_parse (struct span line, struct span *arg) ;

enum smtp_perr
{
  SMTP_P_OK,        /* parsed */
  SMTP_P_SYNTAX,    /* no "FROM:"/"TO:", no <path>, bad parameter value: 501 */
  SMTP_P_PARAM,     /* unknown or unsupported parameter: 555 5.5.4 */
  SMTP_P_GARBAGE    /* bytes glued to the closing '>': a relay trick for RCPT */
} ;

#define SMTP_BODY_7BIT 1
#define SMTP_BODY_8BITMIME 2

struct smtp_path
{
  struct span path ;   /* between < and >, brackets excluded */
  uint64_t size ;      /* SIZE= value, if has_size */
  int has_size ;
  int body ;           /* 0 or SMTP_BODY_* */
  int smtputf8 ;       /* MAIL's SMTPUTF8 (RFC 6531 3.4) */
  char ret ;           /* MAIL's RET= (RFC 3461 4.3): 'F' FULL, 'H' HDRS, 0 none */
  struct span envid ;  /* MAIL's ENVID= (4.4), xtext; empty if none */
  unsigned notify ;    /* RCPT's NOTIFY= (4.1): SMTP_NOTIFY_* (smtp_dsn.h), 0 if none */
  struct span orcpt ;  /* RCPT's ORCPT= (4.2), "type;xtext"; empty if none */
} ;

#define SMTP_PARAMS_NONE 0
#define SMTP_PARAMS_MAIL 1   /* SIZE= BODY= SMTPUTF8 RET= ENVID= */
#define SMTP_PARAMS_RCPT 2   /* NOTIFY= ORCPT= */

/* Parses the argument of MAIL (kw "FROM:", params SMTP_PARAMS_MAIL) or
   RCPT (kw "TO:", params SMTP_PARAMS_RCPT, or SMTP_PARAMS_NONE). A DSN
   parameter that is malformed, over its length limit or given twice is
   SMTP_P_SYNTAX. */
enum smtp_perr smtp_cmd_path (struct span arg, char const *kw, int params, struct smtp_path *out) ;

/* RFC 3030 2: a BDAT chunk size is 1*DIGIT; more digits than UINT64_MAX
   has is refused as syntax, not cut. */
#define SMTPD_BDAT_DIGITS_MAX 20

/* Parses BDAT's argument, "COUNT" or "COUNT LAST" (LAST in any case, one
   or more spaces between): 0 and *count, *last set; -1 if it is anything
   else (empty, a sign, a non-digit, over SMTPD_BDAT_DIGITS_MAX digits or
   UINT64_MAX, another word). */
int smtp_cmd_bdat (struct span arg, uint64_t *count, int *last) ;

#endif
