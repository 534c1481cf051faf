/*
 * The body of a webhook message: {"type", "timestamp", "data"}, where data
 * is the project object byte for byte as GET /projects/{id} answers it
 * (ngx_djass_module/ngx_http_djass_project.c writes the module's copy;
 * t/375-webhooks.t compares the two).
 */

#ifndef DJASS_WEBHOOK_BODY_H
#define DJASS_WEBHOOK_BODY_H

#include <stddef.h>


/* the record's fields, in the order redis/webhook_begin.lua gives them */
enum {
    DJASS_WH_ID = 0,
    DJASS_WH_NAME,
    DJASS_WH_SLUG,
    DJASS_WH_STATUS,
    DJASS_WH_ERROR,
    DJASS_WH_CREATED,
    DJASS_WH_UPDATED,
    DJASS_WH_STARTED,
    DJASS_WH_FINISHED,
    DJASS_WH_PAYLOAD,
    DJASS_WH_EXPIRES,            /* i22: after the spec's fields */
    DJASS_WH_TEMPLATE,           /* i25: template_version */
    DJASS_WH_GIT_COMMIT,         /* i25: git_commit, null until ready */
    DJASS_WH_UPGRADED_FROM,      /* i25: upgraded_from, null for a create */
    DJASS_WH_NFIELDS
};


/*
 * A malloc'd NUL-terminated body and its length, or NULL when out of
 * memory.  type is "project.ready" or "project.failed", timestamp the
 * event's Unix seconds.
 */
char *djass_webhook_body(const char *type, const char *timestamp,
    const char *const *fields, size_t *len);

#endif /* DJASS_WEBHOOK_BODY_H */
