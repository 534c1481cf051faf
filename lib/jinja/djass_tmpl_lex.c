/*
 * The lexer: splits a template into data and the tokens of its tags,
 * as Jinja2's lexer does with cookiecutter's settings (no trim_blocks, no
 * lstrip_blocks, newlines normalised to "\n", the trailing newline kept).
 * `-` beside a delimiter strips the whitespace on that side; raw blocks
 * become data.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_lex.h"
#include "djass_utf8.h"


typedef struct {
    const char      *s;
    size_t           len;
    size_t           pos;
    int              line;
    djass_tokens_t  *out;
    djass_arena_t  **arena;
    const char      *name;
    djass_err_t     *err;
    int              flags;
} djass_lexer_t;


static int djass_lex_push(djass_lexer_t *lx, int type, const char *s,
    size_t len, int line);
static size_t djass_ws_len(const char *s, size_t len, size_t pos);
static size_t djass_rstrip_len(const char *s, size_t len);
static void djass_lex_advance(djass_lexer_t *lx, size_t to);
static size_t djass_lstrip_blocks(djass_lexer_t *lx, size_t start,
    size_t dlen);
static size_t djass_trim_blocks(djass_lexer_t *lx, size_t pos);
static int djass_lex_raw(djass_lexer_t *lx, size_t at);
static int djass_lex_comment(djass_lexer_t *lx);
static int djass_lex_tag(djass_lexer_t *lx, int block);
static int djass_lex_string(djass_lexer_t *lx);
static int djass_lex_number(djass_lexer_t *lx);
static int djass_lex_op(djass_lexer_t *lx);


int
djass_tmpl_lex(const char *src, size_t len, djass_tokens_t *out,
    djass_arena_t **arena, const char *name, int flags, djass_err_t *err)
{
    int             rc;
    char           *p;
    size_t          i, n, k, start, dlen;
    djass_lexer_t   lx;

    /* normalise \r\n and \r to \n, as Jinja2 does for all template text */
    p = djass_arena_alloc(arena, len + 1);
    if (p == NULL) {
        return djass_err_set(err, name, 0, "out of memory");
    }

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] == '\r') {
            p[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') {
                i++;
            }
            continue;
        }
        p[n++] = src[i];
    }
    p[n] = '\0';

    out->src = p;
    out->srclen = n;

    memset(&lx, 0, sizeof(lx));
    lx.s = p;
    lx.len = n;
    lx.line = 1;
    lx.out = out;
    lx.arena = arena;
    lx.name = name;
    lx.err = err;
    lx.flags = flags;

    while (lx.pos < lx.len) {
        /* the next "{{", "{%" or "{#" */
        for (k = lx.pos; k + 1 < lx.len; k++) {
            if (p[k] == '{'
                && (p[k + 1] == '{' || p[k + 1] == '%' || p[k + 1] == '#'))
            {
                break;
            }
        }

        if (k + 1 >= lx.len) {
            if (djass_lex_push(&lx, DJASS_TK_DATA, p + lx.pos,
                               lx.len - lx.pos, lx.line) != 0)
            {
                return -1;
            }
            djass_lex_advance(&lx, lx.len);
            break;
        }

        start = lx.pos;
        dlen = k - start;
        if (k + 2 < lx.len && p[k + 2] == '-') {
            dlen = djass_rstrip_len(p + start, dlen);
        } else if (p[k + 1] != '{' && !(k + 2 < lx.len && p[k + 2] == '+')) {
            dlen = djass_lstrip_blocks(&lx, start, dlen);
        }

        if (dlen > 0
            && djass_lex_push(&lx, DJASS_TK_DATA, p + start, dlen, lx.line)
               != 0)
        {
            return -1;
        }

        djass_lex_advance(&lx, k);

        if (p[k + 1] == '%') {
            rc = djass_lex_raw(&lx, k);
            if (rc == 1) {
                continue;
            }
            if (rc == -1) {
                return -1;
            }
        }

        /* skip the delimiter and its sign */
        djass_lex_advance(&lx, k + 2);
        if (lx.pos < lx.len && (p[lx.pos] == '-' || p[lx.pos] == '+')) {
            djass_lex_advance(&lx, lx.pos + 1);
        }

        if (p[k + 1] == '#') {
            if (djass_lex_comment(&lx) != 0) {
                return -1;
            }
            continue;
        }

        if (djass_lex_tag(&lx, p[k + 1] == '%') != 0) {
            return -1;
        }
    }

    return djass_lex_push(&lx, DJASS_TK_EOF, p + lx.len, 0, lx.line);
}


