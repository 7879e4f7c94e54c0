/* conf_build.c: check the config directory's text files and build the
   config.cdb image. Formats in conf/conf.md. libc only. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "conf/conf_build.h"

#define VAL_MAX (2 * CONF_LINE_MAX_BYTES)  /* canonical values may grow: "20M" -> "20971520" */
#define PATH_BYTES 4096

static char const *const file_names[CONF_F_N] = { "me", "queue", "domains", "limits", "clients", "spf" } ;
static char const *const spf_results[CONF_SPF_N] = { "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror" } ;
static char const *const spf_actions[] = { "accept", "mark", "reject", "defer", 0 } ;
/* Defaults when the spf file does not say (index into spf_actions). */
static unsigned char const spf_default[CONF_SPF_N] = { 0, 2, 1, 0, 0, 1, 3 } ;

char const *conf_build_filename (enum conf_file f) { return file_names[f] ; }

/* ---- small text helpers ---- */

struct obuf { char *p ; size_t len, cap ; int over ; } ;

static void oput (struct obuf *o, char const *s, size_t n)
{
  if (o->over || n > o->cap - o->len) { o->over = 1 ; return ; }
  memcpy(o->p + o->len, s, n) ;
  o->len += n ;
}

static void oputs (struct obuf *o, char const *s) { oput(o, s, strlen(s)) ; }

static void oputu (struct obuf *o, uint64_t v)
{
  char d[20] ;
  size_t n = 0 ;
  do { d[sizeof d - ++n] = (char)('0' + v % 10) ; v /= 10 ; } while (v) ;
  oput(o, d + sizeof d - n, n) ;
}

static int is_word (struct span w, char const *s)
{
  return w.len == strlen(s) && !memcmp(w.p, s, w.len) ;
}

/* Reports an error: why, then optionally ": " and the offending word with
   bytes outside 33..126 shown as '?'. */
static void fail (struct conf_build *b, char const *file, unsigned long line, char const *why, struct span const *what)
{
  struct obuf o = { b->msg, 0, sizeof b->msg - 1, 0 } ;
  oputs(&o, why) ;
  if (what)
  {
    size_t i, n = what->len > 64 ? 64 : what->len ;
    oputs(&o, ": ") ;
    for (i = 0 ; i < n ; i++)
    {
      char ch = what->p[i] ;
      oput(&o, (unsigned char)ch >= 33 && (unsigned char)ch <= 126 ? &ch : "?", 1) ;
    }
    if (n < what->len) oputs(&o, "...") ;
  }
  b->msg[o.len] = 0 ;
  b->nerr++ ;
  if (b->err) b->err(b->ctx, file, line, b->msg) ;
}

/* ---- duplicate detection over the keys already in the cdb image ---- */

