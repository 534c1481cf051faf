/*
 * The parser: tokens to a tree of statements and expressions, following
 * Jinja2's grammar and operator precedence (parser.py) for the subset we
 * support.  Nodes live in the template's arena.
 */

#include <string.h>

#include "djass_tmpl_parse.h"


static djass_node_t *djass_parse_body(djass_parser_t *ps,
    const char *const *ends);


djass_node_t *
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


int
djass_is_op(djass_tk_t *t, const char *op)
{
    return t->type == DJASS_TK_OP && t->len == strlen(op)
           && memcmp(t->s, op, t->len) == 0;
}


int
djass_is_name(djass_tk_t *t, const char *name)
{
    return t->type == DJASS_TK_NAME && t->len == strlen(name)
           && memcmp(t->s, name, t->len) == 0;
}


const char *
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


void *
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


int
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


int
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
    const char *name, const djass_tmpl_ext_t *ext, djass_err_t *err)
{
    djass_node_t    *body;
    djass_parser_t   ps;

    memset(&ps, 0, sizeof(ps));
    ps.tk = tks->tk;
    ps.n = tks->n;
    ps.arena = arena;
    ps.name = name;
    ps.err = err;
    ps.ext = ext;

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
    if (djass_is_name(t, "now") && ps->ext != NULL && ps->ext->now != NULL) {
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
