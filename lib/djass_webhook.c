/*
 * Webhook URLs and the SSRF rule (see djass_webhook.h).  The URL grammar
 * is deliberately narrower than RFC 3986: whatever passes here, libcurl
 * reads the same host out of it, so the address the worker pins for that
 * host is the one curl connects to.
 */

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "djass_parse.h"
#include "djass_webhook.h"


/* a host name or IPv4 literal: letters, digits, '-' and '.' */
static int
djass_url_name(const char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > 253 || p[0] == '.' || p[0] == '-') {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'
              || p[i] == '.'))
        {
            return -1;
        }
    }

    return 0;
}


int
djass_url_parse(const char *url, djass_url_t *u, const char **err)
{
    size_t            len, hlen;
    const char       *p, *auth, *end, *h, *colon;
    struct in6_addr   a6;

    memset(u, 0, sizeof(djass_url_t));

    len = strlen(url);
    if (len > DJASS_WEBHOOK_URL_MAX) {
        *err = "the URL is longer than 2048 characters";
        return -1;
    }

    for (p = url; *p; p++) {
        if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f) {
            *err = "the URL holds a space, a control or a non-ASCII "
                   "character (percent-encode it)";
            return -1;
        }
    }

    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = 1;
        u->port = 443;
        auth = url + 8;

    } else if (strncasecmp(url, "http://", 7) == 0) {
        u->port = 80;
        auth = url + 7;

    } else {
        *err = "the URL is not http:// or https://";
        return -1;
    }

    end = auth + strcspn(auth, "/?#");

    if (strchr(url, '#')) {
        *err = "the URL has a #fragment, which is never sent";
        return -1;
    }

    if (memchr(auth, '@', end - auth) || strchr(url, '\\')) {
        *err = "the URL has a user:password@ part or a backslash";
        return -1;
    }

    if (auth < end && *auth == '[') {
        h = auth + 1;
        colon = memchr(h, ']', end - h);
        if (colon == NULL) {
            *err = "the URL's IPv6 address has no closing ]";
            return -1;
        }

        hlen = colon - h;
        if (hlen == 0 || hlen >= sizeof(u->host)) {
            *err = "the URL's IPv6 address is not one";
            return -1;
        }

        memcpy(u->host, h, hlen);
        u->host[hlen] = '\0';

        if (inet_pton(AF_INET6, u->host, &a6) != 1) {
            *err = "the URL's IPv6 address is not one";
            return -1;
        }

        colon++;
        if (colon < end && *colon != ':') {
            *err = "the URL has something after its IPv6 address";
            return -1;
        }

    } else {
        h = auth;
        colon = memchr(h, ':', end - h);
        hlen = (colon ? colon : end) - h;

        if (djass_url_name(h, hlen) != 0) {
            *err = "the URL has no host, or one with characters a host "
                   "name cannot have";
            return -1;
        }

        memcpy(u->host, h, hlen);
        u->host[hlen] = '\0';
    }

    if (colon && colon < end
        && djass_parse_port(colon + 1, end - colon - 1, &u->port) != 0)
    {
        *err = "the URL's port is not a number from 1 to 65535";
        return -1;
    }

    return 0;
}


/* --- the SSRF rule ------------------------------------------------------- */

/*
 * Every special-purpose block of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (https://www.iana.org/assignments/iana-ipv4-special-
 * registry, .../iana-ipv6-special-registry; reviewed 2026-12-06, the IPv6
 * registry as last updated 2024-10-22, with RFC 9780's dummy prefix), with
 * its "Globally Reachable" column: False (and N/A) refuse, True allow.
 * The most specific block an address falls in decides, so the globally
 * reachable exceptions inside a refused block (192.0.0.9, 2001:3::/32)
 * are allowed.  Blocks whose addresses stand for an IPv4 address inside
 * them (NAT64, 6to4) judge that address.  Beyond the registries: multicast
 * and the deprecated site-local and IPv4-compatible blocks (no delivery
 * goes there), and ORCHIDv2, which the registry marks globally reachable
 * but whose addresses are identifiers, never locators (RFC 7343).
 */
