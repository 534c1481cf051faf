/*
 * The parser's expressions: Jinja2's operator precedence (parser.py),
 * loosest binding first, then operands, subscripts, calls, filters and
 * tests.
 */

#include <string.h>

#include "djass_buf.h"
#include "djass_tmpl_filters.h"
#include "djass_tmpl_tests.h"
#include "djass_tmpl_parse.h"


djass_node_t *
djass_parse_expr(djass_parser_t *ps, int condexpr)
{
    djass_node_t  *n, *c;

    if (++ps->depth > DJASS_MAX_DEPTH) {
        djass_err_set(ps->err, ps->name, djass_cur(ps)->line,
                      "expression nested too deeply");
        return NULL;
    }

    n = djass_parse_or(ps);

    while (n != NULL && condexpr && djass_is_name(djass_cur(ps), "if")) {
        ps->i++;
        c = djass_node(ps, DJASS_N_COND);
        if (c == NULL) {
            return NULL;
        }
        c->b = n;
        c->a = djass_parse_or(ps);
        if (c->a == NULL) {
            return NULL;
        }
        if (djass_is_name(djass_cur(ps), "else")) {
            ps->i++;
            c->c = djass_parse_expr(ps, 1);
            if (c->c == NULL) {
                return NULL;
            }
        }
        n = c;
    }

    ps->depth--;
    return n;
}


djass_node_t *
djass_binary(djass_parser_t *ps, int type, int op, djass_node_t *a)
{
    djass_node_t  *n;

    n = djass_node(ps, type);
    if (n == NULL) {
        return NULL;
    }

    n->op = op;
    n->a = a;
    return n;
}


/*
 * the left-associative binary levels: each operator at a level, with the
 * node it makes; a name operator ("or") is a name token, not an op token
 */
typedef struct {
    const char  *tok;
    int          name;
    int          type;
    int          op;
} djass_binop_t;

typedef djass_node_t *(*djass_parse_pt)(djass_parser_t *ps);


static const djass_binop_t  djass_or_ops[] = {
    { "or", 1, DJASS_N_OR, 0 },
    { NULL, 0, 0, 0 }
};

static const djass_binop_t  djass_and_ops[] = {
    { "and", 1, DJASS_N_AND, 0 },
    { NULL, 0, 0, 0 }
};

static const djass_binop_t  djass_math1_ops[] = {
    { "+", 0, DJASS_N_BINOP, DJASS_OP_ADD },
    { "-", 0, DJASS_N_BINOP, DJASS_OP_SUB },
    { NULL, 0, 0, 0 }
};

static const djass_binop_t  djass_concat_ops[] = {
    { "~", 0, DJASS_N_CONCAT, 0 },
    { NULL, 0, 0, 0 }
};

static const djass_binop_t  djass_math2_ops[] = {
    { "*", 0, DJASS_N_BINOP, DJASS_OP_MUL },
    { "/", 0, DJASS_N_BINOP, DJASS_OP_DIV },
    { "//", 0, DJASS_N_BINOP, DJASS_OP_FLOORDIV },
    { "%", 0, DJASS_N_BINOP, DJASS_OP_MOD },
    { NULL, 0, 0, 0 }
};

static const djass_binop_t  djass_pow_ops[] = {
    { "**", 0, DJASS_N_BINOP, DJASS_OP_POW },
    { NULL, 0, 0, 0 }
};


static djass_node_t *djass_parse_and(djass_parser_t *ps);
static djass_node_t *djass_parse_not(djass_parser_t *ps);
static djass_node_t *djass_parse_compare(djass_parser_t *ps);
static djass_node_t *djass_parse_math1(djass_parser_t *ps);
static djass_node_t *djass_parse_concat(djass_parser_t *ps);
static djass_node_t *djass_parse_math2(djass_parser_t *ps);
static djass_node_t *djass_parse_pow(djass_parser_t *ps);
static djass_node_t *djass_parse_operand(djass_parser_t *ps);


