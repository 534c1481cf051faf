/*
 * A webhook attempt (see webhook_send.h).  The host is resolved once
 * (webhook_resolve.c); every address it resolves to goes through the SSRF
 * rule, the ones left are handed to libcurl with CURLOPT_RESOLVE, and the
 * socket callback
 * checks the address once more as it opens the socket: whatever libcurl
 * would do with the name, it connects only to an address checked here, so
 * a DNS answer that changed since `webhook add` (rebinding) cannot reach
 * a private address.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "djass_version.h"
#include "djass_webhook.h"
#include "webhook_send.h"


#define DJASS_WH_USER_AGENT  "djass-webhooks/" DJASS_VERSION


int
djass_webhook_send_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}


void
djass_webhook_send_done(void)
{
    curl_global_cleanup();
}


int
djass_webhook_sign(const char *secret, const char *id, long long ts,
    const char *body, size_t len, char *sig, size_t size)
{
    size_t          klen, plen, n;
    char           *data;
    unsigned int    mdlen;
    unsigned char   key[128], md[EVP_MAX_MD_SIZE];

    plen = sizeof(DJASS_WEBHOOK_SECRET_PREFIX) - 1;
    if (strncmp(secret, DJASS_WEBHOOK_SECRET_PREFIX, plen) != 0
        || djass_base64_decode(secret + plen, key, sizeof(key), &klen) != 0
        || klen == 0)
    {
        return -1;
    }

    n = strlen(id) + 48 + len;
    data = malloc(n);
    if (data == NULL) {
        return -1;
    }

    n = snprintf(data, n, "%s.%lld.", id, ts);
    memcpy(data + n, body, len);
    n += len;

    if (HMAC(EVP_sha256(), key, (int) klen, (unsigned char *) data, n, md,
             &mdlen)
        == NULL || size < 4 + 4 * ((mdlen + 2) / 3) + 1)
    {
        free(data);
        return -1;
    }

    free(data);
    memcpy(sig, "v1,", 3);
    djass_base64_encode(md, mdlen, sig + 3);
    OPENSSL_cleanse(key, sizeof(key));

    return 0;
}


/* the socket of a connection: only to an address the rule allows */
static curl_socket_t
djass_wh_open(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
    djass_attempt_t  *ck;

    ck = data;

    if (!ck->allow_private && !djass_addr_public(&a->addr)) {
        ck->refused = 1;
        return CURL_SOCKET_BAD;
    }

    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}


/* the answer's body is not read by anyone */
static size_t
djass_wh_discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}


static CURLcode
djass_wh_header(struct curl_slist **list, const char *header)
{
    struct curl_slist  *l;

    l = curl_slist_append(*list, header);
    if (l == NULL) {
        return CURLE_OUT_OF_MEMORY;
    }

    *list = l;
    return CURLE_OK;
}


/*
 * "host:port:addr,addr" for CURLOPT_RESOLVE (IPv6 in brackets); an empty
 * string for an address literal, which libcurl connects to without asking
 * any resolver (the socket callback checks it all the same)
 */
static int
djass_wh_pin(const djass_url_t *u, const djass_addrs_t *a, char *buf,
    size_t size)
{
    int              i;
    size_t           n;
    struct in6_addr  a6;

    buf[0] = '\0';

    if (inet_pton(AF_INET, u->host, &a6) == 1
        || inet_pton(AF_INET6, u->host, &a6) == 1)
    {
        return 0;
    }

    n = snprintf(buf, size, "%s:%d:", u->host, u->port);

    for (i = 0; i < a->n && n < size; i++) {
        n += snprintf(buf + n, size - n, strchr(a->addr[i], ':')
                                         ? "%s[%s]" : "%s%s",
                      i ? "," : "", a->addr[i]);
    }

    return n < size ? 0 : -1;
}


int
djass_webhook_attempt(const djass_send_t *s, const djass_url_t *u,
    const djass_addrs_t *addrs, long long timeout_ms, djass_attempt_t *a,
    djass_sent_t *out)
{
    CURL               *h;
    CURLcode            rc;
    long long           ts;
    char                line[256], sig[128],
                        pinned[DJASS_WEBHOOK_ADDRS_MAX * 70 + 300];

    memset(a, 0, sizeof(djass_attempt_t));
    memset(out, 0, sizeof(djass_sent_t));

    ts = (long long) time(NULL);
    if (djass_webhook_sign(s->secret, s->id, ts, s->body, s->len, sig,
                           sizeof(sig))
        != 0)
    {
        snprintf(out->error, sizeof(out->error), "the endpoint's secret is "
                 "not whsec_ and base64");
        return -1;
    }

    if (djass_wh_pin(u, addrs, pinned, sizeof(pinned)) != 0) {
        snprintf(out->error, sizeof(out->error), "too many addresses");
        return -1;
    }

    h = curl_easy_init();
    a->h = h;
    a->pin = pinned[0] ? curl_slist_append(NULL, pinned) : NULL;
    if (h == NULL || (pinned[0] && a->pin == NULL)) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        goto failed;
    }

    snprintf(line, sizeof(line), "webhook-id: %s", s->id);
    rc = djass_wh_header(&a->headers, line);
    snprintf(line, sizeof(line), "webhook-timestamp: %lld", ts);
    rc |= djass_wh_header(&a->headers, line);
    snprintf(line, sizeof(line), "webhook-signature: %s", sig);
    rc |= djass_wh_header(&a->headers, line);
    if (s->request_id && s->request_id[0]) {
        snprintf(line, sizeof(line), "X-Request-Id: %s", s->request_id);
        rc |= djass_wh_header(&a->headers, line);
    }
    rc |= djass_wh_header(&a->headers, "Content-Type: application/json");
    /* no "Expect: 100-continue" wait before a larger body */
    rc |= djass_wh_header(&a->headers, "Expect:");
    if (rc != 0) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        goto failed;
    }

    a->allow_private = s->allow_private;
    a->refused = 0;
    a->err[0] = '\0';

    if (timeout_ms < 1) {
        timeout_ms = 1;
    }

    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_RESOLVE, a->pin);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, djass_wh_open);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, a);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* each attempt a connection of its own: an endpoint's messages in
     * flight never wait for one another's connection */
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, DJASS_WH_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) s->len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, djass_wh_discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->err);

    return 0;

failed:

    djass_webhook_attempt_free(a);
    return -1;
}


void
djass_webhook_ended(djass_attempt_t *a, CURLcode rc, djass_sent_t *out)
{
    memset(out, 0, sizeof(djass_sent_t));

    if (rc == CURLE_OK) {
        curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &out->status);

    } else if (a->refused) {
        snprintf(out->error, sizeof(out->error), "refused to connect to a "
                 "private address");

    } else {
        out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(out->error, sizeof(out->error), "%s",
                 a->err[0] ? a->err : curl_easy_strerror(rc));
    }
}


void
djass_webhook_attempt_free(djass_attempt_t *a)
{
    curl_slist_free_all(a->headers);
    curl_slist_free_all(a->pin);
    if (a->h) {
        curl_easy_cleanup(a->h);
    }

    a->headers = NULL;
    a->pin = NULL;
    a->h = NULL;
}
