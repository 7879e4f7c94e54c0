/* conf_build.c: check the config directory's text files and build the
   config.cdb image. Formats in conf/conf.md. libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/u64.h"
#include "conf/conf_build.h"
#include "conf/conf_value.h"

#define VAL_MAX (2 * CONF_LINE_MAX_BYTES)  /* canonical values may grow: "20M" -> "20971520" */

static char const *const file_names[CONF_F_N] = { "me", "queue", "domains", "limits", "clients", "spf", "aliases", "rcptcache", "proxies", "redis" } ;
static char const *const spf_actions[] = { "accept", "mark", "reject", "defer", 0 } ;

char const *conf_build_filename (enum conf_file f)
{
  return file_names[f] ;
}

/* ---- errors ---- */

/* Reports an error: why, then optionally ": " and the offending word with
   bytes outside 33..126 shown as '?'. Returns 0, a line's result after an
   error (checking goes on). */
static int fail (struct conf_build *b, char const *file, unsigned long line, char const *why, struct span const *what) ;
int conf_build_fail (struct conf_build *b, char const *file, unsigned long line, char const *why, struct span const *what)
{
  return fail(b, file, line, why, what) ;
}

static int fail (struct conf_build *b, char const *file, unsigned long line, char const *why, struct span const *what)
{
  struct conf_obuf o = { b->msg, 0, sizeof b->msg - 1, 0 } ;
  conf_obuf_puts(&o, why) ;
  if (what)
  {
    size_t n = what->len > 64 ? 64 : what->len ;
    size_t i ;
    conf_obuf_puts(&o, ": ") ;
    for (i = 0 ; i < n ; i++)
    {
      char ch = what->p[i] ;
      conf_obuf_put(&o, (unsigned char)ch >= 33 && (unsigned char)ch <= 126 ? &ch : "?", 1) ;
    }
    if (n < what->len) conf_obuf_puts(&o, "...") ;
  }
  b->msg[o.len] = 0 ;
  b->nerr++ ;
  if (b->err) b->err(b->ctx, file, line, b->msg) ;
  return 0 ;
}

/* ---- duplicate detection over the keys already in the cdb image ---- */

static int set_grow (struct conf_build *b)
{
  size_t nc = b->setcap ? b->setcap * 2 : 4096 ;
  size_t i ;
  struct conf_build_key *n = calloc(nc, sizeof *n) ;
  if (!n) return -1 ;
  for (i = 0 ; i < b->setcap ; i++)
    if (b->set[i].pos)
    {
      size_t s = b->set[i].h % nc ;
      while (n[s].pos) if (++s == nc) s = 0 ;
      n[s] = b->set[i] ;
    }
  free(b->set) ;
  b->set = n ;
  b->setcap = nc ;
  return 0 ;
}

/* Adds key -> val unless key is there already: 1 added, 0 duplicate
   (*first = its line), -1 + errno. */
static int add_unique (struct conf_build *b, char const *k, size_t kl, char const *v, size_t vl, unsigned long line, unsigned long *first)
{
  uint32_t h = conf_cdb_hash(k, kl) ;
  size_t s ;
  if (b->setn * 2 >= b->setcap && set_grow(b) == -1) return -1 ;
  for (s = h % b->setcap ; b->set[s].pos ; s = s + 1 == b->setcap ? 0 : s + 1)
  {
    char const *r = b->w.buf + b->set[s].pos ;
    if (b->set[s].h == h && (size_t)(unsigned char)r[0] + ((size_t)(unsigned char)r[1] << 8)
        + ((size_t)(unsigned char)r[2] << 16) + ((size_t)(unsigned char)r[3] << 24) == kl
     && !memcmp(r + 8, k, kl))
    {
      *first = b->set[s].line ;
      return 0 ;
    }
  }
  b->set[s].h = h ;
  b->set[s].pos = (uint32_t)b->w.len ;
  b->set[s].line = line ;
  b->setn++ ;
  return conf_cdbw_add(&b->w, k, kl, v, vl) == -1 ? -1 : 1 ;
}

int conf_build_add (struct conf_build *b, char const *k, size_t kl, char const *v, size_t vl, unsigned long line, unsigned long *first)
{
  return add_unique(b, k, kl, v, vl, line, first) ;
}

/* The word options of a domains line (conf.md: tls=, tls_ca=,
   dane_fallback=), in the slots after the limits. */
