/*
 * The parser: tokens to a tree of statements and expressions, following
 * Jinja2's grammar and operator precedence (parser.py) for the subset we
 * support.  Nodes live in the template's arena.
 */

#include <string.h>

#include "djass_tmpl_int.h"


typedef struct {
    djass_tk_t      *tk;
    size_t           n;
    size_t           i;
    djass_arena_t  **arena;
    const char      *name;
    djass_err_t     *err;
    int              depth;
} djass_parser_t;


static djass_node_t *djass_parse_body(djass_parser_t *ps,
    const char *const *ends);
static djass_node_t *djass_parse_expr(djass_parser_t *ps, int condexpr);
static djass_node_t *djass_parse_or(djass_parser_t *ps);
static djass_node_t *djass_parse_unary(djass_parser_t *ps, int filters);
static djass_node_t *djass_parse_primary(djass_parser_t *ps);
static djass_node_t *djass_parse_postfix(djass_parser_t *ps,
    djass_node_t *n);
static djass_node_t *djass_parse_filters(djass_parser_t *ps,
    djass_node_t *n);
static int djass_parse_args(djass_parser_t *ps, djass_node_t *call);


#define djass_cur(ps)  (&(ps)->tk[(ps)->i])


static djass_node_t *
djass_node(djass_parser_t *ps, int type)
{
    djass_node_t  *n;

    n = djass_arena_alloc(ps->arena, sizeof(djass_node_t));
    if (n == NULL) {
        djass_err_set(ps->err, ps->name, djass_cur(ps)->line,
                      "out of memory");
        return NULL;
    }

    memset(n, 0, sizeof(*n));
    n->type = type;
    n->line = djass_cur(ps)->line;
    return n;
}


static int
djass_is_op(djass_tk_t *t, const char *op)
{
    return t->type == DJASS_TK_OP && t->len == strlen(op)
           && memcmp(t->s, op, t->len) == 0;
}


static int
djass_is_name(djass_tk_t *t, const char *name)
{
    return t->type == DJASS_TK_NAME && t->len == strlen(name)
           && memcmp(t->s, name, t->len) == 0;
}


static const char *
djass_tk_desc(djass_tk_t *t)
{
    switch (t->type) {
    case DJASS_TK_EOF: return "end of template";
    case DJASS_TK_VAR_END: return "end of print statement";
    case DJASS_TK_BLOCK_END: return "end of statement block";
    case DJASS_TK_NAME: return "name";
    case DJASS_TK_STRING: return "string";
    case DJASS_TK_INT: return "integer";
    case DJASS_TK_FLOAT: return "float";
    case DJASS_TK_OP: return "operator";
    default: return "template data";
    }
}


static void *
djass_unexpected(djass_parser_t *ps, const char *what)
{
    djass_tk_t  *t;

    t = djass_cur(ps);
    if (t->type == DJASS_TK_NAME || t->type == DJASS_TK_OP) {
        djass_err_set(ps->err, ps->name, t->line,
                      "expected %s, got '%.*s'", what, (int) t->len, t->s);
    } else {
        djass_err_set(ps->err, ps->name, t->line, "expected %s, got %s",
                      what, djass_tk_desc(t));
    }
    return NULL;
}


static int
djass_expect_op(djass_parser_t *ps, const char *op)
{
    char  what[16];

    if (!djass_is_op(djass_cur(ps), op)) {
        snprintf(what, sizeof(what), "'%s'", op);
        djass_unexpected(ps, what);
        return -1;
    }

    ps->i++;
    return 0;
}


static int
djass_expect_end(djass_parser_t *ps, int type)
{
    if (djass_cur(ps)->type != type) {
        djass_unexpected(ps, type == DJASS_TK_BLOCK_END
                             ? "end of statement block"
                             : "end of print statement");
        return -1;
    }

    ps->i++;
    return 0;
}


