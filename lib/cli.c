/* cli.c: --help and --version (cli.h). */
#include <string.h>
#include <unistd.h>
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/write_all.h"

static void put (char const *s, int *failed)
{
  if (mx_write_all(1, s, strlen(s)) == -1) *failed = 1 ;
}

void mx_cli_std (int argc, char const *const *argv, char const *usage, char const *summary)
{
  int failed = 0 ;
  if (argc < 2) return ;
  if (!strcmp(argv[1], "--version"))
  {
    put(mx_log_prog, &failed) ;
    put(" " MX_VERSION "\n", &failed) ;
  }
  else if (!strcmp(argv[1], "--help"))
  {
    put("usage: ", &failed) ;
    put(usage, &failed) ;
    put("\n", &failed) ;
    put(summary, &failed) ;
    put("\nmanual: man 8 ", &failed) ;
    put(mx_log_prog, &failed) ;
    put("\n", &failed) ;
  }
  else return ;
  _exit(failed ? 111 : 0) ;
}
