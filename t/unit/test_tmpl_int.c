/*
 * Python's integer operations on 64 bits (lib/jinja/djass_tmpl_int.c)
 * against 128-bit arithmetic on the values at the edges, where C traps or
 * wraps; and the render limits (djass_tmpl_set_limits): each one fails
 * the render with a message that names it.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_cookiecutter.h"
#include "djass_tmpl_int.h"
#include "tap.h"


typedef __int128  i128;

static const json_int_t  vals[] = {
    0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10,
    2147483647LL, -2147483648LL, 3037000499LL, -3037000499LL,
    3037000500LL, 4294967296LL, -4294967296LL,
    4611686018427387904LL, -4611686018427387904LL,
    INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1
};

#define NVALS  (sizeof(vals) / sizeof(vals[0]))


static int
fits(i128 r)
{
    return r >= INT64_MIN && r <= INT64_MAX;
}


/* CHECK(call, exact): 1 when the helper's answer is the exact one when
 * it fits, -1 when not (the call runs before r is read) */
#define CHECK(call, exact)  (rc = (call), agrees(rc, r, (exact)))

/* the helper's answer is the exact one when it fits, -1 when not */
static int
agrees(int rc, json_int_t got, i128 exact)
{
    if (!fits(exact)) {
        return rc == -1;
    }
    return rc == 0 && got == (json_int_t) exact;
}


static i128
floordiv128(i128 a, i128 b)
{
    i128  q;

    q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}


/* a ** b exactly, or INT64_MAX + 1 as soon as it is out of range */
static i128
pow128(i128 a, json_int_t b)
{
    i128  r;

    for (r = 1; b > 0; b--) {
        r *= a;
        if (!fits(r)) {
            return (i128) INT64_MAX + 1;
        }
    }
    return r;
}


static void
test_ops(void)
{
    int         bad[7], rc;
    size_t      i, j;
    json_int_t  a, b, r;
    i128        ea, eb;

    memset(bad, 0, sizeof(bad));

    for (i = 0; i < NVALS; i++) {
        for (j = 0; j < NVALS; j++) {
            a = vals[i];
            b = vals[j];
            ea = a;
            eb = b;
            r = 0;
            bad[0] += !CHECK(djass_int_add(a, b, &r), ea + eb);
            bad[1] += !CHECK(djass_int_sub(a, b, &r), ea - eb);
            bad[2] += !CHECK(djass_int_mul(a, b, &r), ea * eb);
            if (b != 0) {
                bad[3] += !CHECK(djass_int_floordiv(a, b, &r),
                                  floordiv128(ea, eb));
                bad[4] += !CHECK(djass_int_mod(a, b, &r),
                                  ea - eb * floordiv128(ea, eb));
            }
        }
        bad[5] += !CHECK(djass_int_neg(vals[i], &r), -(i128) vals[i]);
        bad[6] += !CHECK(djass_int_abs(vals[i], &r),
                          vals[i] < 0 ? -(i128) vals[i] : vals[i]);
    }

    ok(bad[0] == 0, "a + b: exact or overflow, on the edges (%d wrong)",
       bad[0]);
    ok(bad[1] == 0, "a - b (%d wrong)", bad[1]);
    ok(bad[2] == 0, "a * b (%d wrong)", bad[2]);
    ok(bad[3] == 0, "a // b floors as Python, INT64_MIN // -1 overflows "
       "(%d wrong)", bad[3]);
    ok(bad[4] == 0, "a %% b has the divisor's sign, INT64_MIN %% -1 is 0 "
       "(%d wrong)", bad[4]);
    ok(bad[5] == 0, "-a (%d wrong)", bad[5]);
    ok(bad[6] == 0, "abs(a) (%d wrong)", bad[6]);
}


static void
test_pow(void)
{
    int         bad, rc;
    size_t      i;
    json_int_t  a, b, r;
    static const json_int_t  bases[] = {
        0, 1, -1, 2, -2, 3, -3, 10, -10, 3037000499LL, 3037000500LL,
        INT64_MAX, INT64_MIN
    };

    bad = 0;
    for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        for (b = 0; b < 70; b++) {
            a = bases[i];
            r = 0;
            if (!CHECK(djass_int_pow(a, b, &r), pow128(a, b))) {
                printf("#     %lld ** %lld\n", (long long) a, (long long) b);
                bad++;
            }
        }
    }
    ok(bad == 0, "a ** b for b in 0..69 on the edges (%d wrong)", bad);

    ok(djass_int_pow(2, 62, &r) == 0 && r == 4611686018427387904LL,
       "2 ** 62 fits");
    ok(djass_int_pow(2, 63, &r) == -1, "2 ** 63 does not");
    ok(djass_int_pow(-2, 63, &r) == 0 && r == INT64_MIN,
       "(-2) ** 63 is INT64_MIN");
    ok(djass_int_pow(2, INT64_MAX, &r) == -1,
       "2 ** INT64_MAX overflows at once (no loop of 2^63 turns)");
    ok(djass_int_pow(-1, INT64_MAX, &r) == 0 && r == -1,
       "(-1) ** INT64_MAX is -1");
    ok(djass_int_pow(0, INT64_MAX, &r) == 0 && r == 0, "0 ** INT64_MAX");
    ok(djass_int_pow(7, 0, &r) == 0 && r == 1, "7 ** 0 is 1");
}


