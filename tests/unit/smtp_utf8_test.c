/* smtp_utf8_test.c: UTF-8 validation, Punycode (RFC 3492), A-labels. */
#include <string.h>
#include "smtpd/smtp_utf8.h"
#include "tests/unit/check.h"

#define L(lit) ((struct span){ lit, sizeof(lit) - 1 })

static int ace (char const *in, char const *want)
{
  char out[256] ;
  size_t n = smtp_utf8_alabels((struct span){ in, strlen(in) }, out, sizeof out) ;
  if (!want) return n == 0 ;
  return n == strlen(want) && !strcmp(out, want) ;
}

int main (void)
{
  uint32_t cp ;
  char small[8] ;
  CHECK(smtp_utf8_valid(L("plain ascii")), "ASCII is valid") ;
  CHECK(smtp_utf8_valid(L("b\xc3\xbc" "cher")), "2-byte sequence") ;
  CHECK(smtp_utf8_valid(L("\xe4\xbe\x8b")), "3-byte sequence") ;
  CHECK(smtp_utf8_valid(L("\xf0\x9f\x98\x80")), "4-byte sequence (U+1F600)") ;
  CHECK(smtp_utf8_valid(L("\xf4\x8f\xbf\xbf")), "U+10FFFF") ;
  CHECK(!smtp_utf8_valid(L("\xf4\x90\x80\x80")), "U+110000 refused") ;
  CHECK(!smtp_utf8_valid(L("\xc0\xaf")), "overlong '/' (C0 AF) refused") ;
  CHECK(!smtp_utf8_valid(L("\xc1\xbf")), "overlong C1 refused") ;
  CHECK(!smtp_utf8_valid(L("\xe0\x80\xaf")), "overlong 3-byte refused") ;
  CHECK(!smtp_utf8_valid(L("\xf0\x80\x80\xaf")), "overlong 4-byte refused") ;
  CHECK(!smtp_utf8_valid(L("\xed\xa0\x80")), "surrogate U+D800 refused") ;
  CHECK(!smtp_utf8_valid(L("\xed\xbf\xbf")), "surrogate U+DFFF refused") ;
  CHECK(smtp_utf8_valid(L("\xed\x9f\xbf")), "U+D7FF fine") ;
  CHECK(!smtp_utf8_valid(L("\x80")), "stray continuation refused") ;
  CHECK(!smtp_utf8_valid(L("\xc3")), "cut sequence refused") ;
  CHECK(!smtp_utf8_valid(L("\xe4\xbe")), "cut 3-byte sequence refused") ;
  CHECK(!smtp_utf8_valid(L("\xc3\x28")), "bad continuation refused") ;
  CHECK(!smtp_utf8_valid(L("\xf5\x80\x80\x80")), "F5 refused") ;
  CHECK(!smtp_utf8_valid(L("\xff")), "FF refused") ;
  CHECK(smtp_utf8_char("\xc3\xbc", 2, &cp) == 2 && cp == 0xfc, "code point of u-umlaut") ;
  CHECK(smtp_utf8_char("", 0, &cp) == 0, "empty: nothing") ;
  CHECK(smtp_utf8_nonascii(L("a\xc3\xbc")) && !smtp_utf8_nonascii(L("abc")), "nonascii") ;

  CHECK(ace("b\xc3\xbc" "cher.example", "xn--bcher-kva.example"), "buecher.example") ;
  CHECK(ace("m\xc3\xbc" "nchen.de", "xn--mnchen-3ya.de"), "muenchen.de") ;
  CHECK(ace("\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "xn--zckzah"), "katakana tesuto") ;
  CHECK(ace("\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "xn--r8jz45g.xn--zckzah"), "two U-labels") ;
  CHECK(ace("\xc3\xb1" "and\xc3\xba", "xn--and-6ma2c"), "two non-ASCII, basic in between") ;
  CHECK(ace("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "xn--wgv71a119e"), "nihongo") ;
  CHECK(ace("B\xc3\xbc" "CHER.Example", "xn--bcher-kva.Example"), "ASCII in a U-label lower-cased, ASCII labels kept") ;
  CHECK(ace("example.com", "example.com"), "ASCII domain unchanged") ;
  CHECK(ace("a..b", 0), "empty label") ;
  CHECK(ace("b\xc3\xbc" "cher.", 0), "trailing dot: the caller strips it") ;
  CHECK(ace("b\xc0\xaf" "cher.example", 0), "overlong in a label") ;
  {
    char big[200] ;
    memset(big, 0, sizeof big) ;
    for (int i = 0 ; i < 60 ; i++) memcpy(big + 2 * i, "\xc3\xbc", 2) ;   /* 60 u-umlauts: 62 bytes of Punycode */
    CHECK(ace(big, 0), "a U-label whose A-label is over 63 bytes") ;
  }
  CHECK(smtp_utf8_alabels(L("b\xc3\xbc" "cher"), small, sizeof small) == 0, "no room: 0") ;
  return check_done() ;
}
