/*
 * What values are (djass_tmpl_value.c): Python's str() and repr(),
 * truth and equality of jansson values, JSON, and the helpers filters and
 * methods share for their arguments and results.  Not a public interface.
 */

#ifndef DJASS_TMPL_VALUE_H
#define DJASS_TMPL_VALUE_H

#include <jansson.h>

#include "djass_buf.h"
#include "djass_tmpl_eval.h"


int djass_val_str(djass_buf_t *b, json_t *v);
int djass_val_repr(djass_buf_t *b, json_t *v);
int djass_val_truthy(json_t *v);
int djass_val_equal(json_t *a, json_t *b);
/* a number or a boolean as a double; 0 if v is neither */
int djass_val_number(json_t *v, double *d);
const char *djass_val_type(json_t *v);
json_t *djass_val_string(const char *s, size_t len);
json_t *djass_val_strbuf(djass_buf_t *b);
/* json.dumps(v, sort_keys=True, indent=indent) (indent < 0: none):
 * 0, -1 not serializable, -2 more than max bytes */
int djass_val_jsonify(djass_buf_t *b, json_t *v, int indent, int level,
    size_t max);
/* the int and float filters: v as a number, or dflt (NULL: 0); the int
 * filter fails (NULL) on an integer that does not fit in 64 bits */
json_t *djass_to_int(djass_eval_t *ev, json_t *v, json_t *dflt);
json_t *djass_to_float(json_t *v, json_t *dflt);
/* the same as a string value: indent is the filter's argument (an
 * integer, else none) or, when it is not given, dflt */
json_t *djass_val_tojson(djass_eval_t *ev, json_t *v, json_t *indent,
    int dflt);

/* argument pos, or the keyword argument name; NULL if not given */
json_t *djass_arg(djass_args_t *args, int pos, const char *name);
/* str(v): the string itself or a rendering into b (freed by the caller) */
const char *djass_soft_str(djass_eval_t *ev, djass_buf_t *b, json_t *v,
    size_t *len);
/* b as a string value; fails on no memory or over the string limit */
json_t *djass_done(djass_eval_t *ev, djass_buf_t *b);

#endif /* DJASS_TMPL_VALUE_H */
