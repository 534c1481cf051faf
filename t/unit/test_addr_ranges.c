/*
 * lib/djass_webhook.c's table of special-purpose address blocks, row by
 * row: the first and the last address of every block get the verdict of
 * the most specific block holding them, and so do the neighbours just
 * outside it (which must not be inside it).  Then the blocks issue 26
 * names, written out by hand from the IANA registries, so that the table
 * itself is checked too, not only the lookup.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "djass_webhook.h"
#include "tap.h"


typedef struct {
    int            family;
    int            len;          /* 4 or 16 bytes */
    unsigned char  b[16];
} addr_t;


static int
judge(const addr_t *a)
{
    struct sockaddr_in   s4;
    struct sockaddr_in6  s6;

    if (a->family == AF_INET) {
        memset(&s4, 0, sizeof(s4));
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, a->b, 4);
        return djass_addr_public((struct sockaddr *) &s4);
    }

    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    memcpy(&s6.sin6_addr, a->b, 16);
    return djass_addr_public((struct sockaddr *) &s6);
}


static int
parse(const char *text, addr_t *a)
{
    memset(a, 0, sizeof(addr_t));

    if (inet_pton(AF_INET, text, a->b) == 1) {
        a->family = AF_INET;
        a->len = 4;
        return 0;
    }

    if (inet_pton(AF_INET6, text, a->b) == 1) {
        a->family = AF_INET6;
        a->len = 16;
        return 0;
    }

    return -1;
}


/* bit i (0: the highest) of an address */
static int
bit(const addr_t *a, int i)
{
    return (a->b[i / 8] >> (7 - i % 8)) & 1;
}


static int
inside(const addr_t *a, const djass_addr_range_t *r)
{
    int     i;
    addr_t  net;

    if (parse(r->prefix, &net) != 0 || net.family != a->family) {
        return 0;
    }

    for (i = 0; i < r->bits; i++) {
        if (bit(a, i) != bit(&net, i)) {
            return 0;
        }
    }

    return 1;
}


/* what the table says of a, worked out here bit by bit */
static int
expect(const addr_t *a)
{
    size_t                     i, n;
    addr_t                     v4;
    const djass_addr_range_t  *t, *best;

    t = djass_addr_ranges(&n);
    best = NULL;

    for (i = 0; i < n; i++) {
        if (inside(a, &t[i]) && (best == NULL || t[i].bits > best->bits)) {
            best = &t[i];
        }
    }

    if (best == NULL) {
        return 1;
    }

    if (best->verdict == DJASS_ADDR_V4) {
        memset(&v4, 0, sizeof(v4));
        v4.family = AF_INET;
        v4.len = 4;
        memcpy(v4.b, a->b + best->v4_at, 4);
        return expect(&v4);
    }

    return best->verdict == DJASS_ADDR_ALLOW;
}


/* the address one below (step -1) or above (+1); -1 when it wraps */
static int
step(addr_t *a, int dir)
{
    int  i;

    for (i = a->len - 1; i >= 0; i--) {
        if (dir > 0 ? a->b[i] != 0xff : a->b[i] != 0) {
            a->b[i] += dir;
            return 0;
        }
        a->b[i] = dir > 0 ? 0 : 0xff;
    }

    return -1;
}


static void
text(const addr_t *a, char *buf)
{
    inet_ntop(a->family, a->b, buf, INET6_ADDRSTRLEN);
}


