/*
 * The template engine's insides, shared by its lexer, parser and
 * evaluator (djass_tmpl_lex.c, djass_tmpl_parse.c, djass_tmpl_eval.c,
 * djass_tmpl_func.c).  Not a public interface.
 */

#ifndef DJASS_TMPL_INT_H
#define DJASS_TMPL_INT_H

#include <stdint.h>

#include "djass_buf.h"
#include "djass_tmpl.h"


/* one allocation arena per compiled template: freed at once */
typedef struct djass_arena_s  djass_arena_t;

struct djass_arena_s {
    djass_arena_t  *next;
    size_t          used;
    size_t          size;
    /* the block follows */
};

void *djass_arena_alloc(djass_arena_t **a, size_t n);
char *djass_arena_strdup(djass_arena_t **a, const char *s, size_t n);
void djass_arena_free(djass_arena_t *a);


typedef enum {
    DJASS_TK_EOF = 0,
    DJASS_TK_DATA,
    DJASS_TK_VAR_BEGIN,
    DJASS_TK_VAR_END,
    DJASS_TK_BLOCK_BEGIN,
    DJASS_TK_BLOCK_END,
    DJASS_TK_NAME,
    DJASS_TK_STRING,
    DJASS_TK_INT,
    DJASS_TK_FLOAT,
    DJASS_TK_OP
} djass_tk_type_e;


typedef struct {
    int          type;
    int          line;
    const char  *s;       /* names, ops, data: text; strings: the value */
    size_t       len;
    int64_t      ival;
    double       fval;
} djass_tk_t;


typedef struct {
    djass_tk_t     *tk;
    size_t          n;
    size_t          cap;
    char           *src;     /* the source, newlines normalised */
    size_t          srclen;
} djass_tokens_t;

int djass_tmpl_lex(const char *src, size_t len, djass_tokens_t *out,
    djass_arena_t **arena, const char *name, int flags, djass_err_t *err);


typedef enum {
    /* statements */
    DJASS_N_DATA = 1,
    DJASS_N_OUTPUT,
    DJASS_N_IF,
    DJASS_N_FOR,
    DJASS_N_SET,
    DJASS_N_SET_BLOCK,
    DJASS_N_WITH,
    DJASS_N_FILTER_BLOCK,
    DJASS_N_NOW,
    DJASS_N_INCLUDE,
    /* expressions */
    DJASS_N_STR,
    DJASS_N_INT,
    DJASS_N_FLOAT,
    DJASS_N_BOOL,
    DJASS_N_NONE,
    DJASS_N_NAME,
    DJASS_N_LIST,
    DJASS_N_DICT,
    DJASS_N_GETATTR,
    DJASS_N_GETITEM,
    DJASS_N_SLICE,
    DJASS_N_BINOP,
    DJASS_N_NEG,
    DJASS_N_POS,
    DJASS_N_NOT,
    DJASS_N_AND,
    DJASS_N_OR,
    DJASS_N_COMPARE,
    DJASS_N_COND,
    DJASS_N_CONCAT,
    DJASS_N_FILTER,
    DJASS_N_TEST,
    DJASS_N_CALL,
    DJASS_N_KWARG
} djass_node_type_e;


typedef struct djass_node_s  djass_node_t;

struct djass_node_s {
    int            type;
    int            line;
    int            op;      /* binop/compare operator, test negation */
    const char    *s;       /* data, string value, name, attribute */
    size_t         len;
    int64_t        ival;
    double         fval;
    djass_node_t  *a;       /* first operand, test, callee, target */
    djass_node_t  *b;       /* second operand, body */
    djass_node_t  *c;       /* third operand, else body */
    djass_node_t  *args;    /* list of arguments, items, chain */
    djass_node_t  *next;    /* the next sibling */
};


/* operators of DJASS_N_BINOP and DJASS_N_COMPARE */
enum {
    DJASS_OP_ADD = 1, DJASS_OP_SUB, DJASS_OP_MUL, DJASS_OP_DIV,
    DJASS_OP_FLOORDIV, DJASS_OP_MOD, DJASS_OP_POW,
    DJASS_OP_EQ, DJASS_OP_NE, DJASS_OP_LT, DJASS_OP_GT, DJASS_OP_LE,
    DJASS_OP_GE, DJASS_OP_IN, DJASS_OP_NOTIN
};


struct djass_tmpl_s {
    djass_arena_t  *arena;
    djass_node_t   *body;
    const char     *name;
    const char     *plain;     /* a template without syntax: the text */
    size_t          plainlen;
};

djass_node_t *djass_tmpl_parse(djass_tokens_t *tks, djass_arena_t **arena,
    const char *name, djass_err_t *err);


/* evaluation */

#define DJASS_MAX_DEPTH  64

typedef struct {
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
} djass_eval_t;

int djass_tmpl_exec(djass_eval_t *ev, djass_node_t *body, djass_buf_t *out);
json_t *djass_tmpl_eval(djass_eval_t *ev, djass_node_t *n);
json_t *djass_tmpl_iterable(djass_eval_t *ev, json_t *v);
int djass_eval_fail(djass_eval_t *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* value helpers (djass_tmpl_func.c) */
int djass_val_str(djass_buf_t *b, json_t *v);
int djass_val_repr(djass_buf_t *b, json_t *v);
int djass_val_truthy(json_t *v);
int djass_val_equal(json_t *a, json_t *b);
const char *djass_val_type(json_t *v);
json_t *djass_val_string(const char *s, size_t len);
json_t *djass_val_strbuf(djass_buf_t *b);

/* one call's arguments, positional then keyword */
#define DJASS_MAX_ARGS  8

typedef struct {
    json_t      *pos[DJASS_MAX_ARGS];
    int          npos;
    const char  *kwname[DJASS_MAX_ARGS];
    size_t       kwlen[DJASS_MAX_ARGS];
    json_t      *kw[DJASS_MAX_ARGS];
    int          nkw;
} djass_args_t;

json_t *djass_tmpl_filter(djass_eval_t *ev, const char *name, size_t len,
    json_t *v, djass_args_t *args);
json_t *djass_tmpl_method(djass_eval_t *ev, json_t *obj, const char *name,
    size_t len, djass_args_t *args);
json_t *djass_tmpl_global(djass_eval_t *ev, const char *name, size_t len,
    djass_args_t *args);
int djass_tmpl_test(djass_eval_t *ev, const char *name, size_t len,
    json_t *v, djass_args_t *args);
json_t *djass_arg(djass_args_t *args, int pos, const char *name);
const char *djass_soft_str(djass_eval_t *ev, djass_buf_t *b, json_t *v,
    size_t *len);
json_t *djass_done(djass_eval_t *ev, djass_buf_t *b);
json_t *djass_tmpl_filter_more(djass_eval_t *ev, const char *name,
    size_t len, json_t *v, djass_args_t *args, int *handled);
json_t *djass_py_percent(djass_eval_t *ev, json_t *fmt, json_t *values);
json_t *djass_str_format(djass_eval_t *ev, const char *s, size_t len,
    djass_args_t *args);
int djass_tmpl_known_filter(const char *name, size_t len);
int djass_tmpl_known_test(const char *name, size_t len);
int djass_tmpl_now(djass_eval_t *ev, djass_buf_t *out, json_t *tz,
    int op, json_t *offset, json_t *fmt);
int djass_val_jsonify(djass_buf_t *b, json_t *v, int indent, int level);

#endif /* DJASS_TMPL_INT_H */
