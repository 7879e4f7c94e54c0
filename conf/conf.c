/* conf.c: mxhold-conf: check the config directory, compile it into
   config.cdb, read values back. */
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <skalibs/buffer.h>
#include <skalibs/sgetopt.h>
#include <skalibs/types.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "conf/conf.h"
#include "conf/conf_audit.h"
#include "conf/conf_build.h"
#include "conf/conf_explain.h"
#include "conf/conf_cdb.h"

#define USAGE "mxhold-conf [ -c dir ] check|compile [ dir ] | get key | dump | explain IP [ DOMAIN ]"

static void usage (void) __attribute__((noreturn)) ;
static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* A fatal line about path with errno's text. */
static void die_sys (int code, char const *event, char const *path) __attribute__((noreturn)) ;
static void die_sys (int code, char const *event, char const *path)
{
  mx_die_kv(code, event, "path", path, "error", strerror(errno), (char const *)0) ;
}

/* DIR/config.cdb, for messages. */
static char const *cdb_name (char const *dir, char *buf)
{
  return conf_path(buf, dir, CONF_CDB) == -1 ? dir : buf ;
}

static void flush_stdout (void)
{
  if (!buffer_flush(buffer_1)) mx_die_kv(111, "unable-write-stdout", "error", strerror(errno), (char const *)0) ;
}

/* check's error lines, an operator's contract (conf/conf.md): on stderr,
   "FILE:LINE: why" (line 0: "FILE: why"), not in the log grammar. */
static void report (void *ctx, char const *file, unsigned long line, char const *why)
{
  char fmt[ULONG_FMT] ;
  (void)ctx ;
  buffer_puts(buffer_2, file) ;
  if (line)
  {
    buffer_puts(buffer_2, ":") ;
    buffer_put(buffer_2, fmt, ulong_fmt(fmt, line)) ;
  }
  buffer_puts(buffer_2, ": ") ;
  buffer_puts(buffer_2, why) ;
  buffer_putsflush(buffer_2, "\n") ;
}

/* The last line of a check that said anything: "N errors" ("1 error"),
   and ", M warnings" when there were some. */
static void report_count (unsigned long n, unsigned long nwarn)
{
  char fmt[ULONG_FMT] ;
  buffer_put(buffer_2, fmt, ulong_fmt(fmt, n)) ;
  buffer_puts(buffer_2, n == 1 ? " error" : " errors") ;
  if (nwarn)
  {
    buffer_puts(buffer_2, ", ") ;
    buffer_put(buffer_2, fmt, ulong_fmt(fmt, nwarn)) ;
    buffer_puts(buffer_2, nwarn == 1 ? " warning" : " warnings") ;
  }
  buffer_putsflush(buffer_2, "\n") ;
}

/* conf_audit's findings, as check's other lines: "PATH: [warning: ]why". */
static void audit_say (void *ctx, int error, char const *path, char const *why)
{
  (void)ctx ;
  buffer_puts(buffer_2, path) ;
  buffer_puts(buffer_2, error ? ": " : ": warning: ") ;
  buffer_puts(buffer_2, why) ;
  buffer_putsflush(buffer_2, "\n") ;
}

/* check, after a clean build: the directory, config.cdb, the queue. */
static void audit (struct conf_build const *b, char const *dir, struct conf_audit *a)
{
  struct conf c = { .dir = dir, .map = b->w.buf, .maplen = b->w.len } ;
  struct span q ;
  char qpath[CONF_PATH_MAX] ;
  conf_audit_dir(a, dir) ;
  conf_audit_cdb(a, dir) ;
  if (!conf_queue(&c, &q) || !q.len || q.len >= sizeof qpath) return ;
  memcpy(qpath, q.p, q.len) ;
  qpath[q.len] = 0 ;
  conf_audit_queue(a, qpath) ;
}

static void put_ulong (unsigned long u)
{
  char fmt[ULONG_FMT] ;
  buffer_put(buffer_1, fmt, ulong_fmt(fmt, u)) ;
}

/* compile: writes config.cdb, says what it holds. */
static void install (struct conf_build const *b, char const *dir)
{
  char path[CONF_PATH_MAX] ;
  if (conf_build_install(dir, b->w.buf, b->w.len) == -1) die_sys(111, "unable-install", cdb_name(dir, path)) ;
  buffer_puts(buffer_1, cdb_name(dir, path)) ;
  buffer_puts(buffer_1, ": ") ;
  put_ulong(b->ndomains) ;
  buffer_puts(buffer_1, " domains, ") ;
  put_ulong(b->nclients) ;
  buffer_puts(buffer_1, " clients, ") ;
  put_ulong(b->w.len) ;
  buffer_puts(buffer_1, " bytes\n") ;
  flush_stdout() ;
}

enum build_then { BUILD_CHECK, BUILD_INSTALL, BUILD_EXPLAIN } ;

/* check, compile and explain: exit 0 clean (and installed, explained),
   100 errors, 111 I/O. */