/* a (op b)*: operands from the next level, folded to the left */
static djass_node_t *
djass_parse_level(djass_parser_t *ps, const djass_binop_t *ops,
    djass_parse_pt next)
{
    djass_tk_t           *t;
    djass_node_t         *n;
    const djass_binop_t  *o;

    n = next(ps);

    while (n != NULL) {
        t = djass_cur(ps);
        for (o = ops; o->tok != NULL; o++) {
            if (o->name ? djass_is_name(t, o->tok) : djass_is_op(t, o->tok)) {
                break;
            }
        }

        if (o->tok == NULL) {
            break;
        }

        ps->i++;
        n = djass_binary(ps, o->type, o->op, n);
        if (n == NULL || (n->b = next(ps)) == NULL) {
            return NULL;
        }
    }

    return n;
}


djass_node_t *
djass_parse_or(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_or_ops, djass_parse_and);
}


static djass_node_t *
djass_parse_and(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_and_ops, djass_parse_not);
}


static djass_node_t *
djass_parse_not(djass_parser_t *ps)
{
    djass_node_t  *n;

    if (djass_is_name(djass_cur(ps), "not")) {
        ps->i++;
        n = djass_binary(ps, DJASS_N_NOT, 0, NULL);
        if (n == NULL || (n->a = djass_parse_not(ps)) == NULL) {
            return NULL;
        }
        return n;
    }

    return djass_parse_compare(ps);
}


static int
djass_compare_op(djass_parser_t *ps)
{
    djass_tk_t  *t;

    t = djass_cur(ps);

    if (djass_is_op(t, "==")) { return DJASS_OP_EQ; }
    if (djass_is_op(t, "!=")) { return DJASS_OP_NE; }
    if (djass_is_op(t, "<")) { return DJASS_OP_LT; }
    if (djass_is_op(t, ">")) { return DJASS_OP_GT; }
    if (djass_is_op(t, "<=")) { return DJASS_OP_LE; }
    if (djass_is_op(t, ">=")) { return DJASS_OP_GE; }
    if (djass_is_name(t, "in")) { return DJASS_OP_IN; }
    if (djass_is_name(t, "not") && djass_is_name(t + 1, "in")) {
        return DJASS_OP_NOTIN;
    }

    return 0;
}


/* a < b <= c: the chain of (op, operand) hangs off args */
static djass_node_t *
djass_parse_compare(djass_parser_t *ps)
{
    int            op;
    djass_node_t  *n, *cmp, **tail, *e;

    n = djass_parse_math1(ps);
    if (n == NULL) {
        return NULL;
    }

    cmp = NULL;
    tail = NULL;

    while ((op = djass_compare_op(ps)) != 0) {
        ps->i += (op == DJASS_OP_NOTIN) ? 2 : 1;

        if (cmp == NULL) {
            cmp = djass_binary(ps, DJASS_N_COMPARE, 0, n);
            if (cmp == NULL) {
                return NULL;
            }
            tail = &cmp->args;
        }

        e = djass_parse_math1(ps);
        if (e == NULL) {
            return NULL;
        }

        /* the operand carries the operator: wrap it to keep its own op */
        n = djass_binary(ps, DJASS_N_POS, op, e);
        if (n == NULL) {
            return NULL;
        }
        *tail = n;
        tail = &n->next;
    }

    return cmp ? cmp : n;
}


static djass_node_t *
djass_parse_math1(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_math1_ops, djass_parse_concat);
}


static djass_node_t *
djass_parse_concat(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_concat_ops, djass_parse_math2);
}


static djass_node_t *
djass_parse_math2(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_math2_ops, djass_parse_pow);
}


static djass_node_t *
djass_parse_pow(djass_parser_t *ps)
{
    return djass_parse_level(ps, djass_pow_ops, djass_parse_operand);
}


