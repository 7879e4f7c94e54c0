/* cli.h: the options every mxhold program answers the same way, whatever
   its own syntax: --help and --version. */
#ifndef MXHOLD_LIB_CLI_H
#define MXHOLD_LIB_CLI_H

#define MX_VERSION "0.3.0"

/* If argv[1] is "--help" or "--version", writes the answer to fd 1 and
   exits 0 (111 if the write fails); otherwise returns. --help writes
   "usage: USAGE", the one-line summary and where the manual is;
   --version writes "PROG VERSION" (PROG is mx_log_prog, lib/log.h).
   Only argv[1] is looked at: the rest of a chain program's command line
   (smtpd, spfcheck, ratelimit) is the program it runs, not its options. */
void mx_cli_std (int argc, char const *const *argv, char const *usage, char const *summary) ;

#endif
