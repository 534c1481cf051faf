/*
 * Webhook endpoints, the part djassctl and djass-worker share: a URL
 * read the one strict way both programs read it, and the SSRF rule (which
 * addresses a delivery may reach), applied at `webhook add` and again at
 * every delivery, to the addresses the host resolves to at that moment.
 * Also the Standard Webhooks secret's base64.  No Redis, no libcurl here.
 */

#ifndef DJASS_WEBHOOK_H
#define DJASS_WEBHOOK_H

#include <stddef.h>
#include <sys/socket.h>


#define DJASS_WEBHOOK_URL_MAX     2048
#define DJASS_WEBHOOK_ADDRS_MAX   16
#define DJASS_WEBHOOK_SECRET_PREFIX  "whsec_"


typedef struct {
    int    https;
    int    port;
    char   host[256];        /* without the brackets of an IPv6 literal */
} djass_url_t;


/* the addresses a delivery may connect to, as numeric strings */
typedef struct {
    int    n;
    int    refused;          /* addresses left out by the SSRF rule */
    char   addr[DJASS_WEBHOOK_ADDRS_MAX][64];
} djass_addrs_t;


/*
 * 0 when url is http:// or https://, a host (name, IPv4 or [IPv6]), an
 * optional port and an optional path and query, with nothing else: no
 * user:password@, no fragment, no space or control character.  -1 and
 * *err (a static sentence) otherwise.
 */
int djass_url_parse(const char *url, djass_url_t *u, const char **err);

/* 1 when a delivery may reach sa without --allow-private: not loopback,
 * private, shared (CGNAT), link-local, multicast, unspecified, reserved or
 * documentation space, in IPv4 or IPv6, v4-mapped and NAT64 included */
int djass_addr_public(const struct sockaddr *sa);

/*
 * Resolves u->host once (getaddrinfo, blocking) and keeps the addresses
 * the rule allows (all of them when allow_private).  0 when at least one
 * is left; -1 with err filled (no such host, or only private addresses).
 */
int djass_url_resolve(const djass_url_t *u, int allow_private,
    djass_addrs_t *out, char *err, size_t len);

/* base64 (standard alphabet, padded) of n bytes into out, NUL-terminated:
 * out holds 4 * ((n + 2) / 3) + 1 bytes */
void djass_base64_encode(const unsigned char *in, size_t n, char *out);

/* the bytes of a padded or unpadded base64 text; -1 if it is none */
int djass_base64_decode(const char *in, unsigned char *out, size_t size,
    size_t *n);

#endif /* DJASS_WEBHOOK_H */
