/*
 * The evaluator (djass_tmpl_eval.c: expressions, djass_tmpl_eval_stmt.c:
 * statements, djass_tmpl_eval_ops.c: operators): runs a parsed template
 * against its variables.  Not a public interface.
 */

#ifndef DJASS_TMPL_EVAL_H
#define DJASS_TMPL_EVAL_H

#include "djass_buf.h"
#include "djass_tmpl.h"
#include "djass_tmpl_parse.h"
#include "djass_tmpl_table.h"



struct djass_eval_s {
    json_t        *vars;            /* the render's variables */
    json_t        *frames[DJASS_MAX_DEPTH];
    int            nframes;
    int            base;            /* frames below are hidden */
    const char    *name;
    djass_err_t   *err;
    int            failed;
    int            line;            /* of the node being evaluated */
    char           undef[256];      /* why the last NULL is undefined */
    djass_tmpl_loader_pt  loader;   /* for {% include %}, or NULL */
    void                 *loader_data;
    int            depth;
    const djass_tmpl_ext_t  *ext;   /* the template's extension, or NULL */
    djass_tmpl_limits_t      limits;
    uint64_t                 steps;  /* work done so far */
};

int djass_tmpl_exec(djass_eval_t *ev, djass_node_t *body, djass_buf_t *out);
json_t *djass_tmpl_eval(djass_eval_t *ev, djass_node_t *n);
json_t *djass_tmpl_iterable(djass_eval_t *ev, json_t *v);
int djass_eval_fail(djass_eval_t *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* a step of work is an expression, a statement, a sort comparison,
 * DJASS_STEP_BYTES of a string or DJASS_STEP_ITEMS of a list or dict (what
 * operations on it walk); a loop pass (it allocates a frame and its loop
 * object: about as much time) is DJASS_STEP_PASS */
#define DJASS_STEP_BYTES  64
#define DJASS_STEP_ITEMS  16
#define DJASS_STEP_PASS   16

/* the limits (djass_tmpl_limits_t): each returns 0, or -1 with ev failed
 * and a message naming the limit */
/* counts units steps of work */
int djass_eval_work(djass_eval_t *ev, uint64_t units);
/* a string of len bytes is about to be made */
int djass_eval_strlen(djass_eval_t *ev, size_t len);
/* *len = a * b + c bytes (a width, a repeat count ...) if within the
 * string limit; what names the operation in the message */
int djass_eval_size(djass_eval_t *ev, const char *what, uint64_t a,
    uint64_t b, uint64_t c, size_t *len);
/* a list of a * b + c items is about to be made */
int djass_eval_items(djass_eval_t *ev, const char *what, uint64_t a,
    uint64_t b, uint64_t c);
/* str(v) (repr(v) if repr) appended to b, at most the string limit of
 * bytes more (and never past b->max) */
int djass_eval_str(djass_eval_t *ev, djass_buf_t *b, json_t *v, int repr);
/* an integer operation's result does not fit: fails, says what did not */
json_t *djass_eval_overflow(djass_eval_t *ev, const char *what);

/* the helpers its three files share */
int djass_need(djass_eval_t *ev, json_t *v);
json_t *djass_undefined(djass_eval_t *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
json_t *djass_lookup(djass_eval_t *ev, const char *name, size_t len);
json_t *djass_getattr(djass_eval_t *ev, json_t *obj, const char *name,
    size_t len);
json_t *djass_eval_binop(djass_eval_t *ev, int op, json_t *a, json_t *b);
int djass_eval_compare(djass_eval_t *ev, int op, json_t *a, json_t *b);
int djass_num(json_t *v, double *d, json_int_t *i);
int djass_contains(djass_eval_t *ev, json_t *hay, json_t *needle);


/* one call's arguments, positional then keyword */
#define DJASS_MAX_ARGS  8

struct djass_args_s {
    json_t      *pos[DJASS_MAX_ARGS];
    int          npos;
    const char  *kwname[DJASS_MAX_ARGS];
    size_t       kwlen[DJASS_MAX_ARGS];
    json_t      *kw[DJASS_MAX_ARGS];
    int          nkw;
};

#endif /* DJASS_TMPL_EVAL_H */