djass_node_t *
djass_tmpl_parse(djass_tokens_t *tks, djass_arena_t **arena,
    const char *name, djass_err_t *err)
{
    djass_node_t    *body;
    djass_parser_t   ps;

    memset(&ps, 0, sizeof(ps));
    ps.tk = tks->tk;
    ps.n = tks->n;
    ps.arena = arena;
    ps.name = name;
    ps.err = err;

    body = djass_parse_body(&ps, NULL);
    if (body == NULL && err->msg[0] != '\0') {
        return NULL;
    }

    if (djass_cur(&ps)->type != DJASS_TK_EOF) {
        /* djass_parse_body stopped at an end tag nobody opened */
        ps.i++;
        djass_err_set(err, name, djass_cur(&ps)->line,
                      "Encountered unknown tag '%.*s'.",
                      (int) djass_cur(&ps)->len, djass_cur(&ps)->s);
        return NULL;
    }

    /* an empty template is one empty data node */
    if (body == NULL) {
        body = djass_node(&ps, DJASS_N_DATA);
        if (body == NULL) {
            return NULL;
        }
        body->s = "";
    }

    return body;
}


static djass_node_t *djass_parse_stmt(djass_parser_t *ps);


static int
djass_is_end(djass_parser_t *ps, const char *const *ends)
{
    djass_tk_t  *t;

    if (ends == NULL || djass_cur(ps)->type != DJASS_TK_BLOCK_BEGIN) {
        return 0;
    }

    t = &ps->tk[ps->i + 1];
    for ( /* void */ ; *ends; ends++) {
        if (djass_is_name(t, *ends)) {
            return 1;
        }
    }

    return 0;
}


static void
djass_parse_eof(djass_parser_t *ps, const char *const *ends)
{
    char    tags[128];
    size_t  k, n;

    tags[0] = '\0';
    for (k = 0, n = 0; ends[k] && n < sizeof(tags); k++) {
        n += (size_t) snprintf(tags + n, sizeof(tags) - n, "%s'%s'",
                               k ? " or " : "", ends[k]);
    }

    djass_err_set(ps->err, ps->name, djass_cur(ps)->line,
                  "Unexpected end of template. Jinja was looking for the "
                  "following tags: %s.", tags);
}


/*
 * Statements up to EOF or (not consumed) a block tag named in ends.
 * Returns the first node, NULL for an empty body (err->msg stays empty)
 * or on error (err->msg set).
 */
static djass_node_t *
djass_parse_body(djass_parser_t *ps, const char *const *ends)
{
    djass_tk_t    *t;
    djass_node_t  *head, **tail, *n;

    head = NULL;
    tail = &head;

    if (++ps->depth > DJASS_MAX_DEPTH) {
        djass_err_set(ps->err, ps->name, djass_cur(ps)->line,
                      "blocks nested too deeply");
        return NULL;
    }

    for ( ;; ) {
        t = djass_cur(ps);

        if (t->type == DJASS_TK_EOF) {
            if (ends != NULL) {
                djass_parse_eof(ps, ends);
                return NULL;
            }
            break;
        }

        if (djass_is_end(ps, ends)) {
            break;
        }

        if (t->type == DJASS_TK_DATA) {
            n = djass_node(ps, DJASS_N_DATA);
            if (n == NULL) {
                return NULL;
            }
            n->s = t->s;
            n->len = t->len;
            ps->i++;

        } else if (t->type == DJASS_TK_VAR_BEGIN) {
            ps->i++;
            n = djass_node(ps, DJASS_N_OUTPUT);
            if (n == NULL) {
                return NULL;
            }
            n->a = djass_parse_expr(ps, 1);
            if (n->a == NULL || djass_expect_end(ps, DJASS_TK_VAR_END) != 0) {
                return NULL;
            }

        } else {
            if (ends == NULL && ps->tk[ps->i + 1].type == DJASS_TK_NAME
                && ps->tk[ps->i + 1].len > 3
                && (memcmp(ps->tk[ps->i + 1].s, "end", 3) == 0
                    || djass_is_name(&ps->tk[ps->i + 1], "else")
                    || djass_is_name(&ps->tk[ps->i + 1], "elif")))
            {
                break;
            }
            n = djass_parse_stmt(ps);
            if (n == NULL) {
                return NULL;
            }
        }

        *tail = n;
        tail = &n->next;
    }

    ps->depth--;
    return head;
}


