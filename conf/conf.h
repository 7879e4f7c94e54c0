/* conf.h: the config directory, as every mxhold program reads it. libc only,
   so both the skalibs programs and the libowfat programs link it.

   The operator edits flat text files in the config directory ($MXHOLD_CONF,
   default /etc/mxhold; conf/conf.md documents each file):

     me        the relay's host name                 relay.isp.example
     queue     path of the queue directory           /var/spool/mxhold
     domains   DOMAIN ROUTE [key=value ...]          example.com mail.customer.example:25 tls=require
               ROUTE: HOST[:PORT][,HOST[:PORT]...] tried in order, or "mx"
     limits    NAME VALUE                            recipients 50
     clients   ADDR[/LEN] key=value ... | trusted    192.0.2.0/24 trusted connections=unlimited
     spf       RESULT ACTION                         fail reject
     rcptcache path of the recipient cache          /var/lib/mxhold/rcpt
     recipients/DOMAIN  local parts (recipients=list)  alice
     proxies   ADDR[/LEN]                            10.0.0.0/29
     redis     IP:PORT | [IPv6]:PORT | /socket/path  127.0.0.1:6379

   `mxhold-conf compile DIR` checks them all and writes DIR/config.cdb
   atomically (tmp file, fsync, rename). Programs read only config.cdb, so a
   running relay sees either the old config or the new one, never half.

   Keys in config.cdb (values are the text after the key on its line,
   whitespace-normalised to single spaces):
     "me"                 -> host name
     "queue"              -> queue path
     "d:" DOMAIN          -> "ROUTE [key=value ...]"   DOMAIN lower case, no trailing dot
     "l:" NAME            -> decimal value             every limit, defaults filled in
     "c:" FAM LEN ADDR    -> "key=value ..."           FAM '4'|'6' (1 byte), LEN prefix
                                                        length (1 byte), ADDR the masked
                                                        address bytes (4 or 16)
     "c:lens4", "c:lens6" -> the distinct prefix lengths present, one byte each,
                             longest first (so a lookup tries only those)
     "s:" RESULT          -> ACTION                    spf policy
     "rcptcache"          -> path of the recipient cache (file rcptcache)
     "r:" LOCAL "@" DOMAIN -> ""                       recipients=list: a listed local
                                                        part, both lower case; LOCAL "*"
                                                        is the domain's catch-all
     "p:" FAM LEN ADDR    -> ""                        a trusted PROXY-protocol peer (proxies)
     "p:lens4", "p:lens6" -> as "c:lens4", for proxies
     "redis"              -> the redis file's one word (its presence turns
                             shared rate limits on)
*/
#ifndef MXHOLD_CONF_H
#define MXHOLD_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "lib/span.h"

#define CONF_DIR_DEFAULT "/etc/mxhold"
#define CONF_ENV "MXHOLD_CONF"
#define CONF_CDB "config.cdb"
#define CONF_UNLIMITED UINT64_MAX   /* a limit written as "unlimited" */

/* Every limit: its name in `limits` and in `clients` key=value pairs, its
   default and its cap (a larger value is a config error). Programs read
   them through conf_limits_get(), never as bare numbers. */
