/*
 * UTF-8 and simple case mapping (see djass_utf8.h).
 */

#include "djass_utf8.h"


uint32_t
djass_utf8_next(const char *s, size_t len, size_t *i)
{
    size_t          n, k;
    uint32_t        cp, min;
    const uint8_t  *p;

    p = (const uint8_t *) s + *i;

    if (p[0] < 0x80) {
        (*i)++;
        return p[0];
    }

    if ((p[0] & 0xe0) == 0xc0) {
        n = 2; cp = p[0] & 0x1f; min = 0x80;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3; cp = p[0] & 0x0f; min = 0x800;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4; cp = p[0] & 0x07; min = 0x10000;
    } else {
        (*i)++;
        return 0xfffd;
    }

    if (*i + n > len) {
        (*i)++;
        return 0xfffd;
    }

    for (k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) {
            (*i)++;
            return 0xfffd;
        }
        cp = (cp << 6) | (p[k] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        (*i)++;
        return 0xfffd;
    }

    *i += n;
    return cp;
}


int
djass_utf8_valid(const char *s, size_t len, int partial)
{
    size_t          i, n, k;
    const uint8_t  *p;

    p = (const uint8_t *) s;

    for (i = 0; i < len; ) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }

        if (p[i] >= 0xc2 && p[i] <= 0xdf) {
            n = 2;
        } else if (p[i] >= 0xe0 && p[i] <= 0xef) {
            n = 3;
        } else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
            n = 4;
        } else {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if (i + k >= len) {
                return partial;
            }
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }

        if ((p[i] == 0xe0 && p[i + 1] < 0xa0)
            || (p[i] == 0xed && p[i + 1] >= 0xa0)
            || (p[i] == 0xf0 && p[i + 1] < 0x90)
            || (p[i] == 0xf4 && p[i + 1] >= 0x90))
        {
            return 0;
        }

        i += n;
    }

    return 1;
}


