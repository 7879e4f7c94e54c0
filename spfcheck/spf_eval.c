/* spf_eval.c: check_host() (RFC 7208 4, 5, 6). libc only; DNS through
   spf_dns_query(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include "spfcheck/spfcheck.h"

#define SPF_EXPAND_MAX 2048   /* room for a target before it is cut to 253 bytes */

/* What the macros see that does not change during a check. */
struct ev {
  struct spf_check *c ;
  struct span s, l, o, d ;
  char sbuf[SPF_SENDER_MAX + 16] ;
  char ibuf[72], cbuf[48], tbuf[24] ;
  char pbuf[SPF_DOMAIN_MAX + 1] ;
} ;

static enum spf_result check_host (struct ev *e, char const *dom, size_t len) ;

char const *spf_result_name (enum spf_result r)
{
  static char const *const names[] = { "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" } ;
  return (unsigned)r < 7 ? names[r] : "temperror" ;
}

static enum spf_result why (struct spf_check *c, enum spf_result r, char const *s)
{
  snprintf(c->why, sizeof c->why, "%s", s) ;
  return r ;
}

static void set_mech (struct spf_check *c, struct span t)
{
  c->mechlen = t.len < SPF_MECH_MAX ? t.len : SPF_MECH_MAX ;
  memcpy(c->mech, t.p, c->mechlen) ;
}

static int ieq (char const *a, char const *b, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    int x = (unsigned char)a[i], y = (unsigned char)b[i] ;
    if (x >= 'A' && x <= 'Z') x += 32 ;
    if (y >= 'A' && y <= 'Z') y += 32 ;
    if (x != y) return 0 ;
  }
  return 1 ;
}

/* Is name (len) equal to dom or a subdomain of it? (RFC 7208 5.5) */
static int under (char const *name, size_t len, char const *dom, size_t dlen)
{
  if (len && name[len - 1] == '.') len-- ;
  if (dlen && dom[dlen - 1] == '.') dlen-- ;
  if (len == dlen) return ieq(name, dom, len) ;
  return len > dlen && name[len - dlen - 1] == '.' && ieq(name + len - dlen, dom, dlen) ;
}

/* Does name have an address record equal to the client's (within cidr)?
   1 yes, 0 no, -1 DNS error. */
static int addr_match (struct ev *e, char const *name, size_t len, unsigned int cidr4, unsigned int cidr6)
{
  struct spf_check *c = e->c ;
  struct spf_answer const *a = spf_dns_query(c->dns, name, len, c->ipv4 ? SPF_QT_A : SPF_QT_AAAA) ;
  if (a->status == SPF_DNS_ERROR || a->status == SPF_DNS_TIMEOUT) return -1 ;
  for (unsigned int i = 0 ; i < a->n ; i++)
    if (a->rr[i].len == (c->ipv4 ? 4u : 16u) && spf_ip_match((unsigned char const *)a->rr[i].p, c->ip, c->ipv4 ? cidr4 : cidr6))
      return 1 ;
  return 0 ;
}

/* The "p" macro (RFC 7208 7.3): a validated name of the client, preferably
   under the current domain, else "unknown". */
static int p_value (void *ctx, struct span *out)
{
  struct ev *e = ctx ;
  char rev[80] ;
  size_t rlen = spf_ip_revname(e->c, rev) ;
  struct spf_answer const *a = spf_dns_query(e->c->dns, rev, rlen, SPF_QT_PTR) ;
  struct span best = SPAN_STR("unknown") ;
  int found = 0 ;
  for (unsigned int i = 0 ; i < a->n && i < SPF_PTR_MAX ; i++)
    spf_dns_prefetch(e->c->dns, a->rr[i].p, a->rr[i].len, e->c->ipv4 ? SPF_QT_A : SPF_QT_AAAA) ;
  for (unsigned int i = 0 ; i < a->n && i < SPF_PTR_MAX ; i++)
  {
    struct span n = a->rr[i] ;
    if (addr_match(e, n.p, n.len, 32, 128) != 1) continue ;
    if (under(n.p, n.len, e->d.p, e->d.len))
    {
      best = n ;
      break ;
    }
    if (!found)
    {
      best = n ;
      found = 1 ;
    }
  }
  if (best.len && best.p[best.len - 1] == '.') best.len-- ;
  if (best.len > SPF_DOMAIN_MAX) best.len = SPF_DOMAIN_MAX ;
  memcpy(e->pbuf, best.p, best.len) ;
  *out = (struct span){ e->pbuf, best.len } ;
  return 0 ;
}