#define CONF_LIMITS(X) \
  X(recipients,       50,       100000,     "recipients per message (RFC 5321 4.5.3.1.8 minimum is 100; we publish 50)") \
  X(messages,         50,       1000000,    "messages per connection") \
  X(connections,      200,      CONF_UNLIMITED, "connections per window per client (IPv4 address, IPv6 /64)") \
  X(window,           3600,     604800,     "seconds: the rate-limit window") \
  X(burst,            200,      CONF_UNLIMITED, "connections a client may make at once before the smooth rate applies") \
  X(concurrency_client, 10,     CONF_UNLIMITED, "ratelimit: sessions at once per client (IPv4 address, IPv6 /64); one more gets 421") \
  X(size,             20971520, 1073741824, "bytes per message, as sent (RFC 1870)") \
  X(lifetime,         0,        31536000,   "seconds a message may stay queued; 0: lifetime_days calendar days") \
  X(lifetime_days,    5,        365,        "expiry at the first local midnight after arrival plus this many days") \
  X(retry_min,        300,      86400,      "seconds before the first retry; doubles per attempt") \
  X(retry_max,        3600,     86400,      "cap of the retry interval, seconds") \
  X(timeout_command,  300,      3600,       "seconds idle waiting for a command (RFC 5321 4.5.3.2.7)") \
  X(timeout_data,     600,      3600,       "seconds idle inside DATA") \
  X(timeout_queue,    1200,     7200,       "seconds smtpd waits for the queue chain after the final dot (then 451)") \
  X(greet_pause,      0,        60,         "seconds smtpd waits before its greeting; a client that talks first is refused") \
  X(timeout_session,  1800,     86400,      "seconds a whole smtpd session may last (then 421 4.4.2)") \
  X(idle_commands,    100,      100000,     "NOOP, RSET, VRFY, HELP and repeated HELO/EHLO per session before 421 and hang-up") \
  X(data_rate_min,    500,      1073741824, "bytes per second a client must send inside DATA, over each data_rate_window (0: no minimum)") \
  X(data_rate_window, 30,       3600,       "seconds of waiting for the client over which data_rate_min is measured") \
  X(timeout_connect,  30,       600,        "deliver: seconds to connect downstream") \
  X(timeout_remote,   300,      3600,       "deliver: seconds to wait for any downstream reply") \
  X(errors,           10,       1000,       "bad commands in a row before 421 and hang-up") \
  X(hops,             100,      1000,       "Received headers before a message is a loop (554 5.4.6)") \
  X(concurrency,      100,      10000,      "deliver: mxhold-remote processes at once to customer routes (bounce destinations: concurrency_bounce)") \
  X(concurrency_host, 10,       1000,       "deliver: sessions at once per downstream host") \
  X(session_idle,     5,        300,        "deliver: seconds a remote session stays connected waiting for more mail (0: never reuse)") \
  X(spf_budget,       20,       600,        "spfcheck: seconds per SPF check, all DNS included") \
  X(dsn_pass_only,    1,        1,          "deliver: 1 = send a DSN only if the message's SPF result was pass (no backscatter); 0 = to any sender") \
  X(concurrency_bounce, 10,     10000,      "deliver: mxhold-remote processes at once to bounce destinations (senders' domains), beside concurrency") \
  X(timeout_bounce,   30,       3600,       "deliver: seconds to connect and to wait for any reply at a bounce destination (at most timeout_connect, timeout_remote)") \
  X(queue_free_min,   104857600, 1099511627776, "queue: bytes the queue's filesystem keeps free; below it mxhold-queue answers 451 4.3.1") \
  X(verify_positive,  604800,   31536000,   "recipients=verify|learn: seconds a known address stays cached") \
  X(verify_negative,  10800,    31536000,   "recipients=verify|learn: seconds an unknown address stays cached") \
  X(verify_timeout,   10,       120,        "recipients=verify|learn: seconds for a whole probe (connect to QUIT)") \
  X(verify_rate,      360,      3600000,    "recipients=verify|learn: probes per hour per customer server") \
  X(verify_burst,     20,       100000,     "recipients=verify|learn: probes a customer server may get at once before the rate applies") \
  X(verify_cache,     100000,   10000000,   "recipients=verify|learn: addresses the cache holds (the oldest go first)")

enum conf_limit_id {
#define CONF_X_ENUM(name, def, cap, doc) CONF_LIMIT_##name,
  CONF_LIMITS(CONF_X_ENUM)
#undef CONF_X_ENUM
  CONF_LIMIT_N
} ;

struct conf_limits { uint64_t v[CONF_LIMIT_N] ; } ;
#define CONF_LIM(l, name) ((l)->v[CONF_LIMIT_##name])

