/* smtp_cmd.c: SMTP command lines and MAIL/RCPT arguments, over spans.
   libc only. Nothing here trusts termination: lines may hold NUL. */
#include <stdint.h>
#include <string.h>
#include "lib/u64.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_dsn.h"

static int ci_eq (char const *a, char const *b, size_t n)
{
  size_t i ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char x = (unsigned char)a[i] ;
    unsigned char y = (unsigned char)b[i] ;
    if (x >= 'a' && x <= 'z') x -= 32 ;
    if (y >= 'a' && y <= 'z') y -= 32 ;
    if (x != y) return 0 ;
  }
  return 1 ;
}

static struct
{
  char const *name ;
  enum smtp_verb v ;
} const verbs[] =
{
  { "HELO", SMTP_V_HELO },
  { "EHLO", SMTP_V_EHLO },
  { "MAIL", SMTP_V_MAIL },
  { "RCPT", SMTP_V_RCPT },
  { "DATA", SMTP_V_DATA },
  { "RSET", SMTP_V_RSET },
  { "NOOP", SMTP_V_NOOP },
  { "QUIT", SMTP_V_QUIT },
  { "VRFY", SMTP_V_VRFY },
  { "HELP", SMTP_V_HELP },
  { "STARTTLS", SMTP_V_STARTTLS },
  { "BDAT", SMTP_V_BDAT },
  { 0, SMTP_V_UNKNOWN }
} ;

