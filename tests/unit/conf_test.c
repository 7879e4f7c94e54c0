/* conf_test.c: the config parsers, the cdb reader and writer, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include "conf/conf.h"
#include "conf/conf_build.h"
#include "conf/conf_cdb.h"
#include "conf/conf_floor.h"
#include "conf/conf_value.h"
#include "tests/unit/check.h"

static char lasterr[512] ;
static unsigned long lastline ;
static void collect (void *ctx, char const *file, unsigned long line, char const *why)
{
  (void)ctx ;
  (void)file ;
  lastline = line ;
  snprintf(lasterr, sizeof lasterr, "%s", why) ;
}

/* Builds a config from texts (NULL: file absent) into c (map owned by the
   build, kept in *b). Returns the number of errors. */
static unsigned long build (struct conf_build *b, struct conf *c, char const *me, char const *domains,
                            char const *limits, char const *clients, char const *spf)
{
  char const *t[CONF_F_N] = { me, "/q", domains, limits, clients, spf } ;
  unsigned int f ;
  lasterr[0] = 0 ;
  lastline = 0 ;
  if (conf_build_init(b, &collect, 0) == -1) exit(2) ;
  for (f = 0 ; f < CONF_F_N ; f++)
    if (t[f] && conf_build_text(b, (enum conf_file)f, conf_build_filename((enum conf_file)f), t[f], strlen(t[f])) == -1) exit(2) ;
  if (conf_build_finish(b) == -1 && !b->nerr) exit(2) ;
  c->dir = "." ;
  c->map = b->w.buf ;
  c->maplen = b->w.len ;
  return b->nerr ;
}

/* One file of the given kind (domains, limits, clients): the number of
   errors. */
static unsigned long one (char const *domains, char const *limits, char const *clients)
{
  static struct conf_build b ;
  struct conf c ;
  unsigned long n = build(&b, &c, "relay.test", domains, limits, clients, 0) ;
  conf_build_free(&b) ;
  return n ;
}

static unsigned long dom1 (char const *line)
{
  return one(line, 0, 0) ;
}

static unsigned long cli1 (char const *line)
{
  return one(0, 0, line) ;
}

static unsigned long lim1 (char const *line)
{
  return one(0, line, 0) ;
}

static int spaneq (struct span s, char const *z)
{
  return s.len == strlen(z) && !memcmp(s.p, z, s.len) ;
}

static void test_host (void)
{
  char out[CONF_HOST_MAX + 1] ;
  char big[300] ;
  size_t n ;
  CHECK(conf_host_norm("Example.COM.", 12, out) == 11 && !memcmp(out, "example.com", 11), "host: lower-cased, trailing dot stripped") ;
  CHECK(!conf_host_norm("", 0, out), "host: empty refused") ;
  CHECK(!conf_host_norm(".", 1, out), "host: lone dot refused") ;
  CHECK(!conf_host_norm("a..b", 4, out), "host: empty label refused") ;
  CHECK(!conf_host_norm("a.com..", 7, out), "host: two trailing dots refused") ;
  CHECK(!conf_host_norm("-a.com", 6, out) && !conf_host_norm("a-.com", 6, out), "host: hyphen at label edge refused") ;
  CHECK(!conf_host_norm("a_b.com", 7, out), "host: underscore refused") ;
  CHECK(!conf_host_norm("a\0b.com", 7, out), "host: NUL inside refused") ;
  CHECK(!conf_host_norm("1.2.3.4", 7, out), "host: all-numeric top label refused") ;
  memset(big, 'a', sizeof big) ;
  CHECK(conf_host_norm(big, 63, out) == 63, "host: 63-byte label ok") ;
  CHECK(!conf_host_norm(big, 64, out), "host: 64-byte label refused") ;
  for (n = 63 ; n < 253 ; n += 64) big[n] = '.' ;   /* labels of 63 */
  CHECK(conf_host_norm(big, 253, out) == 253, "host: 253 bytes ok") ;
  big[253] = 'a' ;
  CHECK(!conf_host_norm(big, 254, out), "host: 254 bytes refused") ;
}