enum { OPT_TLS = CONF_LIMIT_N, OPT_TRUSTED, OPT_TLS_CA, OPT_DANE_FALLBACK, OPT_RECIPIENTS, OPT_VERIFY_FAIL, OPT_N } ;

/* domain: a domains line, where recipients= is the recipient policy (the
   recipients limit is per client, not per domain) */
static unsigned int option_slot (struct span key, int domain)
{
  int i ;
  if (domain && conf_word_is(key, "recipients")) return OPT_RECIPIENTS ;
  if (conf_word_is(key, "verify_fail")) return OPT_VERIFY_FAIL ;
  i = conf_limit_index(key.p, key.len) ;
  if (i >= 0) return (unsigned int)i ;
  if (conf_word_is(key, "tls")) return OPT_TLS ;
  if (conf_word_is(key, "trusted")) return OPT_TRUSTED ;
  if (conf_word_is(key, "tls_ca")) return OPT_TLS_CA ;
  if (conf_word_is(key, "dane_fallback")) return OPT_DANE_FALLBACK ;
  return OPT_N ;
}

/* recipients= and verify_fail= (conf.md, Recipient validation) */
static char const *rcpt_option_check (unsigned int slot, struct span val)
{
  static char const *const fails[] = { "accept", "defer", 0 } ;
  unsigned int i ;
  if (slot == OPT_VERIFY_FAIL)
  {
    for (i = 0 ; fails[i] ; i++) if (conf_word_is(val, fails[i])) return 0 ;
    return "bad verify_fail value (want accept or defer)" ;
  }
  for (i = 0 ; conf_rcpt_policy_name(i) ; i++) if (conf_word_is(val, conf_rcpt_policy_name(i))) return 0 ;
  return val.len && val.p[0] >= '0' && val.p[0] <= '9'
    ? "recipients= on a domains line is the recipient policy (any, list, verify or learn); the recipients limit is set in limits or clients"
    : "bad recipients value (want any, list, verify or learn)" ;
}

/* The value of a domain's word option: 0 if good, else why. */
static char const *word_option_check (unsigned int slot, struct span val)
{
  static char const *const tls_words[] = { "none", "may", "require", "verify", "dane", 0 } ;
  static char const *const fallback_words[] = { "none", "may", "require", "verify", 0 } ;
  char path[CONF_PATH_MAX] ;
  size_t i ;
  if (slot == OPT_RECIPIENTS || slot == OPT_VERIFY_FAIL) return rcpt_option_check(slot, val) ;
  if (slot == OPT_TLS_CA)
  {
    if (!val.len || val.p[0] != '/') return "bad tls_ca (want an absolute path)" ;
    if (val.len >= sizeof path) return "bad tls_ca (path too long)" ;
    memcpy(path, val.p, val.len) ;
    path[val.len] = 0 ;
    if (access(path, R_OK) == -1) return "bad tls_ca (file not readable)" ;
    return 0 ;
  }
  for (i = 0 ; (slot == OPT_TLS ? tls_words : fallback_words)[i] ; i++)
    if (conf_word_is(val, (slot == OPT_TLS ? tls_words : fallback_words)[i])) return 0 ;
  return slot == OPT_TLS ? "bad tls value (want none, may, require, verify or dane)"
    : "bad dane_fallback value (want none, may, require or verify)" ;
}

/* key=value options of a domains (tls=, tls_ca=, dane_fallback=, limits)
   or clients (trusted, limits) line, canonicalised into o. 0, or a reason
   and *bad the word. */