struct conf {
  char const *dir ;        /* the directory, as given */
  char const *map ;        /* config.cdb, mmapped read-only */
  size_t maplen ;
  uint64_t dev, ino ;      /* identity of the mapped file, for conf_reopen */
} ;

/* The directory: dir if not NULL, else $MXHOLD_CONF, else CONF_DIR_DEFAULT. */
char const *conf_dir (char const *dir) ;

#define CONF_PATH_MAX 4096      /* PATH_MAX on Linux */
/* "DIR/NAME" into buf (CONF_PATH_MAX bytes, NUL-terminated). 0, or -1
   with errno ENAMETOOLONG. */
int conf_path (char *buf, char const *dir, char const *name) ;

/* Maps DIR/config.cdb (DIR as for conf_dir; the string must outlive c,
   conf_reopen uses it). 0, or -1 with errno (ENOENT: not compiled yet;
   EPROTO: not a cdb). The mapping stays valid after a recompile (the old
   inode lives on); call conf_reopen to see the new one. */
int conf_open (struct conf *c, char const *dir) ;
void conf_close (struct conf *c) ;
/* 1 if DIR/config.cdb is now a different file than the one mapped
   (reopened), 0 if unchanged, -1 + errno on error (old map kept). */
int conf_reopen (struct conf *c) ;

/* Raw lookup. 1 found (val points into the map), 0 not found. */
int conf_get (struct conf const *c, char const *key, size_t keylen, struct span *val) ;

/* "me" and "queue" as spans; 0 if missing. */
int conf_me (struct conf const *c, struct span *me) ;
int conf_queue (struct conf const *c, struct span *path) ;

/* Is DOMAIN (any case, one trailing dot tolerated) a customer domain?
   1 yes (val = its "ROUTE [key=value...]"), 0 no. Bytes outside the
   hostname alphabet simply make it not found. */
int conf_domain_find (struct conf const *c, char const *dom, size_t len, struct span *val) ;

/* Limits for a client: the defaults, overridden by `limits`, overridden by
   the longest matching `clients` prefix for ip (text IPv4 or IPv6; NULL or
   unparsable: no client override). *trusted is set to 1 if that clients
   line has the word "trusted". */
void conf_limits_get (struct conf const *c, char const *ip, struct conf_limits *l, int *trusted) ;

/* The key=value options of the longest clients prefix matching ip; 0 none. */
int conf_client_find (struct conf const *c, char const *ip, struct span *val) ;

/* In an options span "k1=v1 k2=v2 word", the value of key (1), or 0 if
   absent. A bare word matches with an empty value. */
int conf_opt (struct span opts, char const *key, struct span *val) ;

/* Parses "HOST[:PORT][,HOST[:PORT]...]|mx ..." routes: the route is the
   first word of a domain's value. */
struct span conf_route (struct span domval) ;

/* Name of limit i, its default and its cap. */
char const *conf_limit_name (unsigned int i) ;
uint64_t conf_limit_default (unsigned int i) ;
uint64_t conf_limit_cap (unsigned int i) ;

/* Parses a textual IPv4/IPv6 address into 16 bytes (IPv4: 4 bytes used).
   Returns 4, 6, or 0 if it is not an address. libc only (inet_pton). */
int conf_ip_parse (char const *s, size_t len, unsigned char out[16]) ;

/* ---- Extensions (after the original contract above) ---- */

/* Text files: a line longer than this (CR LF excluded) is an error. */
#define CONF_LINE_MAX_BYTES 4096
/* Words on one line; more is an error. */
#define CONF_WORDS_MAX 64
/* A host name: RFC 1035 2.3.4 (253 characters in text form, labels 63). */
#define CONF_HOST_MAX 253
#define CONF_LABEL_MAX 63
/* Hosts in one route. */
#define CONF_ROUTE_HOSTS_MAX 16
/* A text file in the config directory larger than this is an error. */
#define CONF_FILE_MAX_BYTES (256UL * 1024 * 1024)
/* Longest cdb key a reader builds: "c:" FAM LEN ADDR[16], "d:" + host. */
#define CONF_KEY_MAX (2 + CONF_HOST_MAX)

