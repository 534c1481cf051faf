/*
 * djassctl webhook add | list | remove (ctl/webhook.c): a profile's
 * endpoints for the completion webhooks the worker delivers
 * (worker/webhook.c).  The secret is printed once, at add.
 */

#ifndef DJASS_CTL_WEBHOOK_H
#define DJASS_CTL_WEBHOOK_H

#include "djassctl.h"


/* webhook add --profile ID --url URL [--events E,E] [--allow-private]:
 * prints {"id", "url", "events", "secret"} */
int ctl_webhook_add(ctl_opts_t *o);

/* webhook list --profile ID: a JSON array, never a secret */
int ctl_webhook_list(ctl_opts_t *o);

/* webhook remove ID (o->arg) */
int ctl_webhook_remove(ctl_opts_t *o);

#endif /* DJASS_CTL_WEBHOOK_H */