static char const *options_check (struct conf_build *b, struct span const *w, size_t n, int domain, struct conf_obuf *o, struct span const **bad)
{
  unsigned char seen[OPT_N] = { 0 } ;
  size_t k ;
  for (k = 0 ; k < n ; k++)
  {
    char const *eq = memchr(w[k].p, '=', w[k].len) ;
    char const *why ;
    struct span key = { w[k].p, eq ? (size_t)(eq - w[k].p) : w[k].len } ;
    struct span val = { eq ? eq + 1 : 0, eq ? w[k].len - key.len - 1 : 0 } ;
    unsigned int slot = option_slot(key, domain) ;
    int word = slot == OPT_TLS || slot == OPT_TLS_CA || slot == OPT_DANE_FALLBACK || slot == OPT_RECIPIENTS || slot == OPT_VERIFY_FAIL ;
    uint64_t v ;
    uint64_t days ;
    *bad = &w[k] ;
    if (slot == OPT_N || (word && !(domain && eq)) || (slot == OPT_TRUSTED && (domain || eq)))
      return eq ? "unknown option" : domain ? "unknown option (want key=value)" : "unknown option (want key=value or trusted)" ;
    if (seen[slot]++) return "duplicate option" ;
    if (o->len) conf_obuf_put(o, " ", 1) ;
    if (slot == OPT_TRUSTED)
    {
      conf_obuf_puts(o, "trusted") ;
      continue ;
    }
    if (!eq) return "missing =value" ;
    if (word)
    {
      why = word_option_check(slot, val) ;
      if (why) return why ;
      conf_obuf_put(o, w[k].p, w[k].len) ;
      continue ;
    }
    why = conf_value_limit(b->vmsg, slot, val, &v, &days) ;
    if (why) return why ;
    conf_obuf_put(o, key.p, key.len) ;
    conf_obuf_put(o, "=", 1) ;
    conf_obuf_putu(o, v) ;
    if (days != UINT64_MAX)
    {
      if (seen[CONF_LIMIT_lifetime_days]++) return "duplicate option (lifetime Nd sets lifetime_days)" ;
      conf_obuf_puts(o, " lifetime_days=") ;
      conf_obuf_putu(o, days) ;
    }
  }
  *bad = 0 ;
  return 0 ;
}

/* ---- one line of each file ---- */

struct line
{
  struct conf_build *b ;
  char const *file ;
  unsigned long no ;
  struct span const *w ;
  size_t n ;
} ;

static int report_dup (struct line const *l, char const *what, unsigned long first)
{
  struct conf_obuf o = { l->b->msg, 0, sizeof l->b->msg - 1, 0 } ;
  char why[sizeof l->b->msg] ;
  conf_obuf_puts(&o, "duplicate ") ;
  conf_obuf_puts(&o, what) ;
  conf_obuf_puts(&o, " (first on line ") ;
  conf_obuf_putu(&o, first) ;
  conf_obuf_puts(&o, ")") ;
  memcpy(why, l->b->msg, o.len) ;
  why[o.len] = 0 ;
  return fail(l->b, l->file, l->no, why, &l->w[0]) ;
}

static int line_single (struct line const *l, enum conf_file f)
{
  char h[CONF_HOST_MAX + 1] ;
  size_t n ;
  unsigned long first ;
  int r ;
  if (l->n != 1) return fail(l->b, l->file, l->no, "want exactly one word on the line", 0) ;
  if (f == CONF_F_ME)
  {
    n = conf_host_norm(l->w[0].p, l->w[0].len, h) ;
    if (!n) return fail(l->b, l->file, l->no, "bad host name", &l->w[0]) ;
    r = add_unique(l->b, "me", 2, h, n, l->no, &first) ;
  }
  else r = add_unique(l->b, "queue", 5, l->w[0].p, l->w[0].len, l->no, &first) ;
  if (r == 0) return fail(l->b, l->file, l->no, "only one line allowed", 0) ;
  return r == -1 ? -1 : 0 ;
}

/* aliases: one other name or address of this relay a line. Each gets a
   key "a:" + its canonical text (duplicates are errors) and joins the
   "aliases" value that mxhold-remote reads for its loop check. */
static int line_alias (struct line const *l)
{
  char key[2 + CONF_HOST_MAX] = "a:" ;
  unsigned char ip[16] ;
  size_t n ;
  unsigned long first ;
  int r ;
  struct conf_build *b = l->b ;
  if (l->n != 1) return fail(b, l->file, l->no, "want exactly one word on the line", 0) ;
  if (conf_ip_parse(l->w[0].p, l->w[0].len, ip) && l->w[0].len <= CONF_HOST_MAX)
  {
    n = l->w[0].len ;
    memcpy(key + 2, l->w[0].p, n) ;
  }
  else if (!(n = conf_host_norm(l->w[0].p, l->w[0].len, key + 2)))
  {
    fail(b, l->file, l->no, "bad host name or address", &l->w[0]) ;
    return 0 ;
  }
  if (b->aliaseslen + 1 + n > sizeof b->aliases) return fail(b, l->file, l->no, "too many aliases (the file's entries exceed 4096 bytes)", 0) ;
  r = add_unique(b, key, 2 + n, "", 0, l->no, &first) ;
  if (r == -1) return -1 ;
  if (!r) return report_dup(l, "alias", first) ;
  if (b->aliaseslen) b->aliases[b->aliaseslen++] = ' ' ;
  memcpy(b->aliases + b->aliaseslen, key + 2, n) ;
  b->aliaseslen += n ;
  return 0 ;
}

