/*
 * Redis addresses, parsed the same way by djassctl and the worker.
 */

#include <string.h>

#include "djass_addr.h"


static int
djass_addr_port(const char *p, size_t len, int *port)
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


int
djass_addr_parse(const char *s, size_t len, djass_addr_t *addr)
{
    const char  *colon, *end;
    size_t       hlen;

    memset(addr, 0, sizeof(djass_addr_t));

    if (len > 5 && memcmp(s, "unix:", 5) == 0) {
        if (len - 5 >= sizeof(addr->host) || s[5] == '\0') {
            return -1;
        }

        addr->is_unix = 1;
        memcpy(addr->host, s + 5, len - 5);
        return memchr(addr->host, '\0', len - 5) ? -1 : 0;
    }

    addr->port = 6379;
    end = s + len;

    if (len && s[0] == '[') {
        colon = memchr(s, ']', len);
        if (colon == NULL) {
            return -1;
        }

        hlen = colon - s - 1;
        s++;
        colon++;

        if (colon != end && (*colon != ':'
            || djass_addr_port(colon + 1, end - colon - 1, &addr->port) != 0))
        {
            return -1;
        }

    } else {
        colon = memchr(s, ':', len);
        hlen = colon ? (size_t) (colon - s) : len;

        if (colon
            && djass_addr_port(colon + 1, end - colon - 1, &addr->port) != 0)
        {
            return -1;
        }
    }

    if (hlen == 0 || hlen >= sizeof(addr->host) || memchr(s, '\0', hlen)) {
        return -1;
    }

    memcpy(addr->host, s, hlen);

    return 0;
}
