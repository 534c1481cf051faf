/*
 * A tiny TAP producer for the C unit tests: t/010-unit.t runs every
 * build/unit/test_* binary and passes its lines through prove.
 */

#ifndef DJASS_TAP_H
#define DJASS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

#define ok(cond, ...)                                                         \
    do {                                                                      \
        int tap_c_ = (cond) ? 1 : 0;                                          \
        printf("%sok %d - ", tap_c_ ? "" : "not ", ++tap_n);                  \
        printf(__VA_ARGS__);                                                  \
        printf("\n");                                                         \
        if (!tap_c_) {                                                        \
            tap_failed++;                                                     \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__);             \
        }                                                                     \
    } while (0)

#define is_str(got, want, ...)                                                \
    do {                                                                      \
        const char *tap_g_ = (got), *tap_w_ = (want);                         \
        int tap_e_ = tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0;         \
        ok(tap_e_, __VA_ARGS__);                                              \
        if (!tap_e_) {                                                        \
            printf("#          got: '%s'\n#     expected: '%s'\n",            \
                   tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)");   \
        }                                                                     \
    } while (0)

#define done_testing()                                                        \
    (printf("1..%d\n", tap_n), fflush(stdout), tap_failed ? 1 : 0)

#endif /* DJASS_TAP_H */
