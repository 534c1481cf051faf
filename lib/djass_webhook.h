/*
 * Webhook endpoints, the part djassctl and djass-worker share: a URL
 * read the one strict way both programs read it, and the SSRF rule (which
 * addresses a delivery may reach), applied at `webhook add` and again at
 * every delivery, to the addresses the host resolves to at that moment.
 * Also the Standard Webhooks secret's base64.  No Redis, no libcurl here.
 */

#ifndef DJASS_LIB_WEBHOOK_H
#define DJASS_LIB_WEBHOOK_H

#include <stddef.h>
#include <netdb.h>
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

/* a special-purpose address block and what a delivery may do there */
#define DJASS_ADDR_REFUSE   0        /* not globally reachable */
#define DJASS_ADDR_ALLOW    1        /* globally reachable */
#define DJASS_ADDR_V4       2        /* as the IPv4 address at v4_at */

typedef struct {
    const char  *prefix;     /* IPv4 or IPv6 text */
    int          bits;
    int          verdict;    /* DJASS_ADDR_* */
    int          v4_at;      /* DJASS_ADDR_V4: its byte offset */
    const char  *name;
} djass_addr_range_t;

/* the table of blocks (lib/djass_webhook.c says where it comes from) */
const djass_addr_range_t *djass_addr_ranges(size_t *n);

/*
 * 1 when a delivery may reach sa without --allow-private: the most
 * specific block of the table that holds it is globally reachable (or
 * none does); 0 for loopback, private, shared, link-local, multicast,
 * documentation, reserved and every other special-purpose block that is
 * not, in IPv4 and IPv6 (IPv4-mapped, SIIT, NAT64 and 6to4 included)
 */
int djass_addr_public(const struct sockaddr *sa);

/* the addresses of a getaddrinfo answer the rule allows (all of them
 * when allow_private) into *out, as djass_url_resolve keeps them */
int djass_addrs_keep(const char *host, const struct addrinfo *res,
    int allow_private, djass_addrs_t *out, char *err, size_t len);

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

#endif /* DJASS_LIB_WEBHOOK_H */
