/*
 * The parser (djass_tmpl_parse.c: statements, djass_tmpl_parse_expr.c:
 * expressions): tokens to a tree of nodes in the template's arena.  Not a
 * public interface.
 */

#ifndef DJASS_TMPL_PARSE_H
#define DJASS_TMPL_PARSE_H

#include "djass_tmpl.h"
#include "djass_tmpl_arena.h"
#include "djass_tmpl_lex.h"
#include "djass_tmpl_table.h"


/* how deep templates nest: in the parser as in the evaluator */
#define DJASS_MAX_DEPTH  64


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
    const djass_tmpl_ext_t  *ext;   /* its filters, globals, tags */
};

djass_node_t *djass_tmpl_parse(djass_tokens_t *tks, djass_arena_t **arena,
    const char *name, const djass_tmpl_ext_t *ext, djass_err_t *err);


/* the parser's state and the helpers its two files share */
typedef struct {
    djass_tk_t      *tk;
    size_t           n;
    size_t           i;
    djass_arena_t  **arena;
    const char      *name;
    djass_err_t     *err;
    int              depth;
    const djass_tmpl_ext_t  *ext;
} djass_parser_t;

#define djass_cur(ps)  (&(ps)->tk[(ps)->i])

djass_node_t *djass_node(djass_parser_t *ps, int type);
djass_node_t *djass_binary(djass_parser_t *ps, int type, int op,
    djass_node_t *a);
int djass_is_op(djass_tk_t *t, const char *op);
int djass_is_name(djass_tk_t *t, const char *name);
const char *djass_tk_desc(djass_tk_t *t);
void *djass_unexpected(djass_parser_t *ps, const char *what);
int djass_expect_op(djass_parser_t *ps, const char *op);
int djass_expect_end(djass_parser_t *ps, int type);

/* djass_tmpl_parse_expr.c */
djass_node_t *djass_parse_expr(djass_parser_t *ps, int condexpr);
djass_node_t *djass_parse_or(djass_parser_t *ps);
djass_node_t *djass_parse_unary(djass_parser_t *ps, int filters);
djass_node_t *djass_parse_primary(djass_parser_t *ps);
djass_node_t *djass_parse_postfix(djass_parser_t *ps, djass_node_t *n);
djass_node_t *djass_parse_filters(djass_parser_t *ps, djass_node_t *n);
int djass_parse_args(djass_parser_t *ps, djass_node_t *call);

#endif /* DJASS_TMPL_PARSE_H */
