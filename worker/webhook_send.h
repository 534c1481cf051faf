/*
 * One HTTP attempt of a webhook message with libcurl, as an easy handle
 * for the delivery loop's multi handle: signed as Standard Webhooks v1
 * says, to the addresses resolved once and checked by the SSRF rule
 * (lib/djass_webhook.c), pinned with CURLOPT_RESOLVE and checked again as
 * the socket opens, TLS verified, no redirect, no proxy, within what is
 * left of --webhook-timeout.
 */

#ifndef DJASS_WEBHOOK_SEND_H
#define DJASS_WEBHOOK_SEND_H

#include <stddef.h>

#include <curl/curl.h>

#include "conf.h"
#include "djass_webhook.h"


typedef struct {
    const char  *id;             /* webhook-id: the message's id */
    const char  *request_id;     /* X-Request-Id: the create's, or "" */
    const char  *url;
    const char  *secret;         /* whsec_<base64>: never logged */
    int          allow_private;
    const char  *body;
    size_t       len;
} djass_send_t;


typedef struct {
    long         status;         /* the HTTP status; 0 when none came */
    int          timed_out;      /* no answer within the time left */
    char         error[512];     /* why there is no status, or "" */
} djass_sent_t;


/* an attempt in flight */
typedef struct {
    CURL               *h;
    struct curl_slist  *headers;
    struct curl_slist  *pin;         /* CURLOPT_RESOLVE */
    int                 allow_private;
    int                 refused;     /* the socket callback refused one */
    char                err[CURL_ERROR_SIZE];
} djass_attempt_t;


/* curl_global_init and its cleanup, once per delivery process */
int djass_webhook_send_init(void);
void djass_webhook_send_done(void);

/*
 * The attempt's easy handle in a->h, to add to a multi handle, allowed
 * timeout_ms in all; 0, or -1 with out->error (nothing left to free).
 * a stays where it is until djass_webhook_attempt_free (the socket
 * callback gets it).
 */
int djass_webhook_attempt(const djass_send_t *s, const djass_url_t *u,
    const djass_addrs_t *addrs, long long timeout_ms, djass_attempt_t *a,
    djass_sent_t *out);

/* the outcome of an attempt libcurl ended with rc */
void djass_webhook_ended(djass_attempt_t *a, CURLcode rc, djass_sent_t *out);

void djass_webhook_attempt_free(djass_attempt_t *a);

/* the webhook-signature value of (id, timestamp, body) for secret:
 * "v1,<base64>"; -1 when the secret is no whsec_ base64 */
int djass_webhook_sign(const char *secret, const char *id, long long ts,
    const char *body, size_t len, char *sig, size_t size);

#endif /* DJASS_WEBHOOK_SEND_H */
