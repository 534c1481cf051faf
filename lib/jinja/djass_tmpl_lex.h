/*
 * The lexer (djass_tmpl_lex.c): template source to tokens.  Not a public
 * interface.
 */

#ifndef DJASS_TMPL_LEX_H
#define DJASS_TMPL_LEX_H

#include <stdint.h>

#include "djass_tmpl.h"
#include "djass_tmpl_arena.h"


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

#endif /* DJASS_TMPL_LEX_H */
