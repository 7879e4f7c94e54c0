/* execfloor.c: execs the rest of its command line and does nothing else.
   Compiled static (as mxhold-ratelimit is) by tests/bench/ratelimit.sh: its
   cost through tcpserver is the price of one more exec in the chain, the
   floor under any program that runs once per connection. */
#include <unistd.h>

int main (int argc, char **argv)
{
  if (argc < 2) return 100 ;
  execv(argv[1], argv + 1) ;
  return 111 ;
}
