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