/* The floors of the timing limits (conf/conf_floor.h). */
static void test_floor (void)
{
  struct conf_limits l ;
  char msg[CONF_MSG_BYTES] ;
  uint64_t v ;
  uint64_t d ;
  for (unsigned int i = 0 ; i < CONF_LIMIT_N ; i++) l.v[i] = 0 ;
  conf_floor_clamp(&l) ;
  CHECK(CONF_LIM(&l, retry_min) == 1 && CONF_LIM(&l, retry_max) == 1 && CONF_LIM(&l, timeout_remote) == 1 && CONF_LIM(&l, window) == 1,
    "floor clamp: a timing 0 is raised to the hard floor, 1 s") ;
  CHECK(CONF_LIM(&l, lifetime) == 0 && CONF_LIM(&l, recipients) == 0 && CONF_LIM(&l, greet_pause) == 0 && CONF_LIM(&l, session_idle) == 0,
    "floor clamp: lifetime 0 (calendar days) kept, limits without a floor untouched") ;
  unsetenv(CONF_FLOOR_TEST_ENV) ;
  CHECK(conf_value_limit(msg, CONF_LIMIT_retry_min, SPAN_STR("59"), &v, &d) && !strcmp(msg, "value below the floor of 60"), "floor: retry_min 59 refused with the floor's value") ;
  CHECK(!conf_value_limit(msg, CONF_LIMIT_retry_min, SPAN_STR("60"), &v, &d) && v == 60, "floor: retry_min 60 accepted") ;
  CHECK(!conf_value_limit(msg, CONF_LIMIT_lifetime, SPAN_STR("0"), &v, &d) && conf_value_limit(msg, CONF_LIMIT_lifetime, SPAN_STR("3599"), &v, &d), "floor: lifetime 0 allowed, 3599 refused") ;
  CHECK(conf_value_limit(msg, CONF_LIMIT_lifetime, SPAN_STR("0d"), &v, &d) && !conf_value_limit(msg, CONF_LIMIT_lifetime, SPAN_STR("1d"), &v, &d), "floor: lifetime 0d refused (lifetime_days 1), 1d accepted") ;
  CHECK(!conf_value_limit(msg, CONF_LIMIT_greet_pause, SPAN_STR("0"), &v, &d), "floor: greet_pause has none") ;
  setenv(CONF_FLOOR_TEST_ENV, "1", 1) ;
  CHECK(!conf_value_limit(msg, CONF_LIMIT_retry_min, SPAN_STR("1"), &v, &d), "floor, test knob: retry_min 1 accepted") ;
  CHECK(conf_value_limit(msg, CONF_LIMIT_retry_min, SPAN_STR("0"), &v, &d), "floor, test knob: retry_min 0 still refused") ;
  setenv(CONF_FLOOR_TEST_ENV, "yes", 1) ;
  CHECK(conf_value_limit(msg, CONF_LIMIT_retry_min, SPAN_STR("1"), &v, &d), "floor: the test knob is 1 exactly, nothing else") ;
  unsetenv(CONF_FLOOR_TEST_ENV) ;
}

static void test_scan (void)
{
  uint64_t v ;
  CHECK(conf_limit_scan("0", 1, &v) && v == 0, "scan: 0") ;
  CHECK(conf_limit_scan("18446744073709551615", 20, &v) && v == UINT64_MAX, "scan: UINT64_MAX") ;
  CHECK(!conf_limit_scan("18446744073709551616", 20, &v), "scan: UINT64_MAX+1 overflow refused") ;
  CHECK(conf_limit_scan("20M", 3, &v) && v == 20971520, "scan: 20M") ;
  CHECK(!conf_limit_scan("M", 1, &v) && !conf_limit_scan("", 0, &v) && !conf_limit_scan("-1", 2, &v) && !conf_limit_scan("1 ", 2, &v), "scan: junk refused") ;
  CHECK(!conf_limit_scan("17179869184G", 12, &v), "scan: suffix overflow refused") ;
  CHECK(conf_limit_scan("unlimited", 9, &v) && v == CONF_UNLIMITED, "scan: unlimited") ;
  CHECK(conf_limit_scan("007", 3, &v) && v == 7, "scan: leading zeros") ;
  CHECK(conf_limit_scan("0K", 2, &v) && v == 0 && conf_limit_scan("1g", 2, &v) && v == 1073741824, "scan: 0K, lower-case g") ;
  CHECK(!conf_limit_scan("1KK", 3, &v) && !conf_limit_scan("K1", 2, &v), "scan: suffix twice, suffix first refused") ;
}

static void test_ip (void)
{
  unsigned char a[16] ;
  CHECK(conf_ip_parse("192.0.2.1", 9, a) == 4 && a[0] == 192 && a[3] == 1, "ip: IPv4") ;
  CHECK(conf_ip_parse("2001:db8::1", 11, a) == 6 && a[0] == 0x20 && a[15] == 1, "ip: IPv6") ;
  CHECK(!conf_ip_parse("192.0.2.256", 11, a) && !conf_ip_parse("", 0, a) && !conf_ip_parse("1.2.3.4\0", 8, a), "ip: bad refused") ;
  CHECK(!conf_ip_parse("1.2.3.4", 5, a) || a[0] == 1, "ip: length respected") ;
}