static int
djass_lex_push(djass_lexer_t *lx, int type, const char *s, size_t len,
    int line)
{
    size_t       cap;
    djass_tk_t  *tk;

    if (lx->out->n == lx->out->cap) {
        cap = lx->out->cap ? lx->out->cap * 2 : 64;
        tk = realloc(lx->out->tk, cap * sizeof(djass_tk_t));
        if (tk == NULL) {
            return djass_err_set(lx->err, lx->name, line, "out of memory");
        }
        lx->out->tk = tk;
        lx->out->cap = cap;
    }

    tk = &lx->out->tk[lx->out->n++];
    memset(tk, 0, sizeof(*tk));
    tk->type = type;
    tk->line = line;
    tk->s = s;
    tk->len = len;
    return 0;
}


/* where the Python whitespace (str.isspace) at s[pos] ends */
static size_t
djass_ws_len(const char *s, size_t len, size_t pos)
{
    size_t    i;
    uint32_t  cp;

    i = pos;
    while (i < len) {
        if ((unsigned char) s[i] < 0x80) {
            if (!djass_uni_isspace((unsigned char) s[i])) {
                break;
            }
            i++;
            continue;
        }

        pos = i;
        cp = djass_utf8_next(s, len, &pos);
        if (!djass_uni_isspace(cp)) {
            break;
        }
        i = pos;
    }

    return i;
}


/* the length of s[0..len) without its trailing whitespace (str.rstrip) */
static size_t
djass_rstrip_len(const char *s, size_t len)
{
    size_t  i, j;

    for ( ;; ) {
        if (len == 0) {
            return 0;
        }

        i = len - 1;
        while (i > 0 && ((unsigned char) s[i] & 0xc0) == 0x80) {
            i--;
        }

        j = djass_ws_len(s, len, i);
        if (j != len) {
            return len;
        }
        len = i;
    }
}


/*
 * lstrip_blocks: the spaces and tabs between the start of a line and a
 * block or comment tag go; returns the data's new length.
 */
static size_t
djass_lstrip_blocks(djass_lexer_t *lx, size_t start, size_t dlen)
{
    size_t       l;
    const char  *p;

    if (!(lx->flags & DJASS_TMPL_LSTRIP_BLOCKS)) {
        return dlen;
    }

    p = lx->s + start;
    for (l = dlen; l > 0 && p[l - 1] != '\n'; l--) {
        /* void */
    }

    /* at the start of a line: after a newline, or where a match ended
     * with one (or the template starts) */
    if (l == 0 && !(start == 0 || lx->s[start - 1] == '\n')) {
        return dlen;
    }

    if (l == dlen) {
        return dlen;
    }

    return djass_ws_len(p, dlen, l) == dlen ? l : dlen;
}


/* trim_blocks: the first newline after a block or comment tag goes */
static size_t
djass_trim_blocks(djass_lexer_t *lx, size_t pos)
{
    if ((lx->flags & DJASS_TMPL_TRIM_BLOCKS) && pos < lx->len
        && lx->s[pos] == '\n')
    {
        return pos + 1;
    }

    return pos;
}


static void
djass_lex_advance(djass_lexer_t *lx, size_t to)
{
    for ( /* void */ ; lx->pos < to; lx->pos++) {
        if (lx->s[lx->pos] == '\n') {
            lx->line++;
        }
    }
}


/*
 * {% raw %} ... {% endraw %}: returns 1 when one was consumed, 0 when the
 * tag at `at` is not a raw block, -1 on error.
 */
