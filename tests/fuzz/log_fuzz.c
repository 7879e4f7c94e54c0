/* log_fuzz.c: any bytes as a logged value come out as one line of the
   grammar (doc/log.md): no LF but the last, no control byte, quotes
   balanced. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"

static void check (char const *s, size_t n)
{
  int inq = 0 ;
  if (!n || s[n - 1] != '\n' || n > MX_LOG_LINE_MAX) abort() ;
  for (size_t i = 0 ; i + 1 < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c < ' ' || c > '~') abort() ;
    if (c == '\\' && inq) { i++ ; continue ; }
    if (c == '"') inq = !inq ;
  }
  if (inq) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static int p[2] = { -1, -1 } ;
  static char out[MX_LOG_LINE_MAX + 1] ;
  struct mx_log l ;
  size_t half = size / 2 ;
  ssize_t n ;
  if (p[0] < 0)
  {
    if (pipe(p) == -1) abort() ;
    mx_log_fd = p[1] ;
  }
  mx_log_prog = "mxhold-fuzz" ;
  mx_log_start(&l, MX_LOG_INFO, "fuzz") ;
  mx_log_bytes(&l, "a", (char const *)data, half) ;
  mx_log_bytes(&l, "b", (char const *)data + half, size - half) ;
  mx_log_u64(&l, "n", size) ;
  mx_log_end(&l) ;
  n = read(p[0], out, sizeof out) ;
  if (n <= 0) abort() ;
  check(out, (size_t)n) ;
  return 0 ;
}