static void test_opt (void)
{
  struct span o = SPAN_STR("127.0.0.1:25 tls=require size=100 trusted  sizex=3") ;
  struct span v ;
  CHECK(conf_opt(o, "tls", &v) && spaneq(v, "require"), "opt: tls=require") ;
  CHECK(conf_opt(o, "size", &v) && spaneq(v, "100"), "opt: size, not sizex") ;
  CHECK(conf_opt(o, "trusted", &v) && v.len == 0, "opt: bare word") ;
  CHECK(!conf_opt(o, "siz", &v) && !conf_opt(o, "recipients", &v), "opt: absent") ;
  CHECK(spaneq(conf_route(o), "127.0.0.1:25"), "route: first word") ;
  CHECK(conf_route((struct span){ "", 0 }).len == 0, "route: empty") ;
  CHECK(conf_opt((struct span)SPAN_STR("size="), "size", &v) && v.len == 0, "opt: key= with an empty value") ;
}

static void test_domains (void)
{
  static struct conf_build b ;
  static struct conf_build b2 ;
  struct conf c ;
  struct span v ;
  unsigned long n = build(&b, &c, "relay.test\n",
    "# comment\n\n  Example.COM.\t 127.0.0.1:2526   # trailing\r\n"
    "example.net [2001:db8::1]:25,mx.example.org size=10M recipients=verify tls=require\n"
    "example.org mx lifetime=2d\n", 0, 0, 0) ;
  CHECK(n == 0, "domains: good file has no errors") ;
  CHECK(conf_domain_find(&c, "example.com", 11, &v) && spaneq(v, "127.0.0.1:2526"), "domains: found, value normalised") ;
  CHECK(conf_domain_find(&c, "EXAMPLE.com.", 12, &v), "domains: any case, trailing dot") ;
  CHECK(!conf_domain_find(&c, "example.com..", 13, &v) && !conf_domain_find(&c, "xample.com", 10, &v), "domains: others not found") ;
  CHECK(!conf_domain_find(&c, "exa\0ple.com", 11, &v) && !conf_domain_find(&c, "", 0, &v), "domains: NUL, empty not found") ;
  CHECK(conf_domain_find(&c, "example.net", 11, &v) && spaneq(v, "[2001:db8::1]:25,mx.example.org size=10485760 recipients=verify tls=require"), "domains: options canonical") ;
  CHECK(conf_rcpt_policy(v) == CONF_RCPT_VERIFY && !conf_rcpt_defer(v), "domains: recipients=verify, verify_fail accept by default") ;
  CHECK(conf_domain_find(&c, "example.org", 11, &v) && spaneq(v, "mx lifetime=0 lifetime_days=2"), "domains: lifetime=Nd") ;
  CHECK(conf_me(&c, &v) && spaneq(v, "relay.test"), "me") ;
  CHECK(conf_queue(&c, &v) && spaneq(v, "/q"), "queue") ;
  conf_build_free(&b) ;

  CHECK(dom1("example.com") == 1 && strstr(lasterr, "missing route"), "domains: missing route") ;
  CHECK(dom1("exa_mple.com 1.2.3.4") == 1 && strstr(lasterr, "bad domain"), "domains: bad name") ;
  CHECK(dom1("a.com 1.2.3.4:0") == 1 && strstr(lasterr, "bad port"), "domains: port 0") ;
  CHECK(dom1("a.com 1.2.3.4:65536") == 1, "domains: port 65536") ;
  CHECK(dom1("a.com 1.2.3.4:65535") == 0, "domains: port 65535") ;
  CHECK(dom1("a.com 1.2.3.4:") == 1 && dom1("a.com 1.2.3.4,") == 1 && dom1("a.com ,x.org") == 1, "domains: empty port/host") ;
  CHECK(dom1("a.com [::1") == 1 && dom1("a.com [1.2.3.4]") == 1 && dom1("a.com [::1]x") == 1, "domains: bad IPv6 routes") ;
  CHECK(dom1("a.com 1.2.3.400") == 1 && strstr(lasterr, "bad host"), "domains: bad IPv4 route") ;
  CHECK(dom1("a.com x.org tls=maybe") == 1 && strstr(lasterr, "tls"), "domains: bad tls") ;
  CHECK(dom1("a.com x.org tls=verify") == 0 && dom1("a.com x.org tls=dane") == 0 && dom1("a.com x.org tls=none") == 0, "domains: tls=verify, dane, none") ;
  CHECK(dom1("a.com x.org tls=dane dane_fallback=verify tls_ca=/dev/null") == 0, "domains: dane_fallback, tls_ca") ;
  CHECK(dom1("a.com x.org dane_fallback=dane") == 1 && strstr(lasterr, "dane_fallback"), "domains: dane_fallback=dane refused") ;
  CHECK(dom1("a.com x.org tls_ca=ca.pem") == 1 && strstr(lasterr, "absolute"), "domains: relative tls_ca") ;
  CHECK(dom1("a.com x.org tls_ca=/nonexistent/ca.pem") == 1 && strstr(lasterr, "not readable"), "domains: unreadable tls_ca") ;
  CHECK(dom1("a.com x.org tls_ca") == 1 && dom1("a.com x.org tls=may tls=none") == 1, "domains: tls_ca without value, tls twice") ;
  CHECK(dom1("a.com x.org foo=1") == 1 && strstr(lasterr, "unknown option"), "domains: unknown option") ;
  CHECK(dom1("a.com x.org size=2G") == 1 && strstr(lasterr, "cap"), "domains: size above cap") ;
  CHECK(dom1("a.com x.org size=1G") == 0, "domains: size at cap") ;
  CHECK(dom1("a.com x.org size=1 size=2") == 1 && strstr(lasterr, "duplicate option"), "domains: duplicate option") ;
  CHECK(dom1("a.com x.org trusted") == 1, "domains: trusted is not a domain option") ;
  CHECK(dom1("a.com x.org\nb.com y.org\nA.com. z.org") == 1 && lastline == 3 && strstr(lasterr, "first on line 1"), "domains: duplicate domain with line numbers") ;
  conf_build_init(&b2, &collect, 0) ;
  conf_build_text(&b2, CONF_F_DOMAINS, "domains", "a.com x.org\n\0b.com y.org\n", 25) ;
  CHECK(b2.nerr == 1 && lastline == 2 && strstr(lasterr, "NUL"), "domains: NUL in line") ;
  conf_build_free(&b2) ;
}