/* a body that may be empty: NULL only on error */
static int
djass_parse_block(djass_parser_t *ps, const char *const *ends,
    djass_node_t **body)
{
    *body = djass_parse_body(ps, ends);
    if (*body == NULL && ps->err->msg[0] != '\0') {
        return -1;
    }

    return 0;
}


static djass_node_t *djass_parse_if(djass_parser_t *ps);
static djass_node_t *djass_parse_for(djass_parser_t *ps);
static djass_node_t *djass_parse_set(djass_parser_t *ps);
static djass_node_t *djass_parse_with(djass_parser_t *ps);
static djass_node_t *djass_parse_filter_block(djass_parser_t *ps);
static djass_node_t *djass_parse_now(djass_parser_t *ps);
static djass_node_t *djass_parse_include(djass_parser_t *ps);


static djass_node_t *
djass_parse_stmt(djass_parser_t *ps)
{
    djass_tk_t  *t;

    ps->i++;
    t = djass_cur(ps);

    if (djass_is_name(t, "if")) {
        return djass_parse_if(ps);
    }
    if (djass_is_name(t, "for")) {
        return djass_parse_for(ps);
    }
    if (djass_is_name(t, "set")) {
        return djass_parse_set(ps);
    }
    if (djass_is_name(t, "now")) {
        return djass_parse_now(ps);
    }
    if (djass_is_name(t, "include")) {
        return djass_parse_include(ps);
    }
    if (djass_is_name(t, "with")) {
        return djass_parse_with(ps);
    }
    if (djass_is_name(t, "filter")) {
        return djass_parse_filter_block(ps);
    }

    if (t->type != DJASS_TK_NAME) {
        return djass_unexpected(ps, "a tag name");
    }

    djass_err_set(ps->err, ps->name, t->line,
                  "Encountered unknown tag '%.*s'.", (int) t->len, t->s);
    return NULL;
}


/* consumes "{% name" + end; the caller checked the name */
static int
djass_parse_end_tag(djass_parser_t *ps)
{
    ps->i += 2;
    return djass_expect_end(ps, DJASS_TK_BLOCK_END);
}


/* an optional {% else %} and its body (n->c) up to ends, then the end tag */
static djass_node_t *
djass_parse_else(djass_parser_t *ps, djass_node_t *n,
    const char *const *ends)
{
    if (djass_is_name(&ps->tk[ps->i + 1], "else")) {
        if (djass_parse_end_tag(ps) != 0
            || djass_parse_block(ps, ends, &n->c) != 0)
        {
            return NULL;
        }
    }

    if (djass_parse_end_tag(ps) != 0) {
        return NULL;
    }

    return n;
}


static djass_node_t *
djass_parse_if(djass_parser_t *ps)
{
    djass_node_t              *n, *elif;
    static const char *const   ends[] = { "elif", "else", "endif", NULL };
    static const char *const   endif[] = { "endif", NULL };

    ps->i++;
    n = djass_node(ps, DJASS_N_IF);
    if (n == NULL) {
        return NULL;
    }

    n->a = djass_parse_expr(ps, 1);
    if (n->a == NULL || djass_expect_end(ps, DJASS_TK_BLOCK_END) != 0
        || djass_parse_block(ps, ends, &n->b) != 0)
    {
        return NULL;
    }

    if (djass_is_name(&ps->tk[ps->i + 1], "elif")) {
        ps->i++;
        elif = djass_parse_if(ps);
        if (elif == NULL) {
            return NULL;
        }
        n->c = elif;
        return n;
    }

    return djass_parse_else(ps, n, endif);
}


/* a name token as a name node */
static djass_node_t *
djass_parse_name(djass_parser_t *ps)
{
    djass_node_t  *n;

    if (djass_cur(ps)->type != DJASS_TK_NAME) {
        return djass_unexpected(ps, "a name");
    }

    n = djass_node(ps, DJASS_N_NAME);
    if (n == NULL) {
        return NULL;
    }

    n->s = djass_cur(ps)->s;
    n->len = djass_cur(ps)->len;
    ps->i++;
    return n;
}