/* recipients=: a list domain's file is read later; verify and learn
   probe the route, which must name the customer's server. */
static int domain_policy (struct line const *l, struct span val, char const *dom, size_t n)
{
  enum conf_rcpt_policy p = conf_rcpt_policy(val) ;
  struct span route = conf_route(val) ;
  if (p == CONF_RCPT_LIST) return conf_rcpt_domain(l->b, dom, n, l->no) ;
  if ((p == CONF_RCPT_VERIFY || p == CONF_RCPT_LEARN) && conf_word_is(route, "mx"))
    return fail(l->b, l->file, l->no, "recipients=verify and learn need a route to the customer's server, not mx", &l->w[1]) ;
  return 0 ;
}

static int line_domain (struct line const *l)
{
  char key[2 + CONF_HOST_MAX] = "d:" ;
  char val[VAL_MAX] ;
  struct conf_obuf o = { val, 0, sizeof val, 0 } ;
  struct span const *bad ;
  char const *why ;
  unsigned long first ;
  size_t n = conf_host_norm(l->w[0].p, l->w[0].len, key + 2) ;
  int r ;
  if (!n) return fail(l->b, l->file, l->no, "bad domain name", &l->w[0]) ;
  if (l->n < 2) return fail(l->b, l->file, l->no, "missing route", &l->w[0]) ;
  why = conf_value_route(l->w[1], &o) ;
  if (why) return fail(l->b, l->file, l->no, why, &l->w[1]) ;
  {
    struct conf_obuf opts = { val + o.len + 1, 0, sizeof val - o.len - 1, 0 } ;
    why = options_check(l->b, l->w + 2, l->n - 2, 1, &opts, &bad) ;
    if (why) return fail(l->b, l->file, l->no, why, bad) ;
    if (opts.len)
    {
      val[o.len] = ' ' ;
      o.len += 1 + opts.len ;
    }
    if (opts.over) o.over = 1 ;
  }
  if (o.over) return fail(l->b, l->file, l->no, "line too long once values are expanded", 0) ;
  r = add_unique(l->b, key, 2 + n, val, o.len, l->no, &first) ;
  if (r == 0) return report_dup(l, "domain", first) ;
  if (r == -1) return -1 ;
  l->b->ndomains++ ;
  return domain_policy(l, (struct span){ val, o.len }, key + 2, n) ;
}

static int line_client (struct line const *l)
{
  char key[4 + 16] ;
  char val[VAL_MAX] ;
  struct conf_obuf o = { val, 0, sizeof val, 0 } ;
  struct span const *bad ;
  char const *why ;
  unsigned long first ;
  unsigned int bits ;
  size_t klen ;
  int fam ;
  int r ;
  why = conf_value_client(l->w[0], key, &klen, &fam, &bits) ;
  if (why) return fail(l->b, l->file, l->no, why, &l->w[0]) ;
  if (l->n < 2) return fail(l->b, l->file, l->no, "nothing to set for this address", &l->w[0]) ;
  why = options_check(l->b, l->w + 1, l->n - 1, 0, &o, &bad) ;
  if (why) return fail(l->b, l->file, l->no, why, bad) ;
  if (o.over) return fail(l->b, l->file, l->no, "line too long once values are expanded", 0) ;
  r = add_unique(l->b, key, klen, val, o.len, l->no, &first) ;
  if (r == 0) return report_dup(l, "address prefix", first) ;
  if (r == 1)
  {
    if (fam == 4) l->b->lens4[bits] = 1 ;
    else l->b->lens6[bits] = 1 ;
    l->b->nclients++ ;
  }
  return r == -1 ? -1 : 0 ;
}

/* proxies: one trusted PROXY-protocol peer a line, ADDR[/LEN], as a key
   "p:" FAM LEN ADDR (the clients key shape) with an empty value. */