static const djass_addr_range_t  djass_addr_ranges_tab[] = {

    /* IPv4 */
    { "0.0.0.0", 8, DJASS_ADDR_REFUSE, 0, "this network" },
    { "10.0.0.0", 8, DJASS_ADDR_REFUSE, 0, "private-use" },
    { "100.64.0.0", 10, DJASS_ADDR_REFUSE, 0, "shared address space" },
    { "127.0.0.0", 8, DJASS_ADDR_REFUSE, 0, "loopback" },
    { "169.254.0.0", 16, DJASS_ADDR_REFUSE, 0, "link-local" },
    { "172.16.0.0", 12, DJASS_ADDR_REFUSE, 0, "private-use" },
    { "192.0.0.0", 24, DJASS_ADDR_REFUSE, 0, "IETF protocol assignments" },
    { "192.0.0.0", 29, DJASS_ADDR_REFUSE, 0, "DS-Lite" },
    { "192.0.0.8", 32, DJASS_ADDR_REFUSE, 0, "IPv4 dummy address" },
    { "192.0.0.9", 32, DJASS_ADDR_ALLOW, 0, "PCP anycast" },
    { "192.0.0.10", 32, DJASS_ADDR_ALLOW, 0, "TURN anycast" },
    { "192.0.0.170", 31, DJASS_ADDR_REFUSE, 0, "NAT64/DNS64 discovery" },
    { "192.0.2.0", 24, DJASS_ADDR_REFUSE, 0, "documentation (TEST-NET-1)" },
    { "192.31.196.0", 24, DJASS_ADDR_ALLOW, 0, "AS112-v4" },
    { "192.52.193.0", 24, DJASS_ADDR_ALLOW, 0, "AMT" },
    { "192.88.99.0", 24, DJASS_ADDR_REFUSE, 0, "deprecated 6to4 relay" },
    { "192.168.0.0", 16, DJASS_ADDR_REFUSE, 0, "private-use" },
    { "192.175.48.0", 24, DJASS_ADDR_ALLOW, 0, "AS112 direct delegation" },
    { "198.18.0.0", 15, DJASS_ADDR_REFUSE, 0, "benchmarking" },
    { "198.51.100.0", 24, DJASS_ADDR_REFUSE, 0, "documentation (TEST-NET-2)" },
    { "203.0.113.0", 24, DJASS_ADDR_REFUSE, 0, "documentation (TEST-NET-3)" },
    { "224.0.0.0", 4, DJASS_ADDR_REFUSE, 0, "multicast (not in the "
                                            "registry)" },
    { "240.0.0.0", 4, DJASS_ADDR_REFUSE, 0, "reserved" },
    { "255.255.255.255", 32, DJASS_ADDR_REFUSE, 0, "limited broadcast" },

    /* IPv6 */
    { "::", 96, DJASS_ADDR_REFUSE, 0, "IPv4-compatible (deprecated; "
                                      "not in the registry)" },
    { "::", 128, DJASS_ADDR_REFUSE, 0, "unspecified" },
    { "::1", 128, DJASS_ADDR_REFUSE, 0, "loopback" },
    { "::ffff:0:0", 96, DJASS_ADDR_REFUSE, 0, "IPv4-mapped" },
    { "::ffff:0:0:0", 96, DJASS_ADDR_REFUSE, 0, "IPv4-translated (SIIT)" },
    { "64:ff9b::", 96, DJASS_ADDR_V4, 12, "NAT64 well-known prefix" },
    { "64:ff9b:1::", 48, DJASS_ADDR_REFUSE, 0, "local-use NAT64" },
    { "100::", 64, DJASS_ADDR_REFUSE, 0, "discard-only" },
    { "100:0:0:1::", 64, DJASS_ADDR_REFUSE, 0, "dummy prefix" },
    { "2001::", 23, DJASS_ADDR_REFUSE, 0, "IETF protocol assignments" },
    { "2001::", 32, DJASS_ADDR_REFUSE, 0, "Teredo" },
    { "2001:1::1", 128, DJASS_ADDR_ALLOW, 0, "PCP anycast" },
    { "2001:1::2", 128, DJASS_ADDR_ALLOW, 0, "TURN anycast" },
    { "2001:1::3", 128, DJASS_ADDR_ALLOW, 0, "DNS-SD SRP anycast" },
    { "2001:2::", 48, DJASS_ADDR_REFUSE, 0, "benchmarking" },
    { "2001:3::", 32, DJASS_ADDR_ALLOW, 0, "AMT" },
    { "2001:4:112::", 48, DJASS_ADDR_ALLOW, 0, "AS112-v6" },
    { "2001:10::", 28, DJASS_ADDR_REFUSE, 0, "deprecated ORCHID" },
    { "2001:20::", 28, DJASS_ADDR_REFUSE, 0, "ORCHIDv2 (identifiers)" },
    { "2001:30::", 28, DJASS_ADDR_ALLOW, 0, "drone remote ID (DET)" },
    { "2001:db8::", 32, DJASS_ADDR_REFUSE, 0, "documentation" },
    { "2002::", 16, DJASS_ADDR_V4, 2, "6to4" },
    { "2620:4f:8000::", 48, DJASS_ADDR_ALLOW, 0, "AS112 direct delegation" },
    { "3fff::", 20, DJASS_ADDR_REFUSE, 0, "documentation" },
    { "5f00::", 16, DJASS_ADDR_REFUSE, 0, "SRv6 SIDs" },
    { "fc00::", 7, DJASS_ADDR_REFUSE, 0, "unique-local" },
    { "fe80::", 10, DJASS_ADDR_REFUSE, 0, "link-local" },
    { "fec0::", 10, DJASS_ADDR_REFUSE, 0, "site-local (deprecated; not in "
                                          "the registry)" },
    { "ff00::", 8, DJASS_ADDR_REFUSE, 0, "multicast (not in the "
                                         "registry)" },
};


const djass_addr_range_t *
djass_addr_ranges(size_t *n)
{
    *n = sizeof(djass_addr_ranges_tab) / sizeof(djass_addr_ranges_tab[0]);
    return djass_addr_ranges_tab;
}