/* a power's operand: a unary expression with its filters */
static djass_node_t *
djass_parse_operand(djass_parser_t *ps)
{
    return djass_parse_unary(ps, 1);
}


djass_node_t *
djass_parse_unary(djass_parser_t *ps, int filters)
{
    djass_node_t  *n;

    if (djass_is_op(djass_cur(ps), "-") || djass_is_op(djass_cur(ps), "+")) {
        n = djass_binary(ps, djass_is_op(djass_cur(ps), "-") ? DJASS_N_NEG
                                                             : DJASS_N_POS,
                         0, NULL);
        ps->i++;
        if (n == NULL || (n->a = djass_parse_unary(ps, 0)) == NULL) {
            return NULL;
        }

    } else {
        n = djass_parse_primary(ps);
    }

    if (n != NULL) {
        n = djass_parse_postfix(ps, n);
    }

    if (n != NULL && filters) {
        n = djass_parse_filters(ps, n);
    }

    return n;
}


/* [a, b], (a, b), {k: v}: items hang off args */
static djass_node_t *
djass_parse_seq(djass_parser_t *ps, int type, const char *close)
{
    djass_node_t  *n, **tail, *e;

    n = djass_node(ps, type);
    if (n == NULL) {
        return NULL;
    }
    tail = &n->args;

    while (!djass_is_op(djass_cur(ps), close)) {
        e = djass_parse_expr(ps, 1);
        if (e == NULL) {
            return NULL;
        }

        if (type == DJASS_N_DICT) {
            if (djass_expect_op(ps, ":") != 0) {
                return NULL;
            }
            e->next = NULL;
            e = djass_binary(ps, DJASS_N_POS, 0, e);
            if (e == NULL || (e->b = djass_parse_expr(ps, 1)) == NULL) {
                return NULL;
            }
        }

        *tail = e;
        tail = &e->next;

        if (!djass_is_op(djass_cur(ps), ",")) {
            break;
        }
        ps->i++;
        n->op = 1;      /* a comma: (a,) is a tuple */
    }

    if (djass_expect_op(ps, close) != 0) {
        return NULL;
    }

    return n;
}


djass_node_t *
djass_parse_primary(djass_parser_t *ps)
{
    djass_tk_t    *t;
    djass_node_t  *n;
    djass_buf_t    b;

    t = djass_cur(ps);

    switch (t->type) {

    case DJASS_TK_NAME:
        if (djass_is_name(t, "true") || djass_is_name(t, "True")
            || djass_is_name(t, "false") || djass_is_name(t, "False"))
        {
            n = djass_node(ps, DJASS_N_BOOL);
            if (n) {
                n->ival = (t->s[0] == 't' || t->s[0] == 'T');
            }
        } else if (djass_is_name(t, "none") || djass_is_name(t, "None")) {
            n = djass_node(ps, DJASS_N_NONE);
        } else {
            n = djass_node(ps, DJASS_N_NAME);
            if (n) {
                n->s = t->s;
                n->len = t->len;
            }
        }
        ps->i++;
        return n;

    case DJASS_TK_STRING:
        n = djass_node(ps, DJASS_N_STR);
        if (n == NULL) {
            return NULL;
        }

        /* adjacent strings are one string */
        if (ps->tk[ps->i + 1].type != DJASS_TK_STRING) {
            n->s = t->s;
            n->len = t->len;
            ps->i++;
            return n;
        }

        memset(&b, 0, sizeof(b));
        while (djass_cur(ps)->type == DJASS_TK_STRING) {
            djass_buf_add(&b, djass_cur(ps)->s, djass_cur(ps)->len);
            ps->i++;
        }
        n->s = djass_arena_strdup(ps->arena, b.data ? b.data : "", b.len);
        n->len = b.len;
        djass_buf_free(&b);
        return n->s ? n : NULL;

    case DJASS_TK_INT:
    case DJASS_TK_FLOAT:
        n = djass_node(ps, t->type == DJASS_TK_INT ? DJASS_N_INT
                                                   : DJASS_N_FLOAT);
        if (n) {
            n->ival = t->ival;
            n->fval = t->fval;
        }
        ps->i++;
        return n;

    case DJASS_TK_OP:
        if (djass_is_op(t, "(")) {
            ps->i++;
            n = djass_parse_seq(ps, DJASS_N_LIST, ")");
            if (n == NULL) {
                return NULL;
            }
            /* (x) is x; (x,) and (x, y) are tuples */
            if (n->op == 0 && n->args != NULL && n->args->next == NULL) {
                return n->args;
            }
            return n;
        }
        if (djass_is_op(t, "[")) {
            ps->i++;
            return djass_parse_seq(ps, DJASS_N_LIST, "]");
        }
        if (djass_is_op(t, "{")) {
            ps->i++;
            return djass_parse_seq(ps, DJASS_N_DICT, "}");
        }
        break;

    default:
        break;
    }

    return djass_unexpected(ps, "an expression");
}


