/* queue_fmt_test.c: the queue format module (queue/queue_fmt.c). */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "queue/queue.h"
#include "tests/unit/check.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_id (void)
{
  char id[QUEUE_ID_MAX + 1] ;
  char big[QUEUE_ID_MAX + 2] ;
  unsigned seen[QUEUE_SPLIT] = { 0 } ;
  unsigned used = 0 ;
  size_t n = queue_id_make(id) ;
  CHECK(queue_id_valid(id, n) && n == strlen(id), "queue_id_make makes a valid id") ;
  CHECK(queue_id_valid(S("1795800000.123456.4242")), "example id valid") ;
  CHECK(!queue_id_valid(S("")), "empty id invalid") ;
  CHECK(!queue_id_valid(S(".")) && !queue_id_valid(S("..")), ". and .. invalid") ;
  CHECK(!queue_id_valid(S("12/34")) && !queue_id_valid(S("12 34")), "slash, space invalid") ;
  CHECK(!queue_id_valid("12\0" "3", 4), "NUL inside invalid") ;
  memset(big, '1', sizeof big) ;
  CHECK(queue_id_valid(big, QUEUE_ID_MAX), "QUEUE_ID_MAX bytes valid") ;
  CHECK(!queue_id_valid(big, QUEUE_ID_MAX + 1), "QUEUE_ID_MAX+1 bytes invalid") ;
  CHECK(queue_hash(S("1795800000.123456.4242")) < QUEUE_SPLIT, "hash in range") ;
  /* the buckets of files already on disk: FNV-1a 32 modulo 64, forever */
  CHECK(queue_hash(S("1795800000.123456.4242")) == 0x3e, "bucket of 1795800000.123456.4242 is 3e") ;
  CHECK(queue_hash(S("1795800000.000001.1")) == 0x21, "bucket of 1795800000.000001.1 is 21") ;
  CHECK(queue_hash(S("123.4")) == 0x01 && queue_hash(S("0")) == 0x2f, "buckets of 123.4 and 0") ;
  for (unsigned i = 0 ; i < 4096 ; i++)
  {
    char b[32] ;
    int l = snprintf(b, sizeof b, "1795800000.%06u.42", i) ;
    seen[queue_hash(b, (size_t)l)]++ ;
  }
  for (unsigned i = 0 ; i < QUEUE_SPLIT ; i++) used += seen[i] > 0 ;
  CHECK(used == QUEUE_SPLIT, "hash spreads over every bucket") ;
}

static void test_path (void)
{
  char b[64] ;
  char small[10] ;
  char want[64] ;
  unsigned h = queue_hash(S("123.4")) ;
  snprintf(want, sizeof want, "/q/mess/%02x/123.4", h) ;
  CHECK(queue_path_mess(b, sizeof b, "/q", "123.4") == (int)strlen(want) && !strcmp(b, want), "mess path") ;
  snprintf(want, sizeof want, "state/%02x/123.4", h) ;
  CHECK(queue_path_state(b, sizeof b, 0, "123.4") > 0 && !strcmp(b, want), "relative state path") ;
  CHECK(queue_path_new(b, sizeof b, "/q", "123.4") == 12 && !strcmp(b, "/q/new/123.4"), "new path") ;
  errno = 0 ;
  CHECK(queue_path_new(small, sizeof small, "/q", "123.4") == -1 && errno == ENAMETOOLONG, "overflow -> ENAMETOOLONG") ;
  CHECK(queue_path_new(small, 10, 0, "123.4") == 9, "exact fit (NUL included)") ;
  CHECK(queue_path_new(small, 9, 0, "123.4") == -1, "one byte short") ;
}

static char const env1[] =
  "mxhold 1\narrived 1795800000\nclient 192.0.2.7\nhelo mail.sender.example\nspf pass\n"
  "from sender@example.org\nto rcpt1@example.com\nfuture thing\nto rcpt2@example.com\n\nReceived: x\r\n\r\nbody\r\n" ;

