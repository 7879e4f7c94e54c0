/* spf_record.c: SPF record syntax (RFC 7208 4.5, 4.6, 5, 6, 7.1, 12).
   libc only: the fuzz target links it alone. */
#include <string.h>
#include <arpa/inet.h>
#include "spfcheck/spfcheck.h"

static int lc (int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c ; }
static int isalpha_ (int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ; }
static int isdigit_ (int c) { return c >= '0' && c <= '9' ; }

static int span_ieq (char const *s, size_t len, char const *lit)
{
  size_t n = strlen(lit) ;
  if (len != n) return 0 ;
  for (size_t i = 0 ; i < n ; i++) if (lc((unsigned char)s[i]) != lit[i]) return 0 ;
  return 1 ;
}

int spf_record_is (char const *s, size_t len)
{
  if (len < 6 || !span_ieq(s, 6, "v=spf1")) return 0 ;
  return len == 6 || s[6] == ' ' ;
}

/* Bytes of a well formed "%{...}" / "%%" / "%_" / "%-" at s; 0 if bad.
   exp: the letters c r t are allowed too. */
static size_t macro_len (char const *s, size_t len, int exp)
{
  size_t i = 2 ;
  if (len < 2 || s[0] != '%') return 0 ;
  if (s[1] == '%' || s[1] == '_' || s[1] == '-') return 2 ;
  if (s[1] != '{' || len < 4) return 0 ;
  if (!memchr(exp ? "slodipvhcrtSLODIPVHCRT" : "slodipvhSLODIPVH", s[2], exp ? 22 : 16)) return 0 ;
  i = 3 ;
  {
    unsigned long v = 0 ;
    size_t d = i ;
    while (i < len && isdigit_((unsigned char)s[i]))
    {
      if (v < 1000) v = v * 10 + (unsigned)(s[i] - '0') ;
      i++ ;
    }
    if (i > d && !v) return 0 ;   /* RFC 7208 7.1: a DIGIT transformer MUST be nonzero */
  }
  if (i < len && (s[i] == 'r' || s[i] == 'R')) i++ ;
  while (i < len && memchr(".-+,/_=", s[i], 7)) i++ ;
  if (i >= len || s[i] != '}') return 0 ;
  return i + 1 ;
}

/* RFC 7208 7.1 macro-string: macro-expand / macro-literal (%x21-24 %x26-7E). */
static int macrostring_valid (struct span d, int exp, int *endsmacro)
{
  size_t i = 0 ;
  *endsmacro = 0 ;
  while (i < d.len)
  {
    unsigned char c = (unsigned char)d.p[i] ;
    if (c == '%')
    {
      size_t n = macro_len(d.p + i, d.len - i, exp) ;
      if (!n) return 0 ;
      *endsmacro = (n > 2 && i + n == d.len) ;
      i += n ;
      continue ;
    }
    if ((c < 0x21 || c > 0x7e) && !(exp && c == ' ')) return 0 ;
    i++ ;
  }
  return 1 ;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int toplabel_ok (char const *s, size_t len)
{
  int alpha = 0 ;
  if (!len) return 0 ;
  if (s[0] == '-' || s[len - 1] == '-') return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (isalpha_(c)) alpha = 1 ;
    else if (c == '-') alpha = 1 ;   /* the second form: a hyphen inside makes it non-numeric */
    else if (!isdigit_(c)) return 0 ;
  }
  return alpha ;
}

int spf_domainspec_valid (struct span d)
{
  int endsmacro ;
  size_t end, dot ;
  if (!d.len || !macrostring_valid(d, 0, &endsmacro)) return 0 ;
  if (endsmacro) return 1 ;
  end = d.len ;
  if (d.p[end - 1] == '.') end-- ;
  dot = end ;
  while (dot > 0 && d.p[dot - 1] != '.') dot-- ;
  if (!dot) return 0 ;   /* domain-end needs "." toplabel */
  return toplabel_ok(d.p + dot, end - dot) ;
}

int spf_explain_valid (struct span d)
{
  int e ;
  return macrostring_valid(d, 1, &e) ;
}

/* "/" ("0" / %x31-39 0*2DIGIT) at the end of s; returns its bytes (0: none). */
static size_t cidr_tail (char const *s, size_t len, unsigned int *val)
{
  size_t i = len ;
  while (i > 0 && isdigit_((unsigned char)s[i - 1])) i-- ;
  if (i == len || i == 0 || s[i - 1] != '/') return 0 ;
  if (len - i > 3 || (s[i] == '0' && len - i > 1)) return 0 ;
  *val = 0 ;
  for (size_t k = i ; k < len ; k++) *val = *val * 10 + (unsigned)(s[k] - '0') ;
  return len - i + 1 ;
}

/* Splits a mechanism argument into domain and dual-cidr. -1 on bad cidr. */
static int dual_cidr (struct spf_term *t, struct span arg, int allow4, int allow6)
{
  unsigned int v ;
  size_t n ;
  t->cidr4 = 32 ;
  t->cidr6 = 128 ;
  if (allow6 && (n = cidr_tail(arg.p, arg.len, &v)) && n < arg.len && arg.p[arg.len - n - 1] == '/')
  {
    if (v > 128) return -1 ;
    t->cidr6 = (unsigned char)v ;
    arg.len -= n + 1 ;
  }
  if (allow4 && (n = cidr_tail(arg.p, arg.len, &v)))
  {
    unsigned int max = allow6 ? 32 : (t->kind == SPF_T_IP6 ? 128 : 32) ;
    if (v > max) return -1 ;
    if (t->kind == SPF_T_IP6) t->cidr6 = (unsigned char)v ;
    else t->cidr4 = (unsigned char)v ;
    arg.len -= n ;
  }
  t->domain = arg ;
  return 0 ;
}

