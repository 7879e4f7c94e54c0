/* spf_hdr_fuzz.c: the header block of a message from a trusted relay
   (anyone upstream of the relay may have written it): header end and the
   hop's Received header. Outputs must be NUL-terminated and printable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char ip[64], helo[256] ;
  char const *p = (char const *)data ;
  size_t end = spf_hdr_end(p, size) ;
  if (end > size) abort() ;
  if (spf_hdr_hop(p, end ? end : size, ip, sizeof ip, helo, sizeof helo))
  {
    if (strlen(ip) >= sizeof ip || strlen(helo) >= sizeof helo) abort() ;
    for (char const *q = helo ; *q ; q++) if ((unsigned char)*q < 33 || (unsigned char)*q > 126) abort() ;
  }
  return 0 ;
}
