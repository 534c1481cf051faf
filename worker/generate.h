/*
 * One generation, in a child process: render the template with the
 * project's options into the work folder, then write the deterministic ZIP.
 * The parent waits, and meanwhile calls tick() every tick_ms (the job's
 * heartbeat).  A crash of the renderer kills the child, not the worker;
 * a child still running at --render-timeout is killed, and one that
 * runs out of --render-memory or --render-output fails; either way the
 * result says which bound was hit.
 */

#ifndef DJASS_GENERATE_H
#define DJASS_GENERATE_H

#include "conf.h"
#include "publish.h"


typedef struct {
    int        ok;
    int        bound;            /* when !ok: a render limit was hit */
    int        store_errno;      /* when !ok: the artifact store failed
                                    (djass_store_transient), 0 if not */
    long long  size;             /* of the ZIP */
    char       sha256[65];
    char       git_commit[41];   /* issue 25: the project's commit */
    char       git_pack[41];     /* and its pack's name, or "" */
    char       error[1024];      /* when !ok: for error_message */
} djass_generate_t;


typedef void (*djass_tick_pt)(void *data);


/* fills res; returns 0, or -1 when no child could be started */
int djass_generate(const djass_conf_t *conf, const char *payload,
    const djass_publish_t *p, djass_generate_t *res, int tick_ms,
    djass_tick_pt tick, void *data);

#endif /* DJASS_GENERATE_H */
