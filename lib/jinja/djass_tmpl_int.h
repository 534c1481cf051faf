/*
 * Python's integer operations on signed 64 bits (djass_tmpl_int.c).
 * Python's integers have no bound; ours do: each operation gives Python's
 * result when it fits in 64 bits and says so when it does not, so that the
 * evaluator fails the render ("integer overflow") instead of wrapping
 * silently or trapping (INT64_MIN // -1 raises SIGFPE on x86).
 */

#ifndef DJASS_TMPL_INT_H
#define DJASS_TMPL_INT_H

#include <stddef.h>

#include <jansson.h>


/* each returns 0 with *r set, or -1 when the result does not fit */
int djass_int_add(json_int_t a, json_int_t b, json_int_t *r);
int djass_int_sub(json_int_t a, json_int_t b, json_int_t *r);
int djass_int_mul(json_int_t a, json_int_t b, json_int_t *r);
int djass_int_neg(json_int_t a, json_int_t *r);
int djass_int_abs(json_int_t a, json_int_t *r);
/* a // b and a % b, Python's (floor) division; b must not be 0 */
int djass_int_floordiv(json_int_t a, json_int_t b, json_int_t *r);
int djass_int_mod(json_int_t a, json_int_t b, json_int_t *r);
/* a ** b for b >= 0, by repeated squaring */
int djass_int_pow(json_int_t a, json_int_t b, json_int_t *r);

/* Python's int(s): spaces around, a sign, decimal digits with single
 * "_" between them; 0, -1 not an integer, -2 too large for 64 bits */
int djass_int_parse(const char *s, size_t len, json_int_t *r);
/* Python's int(d) (toward zero): 0, -1 NaN, -2 infinite or too large */
int djass_int_from_double(double d, json_int_t *r);

#endif /* DJASS_TMPL_INT_H */
