/*
 * Name -> function tables: a binary search by name.
 */

#include <string.h>

#include "djass_tmpl_table.h"


const void *
djass_table_find(const void *table, size_t n, size_t size, const char *name,
    size_t len)
{
    int          c;
    size_t       lo, hi, mid, elen;
    const char  *e, *entry;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        entry = (const char *) table + mid * size;
        memcpy(&e, entry, sizeof(e));

        elen = strlen(e);
        c = memcmp(name, e, len < elen ? len : elen);
        if (c == 0) {
            c = len < elen ? -1 : len > elen;
        }

        if (c == 0) {
            return entry;
        }

        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}
