/*
 * A webhook endpoint's name, resolved without holding up the delivery
 * loop: getaddrinfo runs in a thread of its own, the loop asks whether it
 * is done, and gives up on it at the attempt's deadline (the thread then
 * ends on its own when the resolver answers, and frees what it holds).
 * The addresses are kept as the SSRF rule says (djass_addrs_keep), for
 * CURLOPT_RESOLVE to pin.
 */

#ifndef DJASS_WEBHOOK_RESOLVE_H
#define DJASS_WEBHOOK_RESOLVE_H

#include <stddef.h>

#include "djass_webhook.h"


/* lookups whose thread still runs, abandoned ones included, at most */
#define DJASS_LOOKUP_MAX  128


typedef struct djass_lookup_s  djass_lookup_t;


/*
 * Starts resolving host; wake(data) is called from the lookup's thread
 * when it ends (curl_multi_wakeup: the loop looks again).  NULL when no
 * thread could be started or DJASS_LOOKUP_MAX run already.
 */
djass_lookup_t *djass_lookup_start(const char *host, int allow_private,
    void (*wake)(void *), void *data);

/* 0: still running; 1: done, and the lookup freed: *out holds the
 * addresses to connect to (rc 0) or err says why there are none (-1) */
int djass_lookup_done(djass_lookup_t *l, int *rc, djass_addrs_t *out,
    char *err, size_t len);

/* gives up on a lookup not done: its thread frees it when it ends */
void djass_lookup_abandon(djass_lookup_t *l);

/* how many lookup threads run now */
int djass_lookup_running(void);

#endif /* DJASS_WEBHOOK_RESOLVE_H */