static int set_grow (struct conf_build *b)
{
  size_t nc = b->setcap ? b->setcap * 2 : 4096, i ;
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
  b->set = n ; b->setcap = nc ;
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

/* ---- values ---- */

/* A limit value as written in limits or in key=value: decimal,
   "unlimited" where the cap is CONF_UNLIMITED, K/M/G for size, "Nd" for
   lifetime (-> *days). Returns 0 and *v, or an error reason. */
static char const *limit_value (struct conf_build *b, unsigned int i, struct span s, uint64_t *v, uint64_t *days)
{
  uint64_t cap = conf_limit_cap(i) ;
  *days = UINT64_MAX ;
  if (is_word(s, "unlimited"))
  {
    if (cap != CONF_UNLIMITED) return "\"unlimited\" is not allowed for this limit" ;
    *v = CONF_UNLIMITED ;
    return 0 ;
  }
  if (i == CONF_LIMIT_lifetime && s.len > 1 && s.p[s.len - 1] == 'd')
  {
    if (!conf_limit_scan(s.p, s.len - 1, days) || (s.p[s.len - 2] < '0' || s.p[s.len - 2] > '9'))
      return "bad number" ;
    if (*days > conf_limit_cap(CONF_LIMIT_lifetime_days)) goto above ;
    *v = 0 ;
    return 0 ;
  }
  if (!s.len || ((s.p[s.len - 1] < '0' || s.p[s.len - 1] > '9') && i != CONF_LIMIT_size))
    return "bad number" ;
  if (!conf_limit_scan(s.p, s.len, v)) return "bad number" ;
  if (*v > cap) goto above ;
  return 0 ;
 above:
  {
    struct obuf o = { b->msg, 0, sizeof b->msg - 1, 0 } ;
    oputs(&o, "value above the cap of ") ;
    oputu(&o, i == CONF_LIMIT_lifetime && *days != UINT64_MAX ? conf_limit_cap(CONF_LIMIT_lifetime_days) : cap) ;
    if (i == CONF_LIMIT_lifetime && *days != UINT64_MAX) oputs(&o, " days") ;
    b->msg[o.len] = 0 ;
    return b->msg ;
  }
}

/* A route: "mx", or HOST[:PORT][,HOST[:PORT]...] with HOST a host name,
   an IPv4 address or [IPv6]. Writes it lower-cased to o. 0 or a reason. */
static char const *route_check (struct span r, struct obuf *o)
{
  size_t i = 0, nhosts = 0 ;
  if (is_word(r, "mx")) { oputs(o, "mx") ; return 0 ; }
  while (i <= r.len)
  {
    char const *c = memchr(r.p + i, ',', r.len - i) ;
    size_t end = c ? (size_t)(c - r.p) : r.len, hend, pstart ;
    struct span host ;
    char h[CONF_HOST_MAX + 1] ;
    unsigned char ip[16] ;
    if (++nhosts > CONF_ROUTE_HOSTS_MAX) return "too many hosts in route" ;
    if (end == i) return "empty host in route" ;
    if (r.p[i] == '[')
    {
      char const *rb = memchr(r.p + i, ']', end - i) ;
      if (!rb) return "bad IPv6 address in route (missing ])" ;
      host.p = r.p + i + 1 ; host.len = (size_t)(rb - host.p) ;
      if (conf_ip_parse(host.p, host.len, ip) != 6) return "bad IPv6 address in route" ;
      hend = (size_t)(rb - r.p) + 1 ;
      oput(o, r.p + i, hend - i) ;
    }
    else
    {
      char const *col = memchr(r.p + i, ':', end - i) ;
      hend = col ? (size_t)(col - r.p) : end ;
      host.p = r.p + i ; host.len = hend - i ;
      if (conf_ip_parse(host.p, host.len, ip) == 4) oput(o, host.p, host.len) ;
      else
      {
        size_t n = conf_host_norm(host.p, host.len, h) ;
        if (!n) return "bad host in route" ;
        oput(o, h, n) ;
      }
    }
    if (hend < end)
    {
      uint64_t port ;
      if (r.p[hend] != ':') return "bad route (junk after host)" ;
      pstart = hend + 1 ;
      if (pstart == end || end - pstart > 5 || !conf_limit_scan(r.p + pstart, end - pstart, &port)
       || r.p[end - 1] < '0' || r.p[end - 1] > '9' || !port || port > 65535)
        return "bad port in route" ;
      oput(o, r.p + hend, end - hend) ;
    }
    if (!c) break ;
    oput(o, ",", 1) ;
    i = end + 1 ;
    if (i == r.len) return "empty host in route" ;
  }
  return 0 ;
}

/* key=value options of a domains (tls=) or clients (trusted) line,
   canonicalised into o. 0, or a reason and *bad the word. */
static char const *options_check (struct conf_build *b, struct span const *w, size_t n, int domain, struct obuf *o, struct span const **bad)
{
  unsigned char seen[CONF_LIMIT_N + 2] = { 0 } ;   /* + tls, trusted */
  size_t k ;
  for (k = 0 ; k < n ; k++)
  {
    char const *eq = memchr(w[k].p, '=', w[k].len), *why ;
    struct span key = { w[k].p, eq ? (size_t)(eq - w[k].p) : w[k].len } ;
    struct span val = { eq ? eq + 1 : 0, eq ? w[k].len - key.len - 1 : 0 } ;
    int i = conf_limit_index(key.p, key.len) ;
    unsigned int slot = i >= 0 ? (unsigned int)i : is_word(key, "tls") ? CONF_LIMIT_N : CONF_LIMIT_N + 1 ;
    uint64_t v, days ;
    *bad = &w[k] ;
    if (i < 0 && !(domain && eq && is_word(key, "tls")) && !(!domain && !eq && is_word(key, "trusted")))
      return eq ? "unknown option" : domain ? "unknown option (want key=value)" : "unknown option (want key=value or trusted)" ;
    if (seen[slot]++) return "duplicate option" ;
    if (o->len) oput(o, " ", 1) ;
    if (slot == CONF_LIMIT_N + 1) { oputs(o, "trusted") ; continue ; }
    if (!eq) return "missing =value" ;
    if (slot == CONF_LIMIT_N)
    {
      if (!is_word(val, "none") && !is_word(val, "may") && !is_word(val, "require"))
        return "bad tls value (want none, may or require)" ;
      oput(o, w[k].p, w[k].len) ;
      continue ;
    }
    why = limit_value(b, (unsigned int)i, val, &v, &days) ;
    if (why) return why ;
    oput(o, key.p, key.len) ; oput(o, "=", 1) ; oputu(o, v) ;
    if (days != UINT64_MAX)
    {
      if (seen[CONF_LIMIT_lifetime_days]++) return "duplicate option (lifetime Nd sets lifetime_days)" ;
      oputs(o, " lifetime_days=") ; oputu(o, days) ;
    }
  }
  *bad = 0 ;
  return 0 ;
}

/* ---- one line of each file ---- */

struct line { struct conf_build *b ; char const *file ; unsigned long no ; struct span const *w ; size_t n ; } ;

static int report_dup (struct line const *l, char const *what, unsigned long first)
{
  struct obuf o = { l->b->msg, 0, sizeof l->b->msg - 1, 0 } ;
  char why[sizeof l->b->msg] ;
  oputs(&o, "duplicate ") ; oputs(&o, what) ; oputs(&o, " (first on line ") ; oputu(&o, first) ; oputs(&o, ")") ;
  memcpy(why, l->b->msg, o.len) ; why[o.len] = 0 ;
  fail(l->b, l->file, l->no, why, &l->w[0]) ;
  return 0 ;
}

static int line_single (struct line const *l, enum conf_file f)
{
  char h[CONF_HOST_MAX + 1] ;
  size_t n ;
  unsigned long first ;
  int r ;
  if (l->n != 1) { fail(l->b, l->file, l->no, "want exactly one word on the line", 0) ; return 0 ; }
  if (f == CONF_F_ME)
  {
    n = conf_host_norm(l->w[0].p, l->w[0].len, h) ;
    if (!n) { fail(l->b, l->file, l->no, "bad host name", &l->w[0]) ; return 0 ; }
    r = add_unique(l->b, "me", 2, h, n, l->no, &first) ;
  }
  else r = add_unique(l->b, "queue", 5, l->w[0].p, l->w[0].len, l->no, &first) ;
  if (r == 0) { fail(l->b, l->file, l->no, "only one line allowed", 0) ; return 0 ; }
  return r == -1 ? -1 : 0 ;
}

static int line_domain (struct line const *l)
{
  char key[2 + CONF_HOST_MAX] = "d:", val[VAL_MAX] ;
  struct obuf o = { val, 0, sizeof val, 0 } ;
  struct span const *bad ;
  char const *why ;
  unsigned long first ;
  size_t n = conf_host_norm(l->w[0].p, l->w[0].len, key + 2) ;
  int r ;
  if (!n) { fail(l->b, l->file, l->no, "bad domain name", &l->w[0]) ; return 0 ; }
  if (l->n < 2) { fail(l->b, l->file, l->no, "missing route", &l->w[0]) ; return 0 ; }
  why = route_check(l->w[1], &o) ;
  if (why) { fail(l->b, l->file, l->no, why, &l->w[1]) ; return 0 ; }
  {
    struct obuf opts = { val + o.len + 1, 0, sizeof val - o.len - 1, 0 } ;
    why = options_check(l->b, l->w + 2, l->n - 2, 1, &opts, &bad) ;
    if (why) { fail(l->b, l->file, l->no, why, bad) ; return 0 ; }
    if (opts.len) { val[o.len] = ' ' ; o.len += 1 + opts.len ; }
    if (opts.over) o.over = 1 ;
  }
  if (o.over) { fail(l->b, l->file, l->no, "line too long once values are expanded", 0) ; return 0 ; }
  r = add_unique(l->b, key, 2 + n, val, o.len, l->no, &first) ;
  if (r == 0) return report_dup(l, "domain", first) ;
  if (r == 1) l->b->ndomains++ ;
  return r == -1 ? -1 : 0 ;
}

/* "ADDR[/LEN]" -> key "c:" FAM LEN ADDR; 0 or a reason. */
static char const *client_key (struct span a, char *key, size_t *klen, int *fam, unsigned int *bits)
{
  char const *sl = memchr(a.p, '/', a.len) ;
  unsigned char ip[16] ;
  size_t alen ;
  unsigned int b ;
  uint64_t len ;
  *fam = conf_ip_parse(a.p, sl ? (size_t)(sl - a.p) : a.len, ip) ;
  if (!*fam) return "bad address" ;
  alen = *fam == 4 ? 4 : 16 ;
  len = alen * 8 ;
  if (sl)
  {
    size_t ll = a.len - (size_t)(sl + 1 - a.p) ;
    if (!ll || ll > 3 || sl[ll] < '0' || sl[ll] > '9' || !conf_limit_scan(sl + 1, ll, &len) || len > alen * 8)
      return "bad prefix length" ;
  }
  if (*fam == 6 && len >= 96 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
  {
    memmove(ip, ip + 12, 4) ; *fam = 4 ; alen = 4 ; len -= 96 ;
  }
  for (b = 0 ; b < alen ; b++)
  {
    unsigned int keep = len >= (b + 1) * 8 ? 8 : len > b * 8 ? (unsigned int)len - b * 8 : 0 ;
    unsigned char mask = keep ? (unsigned char)(0xff << (8 - keep)) : 0 ;
    if (ip[b] & (unsigned char)~mask) return "bad CIDR (address has bits set past the prefix length)" ;
  }
  key[0] = 'c' ; key[1] = ':' ; key[2] = *fam == 4 ? '4' : '6' ; key[3] = (char)len ;
  memcpy(key + 4, ip, alen) ;
  *klen = 4 + alen ;
  *bits = (unsigned int)len ;
  return 0 ;
}

static int line_client (struct line const *l)
{
  char key[4 + 16], val[VAL_MAX] ;
  struct obuf o = { val, 0, sizeof val, 0 } ;
  struct span const *bad ;
  char const *why ;
  unsigned long first ;
  unsigned int bits ;
  size_t klen ;
  int fam, r ;
  why = client_key(l->w[0], key, &klen, &fam, &bits) ;
  if (why) { fail(l->b, l->file, l->no, why, &l->w[0]) ; return 0 ; }
  if (l->n < 2) { fail(l->b, l->file, l->no, "nothing to set for this address", &l->w[0]) ; return 0 ; }
  why = options_check(l->b, l->w + 1, l->n - 1, 0, &o, &bad) ;
  if (why) { fail(l->b, l->file, l->no, why, bad) ; return 0 ; }
  if (o.over) { fail(l->b, l->file, l->no, "line too long once values are expanded", 0) ; return 0 ; }
  r = add_unique(l->b, key, klen, val, o.len, l->no, &first) ;
  if (r == 0) return report_dup(l, "address prefix", first) ;
  if (r == 1)
  {
    if (fam == 4) l->b->lens4[bits] = 1 ; else l->b->lens6[bits] = 1 ;
    l->b->nclients++ ;
  }
  return r == -1 ? -1 : 0 ;
}

static int line_limit (struct line const *l)
{
  int i = conf_limit_index(l->w[0].p, l->w[0].len) ;
  uint64_t v, days, win ;
  char const *why ;
  unsigned int j ;
  if (i < 0) { fail(l->b, l->file, l->no, "unknown limit", &l->w[0]) ; return 0 ; }
  if (l->n < 2) { fail(l->b, l->file, l->no, "missing value", &l->w[0]) ; return 0 ; }
  /* DESIGN.md's sketch "connections 200 3600" sets the window too. */
  if (l->n > (i == CONF_LIMIT_connections ? 3u : 2u)) { fail(l->b, l->file, l->no, "too many words", &l->w[l->n - 1]) ; return 0 ; }
  why = limit_value(l->b, (unsigned int)i, l->w[1], &v, &days) ;
  if (why) { fail(l->b, l->file, l->no, why, &l->w[1]) ; return 0 ; }
  if (l->n == 3)
  {
    why = limit_value(l->b, CONF_LIMIT_window, l->w[2], &win, &days) ;
    if (why) { fail(l->b, l->file, l->no, why, &l->w[2]) ; return 0 ; }
  }
  for (j = 0 ; j < 3 ; j++)
  {
    unsigned int id = j == 0 ? (unsigned int)i : j == 1 ? CONF_LIMIT_lifetime_days : CONF_LIMIT_window ;
    if (j == 1 && days == UINT64_MAX) continue ;
    if (j == 1 && l->n == 3) continue ;
    if (j == 2 && l->n != 3) continue ;
    if (l->b->limline[id]) return report_dup(l, "limit", l->b->limline[id]) ;
  }
  l->b->lim[i] = v ; l->b->limline[i] = l->no ;
  if (l->n == 3) { l->b->lim[CONF_LIMIT_window] = win ; l->b->limline[CONF_LIMIT_window] = l->no ; }
  else if (days != UINT64_MAX) { l->b->lim[CONF_LIMIT_lifetime_days] = days ; l->b->limline[CONF_LIMIT_lifetime_days] = l->no ; }
  return 0 ;
}

static int line_spf (struct line const *l)
{
  unsigned int r, a ;
  if (l->n != 2) { fail(l->b, l->file, l->no, "want RESULT ACTION", 0) ; return 0 ; }
  for (r = 0 ; r < CONF_SPF_N ; r++) if (is_word(l->w[0], spf_results[r])) break ;
  if (r == CONF_SPF_N) { fail(l->b, l->file, l->no, "unknown spf result", &l->w[0]) ; return 0 ; }
  for (a = 0 ; spf_actions[a] ; a++) if (is_word(l->w[1], spf_actions[a])) break ;
  if (!spf_actions[a]) { fail(l->b, l->file, l->no, "unknown spf action (want accept, mark, reject or defer)", &l->w[1]) ; return 0 ; }
  if (l->b->spfline[r]) return report_dup(l, "spf result", l->b->spfline[r]) ;
  l->b->spf[r] = (unsigned char)(a + 1) ;
  l->b->spfline[r] = l->no ;
  return 0 ;
}

/* ---- files ---- */

int conf_build_text (struct conf_build *b, enum conf_file f, char const *fname, char const *data, size_t len)
{
  size_t pos = 0 ;
  unsigned long no = 0 ;
  b->have[f] = 1 ;
  while (pos < len)
  {
    char const *nl = memchr(data + pos, '\n', len - pos) ;
    size_t end = nl ? (size_t)(nl - data) : len, ll = end - pos, i ;
    struct span w[CONF_WORDS_MAX] ;
    struct line l = { b, fname, ++no, w, 0 } ;
    char const *s = data + pos ;
    int r = 0 ;
    pos = nl ? end + 1 : len ;
    if (ll && s[ll - 1] == '\r') ll-- ;
    if (ll > CONF_LINE_MAX_BYTES) { fail(b, fname, no, "line too long", 0) ; continue ; }
    if (memchr(s, 0, ll)) { fail(b, fname, no, "NUL byte in line", 0) ; continue ; }
    for (i = 0 ; i < ll ; )
    {
      size_t j ;
      if (s[i] == ' ' || s[i] == '\t') { i++ ; continue ; }
      if (s[i] == '#') break ;
      for (j = i ; j < ll && s[j] != ' ' && s[j] != '\t' ; j++) ;
      if (l.n == CONF_WORDS_MAX) { l.n++ ; break ; }
      w[l.n].p = s + i ; w[l.n].len = j - i ; l.n++ ;
      i = j ;
    }
    if (!l.n) continue ;
    if (l.n > CONF_WORDS_MAX) { fail(b, fname, no, "too many words on the line", 0) ; continue ; }
    switch (f)
    {
      case CONF_F_ME : case CONF_F_QUEUE : r = line_single(&l, f) ; break ;
      case CONF_F_DOMAINS : r = line_domain(&l) ; break ;
      case CONF_F_LIMITS : r = line_limit(&l) ; break ;
      case CONF_F_CLIENTS : r = line_client(&l) ; break ;
      case CONF_F_SPF : r = line_spf(&l) ; break ;
      default : break ;
    }
    if (r == -1) return -1 ;
  }
  return 0 ;
}

/* Reads DIR/NAME whole. 1 read (*data malloced), 0 missing, -1 + errno. */
static int slurp (char const *path, char **data, size_t *len)
{
  struct stat st ;
  size_t got = 0 ;
  int fd = open(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) goto err ;
  if (st.st_size < 0 || (uint64_t)st.st_size > CONF_FILE_MAX_BYTES) { errno = EFBIG ; goto err ; }
  *data = malloc((size_t)st.st_size + 1) ;
  if (!*data) goto err ;
  while (got < (size_t)st.st_size)
  {
    ssize_t r = read(fd, *data + got, (size_t)st.st_size - got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) { free(*data) ; goto err ; }
    if (!r) break ;   /* shrank while we read: take what is there */
    got += (size_t)r ;
  }
  close(fd) ;
  *len = got ;
  return 1 ;
 err:
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
  }
  return -1 ;
}

int conf_build_dir (struct conf_build *b, char const *dir)
{
  unsigned int f ;
  size_t dl = strlen(dir) ;
  b->dir = dir ;
  for (f = 0 ; f < CONF_F_N ; f++)
  {
    char path[PATH_BYTES] ;
    char *data ;
    size_t nl = strlen(file_names[f]), len ;
    int r ;
    if (dl + 1 + nl >= sizeof path) return (errno = ENAMETOOLONG, -1) ;
    memcpy(path, dir, dl) ; path[dl] = '/' ; memcpy(path + dl + 1, file_names[f], nl + 1) ;
    r = slurp(path, &data, &len) ;
    if (r == -1) return -1 ;
    if (!r) continue ;
    r = conf_build_text(b, (enum conf_file)f, path, data, len) ;
    free(data) ;
    if (r == -1) return -1 ;
  }
  return 0 ;
}

int conf_build_init (struct conf_build *b, conf_build_errfn *err, void *ctx)
{
  unsigned int i ;
  memset(b, 0, sizeof *b) ;
  b->err = err ; b->ctx = ctx ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++) b->lim[i] = conf_limit_default(i) ;
  if (set_grow(b) == -1) return -1 ;
  if (conf_cdbw_init(&b->w) == -1) { free(b->set) ; b->set = 0 ; return -1 ; }
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
  struct obuf o = { path, 0, PATH_BYTES - 1, 0 } ;
  if (b->dir) { oputs(&o, b->dir) ; oputs(&o, "/") ; }
  oputs(&o, file_names[f]) ;
  path[o.len] = 0 ;
  return path ;
}