static int line_proxy (struct line const *l)
{
  char key[4 + 16] ;
  char const *why ;
  unsigned long first ;
  unsigned int bits ;
  size_t klen ;
  int fam ;
  int r ;
  if (l->n != 1) return fail(l->b, l->file, l->no, "want exactly one address or prefix on the line", 0) ;
  why = conf_value_client(l->w[0], key, &klen, &fam, &bits) ;
  if (why) return fail(l->b, l->file, l->no, why, &l->w[0]) ;
  key[0] = 'p' ;
  r = add_unique(l->b, key, klen, "", 0, l->no, &first) ;
  if (r == 0) return report_dup(l, "proxy prefix", first) ;
  if (r == 1)
  {
    if (fam == 4) l->b->plens4[bits] = 1 ;
    else l->b->plens6[bits] = 1 ;
  }
  return r == -1 ? -1 : 0 ;
}

/* redis: one line, HOST:PORT (HOST an IPv4 address or [IPv6]) or an
   absolute socket path; stored as "redis" for mxhold-ratelimit. */
static int line_redis (struct line const *l)
{
  struct conf_redis_addr a ;
  unsigned long first ;
  int r ;
  if (l->n != 1) return fail(l->b, l->file, l->no, "want exactly one word on the line", 0) ;
  if (!conf_redis_parse(l->w[0].p, l->w[0].len, &a))
    return fail(l->b, l->file, l->no, "bad redis address (want IP:PORT, [IPv6]:PORT or /socket/path)", &l->w[0]) ;
  r = add_unique(l->b, "redis", 5, l->w[0].p, l->w[0].len, l->no, &first) ;
  if (r == 0) return fail(l->b, l->file, l->no, "only one line allowed", 0) ;
  return r == -1 ? -1 : 0 ;
}

static int line_limit (struct line const *l)
{
  int i = conf_limit_index(l->w[0].p, l->w[0].len) ;
  uint64_t v ;
  uint64_t days ;
  uint64_t win ;
  char const *why ;
  unsigned int j ;
  if (i < 0) return fail(l->b, l->file, l->no, "unknown limit", &l->w[0]) ;
  if (l->n < 2) return fail(l->b, l->file, l->no, "missing value", &l->w[0]) ;
  /* "connections 200 3600" sets the window too: a rate is a count and a
     time (conf/conf.md, limits). */
  if (l->n > (i == CONF_LIMIT_connections ? 3u : 2u)) return fail(l->b, l->file, l->no, "too many words", &l->w[l->n - 1]) ;
  why = conf_value_limit(l->b->vmsg, (unsigned int)i, l->w[1], &v, &days) ;
  if (why) return fail(l->b, l->file, l->no, why, &l->w[1]) ;
  if (l->n == 3)
  {
    why = conf_value_limit(l->b->vmsg, CONF_LIMIT_window, l->w[2], &win, &days) ;
    if (why) return fail(l->b, l->file, l->no, why, &l->w[2]) ;
  }
  for (j = 0 ; j < 3 ; j++)
  {
    unsigned int id = j == 0 ? (unsigned int)i : j == 1 ? CONF_LIMIT_lifetime_days : CONF_LIMIT_window ;
    if (j == 1 && days == UINT64_MAX) continue ;
    if (j == 1 && l->n == 3) continue ;
    if (j == 2 && l->n != 3) continue ;
    if (l->b->limline[id]) return report_dup(l, "limit", l->b->limline[id]) ;
  }
  l->b->lim[i] = v ;
  l->b->limline[i] = l->no ;
  if (l->n == 3)
  {
    l->b->lim[CONF_LIMIT_window] = win ;
    l->b->limline[CONF_LIMIT_window] = l->no ;
  }
  else if (days != UINT64_MAX)
  {
    l->b->lim[CONF_LIMIT_lifetime_days] = days ;
    l->b->limline[CONF_LIMIT_lifetime_days] = l->no ;
  }
  return 0 ;
}

