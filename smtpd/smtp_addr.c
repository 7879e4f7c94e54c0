/* smtp_addr.c: RFC 5321 4.1.2 Mailbox syntax, and the relaying tricks that
   hide a second address inside a recipient. libc only, spans only.

   A recipient is refused as a relay attempt (550 5.7.1), not merely as bad
   syntax, whenever some MTA downstream could read a different destination
   into it: user%other@us (percent hack), a!b@us (bang path),
   @x:user@us (source route), "a@b"@us (quoted @), a@us@other (extra @),
   user@[1.2.3.4] (address literal), user@us!junk (trailing garbage). */
#include <string.h>
#include "smtpd/smtp_addr.h"
#include "smtpd/smtp_utf8.h"

/* A byte above 0x7f only gets here as part of well-formed UTF-8 that
   SMTPUTF8 allows (smtp_addr_parse checks first): RFC 6531 3.3 atext. */
static int is_atext (unsigned char c)
{
  if (c >= 0x80) return 1 ;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1 ;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0 ;
}

static int is_ldh (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ;
}

int smtp_addr_hostname (struct span d)
{
  size_t i ;
  size_t lab = 0 ;
  if (d.len && d.p[d.len - 1] == '.') d.len-- ;   /* one trailing dot */
  if (!d.len || d.len > SMTPD_DOMAIN_MAX) return 0 ;
  for (i = 0 ; i <= d.len ; i++)
  {
    if (i == d.len || d.p[i] == '.')
    {
      if (!lab || lab > SMTPD_LABEL_MAX) return 0 ;
      if (d.p[i - 1] == '-' || d.p[i - lab] == '-') return 0 ;
      lab = 0 ;
    }
    else if (!is_ldh((unsigned char)d.p[i])) return 0 ;
    else lab++ ;
  }
  return 1 ;
}

/* Quoted string at the start of s: bytes consumed, 0 if unterminated or it
   holds bytes the queue cannot store (below 33, DEL; UTF-8 only gets here
   if allowed). *relay is set
   if the quoted text hides an address separator. */
static size_t quoted (struct span s, int *relay)
{
  size_t i ;
  for (i = 1 ; i < s.len ; i++)
  {
    unsigned char c = (unsigned char)s.p[i] ;
    if (c == '"') return i + 1 ;
    if (c == '\\')
    {
      if (++i >= s.len) return 0 ;
      c = (unsigned char)s.p[i] ;
    }
    if (c < 33 || c == 127) return 0 ;
    if (c == '@' || c == '%' || c == '!' || c == ':' || c == ',') *relay = 1 ;
  }
  return 0 ;
}

/* Dot-atom at the start of s: bytes consumed (0: none). */
static size_t dotatom (struct span s, int *relay)
{
  size_t i ;
  for (i = 0 ; i < s.len ; i++)
  {
    unsigned char c = (unsigned char)s.p[i] ;
    if (c == '.')
    {
      if (!i || i + 1 >= s.len || s.p[i + 1] == '.' || s.p[i + 1] == '@') return 0 ;
    }
    else if (!is_atext(c)) break ;
    else if (c == '%' || c == '!') *relay = 1 ;
  }
  return i ;
}

/* [1.2.3.4] or [IPv6:...]: well enough formed to be a sender's domain. */
static int literal (struct span d)
{
  size_t i ;
  if (d.len < 3 || d.p[0] != '[' || d.p[d.len - 1] != ']') return 0 ;
  for (i = 1 ; i + 1 < d.len ; i++)
  {
    unsigned char c = (unsigned char)d.p[i] ;
    if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return 0 ;
  }
  return 1 ;
}

/* "@a,@b:" at the start: bytes consumed, 0 if none or malformed. */
static size_t route (struct span s)
{
  char const *colon = memchr(s.p, ':', s.len) ;
  if (!s.len || s.p[0] != '@' || !colon) return 0 ;
  return (size_t)(colon - s.p) + 1 ;
}

/* A domain with UTF-8 (IDNA U-labels): its A-label form into a->ace,
   which must be a host name. */
static enum smtp_ares domain_utf8 (struct span d, int relay, struct smtp_addr *a)
{
  size_t n ;
  if (d.len && d.p[d.len - 1] == '.') d.len-- ;   /* one trailing dot */
  n = smtp_utf8_alabels(d, a->ace, sizeof a->ace) ;
  if (!n || !smtp_addr_hostname((struct span){ a->ace, n })) return SMTP_ADDR_SYNTAX ;
  a->host.p = a->ace ;
  a->host.len = n ;
  return relay ? SMTP_ADDR_RELAY : SMTP_ADDR_OK ;
}