/* whether the first bits of a and b agree */
static int
djass_addr_prefix(const unsigned char *a, const unsigned char *b, int bits)
{
    int  n;

    n = bits / 8;
    if (memcmp(a, b, n) != 0) {
        return 0;
    }

    bits %= 8;
    return bits == 0 || ((a[n] ^ b[n]) & (0xff << (8 - bits))) == 0;
}


/* the table's verdict on an address of family (AF_INET: 4 bytes) */
static int
djass_addr_judge(int family, const unsigned char *b)
{
    size_t                     i, n;
    unsigned char              net[16];
    const djass_addr_range_t  *r, *best;

    best = NULL;
    n = sizeof(djass_addr_ranges_tab) / sizeof(djass_addr_ranges_tab[0]);

    for (i = 0; i < n; i++) {
        r = &djass_addr_ranges_tab[i];

        if (inet_pton(family, r->prefix, net) != 1
            || (best && best->bits >= r->bits)
            || !djass_addr_prefix(b, net, r->bits))
        {
            continue;
        }

        best = r;
    }

    if (best == NULL) {
        return 1;
    }

    if (best->verdict == DJASS_ADDR_V4) {
        return djass_addr_judge(AF_INET, b + best->v4_at);
    }

    return best->verdict == DJASS_ADDR_ALLOW;
}


int
djass_addr_public(const struct sockaddr *sa)
{
    const struct sockaddr_in   *s4;
    const struct sockaddr_in6  *s6;

    if (sa->sa_family == AF_INET) {
        s4 = (const struct sockaddr_in *) sa;
        return djass_addr_judge(AF_INET,
                                (const unsigned char *) &s4->sin_addr);
    }

    if (sa->sa_family == AF_INET6) {
        s6 = (const struct sockaddr_in6 *) sa;
        return djass_addr_judge(AF_INET6, s6->sin6_addr.s6_addr);
    }

    return 0;
}


int
djass_url_resolve(const djass_url_t *u, int allow_private,
    djass_addrs_t *out, char *err, size_t len)
{
    int               rc;
    struct addrinfo   hints, *res;

    memset(out, 0, sizeof(djass_addrs_t));
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;

    rc = getaddrinfo(u->host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, len, "cannot resolve %s: %s", u->host,
                 gai_strerror(rc));
        return -1;
    }

    rc = djass_addrs_keep(u->host, res, allow_private, out, err, len);

    freeaddrinfo(res);
    return rc;
}


int
djass_addrs_keep(const char *host, const struct addrinfo *res,
    int allow_private, djass_addrs_t *out, char *err, size_t len)
{
    int                     i;
    char                    text[64];
    const struct addrinfo  *ai;

    memset(out, 0, sizeof(djass_addrs_t));

    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            inet_ntop(AF_INET,
                      &((struct sockaddr_in *) ai->ai_addr)->sin_addr,
                      text, sizeof(text));
        } else if (ai->ai_family == AF_INET6) {
            inet_ntop(AF_INET6,
                      &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr,
                      text, sizeof(text));
        } else {
            continue;
        }

        if (!allow_private && !djass_addr_public(ai->ai_addr)) {
            out->refused++;
            continue;
        }

        for (i = 0; i < out->n; i++) {
            if (strcmp(out->addr[i], text) == 0) {
                break;
            }
        }

        if (i == out->n && out->n < DJASS_WEBHOOK_ADDRS_MAX) {
            memcpy(out->addr[out->n++], text, sizeof(text));
        }
    }

    if (out->n == 0) {
        snprintf(err, len, "%s resolves only to loopback, private, "
                 "link-local, multicast or reserved addresses (allowed "
                 "only with --allow-private)", host);
        return -1;
    }

    return 0;
}


/* --- base64 -------------------------------------------------------------- */

static const char  djass_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


void
djass_base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t    i;
    uint32_t  v;

    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        *out++ = djass_b64[v >> 18];
        *out++ = djass_b64[(v >> 12) & 63];
        *out++ = djass_b64[(v >> 6) & 63];
        *out++ = djass_b64[v & 63];
    }

    if (i < n) {
        v = (uint32_t) in[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t) in[i + 1] << 8;
        }

        *out++ = djass_b64[v >> 18];
        *out++ = djass_b64[(v >> 12) & 63];
        *out++ = i + 1 < n ? djass_b64[(v >> 6) & 63] : '=';
        *out++ = '=';
    }

    *out = '\0';
}


int
djass_base64_decode(const char *in, unsigned char *out, size_t size,
    size_t *n)
{
    int          bits;
    size_t       len;
    uint32_t     acc;
    const char  *p, *c;

    len = strlen(in);
    while (len && in[len - 1] == '=') {
        len--;
    }

    if (len % 4 == 1) {
        return -1;
    }

    *n = 0;
    acc = 0;
    bits = 0;

    for (p = in; p < in + len; p++) {
        c = strchr(djass_b64, *p);
        if (*p == '\0' || c == NULL) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) (c - djass_b64);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            if (*n >= size) {
                return -1;
            }
            out[(*n)++] = (unsigned char) (acc >> bits);
        }
    }

    return 0;
}