static struct span trim (struct span s)
{
  while (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
  {
    s.p++ ;
    s.len-- ;
  }
  while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t')) s.len-- ;
  return s ;
}

enum smtp_verb smtp_cmd_parse (struct span line, struct span *arg)
{
  size_t i ;
  size_t vlen ;
  for (i = 0 ; i < line.len ; i++)
  {
    unsigned char c = (unsigned char)line.p[i] ;
    if ((c < 32 && c != '\t') || c == 127)
    {
      arg->p = line.p ;
      arg->len = 0 ;
      return SMTP_V_BAD ;
    }
  }
  for (vlen = 0 ; vlen < line.len && line.p[vlen] != ' ' ; vlen++) ;
  arg->p = line.p + vlen ;
  arg->len = line.len - vlen ;
  *arg = trim(*arg) ;
  for (i = 0 ; verbs[i].name ; i++)
    if (strlen(verbs[i].name) == vlen && ci_eq(line.p, verbs[i].name, vlen)) return verbs[i].v ;
  return SMTP_V_UNKNOWN ;
}

/* One RCPT parameter: RFC 3461 NOTIFY= and ORCPT=. */
static enum smtp_perr rcpt_param (struct span name, struct span val, int eq, struct smtp_path *out)
{
  if (name.len == 6 && ci_eq(name.p, "NOTIFY", 6))
  {
    if (!eq || out->notify || !(out->notify = smtp_dsn_notify(val))) return SMTP_P_SYNTAX ;
    return SMTP_P_OK ;
  }
  if (name.len == 5 && ci_eq(name.p, "ORCPT", 5))
  {
    if (!eq || out->orcpt.len || !smtp_dsn_orcpt(val)) return SMTP_P_SYNTAX ;
    out->orcpt = val ;
    return SMTP_P_OK ;
  }
  return SMTP_P_PARAM ;
}

/* MAIL's DSN parameters: RFC 3461 RET= and ENVID=. */
static enum smtp_perr mail_dsn (struct span name, struct span val, int eq, struct smtp_path *out)
{
  if (name.len == 3 && ci_eq(name.p, "RET", 3))
  {
    if (!eq || out->ret || !(out->ret = smtp_dsn_ret(val))) return SMTP_P_SYNTAX ;
    return SMTP_P_OK ;
  }
  if (name.len == 5 && ci_eq(name.p, "ENVID", 5))
  {
    if (!eq || out->envid.len || !smtp_dsn_envid(val)) return SMTP_P_SYNTAX ;
    out->envid = val ;
    return SMTP_P_OK ;
  }
  return SMTP_P_PARAM ;
}

/* One "NAME[=VALUE]" parameter (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531
   SMTPUTF8, RFC 3461 for MAIL and RCPT). */
static enum smtp_perr param (struct span p, struct smtp_path *out, int params)
{
  char const *eq = memchr(p.p, '=', p.len) ;
  struct span name = { p.p, eq ? (size_t)(eq - p.p) : p.len } ;
  struct span val = { eq ? eq + 1 : p.p + p.len, eq ? p.len - name.len - 1 : 0 } ;
  if (params == SMTP_PARAMS_RCPT) return rcpt_param(name, val, eq != 0, out) ;
  if (name.len == 4 && ci_eq(name.p, "SIZE", 4))
  {
    if (out->has_size || !mx_u64_scan_all(val.p, val.len, UINT64_MAX, &out->size)) return SMTP_P_SYNTAX ;
    out->has_size = 1 ;
    return SMTP_P_OK ;
  }
  if (name.len == 4 && ci_eq(name.p, "BODY", 4))
  {
    if (out->body) return SMTP_P_SYNTAX ;
    if (val.len == 4 && ci_eq(val.p, "7BIT", 4)) out->body = SMTP_BODY_7BIT ;
    else if (val.len == 8 && ci_eq(val.p, "8BITMIME", 8)) out->body = SMTP_BODY_8BITMIME ;
    else return SMTP_P_SYNTAX ;
    return SMTP_P_OK ;
  }
  if (name.len == 8 && ci_eq(name.p, "SMTPUTF8", 8))
  {
    if (eq || out->smtputf8) return SMTP_P_SYNTAX ;   /* RFC 6531 3.4: no value */
    out->smtputf8 = 1 ;
    return SMTP_P_OK ;
  }
  return mail_dsn(name, val, eq != 0, out) ;
}

enum smtp_perr smtp_cmd_path (struct span arg, char const *kw, int params, struct smtp_path *out)
{
  size_t kl = strlen(kw) ;
  size_t i ;
  char const *gt ;
  struct span rest ;
  memset(out, 0, sizeof *out) ;
  if (arg.len < kl || !ci_eq(arg.p, kw, kl)) return SMTP_P_SYNTAX ;
  arg.p += kl ;
  arg.len -= kl ;
  arg = trim(arg) ;   /* "MAIL FROM: <a@b>" is common enough to allow */
  if (!arg.len || arg.p[0] != '<') return SMTP_P_SYNTAX ;
  gt = memchr(arg.p, '>', arg.len) ;
  if (!gt) return SMTP_P_SYNTAX ;
  out->path.p = arg.p + 1 ;
  out->path.len = (size_t)(gt - arg.p) - 1 ;
  rest.p = gt + 1 ;
  rest.len = arg.len - (size_t)(rest.p - arg.p) ;
  if (!rest.len) return SMTP_P_OK ;
  if (rest.p[0] != ' ') return SMTP_P_GARBAGE ;
  while (rest.len)
  {
    struct span p ;
    enum smtp_perr e ;
    while (rest.len && rest.p[0] == ' ')
    {
      rest.p++ ;
      rest.len-- ;
    }
    if (!rest.len) break ;
    for (i = 0 ; i < rest.len && rest.p[i] != ' ' ; i++) ;
    p.p = rest.p ;
    p.len = i ;
    rest.p += i ;
    rest.len -= i ;
    if (!params) return SMTP_P_PARAM ;
    e = param(p, out, params) ;
    if (e != SMTP_P_OK) return e ;
  }
  return SMTP_P_OK ;
}

int smtp_cmd_bdat (struct span arg, uint64_t *count, int *last)
{
  size_t n ;
  struct span rest ;
  for (n = 0 ; n < arg.len && arg.p[n] != ' ' ; n++) ;
  if (!n || n > SMTPD_BDAT_DIGITS_MAX || !mx_u64_scan_all(arg.p, n, UINT64_MAX, count)) return -1 ;
  rest.p = arg.p + n ;
  rest.len = arg.len - n ;
  rest = trim(rest) ;
  if (!rest.len)
  {
    *last = 0 ;
    return 0 ;
  }
  if (rest.len != 4 || !ci_eq(rest.p, "LAST", 4)) return -1 ;
  *last = 1 ;
  return 0 ;
}
