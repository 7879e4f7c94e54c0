/* rc_out_test.c: the printed forms: JSON string escaping, the summary line,
   the batch failure line, and that the JSON report is one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

static int fails = 0 ;
#define CHECK(c, what) do { if (c) printf("ok - %s\n", what) ; else { printf("not ok - %s (line %d)\n", what, __LINE__) ; fails++ ; } } while (0)

static char *buf ;
static size_t len ;

static FILE *mem (void) { free(buf) ; buf = 0 ; len = 0 ; return open_memstream(&buf, &len) ; }

int main (void)
{
  static struct rc_run run ;
  struct rc_host h ;
  struct rc_opts o = { .json = 0 } ;
  FILE *f ;
  size_t i ;

  f = mem() ; rc_out_json_str(f, "a\"b\\c\n\x01\x7f") ; fclose(f) ;
  CHECK(!strcmp(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\""), "JSON escapes quote, backslash, controls, DEL") ;
  f = mem() ; rc_out_json_str(f, "") ; fclose(f) ;
  CHECK(!strcmp(buf, "\"\""), "JSON empty string") ;

  rc_host_parse(&h, "::1", 3) ;
  memset(&run, 0, sizeof run) ;
  run.h = &h ;
  for (i = 0 ; i < rc_tricks_n ; i++)
  {
    run.r[i].t = rc_tricks + i ; run.r[i].stage = RC_ST_RCPT ; run.r[i].code = 550 ;
    run.r[i].outcome = RC_OUT_REFUSED ; strcpy(run.r[i].reply, "550 no") ;
  }
  run.n = rc_tricks_n ;
  run.conns = 1 ; run.ms = 12 ;
  run.summary = rc_verdict_judge(run.r, run.n, &run.direct) ;
  f = mem() ; rc_out_line(f, &o, &run) ; fclose(f) ;
  CHECK(!strcmp(buf, "[::1]:25 closed open=0 closed=29 local=0 unknown=0 conns=1 ms=12\n"), "batch line, IPv6 host bracketed") ;

  f = mem() ; rc_out_report(f, &o, &run) ; fclose(f) ;
  {
    size_t lines = 0 ;
    for (i = 0 ; i < len ; i++) lines += buf[i] == '\n' ;
    CHECK(lines == rc_tricks_n + 2, "report: target line, one per trick, summary") ;
    CHECK(strstr(buf, "\nsummary: [::1]:25 closed ") != 0, "report summary line") ;
  }

  o.json = 1 ;
  f = mem() ; rc_out_report(f, &o, &run) ; fclose(f) ;
  CHECK(len > 0 && buf[len - 1] == '\n' && memchr(buf, '\n', len - 1) == 0, "JSON report is one line") ;
  CHECK(strstr(buf, "\"verdict\":\"closed\",\"exit\":0,\"direct\":null,") != 0, "JSON verdict, exit, no direct") ;

  strcpy(run.error, "say \"hi\"") ;
  o.json = 0 ;
  f = mem() ; rc_out_line(f, &o, &run) ; fclose(f) ;
  CHECK(strstr(buf, " error=\"say \\\"hi\\\"\"\n") != 0, "error quoted in the batch line") ;

  f = mem() ; rc_out_failed(f, &o, &h, "host time limit exceeded", 7000) ; fclose(f) ;
  CHECK(!strcmp(buf, "[::1]:25 inconclusive ms=7000 error=\"host time limit exceeded\"\n"), "killed host line") ;
  o.json = 1 ;
  f = mem() ; rc_out_failed(f, &o, &h, "x", 1) ; fclose(f) ;
  CHECK(!strcmp(buf, "{\"host\":\"::1\",\"port\":25,\"verdict\":\"inconclusive\",\"exit\":111,\"error\":\"x\",\"ms\":1}\n"), "killed host JSON") ;
  free(buf) ;
  return fails ? 1 : 0 ;
}
