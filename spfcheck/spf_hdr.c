/* spf_hdr.c: the header lines spfcheck adds (Received-SPF, RFC 7208 9.1;
   Authentication-Results, RFC 8601), folded (lib/fold: every line at most
   78 bytes where it can be, never more than 998), and the Received header
   it reads for a trusted relay's previous hop. libc only. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "lib/fold.h"
#include "spfcheck/spfcheck.h"

void spf_safe (char const *s, size_t len, char *out, size_t max)
{
  size_t n = 0 ;
  if (!max) return ;
  for (size_t i = 0 ; i < len && n + 1 < max ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    out[n++] = (c < 33 || c > 126) ? '?' : (char)c ;
  }
  out[n] = 0 ;
}

/* Like spf_safe, but also without the bytes that would end a quoted
   string or a comment in a header field (RFC 5322 3.2). */
static void hdr_safe (char const *s, size_t len, char *out, size_t max)
{
  spf_safe(s, len, out, max) ;
  for (char *p = out ; *p ; p++) if (*p == '"' || *p == '\\' || *p == '(' || *p == ')' || *p == ';') *p = '?' ;
}

/* The comment's free text (c->why): spaces kept, as places to fold;
   anything that could end the comment or the line is '?'. */
static void text_safe (char const *s, char *out, size_t max)
{
  size_t n = 0 ;
  for ( ; *s && n + 1 < max ; s++)
  {
    unsigned char ch = (unsigned char)*s ;
    out[n++] = ch == ' ' ? ' ' : (ch < 33 || ch > 126 || ch == '(' || ch == ')' || ch == '\\') ? '?' : (char)ch ;
  }
  out[n] = 0 ;
}

/* RFC 7208 9.1's comment: who says what about whom. */
static void comment (struct spf_check const *c, char const *word, char const *ip, char const *id, char *out, size_t max)
{
  char who[SPF_DOMAIN_MAX + 1] ;
  char why[sizeof c->why] ;
  hdr_safe(c->domain, c->domainlen, who, sizeof who) ;
  text_safe(c->why[0] ? c->why : word, why, sizeof why) ;
  if (!strcmp(word, "pass"))
    snprintf(out, max, "domain of %s designates %s as permitted sender", who, ip) ;
  else if (!strcmp(word, "fail") || !strcmp(word, "softfail"))
    snprintf(out, max, "domain of %s does not designate %s as permitted sender", who, ip) ;
  else if (!strcmp(word, "neutral"))
    snprintf(out, max, "%s is neither permitted nor denied by domain of %s", ip, who) ;
  else
    snprintf(out, max, "%s: %s", id, why) ;
}

/* Each space-separated word of s, as a place to fold before it. */
static void words (struct mx_fold *f, char const *s)
{
  while (*s)
  {
    char const *sp = strchr(s, ' ') ;
    size_t n = sp ? (size_t)(sp - s) : strlen(s) ;
    if (n) mx_fold_word(f, s, n) ;
    s += n ;
    if (*s) s++ ;
  }
}

static void fword (struct mx_fold *f, char const *s)
{
  mx_fold_word(f, s, strlen(s)) ;
}

/* "key=value" or "key=\"value\"", then ";" unless last: one word */
static void kv (struct mx_fold *f, char const *key, char const *val, int quoted, int last)
{
  char b[SPF_HDR_WORD_MAX] ;
  snprintf(b, sizeof b, quoted ? "%s=\"%s\"%s" : "%s=%s%s", key, val, last ? "" : ";") ;
  fword(f, b) ;
}

size_t spf_hdr_make (struct spf_check const *c, char const *resultword, char const *identity,
                     char const *relaynote, char *out, size_t max)
{
  char ip[48], helo[256], from[SPF_HDR_SENDER_MAX + 1], me[256], mech[SPF_MECH_MAX + 1], com[512], b[SPF_HDR_WORD_MAX] ;
  struct mx_fold f ;
  size_t n ;
  size_t m ;
  spf_safe(c->me.p, c->me.len, me, sizeof me) ;
  hdr_safe(c->helo.p, c->helo.len, helo, sizeof helo) ;
  hdr_safe(c->sender.p, c->sender.len, from, sizeof from) ;
  hdr_safe(c->mech, c->mechlen, mech, sizeof mech) ;
  if (!inet_ntop(c->ipv4 ? AF_INET : AF_INET6, c->ip, ip, sizeof ip)) memcpy(ip, "unknown", 8) ;
  comment(c, resultword, ip, identity, com, sizeof com) ;
  /* RFC 7208 9.1: FWS may come before the comment, inside it between
     words, and after each ";" of the key-value list */
  mx_fold_start(&f, out, max, "Received-SPF:") ;
  fword(&f, resultword) ;
  snprintf(b, sizeof b, "(%s:", me) ;
  fword(&f, b) ;
  if (relaynote)
  {
    snprintf(b, sizeof b, "%s; %s)", relaynote, com) ;
    words(&f, b) ;
  }
  else
  {
    snprintf(b, sizeof b, "%s)", com) ;
    words(&f, b) ;
  }
  kv(&f, "client-ip", ip, 0, 0) ;
  kv(&f, "envelope-from", from, 1, 0) ;
  kv(&f, "helo", helo, 1, 0) ;
  kv(&f, "receiver", me, 0, 0) ;
  kv(&f, "identity", identity, 0, !mech[0]) ;
  if (mech[0]) kv(&f, "mechanism", mech, 1, 1) ;
  n = mx_fold_end(&f) ;
  if (!n) return 0 ;
  /* RFC 8601 2.2: CFWS between the authserv-id, the method and each property */
  mx_fold_start(&f, out + n, max - n, "Authentication-Results:") ;
  snprintf(b, sizeof b, "%s;", me) ;
  fword(&f, b) ;
  snprintf(b, sizeof b, "spf=%s", resultword) ;
  fword(&f, b) ;
  if (relaynote) fword(&f, "reason=\"trusted relay\"") ;
  snprintf(b, sizeof b, "smtp.%s", identity) ;
  kv(&f, b, !strcmp(identity, "helo") ? helo : (from[0] ? from : "<>"), 0, 1) ;
  m = mx_fold_end(&f) ;
  return m ? n + m : 0 ;
}

