/*
 * Removing a deleted project's artifact from the store.
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "djass_parse.h"
#include "gitstore.h"
#include "log.h"
#include "store.h"
#include "upload.h"


int
djass_store_rel(const char *id, char *rel, size_t len)
{
    long long  n;

    if (djass_parse_int(id, 0, LLONG_MAX, &n) != 0
        || snprintf(rel, len, "projects/%03d/%s.zip", (int) (n % 1000), id)
           >= (int) len)
    {
        return -1;
    }

    return 0;
}


/* one artifact (rel) out of the store */
static int
djass_store_remove_rel(const djass_conf_t *conf, const char *rel, char *err,
    size_t len)
{
    char  path[PATH_MAX];

    if (conf->artifacts_url) {
        return djass_upload_delete(conf, rel, err, len) == DJASS_UPLOAD_OK
               ? 0 : -1;
    }

    if (snprintf(path, sizeof(path), "%s/%s", conf->artifacts_dir, rel)
        >= (int) sizeof(path))
    {
        snprintf(err, len, "the artifact store's path is too long");
        return -1;
    }

    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, len, "cannot remove %s from the artifact store (%s)",
                 rel, strerror(errno));
        return -1;
    }

    return 0;
}


int
djass_store_remove(const djass_conf_t *conf, const char *id, char *err,
    size_t len)
{
    int           i;
    char          rel[64];
    static const char  *ext[] = { "pack", "idx" };

    if (djass_store_rel(id, rel, sizeof(rel)) != 0) {
        snprintf(err, len, "the project id is not a number");
        return -1;
    }

    /* issue 25: its git repository first, then the ZIP, so that a removal
     * cut short is redone while the ZIP is still there to find */
    for (i = 0; i < 2; i++) {
        if (djass_gitstore_rel(id, ext[i], rel, sizeof(rel)) != 0
            || djass_store_remove_rel(conf, rel, err, len) != 0)
        {
            return -1;
        }
    }

    (void) djass_store_rel(id, rel, sizeof(rel));

    return djass_store_remove_rel(conf, rel, err, len);
}


void
djass_store_crash_point(const char *point)
{
    size_t       n;
    const char  *want;

    want = getenv("DJASS_DEBUG_CRASH");
    if (want == NULL) {
        return;
    }

    n = strlen(point);

    if (strcmp(want, point) == 0) {
        djass_log("DJASS_DEBUG_CRASH: killed at \"%s\"", point);
        kill(getpid(), SIGKILL);

    } else if (strncmp(want, point, n) == 0
               && strcmp(want + n, ":pause") == 0)
    {
        djass_log("DJASS_DEBUG_CRASH: paused at \"%s\"", point);
        sleep(3);
    }
}
