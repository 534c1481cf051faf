/*
 * A deleted project's artifact removed from the store, whichever it is:
 * a folder (unlink) or an HTTP store (DELETE).  The path is the project's
 * fixed one (publish.h), so the removal needs only the id.
 */

#ifndef DJASS_WORKER_STORE_H
#define DJASS_WORKER_STORE_H

#include <stddef.h>

#include "conf.h"


/* projects/<id mod 1000>/<id>.zip into rel; -1 when id is no number */
int djass_store_rel(const char *id, char *rel, size_t len);

/* 0: the artifact of project id is not in the store (any more); -1: the
 * store failed (err says why, without host paths or URLs) */
int djass_store_remove(const djass_conf_t *conf, const char *id, char *err,
    size_t len);

/*
 * Test hooks for the crash tests (t/045): DJASS_DEBUG_CRASH names a point
 * at which the worker kills itself with SIGKILL: "published" (the ZIP is
 * in the store, its record not yet written) or "recorded" (the record is
 * gone, its artifact not yet removed); "<point>:pause" sleeps 3 s there
 * instead (t/245 deletes a project in that window).  Not for production
 * use.
 */
void djass_store_crash_point(const char *point);

#endif /* DJASS_WORKER_STORE_H */
