/*
 * The artifact store, whatever it is, for what walks or prunes it (the
 * lifecycle's delete and djassctl gc): a folder, an HTTP store (PUT and
 * DELETE, e.g. nginx's WebDAV) or an S3 bucket.  The same flags as the
 * worker's: --artifacts DIR|URL|s3://BUCKET[/PREFIX], --s3-endpoint,
 * --s3-region, --s3-credentials.  Artifacts are named by their relative
 * path, projects/NNN/ID.zip, as Redis records them.  Blocking (libcurl).
 */

#ifndef DJASS_STORE_H
#define DJASS_STORE_H

#include <stddef.h>

#include "djass_s3.h"
#include "djass_s3_client.h"


typedef enum {
    DJASS_STORE_FOLDER = 1,
    DJASS_STORE_HTTP,
    DJASS_STORE_S3
} djass_store_kind_e;


/* the command line's store flags, as given */
typedef struct {
    const char  *artifacts;
    const char  *s3_endpoint;
    const char  *s3_region;
    const char  *s3_credentials;     /* NULL: the AWS_* environment */
} djass_store_opts_t;


typedef struct {
    djass_store_kind_e   kind;
    char                *location;   /* the folder, or the URL (ends in /) */
    const char          *s3_credentials;
    djass_s3_t           s3;
    djass_s3_creds_t     creds;
    djass_s3_client_t    client;     /* max_keys: a listing's page */
} djass_store_t;


/*
 * One of the store flags: 1 when opt is one (value taken), 0 when not.
 * For a command line's loop: if (djass_store_option(&o, a, v)) continue;
 */
int djass_store_option(djass_store_opts_t *o, const char *opt,
    const char *value);

/* the store the flags name; the S3 credentials are read here.  -1 with a
 * message in err (never a credential) */
int djass_store_open(const djass_store_opts_t *o, djass_store_t *st,
    char *err, size_t len);

/* the S3 credentials again (SIGHUP) */
int djass_store_reload(djass_store_t *st, char *err, size_t len);

void djass_store_close(djass_store_t *st);

/*
 * The return of the operations: 0 done; 1 a transient failure (down,
 * 5xx, 403 of S3: retry later); -1 failed (err says why).
 */

/* stores file as rel (S3: one signed PUT with its SHA-256; a folder: a
 * copy renamed into place; HTTP: PUT) */
int djass_store_put(djass_store_t *st, const char *file, const char *rel,
    char *err, size_t len);

/* removes rel; an artifact already gone is done too */
int djass_store_delete(djass_store_t *st, const char *rel, char *err,
    size_t len);

/*
 * each(data, rel, size) for every artifact under projects/ (S3:
 * ListObjectsV2 of PREFIX/projects/, page after page); a nonzero return
 * stops the walk (and is returned).  An HTTP store cannot be listed: -1.
 */
int djass_store_list(djass_store_t *st,
    int (*each)(void *data, const char *rel, long long size), void *data,
    char *err, size_t len);

/* a presigned GET URL of rel valid ttl seconds (S3 only), malloc(3)ed */
char *djass_store_presign(djass_store_t *st, const char *rel, long ttl);

#endif /* DJASS_STORE_H */
