/*
 * Checked numbers (see djass_parse.h).
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "djass_parse.h"


int
djass_parse_int(const char *s, long long min, long long max, long long *out)
{
    char       *end;
    long long   n;

    /* strtoll() skips leading blanks; an option value may not have them */
    if (s == NULL || s[0] == '\0' || isspace((unsigned char) s[0])) {
        return -1;
    }

    errno = 0;
    n = strtoll(s, &end, 10);

    if (errno != 0 || end == s || *end != '\0' || n < min || n > max) {
        return -1;
    }

    *out = n;
    return 0;
}


int
djass_parse_port(const char *p, size_t len, int *port)
{
    int  n;

    if (len == 0 || len > 5) {
        return -1;
    }

    for (n = 0; len; len--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        n = n * 10 + (*p - '0');
    }

    if (n < 1 || n > 65535) {
        return -1;
    }

    *port = n;

    return 0;
}