static void env_of (struct ev *e, struct spf_macro_env *m, int exp)
{
  struct spf_check *c = e->c ;
  memset(m, 0, sizeof *m) ;
  m->s = e->s ;
  m->l = e->l ;
  m->o = e->o ;
  m->d = e->d ;
  m->h = c->helo ;
  m->i = (struct span){ e->ibuf, strlen(e->ibuf) } ;
  m->c = (struct span){ e->cbuf, strlen(e->cbuf) } ;
  m->v = c->ipv4 ? SPAN_STR("in-addr") : SPAN_STR("ip6") ;
  m->r = c->me.len ? c->me : SPAN_STR("unknown") ;
  m->t = (struct span){ e->tbuf, strlen(e->tbuf) } ;
  m->p = &p_value ;
  m->ctx = e ;
  m->exp = exp ;
}

/* Expands a target domain-spec (or takes the current domain) into out.
   Returns its length; 0 if it is not a usable name; -1 permerror. */
static int target (struct ev *e, struct span spec, char *out)
{
  struct spf_macro_env m ;
  int n, cut = 0 ;
  size_t start ;
  if (!spec.len)
  {
    memcpy(out, e->d.p, e->d.len) ;
    return (int)e->d.len ;
  }
  env_of(e, &m, 0) ;
  n = spf_macro_expand(spec, &m, out, SPF_EXPAND_MAX, &cut) ;
  if (n < 0) return -1 ;
  if (cut) return 0 ;
  start = spf_domain_trim(out, (size_t)n) ;
  memmove(out, out + start, (size_t)n - start) ;
  n -= (int)start ;
  return spf_domain_ok(out, (size_t)n) ? n : 0 ;
}

/* exp= (RFC 7208 6.2): any problem means no explanation. */
static void explain (struct ev *e, struct span spec)
{
  struct spf_check *c = e->c ;
  struct spf_macro_env m ;
  struct spf_answer const *a ;
  char dom[SPF_EXPAND_MAX] ;
  int n = target(e, spec, dom), cut ;
  if (n <= 0) return ;
  a = spf_dns_query(c->dns, dom, (size_t)n, SPF_QT_TXT) ;
  if (a->status != SPF_DNS_OK || a->n != 1 || !spf_explain_valid(a->rr[0])) return ;
  env_of(e, &m, 1) ;
  n = spf_macro_expand(a->rr[0], &m, c->exp, sizeof c->exp, &cut) ;
  c->explen = n > 0 ? (size_t)n : 0 ;
}

static int count_lookup (struct spf_check *c)
{
  return ++c->lookups > SPF_LOOKUPS_MAX ? -1 : 0 ;
}

/* A void lookup (RFC 7208 4.6.4): -1 once over the limit. */
static int count_void (struct spf_check *c, struct spf_answer const *a)
{
  if (a->status != SPF_DNS_NXDOMAIN && a->status != SPF_DNS_NODATA) return 0 ;
  return ++c->voids > SPF_VOIDS_MAX ? -1 : 0 ;
}

#define MATCH 1
#define NOMATCH 0
#define TEMP -2
#define PERM -3

static int perm (struct spf_check *c, char const *s)
{
  why(c, SPF_PERMERROR, s) ;
  return PERM ;
}

