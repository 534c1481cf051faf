/*
 * Python's str operations that filters and methods share, and Python's
 * string formatting (djass_tmpl_string.c).  Not a public interface.
 */

#ifndef DJASS_TMPL_STRING_H
#define DJASS_TMPL_STRING_H

#include "djass_buf.h"
#include "djass_tmpl_eval.h"


void djass_capitalize(djass_buf_t *out, const char *s, size_t len);
/* str.title() */
void djass_str_title(djass_buf_t *out, const char *s, size_t len);
/* Jinja2's title filter */
void djass_filter_title(djass_buf_t *out, const char *s, size_t len);
/* which: 1 lstrip, 2 rstrip, 3 strip; chars NULL: whitespace */
void djass_strip(djass_buf_t *out, const char *s, size_t len,
    const char *chars, size_t clen, int which);
/* count < 0: all; stops early once out holds more than max bytes (the
 * caller fails on the string limit) */
int djass_replace(djass_buf_t *out, const char *s, size_t len,
    const char *old, size_t olen, const char *new, size_t nlen,
    long long count, size_t max);
json_t *djass_split(djass_eval_t *ev, const char *s, size_t len, json_t *sep,
    long long maxsplit);
json_t *djass_join(djass_eval_t *ev, json_t *v, const char *sep,
    size_t seplen);

json_t *djass_py_percent(djass_eval_t *ev, json_t *fmt, json_t *values);
json_t *djass_str_format(djass_eval_t *ev, const char *s, size_t len,
    djass_args_t *args);

#endif /* DJASS_TMPL_STRING_H */