/* for targets: a name or names separated by commas, maybe in parens */
static djass_node_t *
djass_parse_targets(djass_parser_t *ps)
{
    int            paren;
    djass_node_t  *head, **tail, *n;

    head = NULL;
    tail = &head;
    paren = djass_is_op(djass_cur(ps), "(");
    if (paren) {
        ps->i++;
    }

    for ( ;; ) {
        n = djass_parse_name(ps);
        if (n == NULL) {
            return NULL;
        }
        *tail = n;
        tail = &n->next;

        if (!djass_is_op(djass_cur(ps), ",")) {
            break;
        }
        ps->i++;
    }

    if (paren && djass_expect_op(ps, ")") != 0) {
        return NULL;
    }

    return head;
}


static djass_node_t *
djass_parse_for(djass_parser_t *ps)
{
    djass_node_t              *n;
    static const char *const   ends[] = { "endfor", "else", NULL };
    static const char *const   endfor[] = { "endfor", NULL };

    ps->i++;
    n = djass_node(ps, DJASS_N_FOR);
    if (n == NULL) {
        return NULL;
    }

    n->a = djass_parse_targets(ps);
    if (n->a == NULL) {
        return NULL;
    }

    if (!djass_is_name(djass_cur(ps), "in")) {
        return djass_unexpected(ps, "'in'");
    }
    ps->i++;

    n->args = djass_parse_expr(ps, 0);
    if (n->args == NULL) {
        return NULL;
    }

    /* {% for x in xs if cond %}: the filter is kept in n->args->next */
    if (djass_is_name(djass_cur(ps), "if")) {
        ps->i++;
        n->args->next = djass_parse_expr(ps, 1);
        if (n->args->next == NULL) {
            return NULL;
        }
    }

    if (djass_expect_end(ps, DJASS_TK_BLOCK_END) != 0
        || djass_parse_block(ps, ends, &n->b) != 0)
    {
        return NULL;
    }

    return djass_parse_else(ps, n, endfor);
}


/*
 * a set or filter block's chain of filters over a placeholder for the body
 * (n->c), the end of the tag, then the body (n->b) and its end tag
 */
static djass_node_t *
djass_parse_filtered_body(djass_parser_t *ps, djass_node_t *n,
    const char *const *ends)
{
    djass_node_t  *f;

    f = djass_node(ps, DJASS_N_STR);
    if (f == NULL) {
        return NULL;
    }
    f->s = "";

    n->c = djass_parse_filters(ps, f);
    if (n->c == NULL || djass_expect_end(ps, DJASS_TK_BLOCK_END) != 0
        || djass_parse_block(ps, ends, &n->b) != 0
        || djass_parse_end_tag(ps) != 0)
    {
        return NULL;
    }

    return n;
}


static djass_node_t *
djass_parse_set(djass_parser_t *ps)
{
    djass_node_t              *n, *f;
    static const char *const   ends[] = { "endset", NULL };

    ps->i++;
    n = djass_node(ps, DJASS_N_SET);
    if (n == NULL) {
        return NULL;
    }

    n->a = djass_parse_targets(ps);
    if (n->a == NULL) {
        return NULL;
    }

    if (djass_is_op(djass_cur(ps), "=")) {
        ps->i++;
        n->b = djass_parse_expr(ps, 1);
        if (n->b == NULL) {
            return NULL;
        }

        /* a, b = x, y */
        f = n->b;
        while (djass_is_op(djass_cur(ps), ",")) {
            ps->i++;
            f->next = djass_parse_expr(ps, 1);
            if (f->next == NULL) {
                return NULL;
            }
            f = f->next;
        }

        return djass_expect_end(ps, DJASS_TK_BLOCK_END) == 0 ? n : NULL;
    }

    /* {% set x | filter %} ... {% endset %} */
    n->type = DJASS_N_SET_BLOCK;
    return djass_parse_filtered_body(ps, n, ends);
}


/* {% with a = x, b = y %} ... {% endwith %}: names in n->a, values in
 * n->args (both lists), body in n->b */
