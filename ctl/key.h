/*
 * djassctl key create | list | revoke (ctl/key.c).  A key is printed
 * once, at creation: Redis holds only its SHA-256.
 */

#ifndef DJASS_KEY_H
#define DJASS_KEY_H

#include "djassctl.h"


/* key create --profile ID [--scopes S,S] [--legacy] [--name NAME]
 * [--expires-in SECONDS]: prints the new key */
int ctl_key_create(ctl_opts_t *o);

/* key list --profile ID: one JSON line per key, never the key itself */
int ctl_key_list(ctl_opts_t *o);

/* key revoke KEY (o->arg) */
int ctl_key_revoke(ctl_opts_t *o);

#endif /* DJASS_KEY_H */