static int mech_mx (struct ev *e, struct spf_term const *t, char const *dom, size_t len)
{
  struct spf_answer const *a = spf_dns_query(e->c->dns, dom, len, SPF_QT_MX) ;
  if (a->status == SPF_DNS_ERROR || a->status == SPF_DNS_TIMEOUT) return TEMP ;
  if (count_void(e->c, a) == -1) return perm(e->c, "too many void lookups") ;
  if (a->n > SPF_MX_MAX) return perm(e->c, "too many MX records") ;
  for (unsigned int i = 0 ; i < a->n ; i++)   /* the MX hosts' addresses, all at once */
    spf_dns_prefetch(e->c->dns, a->rr[i].p, a->rr[i].len, e->c->ipv4 ? SPF_QT_A : SPF_QT_AAAA) ;
  for (unsigned int i = 0 ; i < a->n ; i++)
  {
    int r = addr_match(e, a->rr[i].p, a->rr[i].len, t->cidr4, t->cidr6) ;
    if (r) return r == 1 ? MATCH : TEMP ;
  }
  return NOMATCH ;
}

static int mech_ptr (struct ev *e, char const *dom, size_t len)
{
  char rev[80] ;
  size_t rlen = spf_ip_revname(e->c, rev) ;
  struct spf_answer const *a = spf_dns_query(e->c->dns, rev, rlen, SPF_QT_PTR) ;
  if (count_void(e->c, a) == -1) return perm(e->c, "too many void lookups") ;
  for (unsigned int i = 0 ; i < a->n && i < SPF_PTR_MAX ; i++)
    if (under(a->rr[i].p, a->rr[i].len, dom, len))
      spf_dns_prefetch(e->c->dns, a->rr[i].p, a->rr[i].len, e->c->ipv4 ? SPF_QT_A : SPF_QT_AAAA) ;
  for (unsigned int i = 0 ; i < a->n && i < SPF_PTR_MAX ; i++)   /* RFC 7208 5.5: errors skip */
    if (under(a->rr[i].p, a->rr[i].len, dom, len) && addr_match(e, a->rr[i].p, a->rr[i].len, 32, 128) == 1)
      return MATCH ;
  return NOMATCH ;
}

static int mech_dns (struct ev *e, struct spf_term const *t)
{
  struct spf_check *c = e->c ;
  struct spf_answer const *a ;
  char dom[SPF_EXPAND_MAX] ;
  int n ;
  if (count_lookup(c) == -1) return perm(c, "more than 10 DNS lookups") ;
  n = target(e, t->domain, dom) ;
  if (n < 0) return perm(c, "macro error") ;
  if (t->kind == SPF_T_INCLUDE)
  {
    enum spf_result r ;
    if (!n) return perm(c, "include of an invalid domain") ;
    c->depth++ ;
    r = check_host(e, dom, (size_t)n) ;
    c->depth-- ;
    c->explen = 0 ;   /* RFC 7208 6.2: an included exp is never used */
    if (r == SPF_PASS) return MATCH ;
    if (r == SPF_TEMPERROR) return TEMP ;
    if (r == SPF_PERMERROR || r == SPF_NONE) return perm(c, "include found no valid record") ;
    return NOMATCH ;
  }
  if (!n) return NOMATCH ;   /* RFC 7208 4.8/5: no query can be made for it */
  switch (t->kind)
  {
    case SPF_T_MX : return mech_mx(e, t, dom, (size_t)n) ;
    case SPF_T_PTR : return mech_ptr(e, dom, (size_t)n) ;
    case SPF_T_EXISTS :
      a = spf_dns_query(c->dns, dom, (size_t)n, SPF_QT_A) ;
      break ;
    default : a = spf_dns_query(c->dns, dom, (size_t)n, c->ipv4 ? SPF_QT_A : SPF_QT_AAAA) ;
  }
  if (a->status == SPF_DNS_ERROR || a->status == SPF_DNS_TIMEOUT) return TEMP ;
  if (count_void(c, a) == -1) return perm(c, "too many void lookups") ;
  if (t->kind == SPF_T_EXISTS) return a->n ? MATCH : NOMATCH ;
  for (unsigned int i = 0 ; i < a->n ; i++)
    if (a->rr[i].len == (c->ipv4 ? 4u : 16u) && spf_ip_match((unsigned char const *)a->rr[i].p, c->ip, c->ipv4 ? t->cidr4 : t->cidr6))
      return MATCH ;
  return NOMATCH ;
}