static enum smtp_ares domain (struct span d, unsigned flags, int relay, struct smtp_addr *a)
{
  a->host = d ;
  if (smtp_utf8_nonascii(d)) return domain_utf8(d, relay, a) ;
  if (d.len && d.p[0] == '[')
  {
    if (!(flags & SMTP_ADDR_SENDER)) return SMTP_ADDR_RELAY ;
    return literal(d) ? SMTP_ADDR_OK : SMTP_ADDR_SYNTAX ;
  }
  if (!smtp_addr_hostname(d))
  {
    size_t i ;
    if (flags & SMTP_ADDR_SENDER || !d.len) return SMTP_ADDR_SYNTAX ;
    /* a host name followed by anything at all is garbage meant for someone */
    for (i = 0 ; i < d.len && (is_ldh((unsigned char)d.p[i]) || d.p[i] == '.') ; i++) ;
    return i && i < d.len ? SMTP_ADDR_RELAY : SMTP_ADDR_SYNTAX ;
  }
  return relay ? SMTP_ADDR_RELAY : SMTP_ADDR_OK ;
}

enum smtp_ares smtp_addr_parse (struct span path, unsigned flags, struct smtp_addr *a)
{
  size_t n ;
  int relay = 0 ;
  memset(a, 0, sizeof *a) ;
  if (!path.len) return flags & SMTP_ADDR_SENDER ? SMTP_ADDR_NULL : SMTP_ADDR_SYNTAX ;
  if (path.len > SMTPD_PATH_MAX - 2) return SMTP_ADDR_SYNTAX ;
  if (smtp_utf8_nonascii(path))
  {
    /* RFC 6531 3.3: UTF-8, and only the well-formed kind (smtp_utf8.c) */
    if (!smtp_utf8_valid(path)) return SMTP_ADDR_SYNTAX ;
    if (!(flags & SMTP_ADDR_UTF8)) return SMTP_ADDR_NEEDUTF8 ;
  }
  if (path.p[0] == '@')
  {
    if (!(flags & SMTP_ADDR_SENDER)) return SMTP_ADDR_RELAY ;
    n = route(path) ;   /* RFC 5321 4.1.1.2: a server SHOULD ignore it */
    if (!n) return SMTP_ADDR_SYNTAX ;
    path.p += n ;
    path.len -= n ;
    if (!path.len) return SMTP_ADDR_SYNTAX ;
  }
  a->mailbox = path ;
  n = path.p[0] == '"' ? quoted(path, &relay) : dotatom(path, &relay) ;
  if (!n || n > SMTPD_LOCAL_MAX) return SMTP_ADDR_SYNTAX ;
  a->local.p = path.p ;
  a->local.len = n ;
  if (n == path.len || path.p[n] != '@')
  {
    /* "a!b", "user%host": tricks even without a domain */
    if (!(flags & SMTP_ADDR_SENDER) && relay) return SMTP_ADDR_RELAY ;
    return SMTP_ADDR_SYNTAX ;
  }
  a->domain.p = path.p + n + 1 ;
  a->domain.len = path.len - n - 1 ;
  if (memchr(a->domain.p, '@', a->domain.len))
    return flags & SMTP_ADDR_SENDER ? SMTP_ADDR_SYNTAX : SMTP_ADDR_RELAY ;
  if (flags & SMTP_ADDR_SENDER) relay = 0 ;   /* a sender may be odd; it is not a destination */
  return domain(a->domain, flags, relay, a) ;
}

void smtp_addr_ascii (struct smtp_addr *a, char *buf)
{
  if (!a->host.len || a->host.p == a->domain.p) return ;
  memcpy(buf, a->local.p, a->local.len) ;
  buf[a->local.len] = '@' ;
  memcpy(buf + a->local.len + 1, a->host.p, a->host.len) ;
  a->local.p = buf ;
  a->domain.p = buf + a->local.len + 1 ;
  a->domain.len = a->host.len ;
  a->host = a->domain ;
  a->mailbox.p = buf ;
  a->mailbox.len = a->local.len + 1 + a->host.len ;
}

static int is_digits (char const *s, size_t n, int hex)
{
  size_t i ;
  if (!n) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c >= '0' && c <= '9') continue ;
    if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) continue ;
    return 0 ;
  }
  return 1 ;
}

enum smtp_dkind smtp_addr_domkind (struct span d)
{
  static char const lh[] = "localhost" ;
  size_t const lhlen = sizeof lh - 1 ;
  char const *dot ;
  struct span last ;
  size_t i ;
  if (d.len && d.p[0] == '[') return SMTP_DOM_LITERAL ;
  if (d.len && d.p[d.len - 1] == '.') d.len-- ;
  for (dot = 0, i = d.len ; i-- ; )
    if (d.p[i] == '.')
    {
      dot = d.p + i ;
      break ;
    }
  last.p = dot ? dot + 1 : d.p ;
  last.len = d.len - (size_t)(last.p - d.p) ;
  if (is_digits(last.p, last.len, 0)) return SMTP_DOM_NUMERIC ;
  if (last.len > 2 && last.p[0] == '0' && (last.p[1] | 0x20) == 'x' && is_digits(last.p + 2, last.len - 2, 1)) return SMTP_DOM_NUMERIC ;
  if (last.len == lhlen)
  {
    for (i = 0 ; i < lhlen && (last.p[i] | 0x20) == lh[i] ; i++) ;
    if (i == lhlen) return SMTP_DOM_LOCALHOST ;
  }
  return dot ? SMTP_DOM_FQDN : SMTP_DOM_SHORT ;
}
