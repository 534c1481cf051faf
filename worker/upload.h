/*
 * An artifact store reached over HTTP (djass-worker --artifacts
 * http(s)://...): each ZIP is sent with PUT to the store's URL plus the
 * artifact's relative path, and is ready only once the store said 2xx and
 * a HEAD shows the stored size.  Any store that takes PUT works; the
 * reference is nginx's WebDAV module (doc/operations.md).
 */

#ifndef DJASS_UPLOAD_H
#define DJASS_UPLOAD_H

#include <stddef.h>

#include "conf.h"


typedef enum {
    DJASS_UPLOAD_OK = 0,
    DJASS_UPLOAD_TRANSIENT,      /* down, timed out, 5xx, 408, 429, short:
                                    try again later */
    DJASS_UPLOAD_PERMANENT,      /* refused (4xx): retrying will not help */
    DJASS_UPLOAD_DENIED          /* S3's 403 (or no bucket): the
                                    operator's to fix; retried */
} djass_upload_e;


/*
 * An S3 store (--artifacts s3://...): reads the credentials
 * (--s3-credentials or the AWS_* environment); SIGHUP reads them again
 * before the next upload.  -1 with a message in err.
 */
int djass_upload_s3_init(const djass_conf_t *conf, char *err, size_t len);


/* 1 when --artifacts names an HTTP store */
int djass_upload_is_url(const char *s);

/*
 * One PUT of file (size bytes) to conf->artifacts_url + rel, then a HEAD
 * to check the stored size.  err: for the log and, when permanent, the
 * project's error_message (no URL, no header).
 */
djass_upload_e djass_upload_put(const djass_conf_t *conf, const char *file,
    const char *rel, long long size, char *err, size_t len);

/*
 * djass_upload_put until it is not transient, with a backoff (0.5 s
 * doubling to 5 s); tick(data) runs between tries (the job's heartbeat)
 * and returns nonzero when the job was lost.  0: uploaded; 1: permanent
 * failure, in err; -1: gave up (stop signal, or the job was lost): the
 * job stays pending and is redone.
 */
int djass_upload_publish(const djass_conf_t *conf, const char *file,
    const char *rel, long long size, int (*tick)(void *data), void *data,
    char *err, size_t len);

/* one DELETE of conf->artifacts_url + rel: OK when removed or not there
 * (404, 410); an S3 store (conf->s3): one signed DELETE of the object,
 * with the credentials djass_upload_s3_init loaded */
djass_upload_e djass_upload_delete(const djass_conf_t *conf, const char *rel,
    char *err, size_t len);

/* issue 25: one GET of rel (an S3 store: presigned) into file, as an
 * upgrade reads its parent's git pack; OK, TRANSIENT or PERMANENT (404:
 * gone) */
djass_upload_e djass_upload_get(const djass_conf_t *conf, const char *rel,
    const char *file, char *err, size_t len);

#endif /* DJASS_UPLOAD_H */