static void test_lines (void)
{
  char *big = malloc(CONF_LINE_MAX_BYTES + 3) ;
  char many[1024] = "a.com x.org" ;
  size_t n ;
  if (!big) exit(2) ;
  memcpy(big, "a.com x.org", 11) ;
  memset(big + 11, ' ', CONF_LINE_MAX_BYTES - 11) ;
  big[CONF_LINE_MAX_BYTES] = '\r' ;
  big[CONF_LINE_MAX_BYTES + 1] = '\n' ;
  big[CONF_LINE_MAX_BYTES + 2] = 0 ;
  CHECK(dom1(big) == 0, "lines: max length (CR LF not counted) ok") ;
  big[CONF_LINE_MAX_BYTES] = ' ' ;
  CHECK(dom1(big) == 1 && strstr(lasterr, "too long"), "lines: max+1 refused") ;
  free(big) ;
  CHECK(dom1("") == 0 && dom1("\n\n# x\n   \r\n") == 0, "lines: empty and comment-only files") ;
  n = dom1("a.com x.org\rb.com y.org\n") ;
  CHECK(n == 1, "lines: bare CR inside a line is not a line end") ;
  n = strlen(many) ;
  for (int i = 0 ; i < CONF_WORDS_MAX ; i++)
  {
    memcpy(many + n, " size=1", 8) ;
    n += 7 ;
  }
  CHECK(dom1(many) == 1 && strstr(lasterr, "too many words"), "lines: too many words") ;
}