static int ip_term (struct spf_term *t, struct span arg)
{
  char buf[64] ;
  if (dual_cidr(t, arg, 1, 0) == -1) return -1 ;
  if (!t->domain.len || t->domain.len >= sizeof buf) return -1 ;
  memcpy(buf, t->domain.p, t->domain.len) ;
  buf[t->domain.len] = 0 ;
  if (inet_pton(t->kind == SPF_T_IP4 ? AF_INET : AF_INET6, buf, t->ip) != 1) return -1 ;
  t->domain.len = 0 ;
  return 0 ;
}

static struct {
  char const *name ;
  unsigned char kind ;
  unsigned char arg ;
} const mechs[] = {
  /* arg: 0 none, 1 optional domain + cidr, 2 required domain, 3 optional domain, 4 ip */
  { "all", SPF_T_ALL, 0 }, { "include", SPF_T_INCLUDE, 2 }, { "a", SPF_T_A, 1 },
  { "mx", SPF_T_MX, 1 }, { "ptr", SPF_T_PTR, 3 }, { "ip4", SPF_T_IP4, 4 },
  { "ip6", SPF_T_IP6, 4 }, { "exists", SPF_T_EXISTS, 2 },
} ;

static int mechanism (struct spf_term *t, char const *s, size_t len, size_t namelen)
{
  struct span arg = { s + namelen, len - namelen } ;
  for (unsigned int i = 0 ; i < sizeof mechs / sizeof mechs[0] ; i++)
  {
    if (!span_ieq(s, namelen, mechs[i].name)) continue ;
    t->kind = mechs[i].kind ;
    t->cidr4 = 32 ;
    t->cidr6 = 128 ;
    if (mechs[i].arg == 0) return arg.len ? -1 : 0 ;
    if (mechs[i].arg == 4)
    {
      if (!arg.len || arg.p[0] != ':') return -1 ;
      arg.p++ ;
      arg.len-- ;
      return ip_term(t, arg) ;
    }
    if (mechs[i].arg == 1 && dual_cidr(t, arg, 1, 1) == -1) return -1 ;
    if (mechs[i].arg == 1) arg = t->domain ;
    t->domain.len = 0 ;
    if (!arg.len) return mechs[i].arg == 2 ? -1 : 0 ;
    if (arg.p[0] != ':') return -1 ;
    t->domain = (struct span){ arg.p + 1, arg.len - 1 } ;
    return spf_domainspec_valid(t->domain) ? 0 : -1 ;
  }
  return -1 ;
}

static int modifier (struct spf_record *r, struct spf_term *t, char const *s, size_t len, size_t namelen)
{
  t->domain = (struct span){ s + namelen + 1, len - namelen - 1 } ;
  if (span_ieq(s, namelen, "redirect") || span_ieq(s, namelen, "exp"))
  {
    int *slot = (lc(s[0]) == 'r') ? &r->redirect : &r->exp ;
    if (*slot != -1) return -1 ;   /* RFC 7208 6: at most once each */
    *slot = (int)r->n ;
    t->kind = (slot == &r->redirect) ? SPF_T_REDIRECT : SPF_T_EXP ;
    return spf_domainspec_valid(t->domain) ? 0 : -1 ;
  }
  t->kind = SPF_T_UNKNOWN_MOD ;
  {
    int e ;
    return macrostring_valid(t->domain, 0, &e) ? 0 : -1 ;
  }
}

static int term (struct spf_record *r, char const *s, size_t len)
{
  struct spf_term *t = &r->t[r->n] ;
  size_t i = 0 ;
  memset(t, 0, sizeof *t) ;
  t->text = (struct span){ s, len } ;
  t->qual = '+' ;
  if (memchr("+-~?", s[0], 4))
  {
    t->qual = s[0] ;
    i = 1 ;
  }
  if (i >= len || !isalpha_((unsigned char)s[i])) return -1 ;
  {
    size_t n = i + 1 ;
    while (n < len && (isalpha_((unsigned char)s[n]) || isdigit_((unsigned char)s[n]) || s[n] == '-' || s[n] == '_' || s[n] == '.')) n++ ;
    if (n < len && s[n] == '=')
    {
      if (i) return -1 ;   /* a qualifier on a modifier */
      return modifier(r, t, s, len, n) ;
    }
    return mechanism(t, s + i, len - i, n - i) ;
  }
}

int spf_record_parse (char const *s, size_t len, struct spf_record *r)
{
  size_t i = 6 ;
  r->n = 0 ;
  r->redirect = -1 ;
  r->exp = -1 ;
  if (!spf_record_is(s, len)) return -1 ;
  while (i < len)
  {
    size_t j ;
    if (s[i] == ' ')
    {
      i++ ;
      continue ;
    }
    j = i ;
    while (j < len && s[j] != ' ') j++ ;
    if (r->n >= SPF_TERMS_MAX) return -1 ;
    if (term(r, s + i, j - i) == -1) return -1 ;
    r->n++ ;
    i = j ;
  }
  return 0 ;
}
