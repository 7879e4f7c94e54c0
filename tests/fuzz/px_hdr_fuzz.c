/* px_hdr_fuzz.c: a PROXY header is untrusted bytes (a proxy is trusted to
   send one, not to send a good one). Fed byte by byte as px_read feeds it,
   the parser must never ask for more than the input gives it a reason to,
   and a header it accepts must hold addresses of its family. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "proxy/proxy.h"

int LLVMFuzzerTestOneInput (unsigned char const *data, size_t size)
{
  struct px_header h ;
  size_t len = 0 ;
  for (;;)
  {
    size_t want ;
    char const *why ;
    unsigned char bin[16] ;
    enum px_status s = px_parse(data, len, &h, &want, &why) ;
    if (s == PX_BAD)
    {
      if (!why) abort() ;
      return 0 ;
    }
    if (s == PX_DONE)
    {
      if (len > PX_V2_MAX) abort() ;
      if (h.version == 1 && len > PX_V1_MAX) abort() ;
      if (!h.local && (h.fam != 4 && h.fam != 6)) abort() ;
      if (!h.local && inet_pton(h.fam == 4 ? AF_INET : AF_INET6, h.src, bin) != 1) abort() ;
      if (!h.local && inet_pton(h.fam == 4 ? AF_INET : AF_INET6, h.dst, bin) != 1) abort() ;
      return 0 ;
    }
    if (!want || len + want > PX_V2_MAX) abort() ;
    if (len + want > size) return 0 ;
    len += want ;
  }
}