static void
test_parse(void)
{
    size_t      i;
    json_int_t  r;
    static const struct {
        const char  *s;
        int          rc;
        json_int_t   want;
    } cases[] = {
        { "0", 0, 0 },
        { "  42 ", 0, 42 },
        { "+7", 0, 7 },
        { "-1_000", 0, -1000 },
        { "9223372036854775807", 0, INT64_MAX },
        { "-9223372036854775808", 0, INT64_MIN },
        { "9223372036854775808", -2, 0 },
        { "-9223372036854775809", -2, 0 },
        { "99999999999999999999", -2, 0 },
        { "-99999999999999999999", -2, 0 },
        { "000000000000000000000000000001", 0, 1 },
        { "", -1, 0 },
        { "-", -1, 0 },
        { "1_", -1, 0 },
        { "_1", -1, 0 },
        { "1__0", -1, 0 },
        { "4.5", -1, 0 },
        { "0x10", -1, 0 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = 0;
        ok(djass_int_parse(cases[i].s, strlen(cases[i].s), &r) == cases[i].rc
           && (cases[i].rc != 0 || r == cases[i].want),
           "int('%s') is %s", cases[i].s,
           cases[i].rc == 0 ? "its value" : cases[i].rc == -1
           ? "not an integer" : "too large for 64 bits");
    }

    ok(djass_int_from_double(-9223372036854775808.0, &r) == 0
       && r == INT64_MIN, "int(-2.0 ** 63) fits");
    ok(djass_int_from_double(9223372036854775808.0, &r) == -2,
       "int(2.0 ** 63) does not");
    ok(djass_int_from_double(1e300, &r) == -2, "int(1e300) does not");
    ok(djass_int_from_double(-2.9, &r) == 0 && r == -2,
       "int(-2.9) is -2 (toward zero)");
    ok(djass_int_from_double(0.0 / 0.0, &r) == -1, "int(nan) is no number");
    ok(djass_int_from_double(1.0 / 0.0, &r) == -2, "int(inf) is too large");
}


/* the render's error message, or its output */
static const char *
render(const char *src, char *buf, size_t size)
{
    char        *out;
    json_t      *ctx;
    djass_err_t  err;

    ctx = json_object();
    out = djass_render_string(src, strlen(src), ctx, "t", NULL, &err);
    json_decref(ctx);

    if (out == NULL) {
        snprintf(buf, size, "ERR %.400s", err.msg);
    } else {
        snprintf(buf, size, "%s", out);
        free(out);
    }
    return buf;
}


static void
test_limits(void)
{
    char                 buf[512];
    djass_tmpl_limits_t  l, dflt;

    djass_tmpl_get_limits(&dflt);
    ok(dflt.max_string == 64 * 1024 * 1024
       && dflt.max_output == 64 * 1024 * 1024
       && dflt.max_items == 1000000 && dflt.max_steps == 5000000,
       "the documented defaults");

    memset(&l, 0, sizeof(l));
    l.max_string = 100;
    l.max_output = 200;
    l.max_items = 50;
    l.max_steps = 5000;
    djass_tmpl_set_limits(&l);

    is_str(render("{{ 'x' * 100 }}", buf, sizeof(buf)),
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
           "a string of max_string bytes is fine");
    ok(strstr(render("{{ 'x' * 101 }}", buf, sizeof(buf)), "limit 100")
       != NULL, "one more byte fails, naming the limit: %s", buf);
    ok(strstr(render("{{ 'x' * 90 ~ 'y' * 90 }}", buf, sizeof(buf)),
              "limit 100") != NULL, "~ is bounded: %s", buf);
    ok(strstr(render("{{ 'x' * 90 }}{{ 'x' * 90 }}{{ 'x' * 90 }}", buf,
                     sizeof(buf)), "output limit") != NULL,
       "the output is bounded: %s", buf);
    ok(strstr(render("{{ range(51)|list }}", buf, sizeof(buf)), "limit 50")
       != NULL, "range() is bounded by max_items: %s", buf);
    ok(strstr(render("{{ [1, 2] * 26 }}", buf, sizeof(buf)), "limit 50")
       != NULL, "list * n too: %s", buf);
    ok(strstr(render("{% for i in range(50) %}{% for j in range(50) %}"
                     "{% endfor %}{% endfor %}", buf, sizeof(buf)),
              "step limit") != NULL, "nested loops hit max_steps: %s", buf);
    ok(strstr(render("{{ '%200s' % 1 }}", buf, sizeof(buf)), "limit 100")
       != NULL, "a %%-format width is bounded: %s", buf);
    ok(strstr(render("{{ 'a'|center(1000) }}", buf, sizeof(buf)),
              "limit 100") != NULL, "center() is bounded: %s", buf);

    djass_tmpl_set_limits(NULL);
    djass_tmpl_get_limits(&l);
    ok(memcmp(&l, &dflt, sizeof(l)) == 0, "NULL restores the defaults");

    l.max_string = (size_t) 1 << 40;
    djass_tmpl_set_limits(&l);
    djass_tmpl_get_limits(&l);
    ok(l.max_string == (size_t) 256 * 1024 * 1024,
       "max_string is at most 256 MiB");
    djass_tmpl_set_limits(NULL);
}


int
main(void)
{
    test_ops();
    test_pow();
    test_parse();
    test_limits();
    return done_testing();
}