static int
djass_lex_raw(djass_lexer_t *lx, size_t at)
{
    int          strip_end;
    size_t       i, body, k, end, clen;
    const char  *p;

    p = lx->s;
    i = at + 2;
    if (i < lx->len && (p[i] == '-' || p[i] == '+')) {
        i++;
    }

    i = djass_ws_len(p, lx->len, i);
    if (lx->len - i < 3 || memcmp(p + i, "raw", 3) != 0) {
        return 0;
    }

    i = djass_ws_len(p, lx->len, i + 3);
    if (lx->len - i >= 3 && memcmp(p + i, "-%}", 3) == 0) {
        body = djass_ws_len(p, lx->len, i + 3);
    } else if (lx->len - i >= 2 && memcmp(p + i, "%}", 2) == 0) {
        body = i + 2;
    } else {
        return 0;
    }

    /* the first {% endraw %} after it */
    for (k = body; k + 1 < lx->len; k++) {
        if (p[k] != '{' || p[k + 1] != '%') {
            continue;
        }

        i = k + 2;
        strip_end = 0;
        if (i < lx->len && (p[i] == '-' || p[i] == '+')) {
            strip_end = (p[i] == '-');
            i++;
        }

        i = djass_ws_len(p, lx->len, i);
        if (lx->len - i < 6 || memcmp(p + i, "endraw", 6) != 0) {
            continue;
        }

        i = djass_ws_len(p, lx->len, i + 6);
        if (lx->len - i >= 3 && memcmp(p + i, "-%}", 3) == 0) {
            end = djass_ws_len(p, lx->len, i + 3);
        } else if (lx->len - i >= 3 && memcmp(p + i, "+%}", 3) == 0) {
            end = i + 3;
        } else if (lx->len - i >= 2 && memcmp(p + i, "%}", 2) == 0) {
            end = djass_trim_blocks(lx, i + 2);
        } else {
            continue;
        }

        clen = k - body;
        if (strip_end) {
            clen = djass_rstrip_len(p + body, clen);
        } else if (!(k + 2 < lx->len && p[k + 2] == '+')) {
            clen = djass_lstrip_blocks(lx, body, clen);
        }

        djass_lex_advance(lx, body);
        if (clen > 0
            && djass_lex_push(lx, DJASS_TK_DATA, p + body, clen, lx->line)
               != 0)
        {
            return -1;
        }

        djass_lex_advance(lx, end);
        return 1;
    }

    djass_err_set(lx->err, lx->name, lx->line, "Missing end of raw directive");
    return -1;
}


static int
djass_lex_comment(djass_lexer_t *lx)
{
    size_t       k;
    const char  *p;

    p = lx->s;

    /* Jinja2 quirk: "{#" right at the end of the template is a comment */
    if (lx->pos == lx->len) {
        return 0;
    }

    for (k = lx->pos; k + 1 < lx->len; k++) {
        if (p[k] != '#' || p[k + 1] != '}') {
            continue;
        }

        if (k > lx->pos && p[k - 1] == '-') {
            djass_lex_advance(lx, djass_ws_len(p, lx->len, k + 2));
        } else if (k > lx->pos && p[k - 1] == '+') {
            djass_lex_advance(lx, k + 2);
        } else {
            djass_lex_advance(lx, djass_trim_blocks(lx, k + 2));
        }
        return 0;
    }

    djass_err_set(lx->err, lx->name, lx->line, "Missing end of comment tag");
    return -1;
}


static int
djass_lex_tag(djass_lexer_t *lx, int block)
{
    int          line, depth;
    char         e;
    size_t       ws;
    const char  *p;

    p = lx->s;
    e = block ? '%' : '}';
    depth = 0;
    line = lx->line;

    if (djass_lex_push(lx, block ? DJASS_TK_BLOCK_BEGIN : DJASS_TK_VAR_BEGIN,
                       p + lx->pos, 0, line) != 0)
    {
        return -1;
    }

    for ( ;; ) {
        if (lx->pos >= lx->len) {
            return djass_err_set(lx->err, lx->name, line,
                                 "unexpected end of template, expected "
                                 "'end of %s'",
                                 block ? "statement block" : "print statement");
        }

        /* the end delimiter comes first, unless brackets are open */
        if (depth == 0 && p[lx->pos] == '-' && lx->pos + 2 < lx->len
            && p[lx->pos + 1] == e && p[lx->pos + 2] == '}')
        {
            if (djass_lex_push(lx, block ? DJASS_TK_BLOCK_END
                                         : DJASS_TK_VAR_END,
                               p + lx->pos, 0, lx->line) != 0)
            {
                return -1;
            }
            djass_lex_advance(lx, djass_ws_len(p, lx->len, lx->pos + 3));
            return 0;
        }

        /* "+%}" ends a block without trim_blocks */
        if (depth == 0 && block && p[lx->pos] == '+'
            && lx->pos + 2 < lx->len && p[lx->pos + 1] == '%'
            && p[lx->pos + 2] == '}')
        {
            if (djass_lex_push(lx, DJASS_TK_BLOCK_END, p + lx->pos, 0,
                               lx->line) != 0)
            {
                return -1;
            }
            djass_lex_advance(lx, lx->pos + 3);
            return 0;
        }

        if (depth == 0 && p[lx->pos] == e && lx->pos + 1 < lx->len
            && p[lx->pos + 1] == '}')
        {
            if (djass_lex_push(lx, block ? DJASS_TK_BLOCK_END
                                         : DJASS_TK_VAR_END,
                               p + lx->pos, 0, lx->line) != 0)
            {
                return -1;
            }
            djass_lex_advance(lx, block ? djass_trim_blocks(lx, lx->pos + 2)
                                        : lx->pos + 2);
            return 0;
        }

        ws = djass_ws_len(p, lx->len, lx->pos);
        if (ws != lx->pos) {
            djass_lex_advance(lx, ws);
            continue;
        }

        if (p[lx->pos] >= '0' && p[lx->pos] <= '9') {
            if (djass_lex_number(lx) != 0) {
                return -1;
            }
            continue;
        }

        if ((p[lx->pos] >= 'a' && p[lx->pos] <= 'z')
            || (p[lx->pos] >= 'A' && p[lx->pos] <= 'Z') || p[lx->pos] == '_')
        {
            ws = lx->pos;
            while (ws < lx->len
                   && ((p[ws] >= 'a' && p[ws] <= 'z')
                       || (p[ws] >= 'A' && p[ws] <= 'Z')
                       || (p[ws] >= '0' && p[ws] <= '9') || p[ws] == '_'))
            {
                ws++;
            }
            if (djass_lex_push(lx, DJASS_TK_NAME, p + lx->pos, ws - lx->pos,
                               lx->line) != 0)
            {
                return -1;
            }
            lx->pos = ws;
            continue;
        }

        if (p[lx->pos] == '\'' || p[lx->pos] == '"') {
            if (djass_lex_string(lx) != 0) {
                return -1;
            }
            continue;
        }

        if (strchr("([{", p[lx->pos]) != NULL) {
            depth++;
        } else if (strchr(")]}", p[lx->pos]) != NULL) {
            if (depth == 0) {
                return djass_err_set(lx->err, lx->name, lx->line,
                                     "unexpected '%c'", p[lx->pos]);
            }
            depth--;
        }

        if (djass_lex_op(lx) != 0) {
            return -1;
        }
    }
}


