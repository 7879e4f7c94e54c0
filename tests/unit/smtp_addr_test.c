/* smtp_addr_test.c: Mailbox syntax and relaying tricks. */
#include <stdio.h>
#include <string.h>
#include "smtpd/smtp_addr.h"
#include "tests/unit/check.h"

static void t (char const *s, size_t n, unsigned flags, enum smtp_ares want, char const *what)
{
  struct smtp_addr a ;
  enum smtp_ares got = smtp_addr_parse((struct span){ s, n }, flags, &a) ;
  CHECK(got == want, what) ;
  if (got != want) printf("# got %d want %d\n", got, want) ;
}
#define S(lit) (struct span){ lit, sizeof(lit) - 1 }
#define R(lit, want, what) t(lit, sizeof(lit) - 1, 0, want, what)
#define M(lit, want, what) t(lit, sizeof(lit) - 1, SMTP_ADDR_SENDER, want, what)

static void k (char const *s, enum smtp_dkind want, char const *what)
{
  enum smtp_dkind got = smtp_addr_domkind((struct span){ s, strlen(s) }) ;
  CHECK(got == want, what) ;
  if (got != want) printf("# %s: got %d want %d\n", s, got, want) ;
}

int main (void)
{
  char buf[600] ;
  struct smtp_addr a ;
  R("user@example.com", SMTP_ADDR_OK, "plain address") ;
  R("first.last+tag@sub.example.com.", SMTP_ADDR_OK, "dot-atom, trailing dot") ;
  R("\"john.doe\"@example.com", SMTP_ADDR_OK, "quoted local part") ;
  R("\"john doe\"@example.com", SMTP_ADDR_SYNTAX, "quoted space: not storable") ;
  R("", SMTP_ADDR_SYNTAX, "empty recipient") ;
  M("", SMTP_ADDR_NULL, "null sender") ;
  R("user%other.example@example.com", SMTP_ADDR_RELAY, "percent hack") ;
  R("a!b@example.com", SMTP_ADDR_RELAY, "bang path") ;
  R("other!user", SMTP_ADDR_RELAY, "bang path without domain") ;
  R("@relay.example:user@example.com", SMTP_ADDR_RELAY, "source route") ;
  R("\"a@b.example\"@example.com", SMTP_ADDR_RELAY, "quoted @") ;
  R("\"a%b\"@example.com", SMTP_ADDR_RELAY, "quoted %") ;
  R("a@example.com@other.example", SMTP_ADDR_RELAY, "extra @") ;
  R("user@[192.0.2.1]", SMTP_ADDR_RELAY, "address literal") ;
  R("user@example.com!x", SMTP_ADDR_RELAY, "trailing garbage") ;
  R("user@example.com x", SMTP_ADDR_RELAY, "trailing garbage after space") ;
  R("user", SMTP_ADDR_SYNTAX, "no domain") ;
  R("postmaster", SMTP_ADDR_SYNTAX, "bare postmaster not needed") ;
  R("postmaster@example.com", SMTP_ADDR_OK, "postmaster at a domain") ;
  R("user@", SMTP_ADDR_SYNTAX, "empty domain") ;
  R(".user@example.com", SMTP_ADDR_SYNTAX, "leading dot") ;
  R("us..er@example.com", SMTP_ADDR_SYNTAX, "double dot") ;
  R("user.@example.com", SMTP_ADDR_SYNTAX, "trailing dot in local part") ;
  R("user@-example.com", SMTP_ADDR_SYNTAX, "label starts with -") ;
  R("user@example..com", SMTP_ADDR_SYNTAX, "empty label") ;
  R("user@example.com..", SMTP_ADDR_SYNTAX, "two trailing dots") ;
  R("us\0er@example.com", SMTP_ADDR_SYNTAX, "NUL in local part") ;
  R("user@exa\0mple.com", SMTP_ADDR_RELAY, "NUL in domain: garbage") ;
  R("us\ner@example.com", SMTP_ADDR_SYNTAX, "bare LF in local part") ;
  R("\"unterminated@example.com", SMTP_ADDR_SYNTAX, "unterminated quote") ;
  M("@a.example,@b.example:user@example.org", SMTP_ADDR_OK, "sender source route ignored") ;
  M("user@[192.0.2.1]", SMTP_ADDR_OK, "sender address literal") ;
  M("user%x@example.org", SMTP_ADDR_OK, "odd sender is still a sender") ;
  M("user@exa mple.org", SMTP_ADDR_SYNTAX, "sender with space") ;
  /* lengths: local part 64 ok, 65 not; path 254 ok, 255 not */
  memset(buf, 'a', 65) ;
  memcpy(buf + 65, "@example.com", 12) ;
  t(buf + 1, 64 + 12, 0, SMTP_ADDR_OK, "local part of 64") ;
  t(buf, 65 + 12, 0, SMTP_ADDR_SYNTAX, "local part of 65") ;
  memcpy(buf, "u@", 2) ;
  for (size_t i = 2 ; i < 600 ; i++) buf[i] = (i % 50 == 1) ? '.' : 'b' ;
  buf[253] = 'c' ;
  t(buf, 254, 0, SMTP_ADDR_OK, "path of 254 bytes (256 with brackets)") ;
  t(buf, 255, 0, SMTP_ADDR_SYNTAX, "path of 255 bytes") ;

  smtp_addr_parse((struct span){ "x@Example.COM.", 14 }, 0, &a) ;
  CHECK(a.domain.len == 12 && !memcmp(a.domain.p, "Example.COM.", 12) && a.local.len == 1, "spans") ;
  CHECK(smtp_addr_hostname((struct span){ "a.b", 3 }) && !smtp_addr_hostname((struct span){ "a_b", 3 }), "hostname") ;
  k("example.org", SMTP_DOM_FQDN, "domkind: a name") ;
  k("Mail.Example.ORG.", SMTP_DOM_FQDN, "domkind: a name, trailing dot") ;
  k("0x7f.example.org", SMTP_DOM_FQDN, "domkind: a hex-looking first label is a name") ;
  k("123.example", SMTP_DOM_FQDN, "domkind: a numeric first label is a name") ;
  k("[127.0.0.1]", SMTP_DOM_LITERAL, "domkind: IPv4 literal") ;
  k("[IPv6:::1]", SMTP_DOM_LITERAL, "domkind: IPv6 literal") ;
  k("127.0.0.1", SMTP_DOM_NUMERIC, "domkind: dotted quad") ;
  k("127.0.0.1.", SMTP_DOM_NUMERIC, "domkind: dotted quad, trailing dot") ;
  k("10.1", SMTP_DOM_NUMERIC, "domkind: inet_aton's a.b") ;
  k("2130706433", SMTP_DOM_NUMERIC, "domkind: one number") ;
  k("0x7f.0.0.1", SMTP_DOM_NUMERIC, "domkind: last label digits") ;
  k("127.0.0.0x1", SMTP_DOM_NUMERIC, "domkind: last label hex") ;
  k("foo.0X1F", SMTP_DOM_NUMERIC, "domkind: last label HEX") ;
  k("foo.0x", SMTP_DOM_FQDN, "domkind: 0x alone is a label") ;
  k("localhost", SMTP_DOM_LOCALHOST, "domkind: localhost") ;
  k("LOCALHOST.", SMTP_DOM_LOCALHOST, "domkind: LOCALHOST.") ;
  k("app.localhost", SMTP_DOM_LOCALHOST, "domkind: x.localhost (RFC 6761)") ;
  k("localhost.example.org", SMTP_DOM_FQDN, "domkind: localhost as a first label") ;
  k("intranet", SMTP_DOM_SHORT, "domkind: one label") ;
  k("intranet.", SMTP_DOM_SHORT, "domkind: one label, trailing dot") ;

  /* SMTPUTF8 (RFC 6531) */
#define U(lit, want, what) t(lit, sizeof(lit) - 1, SMTP_ADDR_UTF8, want, what)
  R("m\xc3\xbcller@example.com", SMTP_ADDR_NEEDUTF8, "UTF-8 without SMTPUTF8: NEEDUTF8 (553 5.6.7)") ;
  M("j\xc3\xb6rg@example.com", SMTP_ADDR_NEEDUTF8, "UTF-8 sender without SMTPUTF8") ;
  R("\xc0\xaf@example.com", SMTP_ADDR_SYNTAX, "malformed UTF-8 without SMTPUTF8: syntax") ;
  U("m\xc3\xbcller@example.com", SMTP_ADDR_OK, "UTF-8 local part with SMTPUTF8") ;
  U("\"m\xc3\xbc ller\"@example.com", SMTP_ADDR_SYNTAX, "a space in a quoted UTF-8 local part") ;
  U("\"m\xc3\xbcller\"@example.com", SMTP_ADDR_OK, "quoted UTF-8 local part") ;
  U("\xed\xa0\x80@example.com", SMTP_ADDR_SYNTAX, "surrogate") ;
  U("\xf4\x90\x80\x80@example.com", SMTP_ADDR_SYNTAX, "above U+10FFFF") ;
  U("u@b\xc3\xbc" "cher.example!x", SMTP_ADDR_SYNTAX, "garbage after a U-label domain") ;
  U("u%x@b\xc3\xbc" "cher.example", SMTP_ADDR_RELAY, "percent hack with a U-label domain") ;
  U("u@b\xc3\xbc-.example", SMTP_ADDR_OK, "a U-label ending in '-' is fine once encoded (xn--b--...)") ;
  {
    char ab[SMTPD_PATH_MAX] ;
    char const in[] = "u@B\xc3\xbc" "cher.Example." ;
    CHECK(smtp_addr_parse((struct span){ in, sizeof in - 1 }, SMTP_ADDR_UTF8, &a) == SMTP_ADDR_OK
      && a.host.len == 21 && !memcmp(a.host.p, "xn--bcher-kva.Example", 21), "U-label domain: host is its A-label form, trailing dot dropped") ;
    smtp_addr_ascii(&a, ab) ;
    CHECK(a.mailbox.len == 23 && !memcmp(a.mailbox.p, "u@xn--bcher-kva.Example", 23) && a.domain.len == 21, "smtp_addr_ascii rewrites the mailbox") ;
    CHECK(smtp_addr_parse(S("u@example.com"), SMTP_ADDR_UTF8, &a) == SMTP_ADDR_OK && a.host.p == a.domain.p, "ASCII domain: host is the domain") ;
  }
  return check_done() ;
}
