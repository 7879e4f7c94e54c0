/* span.h: a length-counted byte range. Network bytes may hold NUL, so
   nothing that parses untrusted input relies on termination. */
#ifndef MXHOLD_LIB_SPAN_H
#define MXHOLD_LIB_SPAN_H

#include <stddef.h>

struct span { char const *p ; size_t len ; } ;

#define SPAN_STR(s) ((struct span){ (s), sizeof(s) - 1 })

#endif