static int mechanism (struct ev *e, struct spf_term const *t)
{
  struct spf_check *c = e->c ;
  switch (t->kind)
  {
    case SPF_T_ALL : return MATCH ;
    case SPF_T_IP4 : return c->ipv4 && spf_ip_match(t->ip, c->ip, t->cidr4) ;
    case SPF_T_IP6 : return !c->ipv4 && spf_ip_match(t->ip, c->ip, t->cidr6) ;
    case SPF_T_INCLUDE : case SPF_T_A : case SPF_T_MX : case SPF_T_PTR : case SPF_T_EXISTS :
      return mech_dns(e, t) ;
  }
  return NOMATCH ;
}

static enum spf_result qualified (char q)
{
  switch (q)
  {
    case '-' : return SPF_FAIL ;
    case '~' : return SPF_SOFTFAIL ;
    case '?' : return SPF_NEUTRAL ;
  }
  return SPF_PASS ;
}

/* The one SPF record of dom (RFC 7208 4.4, 4.5): 1 found, else the result. */
static int find_record (struct spf_check *c, char const *dom, size_t len, struct span *rec, enum spf_result *res)
{
  struct spf_answer const *a = spf_dns_query(c->dns, dom, len, SPF_QT_TXT) ;
  unsigned int found = 0 ;
  if (a->status == SPF_DNS_ERROR || a->status == SPF_DNS_TIMEOUT)
    return *res = why(c, SPF_TEMPERROR, a->status == SPF_DNS_TIMEOUT ? "DNS timeout" : "DNS error"), 0 ;
  for (unsigned int i = 0 ; i < a->n ; i++)
    if (spf_record_is(a->rr[i].p, a->rr[i].len))
    {
      *rec = a->rr[i] ;
      found++ ;
    }
  if (found > 1) return *res = why(c, SPF_PERMERROR, "more than one SPF record"), 0 ;
  if (!found) return *res = why(c, SPF_NONE, "no SPF record"), 0 ;
  return 1 ;
}

/* Sends the record's first-level queries at once: evaluation still goes
   left to right and counts lookups as RFC 7208 4.6.4 says; only the
   waiting overlaps. Targets with macros wait for their turn. */
static void prefetch (struct ev *e, struct spf_record const *r)
{
  struct spf_check *c = e->c ;
  for (unsigned int i = 0 ; i < r->n ; i++)
  {
    struct spf_term const *t = &r->t[i] ;
    struct span dom = t->domain.len ? t->domain : e->d ;
    unsigned int qt ;
    switch (t->kind)
    {
      case SPF_T_INCLUDE :
      case SPF_T_REDIRECT :
        qt = SPF_QT_TXT ;
        break ;
      case SPF_T_A :
        qt = c->ipv4 ? SPF_QT_A : SPF_QT_AAAA ;
        break ;
      case SPF_T_MX :
        qt = SPF_QT_MX ;
        break ;
      case SPF_T_EXISTS :
        qt = SPF_QT_A ;
        break ;
      default : continue ;
    }
    if (memchr(dom.p, '%', dom.len)) continue ;
    spf_dns_prefetch(c->dns, dom.p, dom.len, qt) ;
  }
}

