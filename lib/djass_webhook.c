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

#define DJASS_V4(a, b, c, d)                                                  \
    (((uint32_t) (a) << 24) | ((uint32_t) (b) << 16) | ((uint32_t) (c) << 8) \
     | (uint32_t) (d))


static int
djass_v4_public(uint32_t a)
{
    static const struct {
        uint32_t  net;
        int       bits;
    } blocked[] = {
        { DJASS_V4(0, 0, 0, 0), 8 },          /* "this network" */
        { DJASS_V4(10, 0, 0, 0), 8 },         /* private */
        { DJASS_V4(100, 64, 0, 0), 10 },      /* shared (CGNAT) */
        { DJASS_V4(127, 0, 0, 0), 8 },        /* loopback */
        { DJASS_V4(169, 254, 0, 0), 16 },     /* link-local, cloud metadata */
        { DJASS_V4(172, 16, 0, 0), 12 },      /* private */
        { DJASS_V4(192, 0, 0, 0), 24 },       /* IETF protocol assignments */
        { DJASS_V4(192, 0, 2, 0), 24 },       /* documentation */
        { DJASS_V4(192, 88, 99, 0), 24 },     /* 6to4 relay */
        { DJASS_V4(192, 168, 0, 0), 16 },     /* private */
        { DJASS_V4(198, 18, 0, 0), 15 },      /* benchmarking */
        { DJASS_V4(198, 51, 100, 0), 24 },    /* documentation */
        { DJASS_V4(203, 0, 113, 0), 24 },     /* documentation */
        { DJASS_V4(224, 0, 0, 0), 4 },        /* multicast */
        { DJASS_V4(240, 0, 0, 0), 4 },        /* reserved, broadcast */
    };

    size_t    i;
    uint32_t  mask;

    for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        mask = 0xffffffffu << (32 - blocked[i].bits);
        if ((a & mask) == blocked[i].net) {
            return 0;
        }
    }

    return 1;
}


static uint32_t
djass_v4_at(const unsigned char *b)
{
    return DJASS_V4(b[0], b[1], b[2], b[3]);
}


static int
djass_v6_public(const unsigned char *b)
{
    static const unsigned char  zero[12];
    static const unsigned char  mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
                                               0, 0, 0xff, 0xff };
    static const unsigned char  nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0,
                                              0, 0, 0, 0, 0, 0 };

    /* ::a.b.c.d (v4-compatible, :: and ::1 among them), ::ffff:a.b.c.d
     * and 64:ff9b::a.b.c.d reach the IPv4 address inside */
    if (memcmp(b, zero, 12) == 0 || memcmp(b, mapped, 12) == 0
        || memcmp(b, nat64, 12) == 0)
    {
        return djass_v4_public(djass_v4_at(b + 12));
    }

    if (b[0] == 0x20 && b[1] == 0x02) {              /* 2002::/16, 6to4 */
        return djass_v4_public(djass_v4_at(b + 2));
    }

    if ((b[0] & 0xfe) == 0xfc                        /* fc00::/7 ULA */
        || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)   /* fe80::/10 */
        || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)   /* fec0::/10 */
        || b[0] == 0xff                              /* multicast */
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d
            && b[3] == 0xb8)                         /* 2001:db8::/32 */
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0
            && b[3] == 0)                            /* 2001::/32 Teredo */
        || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff
            && b[3] == 0x9b)                         /* 64:ff9b:1::/48 */
        || (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0
            && b[4] == 0 && b[5] == 0 && b[6] == 0
            && b[7] == 0))                           /* 100::/64 discard */
    {
        return 0;
    }

    return 1;
}


int
djass_addr_public(const struct sockaddr *sa)
{
    const struct sockaddr_in   *s4;
    const struct sockaddr_in6  *s6;

    if (sa->sa_family == AF_INET) {
        s4 = (const struct sockaddr_in *) sa;
        return djass_v4_public(ntohl(s4->sin_addr.s_addr));
    }

    if (sa->sa_family == AF_INET6) {
        s6 = (const struct sockaddr_in6 *) sa;
        return djass_v6_public(s6->sin6_addr.s6_addr);
    }

    return 0;
}


int
djass_url_resolve(const djass_url_t *u, int allow_private,
    djass_addrs_t *out, char *err, size_t len)
{
    int               rc, i;
    char              text[64];
    struct addrinfo   hints, *res, *ai;

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

    freeaddrinfo(res);

    if (out->n == 0) {
        snprintf(err, len, "%s resolves only to loopback, private, "
                 "link-local, multicast or reserved addresses (allowed "
                 "only with --allow-private)", u->host);
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