/* Limit i's value in text: decimal, "unlimited", a K/M/G suffix (powers of
   1024). Returns 1 and *v, or 0 if not a value (no cap check here). */
int conf_limit_scan (char const *s, size_t len, uint64_t *v) ;
/* Index of the limit named s, or -1. */
int conf_limit_index (char const *s, size_t len) ;
/* Applies every "limit=value" of opts (a clients or domains value) to l.
   Unknown keys and bad values are skipped (mxhold-conf check refuses them). */
void conf_limits_apply (struct span opts, struct conf_limits *l) ;
/* Host name check and normalisation (lower case, one trailing dot removed,
   letters digits hyphen, labels 1..63 not starting or ending with '-',
   total 1..253, last label not all digits). Returns the length written to
   out (which has room for CONF_HOST_MAX bytes), or 0 if it is not valid. */
size_t conf_host_norm (char const *s, size_t len, char *out) ;
/* The SPF policy for result (pass, fail, softfail, neutral, none,
   permerror, temperror): the action span ("accept" "mark" "reject"
   "defer"), defaults applied if the cdb lacks the key. 0 if result is
   not a known result. */
int conf_spf_action (struct conf const *c, char const *result, struct span *action) ;
/* The SPF results, i from 0 to CONF_SPF_N - 1 in the order above, and the
   action each gets when the spf file does not say; NULL for i past them. */
#define CONF_SPF_N 7
char const *conf_spf_result (unsigned int i) ;
char const *conf_spf_default (unsigned int i) ;

/* Is ip (text) one of the trusted PROXY-protocol peers of the proxies
   file (longest-prefix match as for clients)? 1 yes, 0 no. */
int conf_proxy_trusted (struct conf const *c, char const *ip) ;

/* A redis address: "IP:PORT", "[IPv6]:PORT" or an absolute socket path
   (no DNS: a name would cost a lookup per connection). */
#define CONF_REDIS_PATH_MAX 107   /* sun_path is 108 bytes, NUL included */
struct conf_redis_addr {
  int fam ;                       /* 4, 6, or 0 for a socket path */
  char host[CONF_REDIS_PATH_MAX + 1] ;  /* the address text or the path, NUL-terminated */
  unsigned int port ;
} ;
/* Parses s[len]. 1, or 0 if it is none of the three forms. */
int conf_redis_parse (char const *s, size_t len, struct conf_redis_addr *a) ;

/* Recipient validation (conf/conf.md, domains: recipients=). */
enum conf_rcpt_policy { CONF_RCPT_ANY, CONF_RCPT_LIST, CONF_RCPT_VERIFY, CONF_RCPT_LEARN } ;
/* The policy words, indexed by enum conf_rcpt_policy; NULL past them. */
char const *conf_rcpt_policy_name (unsigned int i) ;
/* A domain's policy from its value (recipients=; absent or unknown: any). */
enum conf_rcpt_policy conf_rcpt_policy (struct span domval) ;
/* 1 if the domain says verify_fail=defer (an unanswered probe gets 450),
   0 for accept (the default). */
int conf_rcpt_defer (struct span domval) ;
/* RFC 5321 4.5.3.1.1: the longest local part; a longer one is never listed */
#define CONF_LOCAL_MAX 64
/* recipients=list: is LOCAL@DOMAIN listed, or has the domain a catch-all?
   Local part and domain compared without regard to ASCII case (conf.md
   says why); one trailing dot of the domain tolerated. 1 yes, 0 no. */
int conf_rcpt_listed (struct conf const *c, char const *local, size_t llen, char const *dom, size_t dlen) ;
/* The recipient cache's path: the rcptcache file, else this. */
#define CONF_RCPTCACHE_DEFAULT "/var/lib/mxhold/rcpt"
void conf_rcptcache (struct conf const *c, struct span *path) ;

#endif