static djass_node_t *
djass_parse_subscript(djass_parser_t *ps, djass_node_t *obj)
{
    int            k;
    djass_node_t  *n, *part[3];

    if (djass_is_op(djass_cur(ps), ".")) {
        ps->i++;
        n = djass_binary(ps, DJASS_N_GETATTR, 0, obj);
        if (n == NULL) {
            return NULL;
        }

        if (djass_cur(ps)->type == DJASS_TK_NAME) {
            n->s = djass_cur(ps)->s;
            n->len = djass_cur(ps)->len;
            ps->i++;
            return n;
        }

        if (djass_cur(ps)->type == DJASS_TK_INT) {
            /* x.0 is x[0] */
            n->type = DJASS_N_GETITEM;
            n->b = djass_node(ps, DJASS_N_INT);
            if (n->b == NULL) {
                return NULL;
            }
            n->b->ival = djass_cur(ps)->ival;
            ps->i++;
            return n;
        }

        return djass_unexpected(ps, "name or number");
    }

    /* [index] or [start:stop:step] */
    ps->i++;
    part[0] = part[1] = part[2] = NULL;

    for (k = 0; k < 3; k++) {
        if (!djass_is_op(djass_cur(ps), ":")
            && !djass_is_op(djass_cur(ps), "]"))
        {
            part[k] = djass_parse_expr(ps, 1);
            if (part[k] == NULL) {
                return NULL;
            }
        }

        if (!djass_is_op(djass_cur(ps), ":")) {
            break;
        }
        ps->i++;
        if (k == 2) {
            return djass_unexpected(ps, "']'");
        }
    }

    if (djass_expect_op(ps, "]") != 0) {
        return NULL;
    }

    if (k == 0 && part[0] != NULL) {
        n = djass_binary(ps, DJASS_N_GETITEM, 0, obj);
        if (n) {
            n->b = part[0];
        }
        return n;
    }

    n = djass_binary(ps, DJASS_N_SLICE, 0, obj);
    if (n == NULL) {
        return NULL;
    }

    /* the parts go in a list node: a node of each, DJASS_N_NONE if absent */
    n->args = djass_node(ps, DJASS_N_LIST);
    if (n->args == NULL) {
        return NULL;
    }
    n->b = part[0];
    n->c = part[1];
    n->args->a = part[2];
    return n;
}


djass_node_t *
djass_parse_postfix(djass_parser_t *ps, djass_node_t *n)
{
    djass_node_t  *c;

    while (n != NULL) {
        if (djass_is_op(djass_cur(ps), ".") || djass_is_op(djass_cur(ps), "["))
        {
            n = djass_parse_subscript(ps, n);

        } else if (djass_is_op(djass_cur(ps), "(")) {
            c = djass_binary(ps, DJASS_N_CALL, 0, n);
            if (c == NULL || djass_parse_args(ps, c) != 0) {
                return NULL;
            }
            n = c;

        } else {
            break;
        }
    }

    return n;
}