static void test_clients_limits (void)
{
  static struct conf_build b ;
  struct conf c ;
  struct conf_limits l ;
  struct span v ;
  int t ;
  unsigned long n = build(&b, &c, "relay.test",
    0, "recipients 20\nsize 10M\nconnections 100 60\n",
    "10.0.0.0/8 recipients=30\n10.1.0.0/16 recipients=40 trusted\n10.1.2.3 messages=7\n"
    "2001:db8::/32 connections=unlimited\n::ffff:192.0.2.0/120 size=5\n", 0) ;
  CHECK(n == 0, "clients/limits: good files") ;
  conf_limits_get(&c, 0, &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 20 && CONF_LIM(&l, size) == 10485760 && CONF_LIM(&l, messages) == 50 && !t, "limits: file overrides default, rest default") ;
  CHECK(CONF_LIM(&l, connections) == 100 && CONF_LIM(&l, window) == 60, "limits: connections N WINDOW") ;
  conf_limits_get(&c, "10.9.9.9", &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 30 && !t, "limits: /8 overrides") ;
  conf_limits_get(&c, "10.1.9.9", &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 40 && t, "limits: longer /16 wins, trusted") ;
  conf_limits_get(&c, "10.1.2.3", &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 20 && CONF_LIM(&l, messages) == 7 && !t, "limits: /32 wins over all (no merging)") ;
  conf_limits_get(&c, "::ffff:10.1.2.3", &l, &t) ;
  CHECK(CONF_LIM(&l, messages) == 7, "limits: IPv4-mapped IPv6 client") ;
  conf_limits_get(&c, "2001:db8:1::5", &l, &t) ;
  CHECK(CONF_LIM(&l, connections) == CONF_UNLIMITED, "limits: IPv6 /32, unlimited") ;
  conf_limits_get(&c, "192.0.2.9", &l, &t) ;
  CHECK(CONF_LIM(&l, size) == 5, "clients: IPv4-mapped prefix stored as IPv4") ;
  conf_limits_get(&c, "11.0.0.1", &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 20, "limits: no match") ;
  conf_limits_get(&c, "junk", &l, &t) ;
  CHECK(CONF_LIM(&l, recipients) == 20 && !t, "limits: unparsable ip") ;
  CHECK(conf_client_find(&c, "10.1.2.3", &v) && spaneq(v, "messages=7"), "client_find") ;
  CHECK(!conf_client_find(&c, "2001:db9::", &v), "client_find: no IPv6 match") ;
  conf_build_free(&b) ;

  CHECK(cli1("10.0.0.1/8 trusted") == 1 && strstr(lasterr, "CIDR"), "clients: host bits set") ;
  CHECK(cli1("10.0.0.0/33 trusted") == 1 && strstr(lasterr, "prefix"), "clients: /33") ;
  CHECK(cli1("::/129 trusted") == 1 && cli1("::/-1 trusted") == 1 && cli1("::/ trusted") == 1, "clients: bad IPv6 prefix") ;
  CHECK(cli1("::/0 trusted") == 0 && cli1("0.0.0.0/0 trusted") == 0, "clients: /0 ok") ;
  CHECK(cli1("10.0.0.300 trusted") == 1 && strstr(lasterr, "bad address"), "clients: bad address") ;
  CHECK(cli1("10.0.0.1") == 1, "clients: nothing to set") ;
  CHECK(cli1("10.0.0.1 tls=may") == 1 && cli1("10.0.0.1 trusted=1") == 1, "clients: domain-only / bad options") ;
  CHECK(cli1("10.0.0.1 tls_ca=/dev/null") == 1 && cli1("10.0.0.1 dane_fallback=may") == 1, "clients: no TLS options") ;
  CHECK(cli1("10.0.0.1 recipients=100001") == 1 && strstr(lasterr, "cap of 100000"), "clients: above cap") ;
  CHECK(cli1("10.0.0.1 recipients=unlimited") == 1, "clients: unlimited where not allowed") ;
  CHECK(cli1("10.0.0.1 trusted\n10.0.0.1/32 trusted") == 1 && strstr(lasterr, "duplicate"), "clients: duplicate prefix") ;
  CHECK(lim1("recipientz 5") == 1 && strstr(lasterr, "unknown limit"), "limits: unknown name") ;
  CHECK(lim1("recipients 5x") == 1 && strstr(lasterr, "bad number"), "limits: bad number") ;
  CHECK(lim1("recipients 99999999999999999999") == 1, "limits: overflow") ;
  CHECK(lim1("recipients 100000") == 0 && lim1("recipients 100001") == 1, "limits: cap inclusive") ;
  CHECK(lim1("recipients 5\nrecipients 6") == 1 && lastline == 2, "limits: duplicate") ;
  CHECK(lim1("recipients") == 1 && lim1("recipients 1 2") == 1, "limits: word count") ;
  CHECK(lim1("lifetime 5d\nlifetime_days 3") == 1, "limits: lifetime Nd conflicts with lifetime_days") ;
  CHECK(lim1("lifetime 366d") == 1 && lim1("lifetime d") == 1, "limits: lifetime days cap, bad") ;
  CHECK(lim1("retry_min 7200") == 1 && strstr(lasterr, "retry_max"), "limits: retry_min above retry_max") ;
  CHECK(lim1("size 1K\nburst unlimited") == 0, "limits: suffix, unlimited") ;
  CHECK(lim1("messages 1K") == 1, "limits: suffix only for size") ;
}