static djass_node_t *
djass_parse_with(djass_parser_t *ps)
{
    djass_node_t              *n, **names, **values, *e;
    static const char *const   ends[] = { "endwith", NULL };

    ps->i++;
    n = djass_node(ps, DJASS_N_WITH);
    if (n == NULL) {
        return NULL;
    }

    names = &n->a;
    values = &n->args;

    while (djass_cur(ps)->type != DJASS_TK_BLOCK_END) {
        if (n->a != NULL && djass_expect_op(ps, ",") != 0) {
            return NULL;
        }
        e = djass_parse_name(ps);
        if (e == NULL) {
            return NULL;
        }
        *names = e;
        names = &e->next;

        if (djass_expect_op(ps, "=") != 0) {
            return NULL;
        }
        e = djass_parse_expr(ps, 1);
        if (e == NULL) {
            return NULL;
        }
        *values = e;
        values = &e->next;
    }

    if (djass_expect_end(ps, DJASS_TK_BLOCK_END) != 0
        || djass_parse_block(ps, ends, &n->b) != 0
        || djass_parse_end_tag(ps) != 0)
    {
        return NULL;
    }

    return n;
}


/* {% filter upper | replace('a', 'b') %} ... {% endfilter %}: the chain
 * in n->c over a placeholder, body in n->b (as a set block's) */
static djass_node_t *
djass_parse_filter_block(djass_parser_t *ps)
{
    djass_node_t              *n;
    static const char *const   ends[] = { "endfilter", NULL };

    n = djass_node(ps, DJASS_N_FILTER_BLOCK);
    if (n == NULL) {
        return NULL;
    }

    /* "filter" stands where the "|" of a chain would */
    ps->tk[ps->i].type = DJASS_TK_OP;
    ps->tk[ps->i].s = "|";
    ps->tk[ps->i].len = 1;

    return djass_parse_filtered_body(ps, n, ends);
}


/* {% now 'utc' [+|- 'days=1'] [, '%Y'] %} from cookiecutter's TimeExtension */
static djass_node_t *
djass_parse_now(djass_parser_t *ps)
{
    djass_node_t  *n, *e;

    ps->i++;
    n = djass_node(ps, DJASS_N_NOW);
    if (n == NULL) {
        return NULL;
    }

    e = djass_parse_expr(ps, 1);
    if (e == NULL) {
        return NULL;
    }

    if (e->type == DJASS_N_BINOP
        && (e->op == DJASS_OP_ADD || e->op == DJASS_OP_SUB))
    {
        n->op = e->op;
        n->a = e->a;
        n->c = e->b;
    } else {
        n->a = e;
    }

    if (djass_is_op(djass_cur(ps), ",")) {
        ps->i++;
        n->b = djass_parse_expr(ps, 1);
        if (n->b == NULL) {
            return NULL;
        }
    }

    return djass_expect_end(ps, DJASS_TK_BLOCK_END) == 0 ? n : NULL;
}


/* {% include name [ignore missing] [with context|without context] %}:
 * op bit 1 is "ignore missing", bit 2 "without context" */
static djass_node_t *
djass_parse_include(djass_parser_t *ps)
{
    djass_node_t  *n;

    ps->i++;
    n = djass_node(ps, DJASS_N_INCLUDE);
    if (n == NULL) {
        return NULL;
    }

    n->a = djass_parse_expr(ps, 1);
    if (n->a == NULL) {
        return NULL;
    }

    if (djass_is_name(djass_cur(ps), "ignore")
        && djass_is_name(&ps->tk[ps->i + 1], "missing"))
    {
        n->op |= 1;
        ps->i += 2;
    }

    if ((djass_is_name(djass_cur(ps), "with")
         || djass_is_name(djass_cur(ps), "without"))
        && djass_is_name(&ps->tk[ps->i + 1], "context"))
    {
        n->op |= djass_cur(ps)->len == 7 ? 2 : 0;
        ps->i += 2;
    }

    return djass_expect_end(ps, DJASS_TK_BLOCK_END) == 0 ? n : NULL;
}


/* expressions, loosest binding first */

static djass_node_t *
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


static djass_node_t *
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


static djass_node_t *
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


static djass_node_t *
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


static djass_node_t *
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


static djass_node_t *
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
static int
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


static djass_node_t *
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
                ? !djass_tmpl_known_filter(f->s, f->len)
                : !djass_tmpl_known_test(f->s, f->len))
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
