/*
 * One HTTP attempt of a webhook message with libcurl: signed as Standard
 * Webhooks v1 says, to an address resolved once and checked by the SSRF
 * rule (lib/djass_webhook.c), TLS verified, no redirect, no proxy, within
 * --webhook-timeout.
 */

#ifndef DJASS_WEBHOOK_SEND_H
#define DJASS_WEBHOOK_SEND_H

#include <stddef.h>

#include "conf.h"


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
    char         error[256];     /* why there is no status, or "" */
} djass_sent_t;


/* curl_global_init and its cleanup, once per delivery process */
int djass_webhook_send_init(void);
void djass_webhook_send_done(void);

/* one attempt; its outcome in *out */
void djass_webhook_send(const djass_conf_t *conf, const djass_send_t *s,
    djass_sent_t *out);

/* the webhook-signature value of (id, timestamp, body) for secret:
 * "v1,<base64>"; -1 when the secret is no whsec_ base64 */
int djass_webhook_sign(const char *secret, const char *id, long long ts,
    const char *body, size_t len, char *sig, size_t size);

#endif /* DJASS_WEBHOOK_SEND_H */
