/* rc_host_test.c: HOST[:PORT] forms. */
#include <stdio.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

static int fails = 0 ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)

static int parse (struct rc_host *h, char const *s) { return rc_host_parse(h, s, strlen(s)) ; }

int main (void)
{
  struct rc_host h ;
  CHECK(!parse(&h, "mail.example.com") && !strcmp(h.host, "mail.example.com") && !strcmp(h.port, "25"), "name, default port") ;
  CHECK(!parse(&h, "127.0.0.1:2525") && !strcmp(h.host, "127.0.0.1") && !strcmp(h.port, "2525"), "v4 with port") ;
  CHECK(!parse(&h, "[::1]:2525") && !strcmp(h.host, "::1") && !strcmp(h.port, "2525"), "bracketed v6 with port") ;
  CHECK(!parse(&h, "[::1]") && !strcmp(h.host, "::1") && !strcmp(h.port, "25"), "bracketed v6") ;
  CHECK(!parse(&h, "::1") && !strcmp(h.host, "::1") && !strcmp(h.port, "25"), "bare v6") ;
  CHECK(parse(&h, "") < 0, "empty") ;
  CHECK(parse(&h, "host:") < 0, "empty port") ;
  CHECK(parse(&h, "host:0") < 0, "port 0") ;
  CHECK(parse(&h, "host:65536") < 0, "port too big") ;
  CHECK(!parse(&h, "host:65535"), "port 65535") ;
  CHECK(parse(&h, "host:25x") < 0, "port with a letter") ;
  CHECK(parse(&h, "[::1") < 0, "unclosed bracket") ;
  CHECK(parse(&h, "[::1]x") < 0, "junk after bracket") ;
  CHECK(parse(&h, "a b") < 0, "blank inside") ;
  CHECK(rc_host_parse(&h, "a\0b", 3) < 0, "NUL inside") ;
  {
    char lng[RC_ARG_MAX + 2] ;
    memset(lng, 'a', sizeof lng) ;
    CHECK(!rc_host_parse(&h, lng, RC_ARG_MAX), "longest name") ;
    CHECK(rc_host_parse(&h, lng, RC_ARG_MAX + 1) < 0, "name one too long") ;
  }
  return fails ? 1 : 0 ;
}