static enum spf_result eval (struct ev *e, struct spf_record const *r)
{
  struct spf_check *c = e->c ;
  for (unsigned int i = 0 ; i < r->n ; i++)
  {
    struct spf_term const *t = &r->t[i] ;
    int m ;
    if (t->kind >= SPF_T_REDIRECT) continue ;
    m = mechanism(e, t) ;
    if (m == TEMP)
    {
      set_mech(c, t->text) ;
      return SPF_TEMPERROR ;
    }
    if (m == PERM)
    {
      set_mech(c, t->text) ;
      return SPF_PERMERROR ;
    }
    if (m == MATCH)
    {
      enum spf_result res = qualified(t->qual) ;
      set_mech(c, t->text) ;
      if (res == SPF_FAIL && r->exp >= 0) explain(e, r->t[r->exp].domain) ;
      return res ;
    }
  }
  if (r->redirect >= 0)
  {
    char dom[SPF_EXPAND_MAX] ;
    enum spf_result res ;
    int n ;
    if (count_lookup(c) == -1) return why(c, SPF_PERMERROR, "more than 10 DNS lookups") ;
    n = target(e, r->t[r->redirect].domain, dom) ;
    if (n <= 0) return why(c, SPF_PERMERROR, "redirect to an invalid domain") ;
    c->depth++ ;
    res = check_host(e, dom, (size_t)n) ;
    c->depth-- ;
    return res == SPF_NONE ? why(c, SPF_PERMERROR, "redirect found no record") : res ;
  }
  memcpy(c->mech, "default", 7) ;
  c->mechlen = 7 ;
  return SPF_NEUTRAL ;
}

static enum spf_result check_host (struct ev *e, char const *dom, size_t len)
{
  struct spf_check *c = e->c ;
  struct spf_record *r ;
  struct span rec = { 0, 0 }, saved = e->d ;
  enum spf_result res ;
  char dbuf[SPF_DOMAIN_MAX + 1] ;
  if (!spf_domain_ok(dom, len)) return why(c, SPF_NONE, "not a valid domain") ;
  if (!find_record(c, dom, len, &rec, &res)) return res ;
  r = malloc(sizeof *r) ;
  if (!r) return why(c, SPF_TEMPERROR, "out of memory") ;
  if (spf_record_parse(rec.p, rec.len, r) == -1)
  {
    free(r) ;
    return why(c, SPF_PERMERROR, "syntax error in record") ;
  }
  memcpy(dbuf, dom, len) ;
  e->d = (struct span){ dbuf, len } ;
  if (!c->depth)
  {
    memcpy(c->domain, dom, len) ;
    c->domainlen = len ;
  }
  prefetch(e, r) ;
  res = eval(e, r) ;
  e->d = saved ;
  free(r) ;
  return res ;
}

enum spf_result spf_check_run (struct spf_check *c)
{
  struct ev *e = calloc(1, sizeof *e) ;
  struct span local = SPAN_STR("postmaster"), dom = c->helo ;
  c->lookups = c->voids = c->depth = 0 ;
  c->explen = c->mechlen = c->domainlen = 0 ;
  c->why[0] = 0 ;
  if (!e) return c->result = why(c, SPF_TEMPERROR, "out of memory") ;
  e->c = c ;
  if (c->sender.len)
  {
    char const *at = memrchr(c->sender.p, '@', c->sender.len) ;
    if (at)
    {
      size_t l = (size_t)(at - c->sender.p) ;
      if (l) local = (struct span){ c->sender.p, l } ;
      dom = (struct span){ at + 1, c->sender.len - l - 1 } ;
    }
    else dom = c->sender ;
  }
  if (local.len + dom.len + 1 > SPF_SENDER_MAX || dom.len > SPF_DOMAIN_MAX)
  {
    free(e) ;
    return c->result = why(c, SPF_NONE, "not a valid domain") ;
  }
  memcpy(e->sbuf, local.p, local.len) ;
  e->sbuf[local.len] = '@' ;
  memcpy(e->sbuf + local.len + 1, dom.p, dom.len) ;
  e->s = (struct span){ e->sbuf, local.len + 1 + dom.len } ;
  e->l = (struct span){ e->sbuf, local.len } ;
  e->o = (struct span){ e->sbuf + local.len + 1, dom.len } ;
  e->d = e->o ;
  spf_ip_texts(c, e->ibuf, sizeof e->ibuf, e->cbuf, sizeof e->cbuf) ;
  snprintf(e->tbuf, sizeof e->tbuf, "%lld", (long long)time(0)) ;
  c->result = check_host(e, e->o.p, e->o.len) ;
  if (c->result != SPF_FAIL) c->explen = 0 ;
  free(e) ;
  return c->result ;
}