static int
djass_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


/* a quoted string, unescaped as Python's unicode_escape codec does */
static int
djass_lex_string(djass_lexer_t *lx)
{
    int           d, line;
    char          q, c;
    size_t        i, k, n;
    uint32_t      cp;
    const char   *p;
    djass_buf_t   b;

    p = lx->s;
    q = p[lx->pos];
    line = lx->line;

    for (i = lx->pos + 1; i < lx->len && p[i] != q; i++) {
        if (p[i] == '\\') {
            i++;
        }
    }

    if (i >= lx->len) {
        return djass_err_set(lx->err, lx->name, line,
                             "unexpected char %c at %zu", q, lx->pos);
    }

    memset(&b, 0, sizeof(b));
    for (k = lx->pos + 1; k < i; k++) {
        if (p[k] != '\\') {
            djass_buf_addc(&b, p[k]);
            continue;
        }

        c = p[++k];
        switch (c) {
        case '\n': break;
        case '\\': djass_buf_addc(&b, '\\'); break;
        case '\'': djass_buf_addc(&b, '\''); break;
        case '"': djass_buf_addc(&b, '"'); break;
        case 'a': djass_buf_addc(&b, '\a'); break;
        case 'b': djass_buf_addc(&b, '\b'); break;
        case 'f': djass_buf_addc(&b, '\f'); break;
        case 'n': djass_buf_addc(&b, '\n'); break;
        case 'r': djass_buf_addc(&b, '\r'); break;
        case 't': djass_buf_addc(&b, '\t'); break;
        case 'v': djass_buf_addc(&b, '\v'); break;

        case 'x':
        case 'u':
        case 'U':
            n = (c == 'x') ? 2 : (c == 'u') ? 4 : 8;
            cp = 0;
            for (d = 0; d < (int) n; d++) {
                if (k + 1 + d >= i || djass_hexval(p[k + 1 + d]) < 0) {
                    djass_buf_free(&b);
                    return djass_err_set(lx->err, lx->name, line,
                                         "truncated \\%c escape in a string",
                                         c);
                }
                cp = cp * 16 + (uint32_t) djass_hexval(p[k + 1 + d]);
            }
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                djass_buf_free(&b);
                return djass_err_set(lx->err, lx->name, line,
                                     "illegal Unicode character in a string");
            }
            djass_utf8_put(&b, cp);
            k += n;
            break;

        default:
            if (c >= '0' && c <= '7') {
                cp = 0;
                for (d = 0; d < 3 && k < i && p[k] >= '0' && p[k] <= '7';
                     d++, k++)
                {
                    cp = cp * 8 + (uint32_t) (p[k] - '0');
                }
                k--;
                djass_utf8_put(&b, cp);
                break;
            }
            /* an unknown escape stays as it is */
            djass_buf_addc(&b, '\\');
            djass_buf_addc(&b, c);
        }
    }

    if (djass_buf_failed(&b)) {
        djass_buf_free(&b);
        return djass_err_set(lx->err, lx->name, line, "out of memory");
    }

    n = b.len;
    if (djass_lex_push(lx, DJASS_TK_STRING,
                       djass_arena_strdup(lx->arena, b.data ? b.data : "", n),
                       n, line) != 0)
    {
        djass_buf_free(&b);
        return -1;
    }

    djass_buf_free(&b);
    djass_lex_advance(lx, i + 1);
    return 0;
}


