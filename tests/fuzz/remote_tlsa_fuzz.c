/* remote_tlsa_fuzz.c: mxhold-remote's parser of the resolver's reply to a
   TLSA query (deliver/remote_tlsa.c) on arbitrary bytes. The input's
   first two bytes are the query id; the query is the one remote makes for
   _25._tcp.mx.customer.test with it, so inputs that start like its reply
   reach the answer section. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "deliver/remote_tlsa.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  unsigned char q[REMOTE_DNS_QUERY_MAX] ;
  struct remote_tlsa_ans a ;
  size_t ql ;
  if (size < 2) return 0 ;
  ql = remote_tlsa_query("mx.customer.test", 25, (uint16_t)(data[0] << 8 | data[1]), q) ;
  if (!ql) __builtin_trap() ;
  if (remote_tlsa_parse(data, size, q, ql, &a) == 0)
  {
    if (a.n < 0 || a.n > REMOTE_TLSA_MAX || a.rcode > 15) __builtin_trap() ;
    for (int i = 0 ; i < a.n ; i++)
      if ((a.rr[i].usage != 2 && a.rr[i].usage != 3) || a.rr[i].len > REMOTE_TLSA_DATA_MAX) __builtin_trap() ;
  }
  return 0 ;
}
