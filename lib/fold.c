/* fold.c: header fields, folded (fold.h). */
#include <string.h>
#include "lib/fold.h"

void mx_fold_raw (struct mx_fold *f, char const *s, size_t n)
{
  if (f->over || n > f->max - f->len)
  {
    f->over = 1 ;
    return ;
  }
  memcpy(f->buf + f->len, s, n) ;
  f->len += n ;
  f->col += n ;
  if (n) f->fresh = 0 ;
}

void mx_fold_str (struct mx_fold *f, char const *s)
{
  mx_fold_raw(f, s, strlen(s)) ;
}

void mx_fold_start (struct mx_fold *f, char *buf, size_t max, char const *name)
{
  f->buf = buf ;
  f->max = max ;
  f->len = 0 ;
  f->col = 0 ;
  f->fresh = 0 ;
  f->over = 0 ;
  mx_fold_str(f, name) ;
}

void mx_fold_break (struct mx_fold *f)
{
  if (f->fresh) return ;
  mx_fold_raw(f, "\r\n\t", 3) ;
  f->col = 1 ;
  f->fresh = 1 ;
}

void mx_fold_sep (struct mx_fold *f, size_t n)
{
  if (f->fresh) return ;   /* the TAB already separates */
  if (f->col + 1 + n > MX_FOLD_LINE)
  {
    mx_fold_break(f) ;
    return ;
  }
  mx_fold_raw(f, " ", 1) ;
}

void mx_fold_word (struct mx_fold *f, char const *s, size_t n)
{
  mx_fold_sep(f, n) ;
  mx_fold_raw(f, s, n) ;
}

size_t mx_fold_end (struct mx_fold *f)
{
  mx_fold_raw(f, "\r\n", 2) ;
  return f->over ? 0 : f->len ;
}