int conf_build_finish (struct conf_build *b)
{
  unsigned int i ;
  char path[PATH_BYTES] ;
  for (i = CONF_F_ME ; i <= CONF_F_QUEUE ; i++)
    if (!b->have[i]) fail(b, file_path(b, i, path), 0, "required file is missing", 0) ;
  if (b->lim[CONF_LIMIT_retry_min] > b->lim[CONF_LIMIT_retry_max])
    fail(b, file_path(b, CONF_F_LIMITS, path), b->limline[CONF_LIMIT_retry_min] ? b->limline[CONF_LIMIT_retry_min] : b->limline[CONF_LIMIT_retry_max], "retry_min is above retry_max", 0) ;
  if (b->nerr) return (errno = 0, -1) ;
  for (i = 0 ; i < CONF_LIMIT_N ; i++)
  {
    char key[2 + 32] = "l:", val[20] ;
    struct obuf o = { val, 0, sizeof val, 0 } ;
    size_t n = strlen(conf_limit_name(i)) ;
    memcpy(key + 2, conf_limit_name(i), n) ;
    oputu(&o, b->lim[i]) ;
    if (conf_cdbw_add(&b->w, key, 2 + n, val, o.len) == -1) return -1 ;
  }
  for (i = 0 ; i < CONF_SPF_N ; i++)
  {
    char key[2 + 16] = "s:" ;
    char const *a = spf_actions[b->spf[i] ? b->spf[i] - 1 : spf_default[i]] ;
    size_t n = strlen(spf_results[i]) ;
    memcpy(key + 2, spf_results[i], n) ;
    if (conf_cdbw_add(&b->w, key, 2 + n, a, strlen(a)) == -1) return -1 ;
  }
  if (add_lens(b, "c:lens4", b->lens4, 32) == -1 || add_lens(b, "c:lens6", b->lens6, 128) == -1) return -1 ;
  return conf_cdbw_finish(&b->w) ;
}

