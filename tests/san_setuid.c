/* san_setuid.c: linked into every program of a sanitizer build (SAN=1)
   only. LeakSanitizer cannot inspect a setuid or setgid process (its
   /proc/self files are not its own) and aborts it at exit with "fatal
   error"; the installed relay runs mxhold-queue setuid and mxhold-tls
   setgid (tests/e2e/92-install-relay.sh). So the leak check is off in
   exactly those processes, and on everywhere else. The sanitizer runtime
   calls this hook at exit. */
#include <unistd.h>

int __lsan_is_turned_off (void) ;

int __lsan_is_turned_off (void)
{
  return geteuid() != getuid() || getegid() != getgid() ;
}
