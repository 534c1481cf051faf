/*
 * slugify as python-slugify 9 (legacy pipeline, default arguments) does
 * it: quotes to "-", transliterate to ASCII (its NFKD + unidecode step),
 * decode HTML character references, lowercase, drop quotes and the
 * commas inside numbers, turn each run of other characters into one "-"
 * and trim the dashes.
 *
 * Transliteration covers Latin-1, Latin Extended-A, Greek and Cyrillic;
 * other non-ASCII characters become separators.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "djass_buf.h"
#include "djass_slug.h"
#include "djass_utf8.h"


/* U+00A0 .. U+017F */
static const char *const  djass_latin[] = {
    /* A0 */ " ", "!", "C/", "PS", "$?", "Y=", "|", "SS",
    /* A8 */ " ", "(c)", "a", "<<", "!", "", "(r)", " ",
    /* B0 */ "deg", "+-", "2", "3", " ", "m", "P", "*",
    /* B8 */ " ", "1", "o", ">>", "1/4", "1/2", "3/4", "?",
    /* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
    /* C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
    /* D0 */ "D", "N", "O", "O", "O", "O", "O", "x",
    /* D8 */ "O", "U", "U", "U", "U", "Y", "Th", "ss",
    /* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "o", "/",
    /* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
    /* 100 */ "A", "a", "A", "a", "A", "a", "C", "c",
    /* 108 */ "C", "c", "C", "c", "C", "c", "D", "d",
    /* 110 */ "D", "d", "E", "e", "E", "e", "E", "e",
    /* 118 */ "E", "e", "E", "e", "G", "g", "G", "g",
    /* 120 */ "G", "g", "G", "g", "H", "h", "H", "h",
    /* 128 */ "I", "i", "I", "i", "I", "i", "I", "i",
    /* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
    /* 138 */ "k", "L", "l", "L", "l", "L", "l", "L*",
    /* 140 */ "l*", "L", "l", "N", "n", "N", "n", "N",
    /* 148 */ "n", "'n", "NG", "ng", "O", "o", "O", "o",
    /* 150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
    /* 158 */ "R", "r", "S", "s", "S", "s", "S", "s",
    /* 160 */ "S", "s", "T", "t", "T", "t", "T", "t",
    /* 168 */ "U", "u", "U", "u", "U", "u", "U", "u",
    /* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
    /* 178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s"
};


/* U+0386 .. U+03CE */
static const char *const  djass_greek[] = {
    /* 386 */ "A", " ", "E", "E", "I", " ", "O", " ",
    /* 38E */ "U", "O", "i",
    /* 391 */ "A", "B", "G", "D", "E", "Z", "E", "Th",
    /* 399 */ "I", "K", "L", "M", "N", "Ks", "O", "P",
    /* 3A1 */ "R", " ", "S", "T", "U", "Ph", "Kh", "Ps",
    /* 3A9 */ "O", "I", "U", "a", "e", "e", "i", "u",
    /* 3B1 */ "a", "b", "g", "d", "e", "z", "e", "th",
    /* 3B9 */ "i", "k", "l", "m", "n", "x", "o", "p",
    /* 3C1 */ "r", "s", "s", "t", "u", "ph", "kh", "ps",
    /* 3C9 */ "o", "i", "u", "o", "u", "o"
};


/* U+0400 .. U+045F */
static const char *const  djass_cyrillic[] = {
    /* 400 */ "E", "E", "Dj", "G", "E", "Dz", "I", "I",
    /* 408 */ "J", "Lj", "Nj", "Tsh", "K", "I", "U", "Dzh",
    /* 410 */ "A", "B", "V", "G", "D", "E", "Zh", "Z",
    /* 418 */ "I", "I", "K", "L", "M", "N", "O", "P",
    /* 420 */ "R", "S", "T", "U", "F", "Kh", "Ts", "Ch",
    /* 428 */ "Sh", "Shch", "'", "Y", "'", "E", "Iu", "Ia",
    /* 430 */ "a", "b", "v", "g", "d", "e", "zh", "z",
    /* 438 */ "i", "i", "k", "l", "m", "n", "o", "p",
    /* 440 */ "r", "s", "t", "u", "f", "kh", "ts", "ch",
    /* 448 */ "sh", "shch", "'", "y", "'", "e", "iu", "ia",
    /* 450 */ "e", "e", "dj", "g", "ie", "dz", "i", "i",
    /* 458 */ "j", "lj", "nj", "tsh", "k", "i", "u", "dzh"
};


static const char *
djass_translit(uint32_t cp)
{
    if (cp >= 0xa0 && cp <= 0x17f) {
        return djass_latin[cp - 0xa0];
    }
    if (cp >= 0x386 && cp <= 0x3ce) {
        return djass_greek[cp - 0x386];
    }
    if (cp >= 0x400 && cp <= 0x45f) {
        return djass_cyrillic[cp - 0x400];
    }
    if (cp >= 0x300 && cp <= 0x36f) {
        return "";      /* combining marks vanish, as after NFKD */
    }
    return " ";
}


/* &name; &#nnn; &#xhh; -> the character (only ASCII ones matter here) */
static size_t
djass_entity(const char *s, size_t len, uint32_t *cp)
{
    size_t       i, k;
    uint32_t     v;
    static const struct {
        const char  *name;
        uint32_t     cp;
    } names[] = {
        { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
        { "nbsp", 0xa0 }, { "copy", 0xa9 }, { "reg", 0xae },
    };

    if (len < 3 || s[0] != '&') {
        return 0;
    }

    if (s[1] == '#') {
        v = 0;
        i = 2;
        if (i < len && s[i] == 'x') {
            for (i = 3; i < len && i < 12 && strchr("0123456789abcdefABCDEF",
                                                   s[i]) && s[i]; i++)
            {
                v = v * 16 + (uint32_t) (s[i] <= '9' ? s[i] - '0'
                                         : (s[i] | 0x20) - 'a' + 10);
            }
            k = 3;
        } else {
            for ( /* void */ ; i < len && i < 11 && s[i] >= '0' && s[i] <= '9';
                 i++)
            {
                v = v * 10 + (uint32_t) (s[i] - '0');
            }
            k = 2;
        }
        if (i == k || i >= len || s[i] != ';' || v > 0x10ffff) {
            return 0;
        }
        *cp = v;
        return i + 1;
    }

    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        i = strlen(names[k].name);
        if (len >= i + 2 && memcmp(s + 1, names[k].name, i) == 0
            && s[i + 1] == ';')
        {
            *cp = names[k].cp;
            return i + 2;
        }
    }

    return 0;
}


static int
djass_isalnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}


