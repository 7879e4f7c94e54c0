/* log.h: the one log grammar of every mxhold program (doc/log.md):

     mxhold-PROG: LEVEL: EVENT key=value key=value ...

   one line per event, written to fd 2 with one write(2) so that lines of
   concurrent processes never interleave. A value is bare when every byte
   is printable ASCII other than '"' and '\'; otherwise it is quoted, with
   \" \\ and \xHH for the bytes outside 0x20..0x7e. Values are cut at
   MX_LOG_VALUE_MAX bytes of input, a line at MX_LOG_LINE_MAX bytes, and a
   cut is marked with the key "cut=1" at the end of the line. Nothing a
   peer sends can start a second line or forge a key. */
#ifndef MXHOLD_LIB_LOG_H
#define MXHOLD_LIB_LOG_H

#include <stddef.h>
#include <stdint.h>

#define MX_LOG_LINE_MAX 2048   /* bytes of one line, LF included */
#define MX_LOG_VALUE_MAX 400   /* input bytes of one value: a path, a reply line */

#define MX_LOG_INFO "info"
#define MX_LOG_WARN "warning"
#define MX_LOG_FATAL "fatal"

/* The program's name as logged, "mxhold-smtpd": set it first in main. */
extern char const *mx_log_prog ;
/* Where lines go: 2 (stderr) unless a test says otherwise. */
extern int mx_log_fd ;

struct mx_log
{
  size_t len ;
  int cut ;
  char buf[MX_LOG_LINE_MAX] ;
} ;

/* Starts a line: "PROG: LEVEL: EVENT". EVENT is a fixed word of the
   program's own (lowercase, '-' between words), never network bytes. */
void mx_log_start (struct mx_log *l, char const *level, char const *event) ;

/* Adds " key=value"; key is a fixed word ([a-z0-9_]). */
void mx_log_bytes (struct mx_log *l, char const *key, char const *s, size_t n) ;
void mx_log_str (struct mx_log *l, char const *key, char const *s) ;
void mx_log_u64 (struct mx_log *l, char const *key, uint64_t u) ;
/* " key=S.mmm": a duration or a delay given in milliseconds */
void mx_log_ms (struct mx_log *l, char const *key, uint64_t ms) ;
/* " error=..." with strerror(e) */
void mx_log_errno (struct mx_log *l, int e) ;

/* Ends the line and writes it to mx_log_fd; l may be started again. */
void mx_log_end (struct mx_log *l) ;

/* A report line on another fd (mxhold-queuectl's and mxhold-conf's output
   for people and scripts) in the same grammar, without the "PROG: LEVEL: "
   head: "EVENT key=value ...". Start it with mx_log_start_bare, add
   fields as above, and end it with mx_log_end_fd: 0, or -1 and errno
   when the write failed (the line is reset either way). */
void mx_log_start_bare (struct mx_log *l, char const *event) ;
int mx_log_end_fd (struct mx_log *l, int fd) ;

/* One call for a whole line: key, value pairs of C strings, ending with a
   null key. mx_log_kv returns; mx_die_kv logs at level fatal and exits
   with code. */
void mx_log_kv (char const *level, char const *event, ...) ;
void mx_die_kv (int code, char const *event, ...) __attribute__((noreturn)) ;

#endif
