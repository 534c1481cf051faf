/*
 * djassctl profile create | show (ctl/profile.c).
 */

#ifndef DJASS_PROFILE_H
#define DJASS_PROFILE_H

#include "djassctl.h"


/* profile create --email E [--quota N]: prints the new profile's id */
int ctl_profile_create(ctl_opts_t *o);

/* profile show ID (o->arg): prints the profile with its project and key
 * counts */
int ctl_profile_show(ctl_opts_t *o);

/* dies unless id names a profile (used by the key commands too) */
void ctl_require_profile(const char *id);

#endif /* DJASS_PROFILE_H */
