/*
 * One allocation arena per compiled template: the tokens' text and the
 * parse tree live in it and are freed at once.
 */

#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_arena.h"


#define DJASS_ARENA_BLOCK  2048


void *
djass_arena_alloc(djass_arena_t **a, size_t n)
{
    size_t          size;
    djass_arena_t  *blk;
    void           *p;

    n = (n + 15) & ~(size_t) 15;

    if (*a == NULL || (*a)->used + n > (*a)->size) {
        /* small templates stay small; big ones grow by doubling blocks */
        size = (*a == NULL) ? DJASS_ARENA_BLOCK
               : ((*a)->size < 65536 ? (*a)->size * 2 : 65536);
        size = n > size ? n : size;
        blk = malloc(sizeof(djass_arena_t) + 16 + size);
        if (blk == NULL) {
            return NULL;
        }
        blk->next = *a;
        blk->used = 0;
        blk->size = size;
        *a = blk;
    }

    p = (char *) (*a) + ((sizeof(djass_arena_t) + 15) & ~(size_t) 15)
        + (*a)->used;
    (*a)->used += n;
    return p;
}


char *
djass_arena_strdup(djass_arena_t **a, const char *s, size_t n)
{
    char  *p;

    p = djass_arena_alloc(a, n + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}


void
djass_arena_free(djass_arena_t *a)
{
    djass_arena_t  *next;

    while (a) {
        next = a->next;
        free(a);
        a = next;
    }
}