size_t spf_hdr_end (char const *buf, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    if (buf[i] != '\n') continue ;
    if (i + 1 < len && buf[i + 1] == '\n') return i + 2 ;
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3 ;
  }
  return 0 ;
}

static int is_received (char const *h, size_t len)
{
  static char const r[] = "received:" ;
  if (len < 9) return 0 ;
  for (size_t i = 0 ; i < 9 ; i++) if ((h[i] | 0x20) != r[i] && h[i] != r[i]) return 0 ;
  return 1 ;
}

/* Copies the word (up to a space or bracket) at s into out. */
static size_t word (char const *s, size_t len, char *out, size_t max)
{
  size_t n = 0 ;
  while (n < len && s[n] > 32 && s[n] < 127 && s[n] != '(' && s[n] != ')' && s[n] != ';')
  {
    if (n + 1 >= max) return 0 ;
    out[n] = s[n] ;
    n++ ;
  }
  out[n] = 0 ;
  return n ;
}

/* Reads "from HELO (... [IP]) by ..." in one unfolded Received field value. */
static int hop_of (char const *v, size_t len, char *ip, size_t ipmax, char *helo, size_t helomax)
{
  size_t i = 0, byat = len ;
  char const *lb, *rb ;
  while (i < len && (v[i] == ' ' || v[i] == '\t')) i++ ;
  if (len - i < 5 || memcmp(v + i, "from", 4) || (v[i + 4] != ' ' && v[i + 4] != '\t')) return 0 ;
  i += 5 ;
  while (i < len && (v[i] == ' ' || v[i] == '\t')) i++ ;
  if (!word(v + i, len - i, helo, helomax)) return 0 ;
  for (size_t k = i ; k + 4 <= len ; k++)
    if ((v[k] == ' ' || v[k] == '\t') && !memcmp(v + k + 1, "by", 2) && (v[k + 3] == ' ' || v[k + 3] == '\t'))
    {
      byat = k ;
      break ;
    }
  lb = memchr(v + i, '[', byat - i) ;
  if (!lb) return 0 ;
  rb = memchr(lb, ']', byat - (size_t)(lb - v)) ;
  if (!rb) return 0 ;
  lb++ ;
  if (rb - lb > 5 && !memcmp(lb, "IPv6:", 5)) lb += 5 ;
  if ((size_t)(rb - lb) + 1 > ipmax || rb == lb) return 0 ;
  memcpy(ip, lb, (size_t)(rb - lb)) ;
  ip[rb - lb] = 0 ;
  if (helo[0] == '[') helo[0] = 0 ;   /* an address literal is no HELO domain */
  return 1 ;
}

int spf_hdr_hop (char const *h, size_t len, char *ip, size_t ipmax, char *helo, size_t helomax)
{
  unsigned int seen = 0 ;
  size_t i = 0 ;
  while (i < len)
  {
    size_t end = i ;
    char v[2048] ;
    size_t vn = 0 ;
    /* a field: its first line and every continuation line (RFC 5322 2.2.3) */
    for (;;)
    {
      char const *nl = memchr(h + end, '\n', len - end) ;
      end = nl ? (size_t)(nl - h) + 1 : len ;
      if (end >= len || (h[end] != ' ' && h[end] != '\t')) break ;
    }
    if (end - i <= 2) break ;   /* the empty line */
    if (is_received(h + i, end - i) && ++seen == 2)
    {
      for (size_t k = i + 9 ; k < end && vn < sizeof v ; k++)
        v[vn++] = (h[k] == '\r' || h[k] == '\n') ? ' ' : h[k] ;
      return hop_of(v, vn, ip, ipmax, helo, helomax) ;
    }
    i = end ;
  }
  return 0 ;
}