static void test_spf_me (void)
{
  static struct conf_build b ;
  struct conf c ;
  struct span v ;
  unsigned long n = build(&b, &c, "relay.test", 0, 0, 0, "fail mark\nneutral defer\n") ;
  CHECK(n == 0, "spf: good file") ;
  CHECK(conf_spf_action(&c, "fail", &v) && spaneq(v, "mark"), "spf: fail mark") ;
  CHECK(conf_spf_action(&c, "softfail", &v) && spaneq(v, "mark") && conf_spf_action(&c, "temperror", &v) && spaneq(v, "defer"), "spf: defaults") ;
  CHECK(!conf_spf_action(&c, "bogus", &v), "spf: unknown result") ;
  CHECK(!strcmp(conf_spf_result(0), "pass") && !strcmp(conf_spf_result(CONF_SPF_N - 1), "temperror") && !conf_spf_result(CONF_SPF_N), "spf: the results, in order, and none past them") ;
  CHECK(!strcmp(conf_spf_default(1), "reject") && !strcmp(conf_spf_default(6), "defer") && !conf_spf_default(CONF_SPF_N), "spf: defaults by index") ;
  conf_build_free(&b) ;
  n = build(&b, &c, "relay.test", 0, 0, 0, "fial reject\nfail drop\npass accept\npass accept\nfail\n") ;
  CHECK(n == 4, "spf: unknown result, unknown action, duplicate, missing action") ;
  conf_build_free(&b) ;
  n = build(&b, &c, 0, 0, 0, 0, 0) ;
  CHECK(n == 1 && strstr(lasterr, "missing"), "me: missing file") ;
  conf_build_free(&b) ;
  n = build(&b, &c, "relay.test\nother.test\n", 0, 0, 0, 0) ;
  CHECK(n == 1 && lastline == 2, "me: two lines") ;
  conf_build_free(&b) ;
  n = build(&b, &c, "relay_test\n", 0, 0, 0, 0) ;
  CHECK(n == 1, "me: bad host name") ;
  conf_build_free(&b) ;
}

static void test_cdb (void)
{
  struct conf_cdbw w ;
  struct span v ;
  struct span k ;
  char key[16] ;
  size_t i ;
  size_t pos = 0 ;
  size_t inside = 0 ;
  int ok = 1 ;
  int r ;
  char *copy ;
  CHECK(conf_cdbw_init(&w) == 0, "cdb: init") ;
  for (i = 0 ; i < 1000 ; i++)
  {
    snprintf(key, sizeof key, "k%zu", i) ;
    if (conf_cdbw_add(&w, key, strlen(key), key, strlen(key)) == -1) ok = 0 ;
  }
  CHECK(ok && conf_cdbw_add(&w, "", 0, "", 0) == 0 && conf_cdbw_finish(&w) == 0, "cdb: write 1001 records") ;
  for (i = 0 ; i < 1000 ; i++)
  {
    snprintf(key, sizeof key, "k%zu", i) ;
    if (!conf_cdb_find(w.buf, w.len, key, strlen(key), &v) || !spaneq(v, key)) ok = 0 ;
  }
  CHECK(ok, "cdb: every key found with its value") ;
  CHECK(conf_cdb_find(w.buf, w.len, "", 0, &v) && v.len == 0, "cdb: empty key") ;
  CHECK(!conf_cdb_find(w.buf, w.len, "k1000", 5, &v), "cdb: absent key") ;
  for (i = 0 ; (r = conf_cdb_next(w.buf, w.len, &pos, &k, &v)) == 1 ; i++) ;
  CHECK(r == 0 && i == 1001, "cdb: iteration") ;
  /* corrupt copies: truncations and flipped bytes never crash, and what
     they find lies inside the map */
  copy = malloc(w.len) ;
  if (!copy) exit(2) ;
  ok = 1 ;
  for (i = 0 ; i < w.len ; i += 7)
  {
    memcpy(copy, w.buf, w.len) ;
    copy[i] ^= (char)0xa5 ;
    if (conf_cdb_find(copy, w.len, "k5", 2, &v) && (v.p < copy || v.len > w.len || v.p + v.len > copy + w.len)) ok = 0 ;
    if (conf_cdb_find(copy, i, "k5", 2, &v) && (v.p < copy || v.len > i || v.p + v.len > copy + i)) ok = 0 ;
    pos = 0 ;
    while (conf_cdb_next(copy, w.len, &pos, &k, &v) == 1)
    {
      if (k.p < copy || v.p + v.len > copy + w.len) ok = 0 ;
      inside++ ;
    }
  }
  CHECK(ok, "cdb: corrupt maps: every value found lies inside the map") ;
  CHECK(inside > 1001, "cdb: corrupt maps: iteration still reads the records before the damage") ;
  memset(copy, 0xff, w.len) ;
  CHECK(!conf_cdb_find(copy, w.len, "k5", 2, &v), "cdb: all-0xff map: not found") ;
  CHECK(!conf_cdb_find(copy, 100, "k5", 2, &v) && !conf_cdb_find(0, 0, "k5", 2, &v), "cdb: short or no map: not found") ;
  free(copy) ;
  conf_cdbw_free(&w) ;
}

