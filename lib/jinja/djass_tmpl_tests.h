/*
 * Jinja2's tests (djass_tmpl_tests.c): the TESTS table.  Not a public
 * interface.
 */

#ifndef DJASS_TMPL_TESTS_H
#define DJASS_TMPL_TESTS_H

#include "djass_tmpl_eval.h"
#include "djass_tmpl_table.h"


/* sorted by name */
extern const djass_test_t  djass_tmpl_tests[];
extern const size_t        djass_tmpl_ntests;

/* the test named name[0..len), or NULL */
const djass_test_t *djass_tmpl_find_test(const char *name, size_t len);

/* value is name(args): 1 or 0, or -1 with ev failed */
int djass_tmpl_test(djass_eval_t *ev, const char *name, size_t len,
    json_t *v, djass_args_t *args);

#endif /* DJASS_TMPL_TESTS_H */