size_t
djass_slugify(const char *in, size_t len, char *out, size_t outsize)
{
    char         c;
    size_t       i, k, n, start;
    uint32_t     cp;
    djass_buf_t  a;

    memset(&a, 0, sizeof(a));

    /* quotes to "-", then everything to ASCII */
    for (i = 0; i < len; ) {
        if ((unsigned char) in[i] < 0x80) {
            djass_buf_addc(&a, in[i] == '\'' ? '-' : in[i]);
            i++;
            continue;
        }
        start = i;
        cp = djass_utf8_next(in, len, &i);
        djass_buf_adds(&a, djass_translit(cp));
        (void) start;
    }

    n = 0;
    if (outsize == 0) {
        djass_buf_free(&a);
        return 0;
    }

    if (djass_buf_failed(&a)) {
        out[0] = '\0';
        djass_buf_free(&a);
        return 0;
    }

    /* entities, lowercase, quotes out, runs of the rest to one "-" */
    for (i = 0; i < a.len; i++) {
        c = a.data[i];

        if (c == '&' && (k = djass_entity(a.data + i, a.len - i, &cp)) > 0) {
            i += k - 1;
            c = (cp < 0x80) ? (char) cp : ' ';
            if (cp >= 0x80 && djass_translit(cp)[0] != ' ') {
                c = ' ';
            }
        }

        if (c == '\'') {
            continue;
        }

        if (c == ',' && n > 0 && out[n - 1] >= '0' && out[n - 1] <= '9'
            && i + 1 < a.len && a.data[i + 1] >= '0' && a.data[i + 1] <= '9')
        {
            continue;
        }

        if (!djass_isalnum(c)) {
            c = '-';
        } else if (c >= 'A' && c <= 'Z') {
            c = (char) (c + 32);
        }

        if (c == '-' && (n == 0 || out[n - 1] == '-')) {
            continue;
        }

        if (n + 1 >= outsize) {
            break;
        }
        out[n++] = c;
    }

    while (n > 0 && out[n - 1] == '-') {
        n--;
    }
    out[n] = '\0';

    djass_buf_free(&a);
    return n;
}
