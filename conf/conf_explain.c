/* conf_explain.c: mxhold-conf explain (conf_explain.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "lib/log.h"
#include "lib/u64.h"
#include "conf/conf.h"
#include "conf/conf_explain.h"

/* The limits a domains line overrides with an effect (conf/conf.md,
   domains: "Which overrides have an effect, and where"); the others are
   accepted there but the client's value applies. */
static char const *const domain_scoped[] = {
  "size", "lifetime", "lifetime_days", "retry_min", "retry_max", "dsn_pass_only",
  "concurrency_host", "session_idle", "timeout_connect", "timeout_remote", 0
} ;

struct out
{
  char const *dir ;
  int failed ;
} ;

static void end (struct out *o, struct mx_log *l)
{
  if (mx_log_end_fd(l, 1) == -1) o->failed = 1 ;
}

/* " file=DIR/FILE line=N" */
static void put_where (struct out *o, struct mx_log *l, char const *file, unsigned long line)
{
  char path[CONF_PATH_MAX] ;
  mx_log_str(l, "file", conf_path(path, o->dir, file) == -1 ? file : path) ;
  mx_log_u64(l, "line", line) ;
}

static void put_value (struct mx_log *l, uint64_t v)
{
  if (v == CONF_UNLIMITED) mx_log_str(l, "value", "unlimited") ;
  else mx_log_u64(l, "value", v) ;
}

/* A clients key "c:" FAM LEN ADDR as ADDR/LEN. */
static void put_prefix (struct mx_log *l, struct span k)
{
  char txt[INET6_ADDRSTRLEN + 8] ;
  char len[MX_U64_FMT] ;
  size_t n ;
  size_t ln ;
  if (k.len < 4 || !inet_ntop(k.p[2] == '4' ? AF_INET : AF_INET6, k.p + 4, txt, INET6_ADDRSTRLEN))
  {
    mx_log_str(l, "prefix", "-") ;
    return ;
  }
  n = strlen(txt) ;
  txt[n++] = '/' ;
  ln = mx_u64_fmt(len, (unsigned char)k.p[3]) ;
  memcpy(txt + n, len, ln) ;
  mx_log_bytes(l, "prefix", txt, n + ln) ;
}

static void client (struct out *o, struct conf_build const *b, struct conf const *c, char const *ip, struct span *cval, unsigned long *cline)
{
  struct mx_log l ;
  struct span key ;
  struct span t ;
  mx_log_start_bare(&l, "client") ;
  mx_log_str(&l, "client", ip) ;
  *cline = 0 ;
  if (conf_client_find(c, ip, cval)) *cline = conf_build_source(b, cval->p, &key) ;
  if (!*cline)
  {
    cval->p = 0 ;
    cval->len = 0 ;
    mx_log_str(&l, "prefix", "-") ;
    mx_log_str(&l, "trusted", "no") ;
    end(o, &l) ;
    return ;
  }
  put_prefix(&l, key) ;
  mx_log_str(&l, "trusted", conf_opt(*cval, "trusted", &t) ? "yes" : "no") ;
  put_where(o, &l, "clients", *cline) ;
  end(o, &l) ;
}

/* 1 if the domain is a customer's (*dval its value, *dline its line). */
static int domain_line (struct out *o, struct conf_build const *b, struct conf const *c, char const *dom, struct span *dval, unsigned long *dline)
{
  struct mx_log l ;
  struct span key ;
  struct span tls ;
  struct span route ;
  mx_log_start_bare(&l, "domain") ;
  mx_log_str(&l, "domain", dom) ;
  if (!conf_domain_find(c, dom, strlen(dom), dval) || !(*dline = conf_build_source(b, dval->p, &key)))
  {
    mx_log_str(&l, "route", "-") ;
    mx_log_str(&l, "reason", "not-customer") ;
    end(o, &l) ;
    return 0 ;
  }
  route = conf_route(*dval) ;
  mx_log_bytes(&l, "route", route.p, route.len) ;
  if (conf_opt(*dval, "tls", &tls)) mx_log_bytes(&l, "tls_policy", tls.p, tls.len) ;
  else mx_log_str(&l, "tls_policy", "-") ;
  /* recipient validation (conf.md, domains: recipients=) */
  if (conf_opt(*dval, "recipients", &tls)) mx_log_bytes(&l, "rcpt_policy", tls.p, tls.len) ;
  else mx_log_str(&l, "rcpt_policy", "-") ;
  put_where(o, &l, "domains", *dline) ;
  end(o, &l) ;
  return 1 ;
}