static void test_env (void)
{
  struct queue_env e ;
  struct span to ;
  size_t pos = 0 ;
  size_t len = sizeof env1 - 1 ;
  size_t hdr ;
  int bad = 0 ;
  char buf[512] ;
  CHECK(queue_env_parse(env1, len, &e) == 1, "parse full header") ;
  CHECK(e.arrived == 1795800000 && e.nto == 2, "arrived, nto") ;
  CHECK(e.client.len == 9 && !memcmp(e.client.p, "192.0.2.7", 9), "client") ;
  CHECK(e.spf.len == 4 && !memcmp(e.spf.p, "pass", 4), "spf") ;
  CHECK(e.from.len == 18 && !memcmp(e.from.p, "sender@example.org", 18), "from") ;
  CHECK(!memcmp(env1 + e.hdrlen, "Received:", 9), "body offset") ;
  CHECK(queue_env_to_next(env1, &e, &pos, &to) == 1 && to.len == 17 && !memcmp(to.p, "rcpt1@example.com", 17), "first to") ;
  CHECK(queue_env_to_next(env1, &e, &pos, &to) == 1 && !memcmp(to.p, "rcpt2@example.com", 17), "second to (unknown line skipped)") ;
  CHECK(queue_env_to_next(env1, &e, &pos, &to) == 0, "end of recipients") ;
  /* every truncation of the header is incomplete, never a wrong parse */
  hdr = e.hdrlen ;
  for (size_t n = 0 ; n < hdr ; n++) bad += queue_env_parse(env1, n, &e) != 0 ;
  CHECK(!bad, "every cut header is incomplete (0)") ;
  CHECK(queue_env_parse(S("mxhold 2\nfrom a\n\n"), &e) == -1 && errno == EPROTO, "other version -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 1\nfrom \n\n"), &e) == -1, "no recipient -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 1\nfrom \nto a@b\n\n"), &e) == 1 && !e.smtputf8, "no smtputf8 line: not marked") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 1\nsmtputf8 1\nfrom j\xc3\xb6rg@b\nto a@b\n\n"), &e) == 1 && e.smtputf8, "smtputf8 1: marked") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 1\nsmtputf8 0\nfrom \nto a@b\n\n"), &e) == 1 && !e.smtputf8, "smtputf8 0: not marked") ;
  {
    static char const d[] = "mxhold 1\narrived 1\nret FULL\nenvid X+2B\ndsn 1 NEVER -\ndsn 0 SUCCESS,FAILURE rfc822;a+40b\nfrom \nto a@b\nto c@d\n\n" ;
    struct span nt ;
    struct span oc ;
    CHECK(queue_env_parse(d, sizeof d - 1, &e) == 1 && e.ret.len == 4 && e.envid.len == 4, "ret and envid parsed") ;
    CHECK(queue_env_dsn(d, &e, 0, &nt, &oc) && nt.len == 15 && oc.len == 12, "dsn line of recipient 0") ;
    CHECK(queue_env_dsn(d, &e, 1, &nt, &oc) && nt.len == 5 && oc.len == 1, "dsn line of recipient 1") ;
    CHECK(!queue_env_dsn(d, &e, 2, &nt, &oc), "no dsn line for recipient 2") ;
    CHECK(queue_dsn_valid(S("ret HDRS\nenvid a\ndsn 3 FAILURE -\n")), "valid DSN lines") ;
    CHECK(!queue_dsn_valid(S("ret ALL\n")) && !queue_dsn_valid(S("dsn x FAILURE -\n")) && !queue_dsn_valid(S("dsn 1 FAILURE\n")), "bad ret, index, missing field") ;
    CHECK(!queue_dsn_valid(S("from evil\n")) && !queue_dsn_valid(S("dsn 1 A b\nto x@y\n")) && !queue_dsn_valid(S("envid a")), "other keys, no final LF refused") ;
    CHECK(!queue_dsn_valid(S("envid a\x01\n")) && !queue_dsn_valid(S("dsn 1 A b c\n")), "control byte, an extra field") ;
  }
  CHECK(queue_env_parse(S("mxhold 1\narrived 1\nto a@b\n\n"), &e) == -1, "no from -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived x\nfrom \nto a@b\n\n"), &e) == -1, "bad arrived -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 99999999999999999999\nfrom \nto a@b\n\n"), &e) == -1, "arrived overflow -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 18446744073709551615\nfrom \nto a@b\n\n"), &e) == 1 && e.arrived == UINT64_MAX, "arrived UINT64_MAX") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 18446744073709551616\nfrom \nto a@b\n\n"), &e) == -1, "arrived UINT64_MAX + 1 -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived \nfrom \nto a@b\n\n"), &e) == -1, "arrived empty -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived +5\nfrom \nto a@b\n\n"), &e) == -1, "arrived with a sign -> -1") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 5\nfrom \nto a@b\n\n"), &e) == 1 && e.from.len == 0, "null sender") ;
  CHECK(e.client.len == 1 && e.client.p[0] == '-' && e.helo.p[0] == '-', "defaults -") ;
  CHECK(queue_env_parse(S("mxhold 1\narrived 5\nfrom\nto a@b\nto\n\n"), &e) == -1, "empty to -> -1") ;
  memcpy(buf, "mxhold 1\narrived 5\nfrom a\0b\nto x\n\n", 35) ;
  CHECK(queue_env_parse(buf, 35, &e) == 1 && e.from.len == 3, "NUL inside a value does not stop the parser") ;
}

