/*
 * The S3 operations of the worker and djassctl, sent with libcurl and
 * signed by lib/djass_s3.c: PUT of a file, HEAD, DELETE, and a paginated
 * ListObjectsV2 of a prefix.  (nginx signs with lib/djass_s3.c too but
 * sends with its own upstream machinery: this file is not in the
 * module.)  Blocking: for processes that wait anyway.
 */

#ifndef DJASS_S3_CLIENT_H
#define DJASS_S3_CLIENT_H

#include <stddef.h>

#include "djass_s3.h"


typedef enum {
    DJASS_S3_OK = 0,
    DJASS_S3_TRANSIENT,     /* unreachable, timed out, 5xx, 408, 429:
                               try again later */
    DJASS_S3_DENIED,        /* 403: credentials, clock skew, policy;
                               3xx: the endpoint or region; 400 with an
                               expired token or a wrong region; the
                               store's code is in code */
    DJASS_S3_NOT_FOUND,     /* 404 (NoSuchKey, NoSuchBucket) */
    DJASS_S3_FAILED         /* another 4xx, or a reply not understood */
} djass_s3_rc_e;


typedef struct {
    const djass_s3_t        *s3;
    const djass_s3_creds_t  *creds;
    long                     connect_ms;     /* 0: 3000 */
    long                     timeout_ms;     /* 0: 60000 */
    int                      max_keys;       /* a listing's page: 0 is
                                                the store's (1000) */
    char                     code[64];       /* the store's error code of
                                                the last failure, or "" */
    long                     status;         /* its HTTP status, or 0 */
} djass_s3_client_t;


/* PUT file (size bytes, hex SHA-256 sha) as key, Content-Type type */
djass_s3_rc_e djass_s3_put_file(djass_s3_client_t *c, const char *key,
    const char *file, long long size, const char *sha, const char *type,
    char *err, size_t len);

/* HEAD key: its size into *size */
djass_s3_rc_e djass_s3_head(djass_s3_client_t *c, const char *key,
    long long *size, char *err, size_t len);

/* DELETE key (S3 answers 204 whether it was there or not) */
djass_s3_rc_e djass_s3_delete(djass_s3_client_t *c, const char *key,
    char *err, size_t len);

/*
 * ListObjectsV2 of every key under prefix, page after page; each(data,
 * object) for each; a nonzero return stops the listing (and is
 * DJASS_S3_FAILED with err untouched).
 */
djass_s3_rc_e djass_s3_list(djass_s3_client_t *c, const char *prefix,
    int (*each)(void *data, const djass_s3_object_t *o), void *data,
    char *err, size_t len);

/* a status in words, for log lines */
const char *djass_s3_rc_text(djass_s3_rc_e rc);

#endif /* DJASS_S3_CLIENT_H */