static int line_spf (struct line const *l)
{
  unsigned int r ;
  unsigned int a ;
  if (l->n != 2) return fail(l->b, l->file, l->no, "want RESULT ACTION", 0) ;
  for (r = 0 ; r < CONF_SPF_N ; r++) if (conf_word_is(l->w[0], conf_spf_result(r))) break ;
  if (r == CONF_SPF_N) return fail(l->b, l->file, l->no, "unknown spf result", &l->w[0]) ;
  for (a = 0 ; spf_actions[a] ; a++) if (conf_word_is(l->w[1], spf_actions[a])) break ;
  if (!spf_actions[a]) return fail(l->b, l->file, l->no, "unknown spf action (want accept, mark, reject or defer)", &l->w[1]) ;
  if (l->b->spfline[r]) return report_dup(l, "spf result", l->b->spfline[r]) ;
  l->b->spf[r] = (unsigned char)(a + 1) ;
  l->b->spfline[r] = l->no ;
  return 0 ;
}

/* rcptcache: the recipient cache's directory, one absolute path */
static int line_rcptcache (struct line const *l)
{
  unsigned long first ;
  int r ;
  if (l->n != 1) return fail(l->b, l->file, l->no, "want exactly one word on the line", 0) ;
  if (l->w[0].p[0] != '/' || l->w[0].len >= CONF_PATH_MAX) return fail(l->b, l->file, l->no, "want an absolute path", &l->w[0]) ;
  r = add_unique(l->b, "rcptcache", 9, l->w[0].p, l->w[0].len, l->no, &first) ;
  if (r == 0) return fail(l->b, l->file, l->no, "only one line allowed", 0) ;
  return r == -1 ? -1 : 0 ;
}

/* ---- files ---- */

/* One line of file f, by the file's syntax. */
static int line_of (struct line const *l, enum conf_file f)
{
  switch (f)
  {
    case CONF_F_ME :
    case CONF_F_QUEUE :
      return line_single(l, f) ;
    case CONF_F_DOMAINS :
      return line_domain(l) ;
    case CONF_F_LIMITS :
      return line_limit(l) ;
    case CONF_F_CLIENTS :
      return line_client(l) ;
    case CONF_F_SPF :
      return line_spf(l) ;
    case CONF_F_ALIASES :
      return line_alias(l) ;
    case CONF_F_PROXIES :
      return line_proxy(l) ;
    case CONF_F_REDIS :
      return line_redis(l) ;
    case CONF_F_RCPTCACHE :
      return line_rcptcache(l) ;
    case CONF_F_RCPTS :
      return conf_rcpt_line(l->b, l->file, l->no, l->w, l->n) ;
    default :
      return 0 ;
  }
}

int conf_build_text (struct conf_build *b, enum conf_file f, char const *fname, char const *data, size_t len)
{
  size_t pos = 0 ;
  unsigned long no = 0 ;
  if (f < CONF_F_N) b->have[f] = 1 ;
  while (pos < len)
  {
    char const *nl = memchr(data + pos, '\n', len - pos) ;
    size_t end = nl ? (size_t)(nl - data) : len ;
    size_t ll = end - pos ;
    size_t i ;
    struct span w[CONF_WORDS_MAX] ;
    struct line l = { b, fname, ++no, w, 0 } ;
    char const *s = data + pos ;
    int r = 0 ;
    pos = nl ? end + 1 : len ;
    if (ll && s[ll - 1] == '\r') ll-- ;
    if (ll > CONF_LINE_MAX_BYTES)
    {
      fail(b, fname, no, "line too long", 0) ;
      continue ;
    }
    if (memchr(s, 0, ll))
    {
      fail(b, fname, no, "NUL byte in line", 0) ;
      continue ;
    }
    for (i = 0 ; i < ll ; )
    {
      size_t j ;
      if (s[i] == ' ' || s[i] == '\t')
      {
        i++ ;
        continue ;
      }
      if (s[i] == '#') break ;
      for (j = i ; j < ll && s[j] != ' ' && s[j] != '\t' ; j++) ;
      if (l.n == CONF_WORDS_MAX)
      {
        l.n++ ;
        break ;
      }
      w[l.n].p = s + i ;
      w[l.n].len = j - i ;
      l.n++ ;
      i = j ;
    }
    if (!l.n) continue ;
    if (l.n > CONF_WORDS_MAX)
    {
      fail(b, fname, no, "too many words on the line", 0) ;
      continue ;
    }
    r = line_of(&l, f) ;
    if (r == -1) return -1 ;
  }
  return 0 ;
}