static void test_state (void)
{
  struct queue_state st, back ;
  char line[QUEUE_STATE_LINE_MAX] ;
  char longr[QUEUE_REPLY_MAX + 100] ;
  size_t n ;
  size_t pos = 0 ;
  static char const file[] = "0 d 1 0 1795800100 250 2.0.0 ok\nbad line\n1 p 3 1795803600 1795800200 451 4.3.0 try later\n2 b 1 0 17958" ;
  CHECK(queue_state_parse(S("0 p 2 100 50 421 busy"), &st) == 1 && st.index == 0 && st.status == 'p' && st.attempts == 2 && st.next == 100 && st.last == 50, "parse line") ;
  CHECK(st.reply.len == 8 && !memcmp(st.reply.p, "421 busy", 8), "reply") ;
  CHECK(queue_state_parse(S("0 p 2 100 50"), &st) == 1 && st.reply.len == 0, "no reply") ;
  CHECK(queue_state_parse(S("0 p 2 100 50 "), &st) == 1 && st.reply.len == 0, "empty reply") ;
  CHECK(!queue_state_parse(S("0 q 2 100 50 x"), &st), "bad status") ;
  CHECK(!queue_state_parse(S("0 p 2 100"), &st), "missing LAST") ;
  CHECK(!queue_state_parse(S("0  p 2 100 50"), &st), "double space") ;
  CHECK(!queue_state_parse(S("4294967296 p 2 100 50"), &st), "index overflow") ;
  CHECK(queue_state_parse(S("4294967295 p 4294967295 100 50"), &st) == 1 && st.index == UINT32_MAX && st.attempts == UINT32_MAX, "index and attempts at UINT32_MAX") ;
  CHECK(!queue_state_parse(S("0 p 4294967296 100 50"), &st), "attempts overflow") ;
  CHECK(!queue_state_parse(S("0 p 2 18446744073709551616 50"), &st), "next overflow") ;
  CHECK(!queue_state_parse(S("-1 p 2 100 50"), &st), "negative") ;
  CHECK(!queue_state_parse(S(""), &st), "empty") ;
  CHECK(queue_state_next(file, sizeof file - 1, &pos, &st) == 1 && st.index == 0 && st.status == 'd', "file line 1") ;
  CHECK(queue_state_next(file, sizeof file - 1, &pos, &st) == 1 && st.index == 1 && st.attempts == 3, "bad line skipped") ;
  CHECK(queue_state_next(file, sizeof file - 1, &pos, &st) == 0, "cut last line ignored") ;
  st.index = 7 ;
  st.status = 'x' ;
  st.attempts = 9 ;
  st.next = 0 ;
  st.last = 18446744073709551615u ;
  st.reply.p = "550 no\r\n\x80" ;
  st.reply.len = 9 ;
  n = queue_state_fmt(line, sizeof line, &st) ;
  CHECK(n && line[n - 1] == '\n' && !memcmp(line, "7 x 9 0 18446744073709551615 550 no???\n", n), "format with unsafe bytes") ;
  CHECK(queue_state_parse(line, n - 1, &back) == 1 && back.index == 7 && back.last == st.last, "round trip") ;
  memset(longr, 'r', sizeof longr) ;
  st.reply.p = longr ;
  st.reply.len = sizeof longr ;
  n = queue_state_fmt(line, sizeof line, &st) ;
  CHECK(n && n < QUEUE_STATE_LINE_MAX && queue_state_parse(line, n - 1, &back) && back.reply.len == QUEUE_REPLY_MAX, "reply cut at QUEUE_REPLY_MAX") ;
  CHECK(queue_state_fmt(line, 20, &st) == 0, "small buffer -> 0") ;
  st.index = UINT32_MAX ;
  st.attempts = UINT32_MAX ;
  st.next = UINT64_MAX ;
  st.last = UINT64_MAX ;
  st.reply.len = QUEUE_REPLY_MAX ;
  n = queue_state_fmt(line, sizeof line, &st) ;
  CHECK(n && n < QUEUE_STATE_LINE_MAX && queue_state_parse(line, n - 1, &back) == 1 && back.next == UINT64_MAX && back.index == UINT32_MAX, "largest line fits and round-trips") ;
}

int main (void)
{
  test_id() ;
  test_path() ;
  test_env() ;
  test_state() ;
  return check_done() ;
}