static void test_open (void)
{
  char dir[] = "/tmp/conf_test.XXXXXX" ;
  char path[CONF_PATH_MAX] ;
  char sub[CONF_PATH_MAX] ;
  static struct conf_build b ;
  struct conf c ;
  struct conf c0 ;
  struct span v ;
  struct conf_limits l ;
  FILE *f ;
  int r ;
  CHECK(mkdtemp(dir) != 0, "mkdtemp") ;
  CHECK(conf_open(&c, dir) == -1 && errno == ENOENT, "open: not compiled yet is ENOENT") ;
  CHECK(conf_path(path, dir, CONF_CDB) == 0 && strlen(path) == strlen(dir) + 1 + strlen(CONF_CDB), "conf_path: DIR/NAME") ;
  f = fopen(path, "w") ;
  if (!f) exit(2) ;
  fputs("short", f) ;
  fclose(f) ;
  CHECK(conf_open(&c, dir) == -1 && errno == EPROTO, "open: short file is EPROTO") ;
  build(&b, &c0, "one.test", "a.com x.org size=1000", 0, 0, 0) ;
  CHECK(conf_build_install(dir, b.w.buf, b.w.len) == 0, "install") ;
  conf_build_free(&b) ;
  CHECK(conf_open(&c, dir) == 0 && conf_me(&c, &v) && spaneq(v, "one.test"), "open: reads the installed file") ;
  CHECK(conf_reopen(&c) == 0, "reopen: unchanged is 0") ;
  conf_limits_get(&c, 0, &l, 0) ;
  CHECK(conf_domain_find(&c, "a.com", 5, &v), "domain override: found") ;
  conf_limits_apply(v, &l) ;
  CHECK(CONF_LIM(&l, size) == 1000 && CONF_LIM(&l, recipients) == 50, "domain override: conf_limits_apply") ;
  build(&b, &c0, "two.test", 0, 0, 0, 0) ;
  conf_build_install(dir, b.w.buf, b.w.len) ;
  conf_build_free(&b) ;
  CHECK(conf_me(&c, &v) && spaneq(v, "one.test"), "old map still valid after a recompile") ;
  r = conf_reopen(&c) ;
  CHECK(r == 1 && conf_me(&c, &v) && spaneq(v, "two.test"), "reopen: sees the new file") ;
  unlink(path) ;
  CHECK(conf_reopen(&c) == -1 && conf_me(&c, &v) && spaneq(v, "two.test"), "reopen: error keeps the old map") ;
  conf_close(&c) ;
  setenv(CONF_ENV, "/x/y", 1) ;
  CHECK(!strcmp(conf_dir(0), "/x/y") && !strcmp(conf_dir("/d"), "/d"), "conf_dir: env, explicit") ;
  unsetenv(CONF_ENV) ;
  CHECK(!strcmp(conf_dir(0), CONF_DIR_DEFAULT), "conf_dir: default") ;
  /* conf_build_dir: an unreadable file fails with its name in b.path */
  CHECK(conf_path(sub, dir, "domains") == 0 && mkdir(sub, 0700) == 0, "a directory named domains") ;
  conf_build_init(&b, &collect, 0) ;
  errno = 0 ;
  CHECK(conf_build_dir(&b, dir) == -1 && errno == EISDIR && !strcmp(b.path, sub), "build_dir: -1, EISDIR, b.path names the file") ;
  conf_build_free(&b) ;
  rmdir(sub) ;
  rmdir(dir) ;
}

static void test_path (void)
{
  char buf[CONF_PATH_MAX] ;
  char dir[CONF_PATH_MAX] ;
  memset(dir, 'd', sizeof dir - 1) ;
  dir[sizeof dir - 1] = 0 ;
  dir[CONF_PATH_MAX - 1 - 1 - 2] = 0 ;   /* room for "/ab" and the NUL, exactly */
  CHECK(conf_path(buf, dir, "ab") == 0 && strlen(buf) == CONF_PATH_MAX - 1, "conf_path: exact fit") ;
  errno = 0 ;
  CHECK(conf_path(buf, dir, "abc") == -1 && errno == ENAMETOOLONG, "conf_path: one byte over is ENAMETOOLONG") ;
  CHECK(conf_path(buf, "/etc/mxhold", "") == 0 && !strcmp(buf, "/etc/mxhold/"), "conf_path: empty name") ;
}

