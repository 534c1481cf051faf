/*
 * The template engine's allocation arena (djass_tmpl_arena.c): one per
 * compiled template, freed at once.  Not a public interface.
 */

#ifndef DJASS_TMPL_ARENA_H
#define DJASS_TMPL_ARENA_H

#include <stddef.h>


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

#endif /* DJASS_TMPL_ARENA_H */