void conf_build_free (struct conf_build *b)
{
  conf_cdbw_free(&b->w) ;
  free(b->set) ;
  b->set = 0 ;
}

int conf_build_install (char const *dir, char const *data, size_t len)
{
  char tmp[PATH_BYTES], dst[PATH_BYTES] ;
  size_t dl = strlen(dir), got = 0 ;
  int fd, dfd, e ;
  if (dl + sizeof("/" CONF_CDB ".tmp") > sizeof tmp) return (errno = ENAMETOOLONG, -1) ;
  memcpy(tmp, dir, dl) ; memcpy(tmp + dl, "/" CONF_CDB ".tmp", sizeof("/" CONF_CDB ".tmp")) ;
  memcpy(dst, dir, dl) ; memcpy(dst + dl, "/" CONF_CDB, sizeof("/" CONF_CDB)) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
  if (fd == -1) return -1 ;
  while (got < len)
  {
    ssize_t r = write(fd, data + got, len - got) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) goto err ;
    got += (size_t)r ;
  }
  /* The data must be on disk before the name points at it, or a crash
     could leave config.cdb empty. */
  if (fsync(fd) == -1) goto err ;
  if (close(fd) == -1) { fd = -1 ; goto err ; }
  fd = -1 ;
  if (rename(tmp, dst) == -1) goto err ;
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd == -1) return -1 ;
  if (fsync(dfd) == -1) { e = errno ; close(dfd) ; errno = e ; return -1 ; }
  close(dfd) ;
  return 0 ;
 err:
  e = errno ;
  if (fd != -1) close(fd) ;
  unlink(tmp) ;
  errno = e ;
  return -1 ;
}