static int scoped (char const *name)
{
  for (unsigned int i = 0 ; domain_scoped[i] ; i++)
    if (!strcmp(name, domain_scoped[i])) return 1 ;
  return 0 ;
}

static void limits (struct out *o, struct conf_build const *b, struct conf_limits const *lim, struct span cval, unsigned long cline, struct span dval, unsigned long dline)
{
  for (unsigned int i = 0 ; i < CONF_LIMIT_N ; i++)
  {
    char const *name = conf_limit_name(i) ;
    struct mx_log l ;
    struct span v ;
    uint64_t dv ;
    mx_log_start_bare(&l, "limit") ;
    mx_log_str(&l, "name", name) ;
    put_value(&l, lim->v[i]) ;
    if (cline && conf_opt(cval, name, &v))
    {
      mx_log_str(&l, "source", "clients") ;
      put_where(o, &l, "clients", cline) ;
    }
    else if (b->limline[i])
    {
      mx_log_str(&l, "source", "limits") ;
      put_where(o, &l, "limits", b->limline[i]) ;
    }
    else mx_log_str(&l, "source", "default") ;
    end(o, &l) ;
    if (!dline || !conf_opt(dval, name, &v) || !conf_limit_scan(v.p, v.len, &dv)) continue ;
    mx_log_start_bare(&l, "limit") ;
    mx_log_str(&l, "name", name) ;
    put_value(&l, dv) ;
    mx_log_str(&l, "source", "domains") ;
    put_where(o, &l, "domains", dline) ;
    /* none: accepted in domains, but the client's value above applies */
    mx_log_str(&l, "scope", scoped(name) ? "domain" : "none") ;
    end(o, &l) ;
  }
}

static void spf (struct out *o, struct conf_build const *b, struct conf const *c)
{
  for (unsigned int i = 0 ; i < CONF_SPF_N ; i++)
  {
    struct mx_log l ;
    struct span a ;
    mx_log_start_bare(&l, "spf") ;
    mx_log_str(&l, "spf", conf_spf_result(i)) ;
    if (conf_spf_action(c, conf_spf_result(i), &a)) mx_log_bytes(&l, "action", a.p, a.len) ;
    else mx_log_str(&l, "action", conf_spf_default(i)) ;
    if (b->spfline[i])
    {
      mx_log_str(&l, "source", "spf") ;
      put_where(o, &l, "spf", b->spfline[i]) ;
    }
    else mx_log_str(&l, "source", "default") ;
    end(o, &l) ;
  }
}

int conf_explain (struct conf_build const *b, char const *dir, char const *ip, char const *domain)
{
  struct conf c = { .dir = dir, .map = b->w.buf, .maplen = b->w.len } ;
  struct out o = { .dir = dir, .failed = 0 } ;
  struct conf_limits lim ;
  struct span cval ;
  struct span dval = { 0, 0 } ;
  unsigned long cline ;
  unsigned long dline = 0 ;
  int trusted ;
  conf_limits_get(&c, ip, &lim, &trusted) ;   /* trusted: shown from the clients line */
  client(&o, b, &c, ip, &cval, &cline) ;
  if (domain && !domain_line(&o, b, &c, domain, &dval, &dline)) dline = 0 ;
  limits(&o, b, &lim, cval, cline, dval, dline) ;
  spf(&o, b, &c) ;
  if (o.failed) errno = errno ? errno : EIO ;
  return o.failed ? -1 : 0 ;
}
