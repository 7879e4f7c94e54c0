/* conf.c: mxhold-conf: check the config directory, compile it into
   config.cdb, read values back. */
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <skalibs/buffer.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "conf/conf.h"
#include "conf/conf_build.h"
#include "conf/conf_cdb.h"

#define USAGE "mxhold-conf [ -c dir ] check|compile [ dir ] | get key | dump"

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

/* check and compile: exit 0 clean (and installed), 100 errors, 111 I/O. */
static int build (char const *dir, int install)
{
  struct conf_build b ;
  char fmt[ULONG_FMT] ;
  if (conf_build_init(&b, &report, 0) == -1) strerr_diefu1sys(111, "allocate") ;
  if (conf_build_dir(&b, dir) == -1) strerr_diefu2sys(111, "read config in ", dir) ;
  if (conf_build_finish(&b) == -1)
  {
    if (!b.nerr) strerr_diefu1sys(111, "build config.cdb") ;
    buffer_put(buffer_2, fmt, ulong_fmt(fmt, b.nerr)) ;
    buffer_putsflush(buffer_2, b.nerr == 1 ? " error\n" : " errors\n") ;
    conf_build_free(&b) ;
    return 100 ;
  }
  if (install)
  {
    if (conf_build_install(dir, b.w.buf, b.w.len) == -1)
      strerr_diefu3sys(111, "install ", dir, "/" CONF_CDB) ;
    buffer_puts(buffer_1, dir) ;
    buffer_puts(buffer_1, "/" CONF_CDB ": ") ;
    buffer_put(buffer_1, fmt, ulong_fmt(fmt, b.ndomains)) ;
    buffer_puts(buffer_1, " domains, ") ;
    buffer_put(buffer_1, fmt, ulong_fmt(fmt, b.nclients)) ;
    buffer_puts(buffer_1, " clients, ") ;
    buffer_put(buffer_1, fmt, ulong_fmt(fmt, b.w.len)) ;
    if (!buffer_putsflush(buffer_1, " bytes\n")) strerr_diefu1sys(111, "write to stdout") ;
  }
  conf_build_free(&b) ;
  return 0 ;
}

/* Writes a key for people: client keys as ADDR/LEN, prefix lists as numbers. */
static void put_key (struct span k)
{
  char fmt[UINT_FMT] ;
  if (k.len == 8 || k.len == 20)
    if (k.p[0] == 'c' && k.p[1] == ':' && (k.p[2] == '4' || k.p[2] == '6'))
    {
      char txt[INET6_ADDRSTRLEN] ;
      if (inet_ntop(k.p[2] == '4' ? AF_INET : AF_INET6, k.p + 4, txt, sizeof txt))
      {
        buffer_puts(buffer_1, "c:") ;
        buffer_puts(buffer_1, txt) ;
        buffer_puts(buffer_1, "/") ;
        buffer_put(buffer_1, fmt, uint_fmt(fmt, (unsigned char)k.p[3])) ;
        return ;
      }
    }
  buffer_put(buffer_1, k.p, k.len) ;
}

static void put_val (struct span k, struct span v)
{
  char fmt[UINT_FMT] ;
  size_t i ;
  if (k.len == 7 && !memcmp(k.p, "c:lens", 6))
    for (i = 0 ; i < v.len ; i++)
    {
      if (i) buffer_puts(buffer_1, ",") ;
      buffer_put(buffer_1, fmt, uint_fmt(fmt, (unsigned char)v.p[i])) ;
    }
  else buffer_put(buffer_1, v.p, v.len) ;
}

static int dump (struct conf const *c)
{
  size_t pos = 0 ;
  struct span k, v ;
  int r ;
  while ((r = conf_cdb_next(c->map, c->maplen, &pos, &k, &v)) == 1)
  {
    put_key(k) ;
    buffer_puts(buffer_1, " ") ;
    put_val(k, v) ;
    buffer_puts(buffer_1, "\n") ;
  }
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  if (r == -1) strerr_dief2x(111, c->dir, "/" CONF_CDB " is corrupt") ;
  return 0 ;
}

static int get (struct conf const *c, char const *key)
{
  struct span v ;
  if (!conf_get(c, key, strlen(key), &v)) return 100 ;
  buffer_put(buffer_1, v.p, v.len) ;
  if (!buffer_putsflush(buffer_1, "\n")) strerr_diefu1sys(111, "write to stdout") ;
  return 0 ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  char const *dir = 0, *cmd ;
  struct conf c ;
  int opt ;
  PROG = "mxhold-conf" ;
  while ((opt = subgetopt_r(argc, argv, "c:", &l)) != -1)
    switch (opt)
    {
      case 'c' : dir = l.arg ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  argc -= l.ind ; argv += l.ind ;
  if (!argc) strerr_dieusage(100, USAGE) ;
  cmd = argv[0] ;
  if (!strcmp(cmd, "check") || !strcmp(cmd, "compile"))
  {
    if (argc > 2) strerr_dieusage(100, USAGE) ;
    if (argc == 2) dir = argv[1] ;
    return build(conf_dir(dir), cmd[1] == 'o') ;
  }
  if (!strcmp(cmd, "get") ? argc != 2 : strcmp(cmd, "dump") || argc != 1) strerr_dieusage(100, USAGE) ;
  if (conf_open(&c, dir) == -1)
    strerr_diefu3sys(errno == EPROTO ? 100 : 111, "open ", conf_dir(dir), "/" CONF_CDB) ;
  return cmd[0] == 'g' ? get(&c, argv[1]) : dump(&c) ;
}