int
main(void)
{
    int                        i, k;
    char                       t1[INET6_ADDRSTRLEN];
    size_t                     r, n;
    addr_t                     first, last, x;
    const djass_addr_range_t  *tab;

    static const struct {
        const char  *addr;
        int          public;
    } named[] = {
        { "0.0.0.0", 0 }, { "0.255.255.255", 0 }, { "1.0.0.0", 1 },
        { "10.0.0.0", 0 }, { "10.255.255.255", 0 }, { "11.0.0.0", 1 },
        { "100.64.0.0", 0 }, { "100.127.255.255", 0 },
        { "100.128.0.0", 1 }, { "127.0.0.1", 0 }, { "169.254.169.254", 0 },
        { "172.16.0.0", 0 }, { "172.31.255.255", 0 }, { "172.32.0.0", 1 },
        { "192.0.0.0", 0 }, { "192.0.0.8", 0 }, { "192.0.0.9", 1 },
        { "192.0.0.10", 1 }, { "192.0.0.11", 0 }, { "192.0.0.170", 0 },
        { "192.0.0.171", 0 }, { "192.0.0.255", 0 }, { "192.0.1.0", 1 },
        { "192.0.2.1", 0 }, { "192.31.196.1", 1 }, { "192.52.193.1", 1 },
        { "192.88.99.1", 0 }, { "192.168.0.1", 0 }, { "192.175.48.1", 1 },
        { "198.18.0.0", 0 }, { "198.19.255.255", 0 }, { "198.20.0.0", 1 },
        { "198.51.100.1", 0 }, { "203.0.113.1", 0 }, { "224.0.0.1", 0 },
        { "240.0.0.1", 0 }, { "255.255.255.255", 0 }, { "8.8.8.8", 1 },

        { "::", 0 }, { "::1", 0 }, { "::8.8.8.8", 0 },
        { "::ffff:8.8.8.8", 0 }, { "::ffff:127.0.0.1", 0 },
        { "::ffff:0:8.8.8.8", 0 }, { "::ffff:0:10.0.0.1", 0 },
        { "64:ff9b::8.8.8.8", 1 }, { "64:ff9b::10.0.0.1", 0 },
        { "64:ff9b::169.254.169.254", 0 }, { "64:ff9b:1::8.8.8.8", 0 },
        { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 0 },
        { "64:ff9b:2::", 1 }, { "100::", 0 }, { "100::ffff:ffff:ffff:ffff", 0 },
        { "100:0:0:1::1", 0 }, { "100:0:0:2::", 1 },
        { "2001::", 0 }, { "2001::1", 0 }, { "2001:0:4136:e378::1", 0 },
        { "2001:1::1", 1 }, { "2001:1::2", 1 }, { "2001:1::3", 1 },
        { "2001:1::4", 0 }, { "2001:2::1", 0 }, { "2001:3::1", 1 },
        { "2001:4:112::1", 1 }, { "2001:4:113::1", 0 },
        { "2001:10::1", 0 }, { "2001:20::1", 0 },
        { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
        { "2001:30::1", 1 }, { "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
        { "2001:200::", 1 }, { "2001:db8::1", 0 },
        { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:db9::", 1 },
        { "2002:808:808::1", 1 }, { "2002:a00:1::", 0 },
        { "2002:7f00:1::", 0 }, { "2002:c0a8:101::", 0 },
        { "2620:4f:8000::1", 1 }, { "3ffe:ffff::1", 1 }, { "3fff::1", 0 },
        { "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "3fff:1000::", 1 },
        { "5f00::1", 0 }, { "5f00:ffff::1", 0 }, { "5f01::", 1 },
        { "fc00::1", 0 }, { "fdff:ffff::1", 0 }, { "fe00::1", 1 },
        { "fe80::1", 0 }, { "febf:ffff::1", 0 }, { "fec0::1", 0 },
        { "ff02::1", 0 }, { "2606:4700::1111", 1 },
    };

    tab = djass_addr_ranges(&n);
    ok(n >= 50, "the table has every block (%zu rows)", n);

    for (r = 0; r < n; r++) {
        ok(parse(tab[r].prefix, &first) == 0
           && tab[r].bits <= first.len * 8,
           "row %s/%d (%s) reads", tab[r].prefix, tab[r].bits, tab[r].name);

        for (i = tab[r].bits; i < first.len * 8; i++) {
            first.b[i / 8] &= ~(1 << (7 - i % 8));
        }

        last = first;
        for (i = tab[r].bits; i < last.len * 8; i++) {
            last.b[i / 8] |= 1 << (7 - i % 8);
        }

        text(&first, t1);
        ok(inside(&first, &tab[r]) && judge(&first) == expect(&first),
           "%s/%d (%s): its first address %s is %s", tab[r].prefix,
           tab[r].bits, tab[r].name, t1,
           expect(&first) ? "allowed" : "refused");

        text(&last, t1);
        ok(inside(&last, &tab[r]) && judge(&last) == expect(&last),
           "%s/%d (%s): its last address %s is %s", tab[r].prefix,
           tab[r].bits, tab[r].name, t1,
           expect(&last) ? "allowed" : "refused");

        for (k = -1; k <= 1; k += 2) {
            x = k < 0 ? first : last;
            if (step(&x, k) != 0) {
                continue;
            }

            text(&x, t1);
            ok(!inside(&x, &tab[r]) && judge(&x) == expect(&x),
               "%s/%d: the neighbour %s just outside is %s", tab[r].prefix,
               tab[r].bits, t1, expect(&x) ? "allowed" : "refused");
        }
    }

    for (r = 0; r < sizeof(named) / sizeof(named[0]); r++) {
        ok(parse(named[r].addr, &x) == 0 && judge(&x) == named[r].public,
           "%s is %s", named[r].addr,
           named[r].public ? "globally reachable: allowed"
                           : "not globally reachable: refused");
    }

    return done_testing();
}