static int build (char const *dir, enum build_then then, char const *ip, char const *domain)
{
  static struct conf_build b ;
  struct conf_audit a = { .say = &audit_say } ;
  char path[CONF_PATH_MAX] ;
  if (conf_build_init(&b, &report, 0) == -1) mx_die_kv(111, "unable-allocate", "error", strerror(errno), (char const *)0) ;
  if (conf_build_dir(&b, dir) == -1)
  {
    int e = errno ;
    if (b.nerr) report_count(b.nerr, 0) ;
    errno = e ;
    die_sys(111, "unable-read", e == ENAMETOOLONG || !b.path[0] ? dir : b.path) ;
  }
  if (conf_build_finish(&b) == -1)
  {
    if (!b.nerr) die_sys(111, "unable-build", cdb_name(dir, path)) ;
    report_count(b.nerr, 0) ;
    conf_build_free(&b) ;
    return 100 ;
  }
  if (then == BUILD_CHECK)
  {
    audit(&b, dir, &a) ;
    if (a.nerr || a.nwarn) report_count(a.nerr, a.nwarn) ;
    conf_build_free(&b) ;
    return a.nerr ? 100 : 0 ;
  }
  if (then == BUILD_EXPLAIN)
  {
    if (conf_explain(&b, dir, ip, domain) == -1) mx_die_kv(111, "unable-write-stdout", "error", strerror(errno), (char const *)0) ;
    conf_build_free(&b) ;
    return 0 ;
  }
  install(&b, dir) ;
  conf_build_free(&b) ;
  return 0 ;
}

/* Writes a key for people: client keys as ADDR/LEN, prefix lists as numbers. */
static void put_key (struct span k)
{
  if (k.len == 8 || k.len == 20)
    if ((k.p[0] == 'c' || k.p[0] == 'p') && k.p[1] == ':' && (k.p[2] == '4' || k.p[2] == '6'))
    {
      char txt[INET6_ADDRSTRLEN] ;
      if (inet_ntop(k.p[2] == '4' ? AF_INET : AF_INET6, k.p + 4, txt, sizeof txt))
      {
        buffer_put(buffer_1, k.p, 2) ;
        buffer_puts(buffer_1, txt) ;
        buffer_puts(buffer_1, "/") ;
        put_ulong((unsigned char)k.p[3]) ;
        return ;
      }
    }
  buffer_put(buffer_1, k.p, k.len) ;
}

static void put_val (struct span k, struct span v)
{
  if (k.len == 7 && (!memcmp(k.p, "c:lens", 6) || !memcmp(k.p, "p:lens", 6)))
    for (size_t i = 0 ; i < v.len ; i++)
    {
      if (i) buffer_puts(buffer_1, ",") ;
      put_ulong((unsigned char)v.p[i]) ;
    }
  else buffer_put(buffer_1, v.p, v.len) ;
}

static int dump (struct conf const *c)
{
  char path[CONF_PATH_MAX] ;
  size_t pos = 0 ;
  struct span k ;
  struct span v ;
  int r ;
  while ((r = conf_cdb_next(c->map, c->maplen, &pos, &k, &v)) == 1)
  {
    put_key(k) ;
    buffer_puts(buffer_1, " ") ;
    put_val(k, v) ;
    buffer_puts(buffer_1, "\n") ;
  }
  flush_stdout() ;
  if (r == -1) mx_die_kv(111, "corrupt-config", "path", cdb_name(c->dir, path), (char const *)0) ;
  return 0 ;
}

static int get (struct conf const *c, char const *key)
{
  struct span v ;
  if (!conf_get(c, key, strlen(key), &v)) return 100 ;
  buffer_put(buffer_1, v.p, v.len) ;
  buffer_puts(buffer_1, "\n") ;
  flush_stdout() ;
  return 0 ;
}

static void open_conf (struct conf *c, char const *dir)
{
  char path[CONF_PATH_MAX] ;
  if (conf_open(c, dir) == -1)
  {
    if (errno == EPROTO) mx_die_kv(100, "unable-open", "path", cdb_name(conf_dir(dir), path), "reason", "not-a-cdb", (char const *)0) ;
    die_sys(111, "unable-open", cdb_name(conf_dir(dir), path)) ;
  }
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  char const *dir = 0 ;
  char const *cmd ;
  struct conf c ;
  int opt ;
  mx_log_prog = "mxhold-conf" ;
  mx_cli_std(argc, argv, USAGE, "checks the config directory, compiles it to config.cdb, reads keys from it") ;
  while ((opt = subgetopt_r(argc, argv, "c:", &l)) != -1)
    switch (opt)
    {
      case 'c' :
        dir = l.arg ;
        break ;
      default :
        usage() ;
    }
  argc -= l.ind ;
  argv += l.ind ;
  if (!argc) usage() ;
  cmd = argv[0] ;
  if (!strcmp(cmd, "check") || !strcmp(cmd, "compile"))
  {
    if (argc > 2) usage() ;
    if (argc == 2) dir = argv[1] ;
    return build(conf_dir(dir), cmd[1] == 'o' ? BUILD_INSTALL : BUILD_CHECK, 0, 0) ;
  }
  if (!strcmp(cmd, "explain"))
  {
    unsigned char a[16] ;
    if (argc < 2 || argc > 3) usage() ;
    if (!conf_ip_parse(argv[1], strlen(argv[1]), a)) mx_die_kv(100, "usage", "reason", "not-an-address", "value", argv[1], (char const *)0) ;
    return build(conf_dir(dir), BUILD_EXPLAIN, argv[1], argc == 3 ? argv[2] : 0) ;
  }
  if (!strcmp(cmd, "get") ? argc != 2 : strcmp(cmd, "dump") || argc != 1) usage() ;
  open_conf(&c, dir) ;
  return cmd[0] == 'g' ? get(&c, argv[1]) : dump(&c) ;
}