size_t
djass_utf8_count(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;
    for (i = 0; i < len; i++) {
        if (((uint8_t) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


void
djass_utf8_put(djass_buf_t *b, uint32_t cp)
{
    char  c[4];

    if (cp < 0x80) {
        djass_buf_addc(b, (char) cp);

    } else if (cp < 0x800) {
        c[0] = (char) (0xc0 | (cp >> 6));
        c[1] = (char) (0x80 | (cp & 0x3f));
        djass_buf_add(b, c, 2);

    } else if (cp < 0x10000) {
        c[0] = (char) (0xe0 | (cp >> 12));
        c[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        c[2] = (char) (0x80 | (cp & 0x3f));
        djass_buf_add(b, c, 3);

    } else {
        c[0] = (char) (0xf0 | (cp >> 18));
        c[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        c[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        c[3] = (char) (0x80 | (cp & 0x3f));
        djass_buf_add(b, c, 4);
    }
}


int
djass_uni_isspace(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20)
           || cp == 0x85 || cp == 0xa0 || cp == 0x1680
           || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028
           || cp == 0x2029 || cp == 0x202f || cp == 0x205f
           || cp == 0x3000;
}


/*
 * One-to-one mappings: returns the other case of cp, or cp.  Blocks where
 * upper and lower alternate (even upper or odd upper) are table rows.
 */

typedef struct {
    uint32_t  first;
    uint32_t  last;
    int       delta;      /* lower = upper + delta for offset blocks */
    int       odd_upper;  /* alternating blocks: -1 none, 0 even, 1 odd */
} djass_case_range_t;


static const djass_case_range_t  djass_case_ranges[] = {
    { 0x0041, 0x005a, 32, -1 },
    { 0x00c0, 0x00d6, 32, -1 },
    { 0x00d8, 0x00de, 32, -1 },
    { 0x0100, 0x012f, 1, 0 },
    { 0x0132, 0x0137, 1, 0 },
    { 0x0139, 0x0148, 1, 1 },
    { 0x014a, 0x0177, 1, 0 },
    { 0x0179, 0x017e, 1, 1 },
    { 0x0370, 0x0373, 1, 0 },
    { 0x0376, 0x0377, 1, 0 },
    { 0x03d8, 0x03ef, 1, 0 },
    { 0x0391, 0x03a1, 32, -1 },
    { 0x03a3, 0x03ab, 32, -1 },
    { 0x0386, 0x0386, 38, -1 },
    { 0x0388, 0x038a, 37, -1 },
    { 0x038c, 0x038c, 64, -1 },
    { 0x038e, 0x038f, 63, -1 },
    { 0x0400, 0x040f, 80, -1 },
    { 0x0410, 0x042f, 32, -1 },
    { 0x0460, 0x0481, 1, 0 },
    { 0x048a, 0x04bf, 1, 0 },
    { 0x04c0, 0x04c0, 15, -1 },
    { 0x04c1, 0x04ce, 1, 1 },
    { 0x04d0, 0x052f, 1, 0 },
};


static uint32_t
djass_uni_map(uint32_t cp, int to_lower)
{
    size_t                     i;
    uint32_t                   up;
    const djass_case_range_t  *r;

    for (i = 0; i < sizeof(djass_case_ranges) / sizeof(djass_case_ranges[0]);
         i++)
    {
        r = &djass_case_ranges[i];

        if (r->odd_upper >= 0) {
            if (cp < r->first || cp > r->last) {
                continue;
            }
            if ((int) (cp & 1) == r->odd_upper) {
                return to_lower ? cp + 1 : cp;
            }
            return to_lower ? cp : cp - 1;
        }

        if (to_lower && cp >= r->first && cp <= r->last) {
            return cp + (uint32_t) r->delta;
        }

        up = cp - (uint32_t) r->delta;
        if (!to_lower && cp >= r->first + (uint32_t) r->delta
            && cp <= r->last + (uint32_t) r->delta)
        {
            return up;
        }
    }

    if (to_lower) {
        switch (cp) {
        case 0x0178: return 0x00ff;
        case 0x04c0: return 0x04cf;
        default: return cp;
        }
    }

    switch (cp) {
    case 0x00b5: return 0x039c;
    case 0x00ff: return 0x0178;
    case 0x0131: return 0x0049;
    case 0x017f: return 0x0053;
    case 0x03c2: return 0x03a3;
    case 0x04cf: return 0x04c0;
    default: return cp;
    }
}


int
djass_uni_isupper(uint32_t cp)
{
    return cp == 0x0130 || djass_uni_map(cp, 1) != cp;
}


int
djass_uni_islower(uint32_t cp)
{
    return cp == 0x00df || cp == 0x0149 || cp == 0x00aa || cp == 0x00ba
           || cp == 0x0390 || cp == 0x03b0
           || djass_uni_map(cp, 0) != cp;
}


int
djass_uni_iscased(uint32_t cp)
{
    return djass_uni_isupper(cp) || djass_uni_islower(cp) || cp == 0x0138;
}


void
djass_uni_put_lower(djass_buf_t *b, uint32_t cp, int final_sigma)
{
    if (cp == 0x0130) {
        djass_utf8_put(b, 0x69);
        djass_utf8_put(b, 0x307);
        return;
    }

    if (cp == 0x03a3 && final_sigma) {
        djass_utf8_put(b, 0x03c2);
        return;
    }

    djass_utf8_put(b, djass_uni_map(cp, 1));
}


void
djass_uni_put_upper(djass_buf_t *b, uint32_t cp)
{
    switch (cp) {
    case 0x00df:
        djass_buf_add(b, "SS", 2);
        return;
    case 0x0149:
        djass_utf8_put(b, 0x02bc);
        djass_utf8_put(b, 0x4e);
        return;
    case 0x0390:
    case 0x03b0:
        djass_utf8_put(b, cp == 0x0390 ? 0x0399 : 0x03a5);
        djass_utf8_put(b, 0x0308);
        djass_utf8_put(b, 0x0301);
        return;
    default:
        djass_utf8_put(b, djass_uni_map(cp, 0));
    }
}


/*
 * Python lowers a capital sigma to the final form when a cased letter
 * comes before it and none after it (case-ignorable marks aside, which
 * this ignores).
 */
static int
djass_is_final_sigma(const char *s, size_t len, size_t start, size_t end)
{
    size_t    i, j;
    uint32_t  cp;

    if (start == 0) {
        return 0;
    }

    i = start - 1;
    while (i > 0 && ((unsigned char) s[i] & 0xc0) == 0x80) {
        i--;
    }

    cp = djass_utf8_next(s, len, &i);
    if (!djass_uni_iscased(cp)) {
        return 0;
    }

    j = end;
    if (j < len) {
        cp = djass_utf8_next(s, len, &j);
        return !djass_uni_iscased(cp);
    }

    return 1;
}


/*
 * lower or upper case: ASCII by hand, a stray byte of broken UTF-8 copied
 * as it is, any other character through the case tables
 */
static void
djass_str_case(djass_buf_t *b, const char *s, size_t len, int upper)
{
    char      c, lo, hi;
    size_t    i, start;
    uint32_t  cp;

    lo = upper ? 'a' : 'A';
    hi = upper ? 'z' : 'Z';

    for (i = 0; i < len; ) {
        c = s[i];
        if ((unsigned char) c < 0x80) {
            djass_buf_addc(b, (c >= lo && c <= hi)
                              ? (char) (upper ? c - 32 : c + 32) : c);
            i++;
            continue;
        }

        start = i;
        cp = djass_utf8_next(s, len, &i);
        if (cp == 0xfffd && i == start + 1) {
            djass_buf_addc(b, s[start]);
            continue;
        }

        if (upper) {
            djass_uni_put_upper(b, cp);
        } else {
            djass_uni_put_lower(b, cp, cp == 0x03a3
                                && djass_is_final_sigma(s, len, start, i));
        }
    }
}


void
djass_str_lower(djass_buf_t *b, const char *s, size_t len)
{
    djass_str_case(b, s, len, 0);
}


void
djass_str_upper(djass_buf_t *b, const char *s, size_t len)
{
    djass_str_case(b, s, len, 1);
}
