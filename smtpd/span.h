/* span.h: moved to lib/span.h; this forward goes when nothing includes it. */
#include "lib/span.h"
