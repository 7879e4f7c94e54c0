/* spf_macro.c: SPF macro expansion (RFC 7208 7) and domain name limits.
   libc only: the fuzz target links it alone. */
#include <errno.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

struct out {
  char *p ;
  size_t len ;
  size_t max ;
  int cut ;
} ;

static void put (struct out *o, char const *s, size_t n)
{
  size_t room = o->max - o->len ;
  if (n > room)
  {
    n = room ;
    o->cut = 1 ;
  }
  memcpy(o->p + o->len, s, n) ;
  o->len += n ;
}

/* RFC 3986 unreserved characters stay, the rest become %XX (RFC 7208 7.3). */
static void put_escaped (struct out *o, char const *s, size_t n)
{
  static char const hex[] = "0123456789ABCDEF" ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
      put(o, s + i, 1) ;
    else
    {
      char e[3] = { '%', hex[c >> 4], hex[c & 15] } ;
      put(o, e, 3) ;
    }
  }
}

static int value_of (struct spf_macro_env const *env, char letter, struct span *v)
{
  switch (letter | 0x20)
  {
    case 's' :
      *v = env->s ;
      return 0 ;
    case 'l' :
      *v = env->l ;
      return 0 ;
    case 'o' :
      *v = env->o ;
      return 0 ;
    case 'd' :
      *v = env->d ;
      return 0 ;
    case 'i' :
      *v = env->i ;
      return 0 ;
    case 'v' :
      *v = env->v ;
      return 0 ;
    case 'h' :
      *v = env->h ;
      return 0 ;
    case 'p' :
      if (env->p) return env->p(env->ctx, v) ;
      *v = SPAN_STR("unknown") ;
      return 0 ;
    case 'c' :
      if (!env->exp) break ;
      *v = env->c ;
      return 0 ;
    case 'r' :
      if (!env->exp) break ;
      *v = env->r ;
      return 0 ;
    case 't' :
      if (!env->exp) break ;
      *v = env->t ;
      return 0 ;
  }
  errno = EINVAL ;
  return -1 ;
}

/* Splits v at any of the delimiters, optionally reverses, keeps the
   rightmost keep parts (0: all), joins them with '.' into o. */
static int transform (struct out *o, struct span v, char const *delim, size_t ndelim,
                      int rev, unsigned long keep, int escape)
{
  struct span part[SPF_MACRO_PARTS_MAX] ;
  size_t n = 0, start = 0, first ;
  for (size_t i = 0 ; i <= v.len ; i++)
  {
    if (i < v.len && !memchr(delim, v.p[i], ndelim)) continue ;
    if (n >= SPF_MACRO_PARTS_MAX)
    {
      errno = EINVAL ;
      return -1 ;
    }
    part[n++] = (struct span){ v.p + start, i - start } ;
    start = i + 1 ;
  }
  if (rev)
    for (size_t i = 0 ; i < n / 2 ; i++)
    {
      struct span t = part[i] ;
      part[i] = part[n - 1 - i] ;
      part[n - 1 - i] = t ;
    }
  first = (keep && keep < n) ? n - keep : 0 ;
  for (size_t i = first ; i < n ; i++)
  {
    if (i > first) put(o, ".", 1) ;
    if (escape) put_escaped(o, part[i].p, part[i].len) ;
    else put(o, part[i].p, part[i].len) ;
  }
  return 0 ;
}

/* One "%{...}" at in.p[*i] (just after "%{"). */
static int expand_one (struct out *o, struct span in, size_t *i, struct spf_macro_env const *env)
{
  size_t k = *i, d0 ;
  unsigned long keep = 0 ;
  int rev = 0 ;
  char letter ;
  struct span v ;
  if (k >= in.len) goto bad ;
  letter = in.p[k++] ;
  while (k < in.len && in.p[k] >= '0' && in.p[k] <= '9')
  {
    if (keep < 1000) keep = keep * 10 + (unsigned long)(in.p[k] - '0') ;
    k++ ;
  }
  if (k > *i + 1 && !keep) goto bad ;   /* RFC 7208 7.1: nonzero */
  if (k < in.len && (in.p[k] == 'r' || in.p[k] == 'R'))
  {
    rev = 1 ;
    k++ ;
  }
  d0 = k ;
  while (k < in.len && memchr(".-+,/_=", in.p[k], 7)) k++ ;
  if (k >= in.len || in.p[k] != '}') goto bad ;
  if (value_of(env, letter, &v) == -1) return -1 ;
  if (transform(o, v, k > d0 ? in.p + d0 : ".", k > d0 ? k - d0 : 1, rev, keep,
                letter >= 'A' && letter <= 'Z') == -1) return -1 ;
  *i = k + 1 ;
  return 0 ;
 bad:
  errno = EINVAL ;
  return -1 ;
}

int spf_macro_expand (struct span in, struct spf_macro_env const *env, char *out, size_t max, int *cut)
{
  struct out o = { out, 0, max, 0 } ;
  size_t i = 0 ;
  errno = 0 ;
  while (i < in.len)
  {
    char c = in.p[i] ;
    if (c != '%')
    {
      put(&o, in.p + i, 1) ;
      i++ ;
      continue ;
    }
    if (i + 1 >= in.len)
    {
      errno = EINVAL ;
      return -1 ;
    }
    switch (in.p[i + 1])
    {
      case '%' :
        put(&o, "%", 1) ;
        i += 2 ;
        break ;
      case '_' :
        put(&o, " ", 1) ;
        i += 2 ;
        break ;
      case '-' :
        put(&o, "%20", 3) ;
        i += 2 ;
        break ;
      case '{' :
        i += 2 ;
        if (expand_one(&o, in, &i, env) == -1) return -1 ;
        break ;
      default :
        errno = EINVAL ;
        return -1 ;
    }
  }
  if (cut) *cut = o.cut ;
  return (int)o.len ;
}

size_t spf_domain_trim (char const *d, size_t len)
{
  size_t start = 0 ;
  while (len - start > SPF_DOMAIN_MAX)
  {
    char const *dot = memchr(d + start, '.', len - start) ;
    if (!dot) return len ;   /* one huge label: nothing usable is left */
    start = (size_t)(dot - d) + 1 ;
  }
  return start ;
}

int spf_domain_ok (char const *d, size_t len)
{
  size_t labels = 0, i = 0 ;
  if (len && d[len - 1] == '.') len-- ;
  if (!len || len > SPF_DOMAIN_MAX) return 0 ;
  while (i <= len)
  {
    char const *dot = memchr(d + i, '.', len - i) ;
    size_t end = dot ? (size_t)(dot - d) : len ;
    if (end == i || end - i > SPF_LABEL_MAX) return 0 ;
    labels++ ;
    i = end + 1 ;
  }
  return labels >= 2 ;
}
