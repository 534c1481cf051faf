/*
 * Python's integer operations on signed 64 bits: Python's result where it
 * fits, -1 where it does not (see djass_tmpl_int.h).
 */

#include <stdint.h>

#include "djass_tmpl_int.h"
#include "djass_utf8.h"


int
djass_int_add(json_int_t a, json_int_t b, json_int_t *r)
{
    return __builtin_add_overflow(a, b, r) ? -1 : 0;
}


int
djass_int_sub(json_int_t a, json_int_t b, json_int_t *r)
{
    return __builtin_sub_overflow(a, b, r) ? -1 : 0;
}


int
djass_int_mul(json_int_t a, json_int_t b, json_int_t *r)
{
    return __builtin_mul_overflow(a, b, r) ? -1 : 0;
}


int
djass_int_neg(json_int_t a, json_int_t *r)
{
    return __builtin_sub_overflow((json_int_t) 0, a, r) ? -1 : 0;
}


int
djass_int_abs(json_int_t a, json_int_t *r)
{
    if (a >= 0) {
        *r = a;
        return 0;
    }
    return djass_int_neg(a, r);
}


int
djass_int_floordiv(json_int_t a, json_int_t b, json_int_t *r)
{
    json_int_t  q;

    if (b == -1) {
        /* the one quotient that does not fit: INT64_MIN // -1 */
        return djass_int_neg(a, r);
    }

    q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) {
        q--;
    }

    *r = q;
    return 0;
}


int
djass_int_mod(json_int_t a, json_int_t b, json_int_t *r)
{
    json_int_t  m;

    if (b == -1) {
        /* C's INT64_MIN % -1 traps; Python's x % -1 is 0 */
        *r = 0;
        return 0;
    }

    m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) {
        m += b;
    }

    *r = m;
    return 0;
}


int
djass_int_pow(json_int_t a, json_int_t b, json_int_t *r)
{
    json_int_t  res, base;

    /*
     * when base * base overflows while bits of b remain, the result has
     * that square as a factor: at least 2^63 in magnitude, and not
     * -2^63 since 2^63 is no square, so it does not fit either
     */
    res = 1;
    base = a;
    while (b > 0) {
        if ((b & 1) && __builtin_mul_overflow(res, base, &res)) {
            return -1;
        }
        b >>= 1;
        if (b > 0 && __builtin_mul_overflow(base, base, &base)) {
            return -1;
        }
    }

    *r = res;
    return 0;
}


int
djass_int_parse(const char *s, size_t len, json_int_t *r)
{
    int         neg, digits, over;
    size_t      i, end;
    json_int_t  n;

    i = 0;
    end = len;
    while (i < end && djass_uni_isspace((unsigned char) s[i])) {
        i++;
    }
    while (end > i && djass_uni_isspace((unsigned char) s[end - 1])) {
        end--;
    }

    neg = 0;
    if (i < end && (s[i] == '+' || s[i] == '-')) {
        neg = (s[i] == '-');
        i++;
    }

    /* accumulated as a negative number: -2^63 fits, 2^63 does not */
    n = 0;
    digits = 0;
    over = 0;
    for ( /* void */ ; i < end; i++) {
        if (s[i] == '_' && digits && i + 1 < end && s[i + 1] >= '0'
            && s[i + 1] <= '9')
        {
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        if (__builtin_mul_overflow(n, 10, &n)
            || __builtin_sub_overflow(n, s[i] - '0', &n))
        {
            over = 1;
        }
        digits++;
    }

    if (!digits) {
        return -1;
    }

    if (over || (!neg && n == INT64_MIN)) {
        return -2;
    }

    *r = neg ? n : -n;
    return 0;
}


int
djass_int_from_double(double d, json_int_t *r)
{
    if (d != d) {
        return -1;
    }

    /* -2^63 <= d < 2^63, both bounds exact in a double */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return -2;
    }

    *r = (json_int_t) d;
    return 0;
}