/* proxies and redis: one file each, by its own syntax. */
static unsigned long file1 (enum conf_file f, char const *text, struct conf_build *b, struct conf *c)
{
  lasterr[0] = 0 ;
  if (conf_build_init(b, &collect, 0) == -1) exit(2) ;
  if (conf_build_text(b, CONF_F_ME, "me", "relay.test", 10) == -1) exit(2) ;
  if (conf_build_text(b, CONF_F_QUEUE, "queue", "/q", 2) == -1) exit(2) ;
  if (conf_build_text(b, f, conf_build_filename(f), text, strlen(text)) == -1) exit(2) ;
  if (conf_build_finish(b) == -1 && !b->nerr) exit(2) ;
  c->dir = "." ;
  c->map = b->w.buf ;
  c->maplen = b->w.len ;
  return b->nerr ;
}

static void test_proxies_redis (void)
{
  static struct conf_build b ;
  struct conf c ;
  struct span v ;
  struct conf_redis_addr a ;
  CHECK(!strcmp(conf_build_filename(CONF_F_PROXIES), "proxies") && !strcmp(conf_build_filename(CONF_F_REDIS), "redis"), "proxies, redis: file names") ;
  CHECK(file1(CONF_F_PROXIES, "10.0.0.0/29\n2001:db8::/64\n127.0.0.1\n", &b, &c) == 0, "proxies: prefixes and an address") ;
  CHECK(conf_proxy_trusted(&c, "10.0.0.7") && !conf_proxy_trusted(&c, "10.0.0.8"), "proxies: /29 holds .7, not .8") ;
  CHECK(conf_proxy_trusted(&c, "2001:db8::1:2") && !conf_proxy_trusted(&c, "2001:db8:0:1::1"), "proxies: the /64") ;
  CHECK(conf_proxy_trusted(&c, "::ffff:127.0.0.1") && !conf_proxy_trusted(&c, "127.0.0.2"), "proxies: a v4-mapped peer counts as IPv4") ;
  CHECK(!conf_proxy_trusted(&c, "junk") && !conf_proxy_trusted(&c, 0), "proxies: no address, no trust") ;
  CHECK(!conf_client_find(&c, "10.0.0.7", &v), "proxies are not clients") ;
  CHECK(!conf_get(&c, "redis", 5, &v), "no redis file: no redis key") ;
  conf_build_free(&b) ;
  CHECK(file1(CONF_F_PROXIES, "10.0.0.1/24\n", &b, &c) == 1, "proxies: bits past the prefix") ;
  conf_build_free(&b) ;
  CHECK(file1(CONF_F_PROXIES, "10.0.0.1 trusted\n", &b, &c) == 1, "proxies: a second word") ;
  conf_build_free(&b) ;
  CHECK(file1(CONF_F_PROXIES, "10.0.0.1\n10.0.0.1/32\n", &b, &c) == 1 && strstr(lasterr, "duplicate"), "proxies: a duplicate") ;
  conf_build_free(&b) ;
  CHECK(file1(CONF_F_REDIS, "127.0.0.1:6379\n", &b, &c) == 0 && conf_get(&c, "redis", 5, &v) && spaneq(v, "127.0.0.1:6379"), "redis: IP:PORT stored") ;
  conf_build_free(&b) ;
  CHECK(file1(CONF_F_REDIS, "a:1\nb:2\n", &b, &c) == 2, "redis: a name is no address (each line)") ;
  conf_build_free(&b) ;
  CHECK(conf_redis_parse("127.0.0.1:6379", 14, &a) && a.fam == 4 && !strcmp(a.host, "127.0.0.1") && a.port == 6379, "redis: IPv4") ;
  CHECK(conf_redis_parse("[::1]:1", 7, &a) && a.fam == 6 && !strcmp(a.host, "::1") && a.port == 1, "redis: [IPv6]") ;
  CHECK(conf_redis_parse("/run/r.sock", 11, &a) && a.fam == 0 && !strcmp(a.host, "/run/r.sock"), "redis: a socket path") ;
  CHECK(!conf_redis_parse("::1:6379", 8, &a), "redis: IPv6 without brackets") ;
  CHECK(!conf_redis_parse("localhost:6379", 14, &a), "redis: no names") ;
  CHECK(!conf_redis_parse("127.0.0.1:0", 11, &a) && !conf_redis_parse("127.0.0.1:65536", 15, &a) && !conf_redis_parse("127.0.0.1:", 10, &a), "redis: ports 0, 65536, none") ;
  CHECK(!conf_redis_parse("rel/path", 8, &a), "redis: a relative path") ;
}

int main (void)
{
  test_proxies_redis() ;
  test_open() ;
  test_host() ;
  test_scan() ;
  test_floor() ;
  test_ip() ;
  test_opt() ;
  test_domains() ;
  test_lines() ;
  test_clients_limits() ;
  test_spf_me() ;
  test_cdb() ;
  test_path() ;
  return check_done() ;
}