int conf_build_init (struct conf_build *b, conf_build_errfn *err, void *ctx)
{
  unsigned int i ;
  memset(b, 0, sizeof *b) ;
  b->err = err ;
  b->ctx = ctx ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++) b->lim[i] = conf_limit_default(i) ;
  if (set_grow(b) == -1) return -1 ;
  if (conf_cdbw_init(&b->w) == -1)
  {
    free(b->set) ;
    b->set = 0 ;
    return -1 ;
  }
  return 0 ;
}

static int add_lens (struct conf_build *b, char const *key, unsigned char const *have, unsigned int max)
{
  char lens[129] ;
  size_t n = 0 ;
  unsigned int i = max + 1 ;
  while (i--) if (have[i]) lens[n++] = (char)i ;
  return conf_cdbw_add(&b->w, key, 7, lens, n) ;
}

/* What messages call file f: DIR/NAME, or NAME without a directory. */
static char const *file_path (struct conf_build const *b, unsigned int f, char *path)
{
  /* conf_build_dir checked that every DIR/NAME fits */
  if (!b->dir || conf_path(path, b->dir, file_names[f]) == -1) return file_names[f] ;
  return path ;
}

int conf_build_finish (struct conf_build *b)
{
  unsigned int i ;
  char path[CONF_PATH_MAX] ;
  for (i = CONF_F_ME ; i <= CONF_F_QUEUE ; i++)
    if (!b->have[i]) fail(b, file_path(b, i, path), 0, "required file is missing", 0) ;
  if (b->lim[CONF_LIMIT_retry_min] > b->lim[CONF_LIMIT_retry_max])
    fail(b, file_path(b, CONF_F_LIMITS, path), b->limline[CONF_LIMIT_retry_min] ? b->limline[CONF_LIMIT_retry_min] : b->limline[CONF_LIMIT_retry_max], "retry_min is above retry_max", 0) ;
  if (b->nerr) return (errno = 0, -1) ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++)
  {
    char key[2 + 32] = "l:" ;
    char val[MX_U64_FMT] ;
    struct conf_obuf o = { val, 0, sizeof val, 0 } ;
    size_t n = strlen(conf_limit_name(i)) ;
    memcpy(key + 2, conf_limit_name(i), n) ;
    conf_obuf_putu(&o, b->lim[i]) ;
    if (conf_cdbw_add(&b->w, key, 2 + n, val, o.len) == -1) return -1 ;
  }
  for (i = 0 ; i < CONF_SPF_N ; i++)
  {
    char key[2 + 16] = "s:" ;
    char const *a = b->spf[i] ? spf_actions[b->spf[i] - 1] : conf_spf_default(i) ;
    size_t n = strlen(conf_spf_result(i)) ;
    memcpy(key + 2, conf_spf_result(i), n) ;
    if (conf_cdbw_add(&b->w, key, 2 + n, a, strlen(a)) == -1) return -1 ;
  }
  if (b->aliaseslen && conf_cdbw_add(&b->w, "aliases", 7, b->aliases, b->aliaseslen) == -1) return -1 ;
  if (add_lens(b, "c:lens4", b->lens4, 32) == -1 || add_lens(b, "c:lens6", b->lens6, 128) == -1) return -1 ;
  if (add_lens(b, "p:lens4", b->plens4, 32) == -1 || add_lens(b, "p:lens6", b->plens6, 128) == -1) return -1 ;
  return conf_cdbw_finish(&b->w) ;
}

void conf_build_free (struct conf_build *b)
{
  conf_cdbw_free(&b->w) ;
  free(b->set) ;
  b->set = 0 ;
  free(b->rdoms) ;
  b->rdoms = 0 ;
}

/* Little-endian 32-bit word at p (a cdb record header). */
static size_t le32 (char const *p)
{
  return (size_t)(unsigned char)p[0] | (size_t)(unsigned char)p[1] << 8
       | (size_t)(unsigned char)p[2] << 16 | (size_t)(unsigned char)p[3] << 24 ;
}

unsigned long conf_build_source (struct conf_build const *b, char const *data, struct span *key)
{
  for (size_t s = 0 ; s < b->setcap ; s++)
  {
    char const *r ;
    if (!b->set[s].pos) continue ;
    r = b->w.buf + b->set[s].pos ;
    if (r + 8 + le32(r) != data) continue ;
    key->p = r + 8 ;
    key->len = le32(r) ;
    return b->set[s].line ;
  }
  return 0 ;
}
