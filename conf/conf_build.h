/* conf_build.h: checks the text files of a config directory and builds
   the config.cdb image in memory (mxhold-conf check and compile). libc
   only. Every error is reported through a callback as file, line, reason
   (line 0: the file as a whole) and checking goes on, so one run reports
   every error. */
#ifndef MXHOLD_CONF_BUILD_H
#define MXHOLD_CONF_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"
#include "conf/conf_cdb.h"
#include "conf/conf_value.h"

/* CONF_F_RCPTS is not one file: it is the syntax of each recipients/DOMAIN
   (conf_rcpt.c), read for the domains that say recipients=list. */
enum conf_file { CONF_F_ME, CONF_F_QUEUE, CONF_F_DOMAINS, CONF_F_LIMITS, CONF_F_CLIENTS, CONF_F_SPF, CONF_F_ALIASES, CONF_F_RCPTCACHE, CONF_F_PROXIES, CONF_F_REDIS, CONF_F_N, CONF_F_RCPTS } ;
#define CONF_RCPT_DIR "recipients"   /* the folder of the recipients=list files */
/* The aliases file's entries, joined by spaces, in one cdb value. */
#define CONF_ALIASES_MAX_BYTES 4096

/* Called once per error. why is a complete sentence fragment, valid only
   during the call. */
typedef void conf_build_errfn (void *ctx, char const *file, unsigned long line, char const *why) ;

struct conf_build_key
{
  uint32_t h ;
  uint32_t pos ;
  unsigned long line ;
} ;

/* A domain with recipients=list, whose file conf_build_dir reads */
struct conf_build_rdom
{
  char name[CONF_HOST_MAX + 1] ;
  unsigned long line ;              /* its domains line */
} ;

struct conf_build {
  struct conf_cdbw w ;
  struct conf_build_key *set ;      /* keys added so far, for duplicates */
  size_t setn ;
  size_t setcap ;
  conf_build_errfn *err ;
  void *ctx ;
  unsigned long nerr ;
  uint64_t lim[CONF_LIMIT_N] ;
  unsigned long limline[CONF_LIMIT_N] ;
  unsigned char spf[CONF_SPF_N] ;   /* action index + 1; 0 = default */
  unsigned long spfline[CONF_SPF_N] ;
  unsigned char lens4[33] ;
  unsigned char lens6[129] ;
  unsigned char plens4[33] ;        /* the same for proxies */
  unsigned char plens6[129] ;
  unsigned long ndomains ;
  unsigned long nclients ;
  char aliases[CONF_ALIASES_MAX_BYTES] ;  /* the "aliases" value being built */
  size_t aliaseslen ;
  int have[CONF_F_N] ;
  struct conf_build_rdom *rdoms ;   /* the recipients=list domains */
  size_t nrdoms ;
  size_t rdomscap ;
  char const *rdom ;                /* the domain whose recipients file is being read */
  char const *dir ;                 /* set by conf_build_dir, for messages */
  char path[CONF_PATH_MAX] ;        /* the file conf_build_dir is at (names
                                       the one it could not read) */
  char msg[CONF_MSG_BYTES] ;        /* the message being reported */
  char vmsg[CONF_MSG_BYTES] ;       /* a reason built by conf_value_limit */
} ;

/* The file's name in the directory ("domains"). */
char const *conf_build_filename (enum conf_file f) ;

/* 0, or -1 + errno (ENOMEM). */
int conf_build_init (struct conf_build *b, conf_build_errfn *err, void *ctx) ;
/* Checks the contents of one file and adds its entries; fname is what
   error lines name. -1 + errno only on ENOMEM/EFBIG. */
int conf_build_text (struct conf_build *b, enum conf_file f, char const *fname, char const *data, size_t len) ;
/* Reads every file of dir (missing optional files count as empty). -1 +
   errno on an I/O error (not ENOENT; b->path is the file) or ENOMEM. */
int conf_build_dir (struct conf_build *b, char const *dir) ;
/* Adds limits (defaults filled in), spf policy and prefix lengths, and
   finishes the cdb image in b->w.buf, b->w.len. 0, or -1: errors were
   reported (errno 0), or -1 + errno on ENOMEM/EFBIG. */
int conf_build_finish (struct conf_build *b) ;
void conf_build_free (struct conf_build *b) ;

/* After a clean conf_build_finish: where a value came from. data points
   at the value of a record in b->w.buf (what conf_get on that image
   returns); the line of the domains or clients line that made it, and
   *key its cdb key ("d:DOMAIN", "c:" FAM LEN ADDR). 0 if no line made it
   (limits, spf and the prefix lists are tracked in lim/limline,
   spf/spfline). mxhold-conf explain. */
unsigned long conf_build_source (struct conf_build const *b, char const *data, struct span *key) ;

/* For the modules that check one file each (conf_rcpt.c): reports an
   error as conf_build's own checks do (what: the word shown, or 0) and
   returns 0; adds key -> val unless key is there: 1 added, 0 duplicate
   (*first: the line of the first), -1 + errno. */
int conf_build_fail (struct conf_build *b, char const *file, unsigned long line, char const *why, struct span const *what) ;
int conf_build_add (struct conf_build *b, char const *k, size_t kl, char const *v, size_t vl, unsigned long line, unsigned long *first) ;

/* conf_rcpt.c: recipients=list. conf_rcpt_domain remembers a domains line's
   domain (0, or -1 + ENOMEM); conf_rcpt_line checks one line of
   recipients/DOMAIN (b->rdom) and adds its key (0, or -1 + errno);
   conf_rcpt_files (conf_install.c, with the other file I/O) reads the file
   of every remembered domain (a missing one is an error at its domains
   line; -1 + errno on I/O errors, b->path the file). */
int conf_rcpt_domain (struct conf_build *b, char const *dom, size_t len, unsigned long line) ;
int conf_rcpt_line (struct conf_build *b, char const *file, unsigned long no, struct span const *w, size_t n) ;
int conf_rcpt_files (struct conf_build *b, char const *dir) ;


/* Writes data as DIR/config.cdb: DIR/config.cdb.tmp, fsync, rename,
   fsync DIR, so a reader sees the old file or the new one. 0, or -1 +
   errno (the tmp file is removed; the old config.cdb is untouched). */
int conf_build_install (char const *dir, char const *data, size_t len) ;

#endif