/* digits with single underscores between them, as Python allows */
static size_t
djass_digits(const char *p, size_t len, size_t i, int base)
{
    size_t  start;

    start = i;
    while (i < len) {
        if (djass_hexval(p[i]) >= 0 && djass_hexval(p[i]) < base) {
            i++;
            continue;
        }
        if (p[i] == '_' && i > start && i + 1 < len
            && djass_hexval(p[i + 1]) >= 0 && djass_hexval(p[i + 1]) < base)
        {
            i++;
            continue;
        }
        break;
    }

    return i;
}


static int
djass_lex_number(djass_lexer_t *lx)
{
    int          base, isfloat;
    char         buf[128];
    size_t       i, k, n, e;
    const char  *p;

    p = lx->s;
    i = lx->pos;
    base = 10;
    isfloat = 0;

    if (p[i] == '0' && i + 1 < lx->len
        && strchr("bBoOxX", p[i + 1]) != NULL && p[i + 1] != '\0')
    {
        base = (p[i + 1] == 'b' || p[i + 1] == 'B') ? 2
               : (p[i + 1] == 'o' || p[i + 1] == 'O') ? 8 : 16;
        k = djass_digits(p, lx->len, i + 2, base);
        if (k == i + 2) {
            base = 10;
        } else {
            e = k;
            goto convert;
        }
    }

    e = djass_digits(p, lx->len, i, 10);

    /* a float, unless a dot comes right before (x.1.2 is attributes) */
    if (!(i > 0 && p[i - 1] == '.')) {
        if (e + 1 < lx->len && p[e] == '.' && p[e + 1] >= '0'
            && p[e + 1] <= '9')
        {
            e = djass_digits(p, lx->len, e + 1, 10);
            isfloat = 1;
        }

        if (e < lx->len && (p[e] == 'e' || p[e] == 'E')) {
            k = e + 1;
            if (k < lx->len && (p[k] == '+' || p[k] == '-')) {
                k++;
            }
            if (k < lx->len && p[k] >= '0' && p[k] <= '9') {
                e = djass_digits(p, lx->len, k, 10);
                isfloat = 1;
            }
        }
    }

convert:

    for (k = (base == 10) ? i : i + 2, n = 0;
         k < e && n < sizeof(buf) - 1; k++)
    {
        if (p[k] != '_') {
            buf[n++] = p[k];
        }
    }
    buf[n] = '\0';

    if (djass_lex_push(lx, isfloat ? DJASS_TK_FLOAT : DJASS_TK_INT,
                       p + i, e - i, lx->line) != 0)
    {
        return -1;
    }

    if (isfloat) {
        lx->out->tk[lx->out->n - 1].fval = strtod(buf, NULL);
    } else {
        /* Python's integers have no bound, ours have 64 bits */
        errno = 0;
        lx->out->tk[lx->out->n - 1].ival = strtoll(buf, NULL, base);
        if (errno == ERANGE || n == sizeof(buf) - 1) {
            return djass_err_set(lx->err, lx->name, lx->line,
                                 "integer overflow: %.*s%s does not fit in "
                                 "64 bits", (int) (e - i < 40 ? e - i : 40),
                                 p + i, e - i > 40 ? "..." : "");
        }
    }

    lx->pos = e;
    return 0;
}


static int
djass_lex_op(djass_lexer_t *lx)
{
    size_t        i, n;
    const char   *p;
    static const char  *two[] = { "//", "**", "==", "!=", ">=", "<=" };

    p = lx->s + lx->pos;

    for (i = 0; i < sizeof(two) / sizeof(two[0]); i++) {
        if (lx->pos + 1 < lx->len && p[0] == two[i][0] && p[1] == two[i][1]) {
            n = 2;
            goto found;
        }
    }

    if (strchr("+-/*%~[](){}><=.:|,;", p[0]) != NULL && p[0] != '\0') {
        n = 1;
        goto found;
    }

    return djass_err_set(lx->err, lx->name, lx->line,
                         "unexpected char '%c'", p[0]);

found:

    if (djass_lex_push(lx, DJASS_TK_OP, p, n, lx->line) != 0) {
        return -1;
    }

    lx->pos += n;
    return 0;
}