/* (a, b, name=c): consumes the parentheses */
int
djass_parse_args(djass_parser_t *ps, djass_node_t *call)
{
    djass_node_t  **tail, *e, *kw;

    ps->i++;
    tail = &call->args;

    while (!djass_is_op(djass_cur(ps), ")")) {
        if (djass_cur(ps)->type == DJASS_TK_NAME
            && djass_is_op(&ps->tk[ps->i + 1], "="))
        {
            kw = djass_node(ps, DJASS_N_KWARG);
            if (kw == NULL) {
                return -1;
            }
            kw->s = djass_cur(ps)->s;
            kw->len = djass_cur(ps)->len;
            ps->i += 2;
            kw->a = djass_parse_expr(ps, 1);
            if (kw->a == NULL) {
                return -1;
            }
            e = kw;

        } else {
            e = djass_parse_expr(ps, 1);
            if (e == NULL) {
                return -1;
            }
        }

        *tail = e;
        tail = &e->next;

        if (!djass_is_op(djass_cur(ps), ",")) {
            break;
        }
        ps->i++;
    }

    return djass_expect_op(ps, ")");
}


djass_node_t *
djass_parse_filters(djass_parser_t *ps, djass_node_t *n)
{
    djass_tk_t    *t;
    djass_node_t  *f, *arg;

    while (n != NULL) {
        t = djass_cur(ps);

        if (djass_is_op(t, "|") || djass_is_name(t, "is")) {
            ps->i++;
            f = djass_binary(ps, t->type == DJASS_TK_OP ? DJASS_N_FILTER
                                                        : DJASS_N_TEST, 0, n);
            if (f == NULL) {
                return NULL;
            }

            if (f->type == DJASS_N_TEST && djass_is_name(djass_cur(ps), "not"))
            {
                f->op = 1;
                ps->i++;
            }

            if (djass_cur(ps)->type != DJASS_TK_NAME) {
                return djass_unexpected(ps, "a name");
            }
            f->s = djass_cur(ps)->s;
            f->len = djass_cur(ps)->len;

            /* like Jinja2, unknown names fail at compile time */
            if (f->type == DJASS_N_FILTER
                ? djass_tmpl_find_filter(ps->ext, f->s, f->len) == NULL
                : djass_tmpl_find_test(f->s, f->len) == NULL)
            {
                djass_err_set(ps->err, ps->name, djass_cur(ps)->line,
                              "No %s named '%.*s'.",
                              f->type == DJASS_N_FILTER ? "filter" : "test",
                              (int) f->len, f->s);
                return NULL;
            }
            ps->i++;

            t = djass_cur(ps);
            if (djass_is_op(t, "(")) {
                if (djass_parse_args(ps, f) != 0) {
                    return NULL;
                }

            } else if (f->type == DJASS_N_TEST
                       && (t->type == DJASS_TK_STRING
                           || t->type == DJASS_TK_INT
                           || t->type == DJASS_TK_FLOAT
                           || djass_is_op(t, "[") || djass_is_op(t, "{")
                           || (t->type == DJASS_TK_NAME
                               && !djass_is_name(t, "else")
                               && !djass_is_name(t, "or")
                               && !djass_is_name(t, "and"))))
            {
                /* `x is divisibleby 3`: one argument without parentheses */
                arg = djass_parse_primary(ps);
                if (arg == NULL || (arg = djass_parse_postfix(ps, arg)) == NULL)
                {
                    return NULL;
                }
                f->args = arg;
            }

            n = f;
            continue;
        }

        if (djass_is_op(t, "(")) {
            f = djass_binary(ps, DJASS_N_CALL, 0, n);
            if (f == NULL || djass_parse_args(ps, f) != 0) {
                return NULL;
            }
            n = f;
            continue;
        }

        break;
    }

    return n;
}
