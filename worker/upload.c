/*
 * Uploading ZIPs to an HTTP artifact store with libcurl (see upload.h).
 * The store's answer decides: 2xx and the right size on HEAD is done; a
 * store that cannot be reached, times out or answers 5xx/408/429 is a
 * transient storage error, retried; another 4xx is permanent.  The auth
 * header (--artifacts-header or $DJASS_ARTIFACTS_HEADER) is never logged.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "djass_s3_client.h"
#include "log.h"
#include "publish.h"
#include "redis_util.h"
#include "signals.h"
#include "upload.h"


#define DJASS_UPLOAD_CONNECT_MS     3000
#define DJASS_UPLOAD_TIMEOUT_MS     60000
#define DJASS_UPLOAD_BACKOFF_MIN    500
#define DJASS_UPLOAD_BACKOFF_MAX    5000


static int               djass_curl_ready;

/* an S3 store's credentials: loaded at start, again on SIGHUP */
static djass_s3_creds_t  djass_s3_creds;


int
djass_upload_s3_init(const djass_conf_t *conf, char *err, size_t len)
{
    djass_s3_creds_t  c;

    if (djass_s3_creds_load(conf->s3_credentials, &c, err, len) != 0) {
        return -1;
    }

    djass_s3_creds = c;
    djass_s3_creds_clear(&c);
    return 0;
}


/* SIGHUP: the credentials again; the old ones stay on failure */
static void
djass_upload_s3_reload(const djass_conf_t *conf)
{
    char  err[256];

    djass_reload = 0;

    if (conf->s3 == NULL) {
        return;
    }

    if (djass_upload_s3_init(conf, err, sizeof(err)) != 0) {
        djass_log("SIGHUP: the S3 credentials were not re-read, the old "
                  "ones stay: %s", err);
        return;
    }

    djass_log("SIGHUP: the S3 credentials were re-read from %s",
              conf->s3_credentials ? conf->s3_credentials
                                   : "the environment");
}


/*
 * An S3 store: one signed PUT with the ZIP's SHA-256 as
 * x-amz-content-sha256, then a HEAD: ready on 200 and the right size.
 * 403 (and a redirect, an expired token) is retried like a transient
 * failure (an operator fixes the credentials, the jobs wait), with the
 * store's code in err.
 */
static djass_upload_e
djass_upload_s3_put(const djass_conf_t *conf, const char *file,
    const char *rel, long long size, char *err, size_t len)
{
    char               key[DJASS_S3_KEY_MAX + 1], sha[DJASS_SHA256_HEX];
    long long          n;
    djass_s3_rc_e      rc;
    djass_s3_client_t  c;

    if (djass_s3_key(conf->s3, rel, key, sizeof(key)) != 0) {
        snprintf(err, len, "The artifact's S3 key is too long.");
        return DJASS_UPLOAD_PERMANENT;
    }

    if (djass_file_digest(file, &n, sha) != 0 || n != size) {
        snprintf(err, len, "Cannot read the ZIP to upload it.");
        return DJASS_UPLOAD_PERMANENT;
    }

    memset(&c, 0, sizeof(c));
    c.s3 = conf->s3;
    c.creds = &djass_s3_creds;

    djass_debug("artifact %s: PUT s3://%s/%s, %lld bytes, "
                "x-amz-content-sha256 %s", rel, conf->s3->bucket, key, size,
                sha);

    rc = djass_s3_put_file(&c, key, file, size, sha, "application/zip", err,
                           len);

    if (rc == DJASS_S3_OK) {
        /* what the store holds now, before "ready" says so: a proxy or
         * a portal may answer 200 to anything */
        rc = djass_s3_head(&c, key, &n, err, len);

        if (rc == DJASS_S3_NOT_FOUND
            || (rc == DJASS_S3_OK && n != size))
        {
            snprintf(err, len, "The S3 store holds %lld bytes instead of "
                     "%lld after the upload.", rc == DJASS_S3_OK ? n : -1LL,
                     size);
            return DJASS_UPLOAD_TRANSIENT;
        }
    }

    switch (rc) {
    case DJASS_S3_OK:
        return DJASS_UPLOAD_OK;

    case DJASS_S3_DENIED:
        /* err has the store's code (InvalidAccessKeyId,
         * SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied) */
        return DJASS_UPLOAD_DENIED;

    case DJASS_S3_TRANSIENT:
        return DJASS_UPLOAD_TRANSIENT;

    case DJASS_S3_NOT_FOUND:
        /* NoSuchBucket: an operator's to fix, jobs wait for it */
        return DJASS_UPLOAD_DENIED;

    default:
        return DJASS_UPLOAD_PERMANENT;
    }
}


int
djass_upload_is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}


static size_t
djass_upload_discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}


static CURL *
djass_upload_handle(const djass_conf_t *conf, const char *rel,
    struct curl_slist **headers, char *err, size_t len)
{
    CURL    *c;
    char    *url;
    size_t   n;

    if (!djass_curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            snprintf(err, len, "cannot initialise libcurl");
            return NULL;
        }

        djass_curl_ready = 1;
    }

    n = strlen(conf->artifacts_url) + strlen(rel) + 1;
    url = malloc(n);
    c = curl_easy_init();

    if (url == NULL || c == NULL) {
        free(url);
        if (c) {
            curl_easy_cleanup(c);
        }
        snprintf(err, len, "out of memory");
        return NULL;
    }

    snprintf(url, n, "%s%s", conf->artifacts_url, rel);

    /* an empty Expect: no 100-continue round trip before the body */
    *headers = curl_slist_append(NULL, "Expect:");
    if (conf->artifacts_header && conf->artifacts_header[0]) {
        *headers = curl_slist_append(*headers, conf->artifacts_header);
    }

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) DJASS_UPLOAD_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) DJASS_UPLOAD_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, djass_upload_discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

    free(url);      /* libcurl keeps its own copy */

    return c;
}


/* one request of c, and what its answer (*status) means */
static djass_upload_e
djass_upload_perform(CURL *c, const char *what, long *status, char *err,
    size_t len)
{
    CURLcode  rc;

    *status = 0;

    rc = curl_easy_perform(c);

    if (rc != CURLE_OK) {
        snprintf(err, len, "The artifact store cannot be reached (%s).",
                 curl_easy_strerror(rc));
        return DJASS_UPLOAD_TRANSIENT;
    }

    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);

    if (*status >= 200 && *status < 300) {
        return DJASS_UPLOAD_OK;
    }

    snprintf(err, len, "The artifact store answered %s with HTTP %ld.",
             what, *status);

    return (*status >= 500 || *status == 408 || *status == 429)
           ? DJASS_UPLOAD_TRANSIENT : DJASS_UPLOAD_PERMANENT;
}


djass_upload_e
djass_upload_put(const djass_conf_t *conf, const char *file, const char *rel,
    long long size, char *err, size_t len)
{
    FILE               *f;
    CURL               *c;
    long                status;
    curl_off_t          stored;
    djass_upload_e      res;
    struct curl_slist  *headers;

    if (conf->s3) {
        return djass_upload_s3_put(conf, file, rel, size, err, len);
    }

    f = fopen(file, "rbe");
    if (f == NULL) {
        snprintf(err, len, "Cannot read the ZIP to upload it.");
        return DJASS_UPLOAD_PERMANENT;
    }

    headers = NULL;
    c = djass_upload_handle(conf, rel, &headers, err, len);
    if (c == NULL) {
        fclose(f);
        return DJASS_UPLOAD_TRANSIENT;
    }

    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, f);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) size);

    res = djass_upload_perform(c, "the upload", &status, err, len);
    fclose(f);

    if (res != DJASS_UPLOAD_OK) {
        goto done;
    }

    /* what the store holds now: the size, before "ready" says so */
    curl_easy_setopt(c, CURLOPT_UPLOAD, 0L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);

    res = djass_upload_perform(c, "the check of the upload", &status, err,
                               len);
    if (res != DJASS_UPLOAD_OK) {
        if (status == 404) {
            /* gone again, or not visible yet: another try */
            res = DJASS_UPLOAD_TRANSIENT;
        }

        goto done;
    }

    stored = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &stored);

    if (stored != (curl_off_t) size) {
        snprintf(err, len, "The artifact store holds %lld bytes instead of "
                 "%lld after the upload.", (long long) stored, size);
        res = DJASS_UPLOAD_TRANSIENT;
    }

done:

    curl_easy_cleanup(c);
    curl_slist_free_all(headers);

    return res;
}


int
djass_upload_publish(const djass_conf_t *conf, const char *file,
    const char *rel, long long size, int (*tick)(void *data), void *data,
    char *err, size_t len)
{
    int             ms, wait, tries, denied;
    long long       t0;
    djass_upload_e  rc;

    ms = DJASS_UPLOAD_BACKOFF_MIN;
    t0 = djass_now_ms();
    denied = 0;

    for (tries = 1; ; tries++) {
        if (djass_reload) {
            djass_upload_s3_reload(conf);
        }

        rc = djass_upload_put(conf, file, rel, size, err, len);

        if (rc == DJASS_UPLOAD_OK) {
            if (tries > 1) {
                djass_log("artifact %s: uploaded after %d tries in %lld ms",
                          rel, tries, djass_now_ms() - t0);
            }

            return 0;
        }

        if (rc == DJASS_UPLOAD_PERMANENT) {
            return 1;
        }

        if (rc == DJASS_UPLOAD_DENIED) {
            /* once per job: the store's code says what to fix */
            if (!denied) {
                djass_log("artifact %s: %s: the store refuses this worker "
                          "(credentials, clock or policy); retrying with "
                          "backoff, fix the credentials and send SIGHUP",
                          rel, err);
                denied = 1;
            }

        } else if (tries == 1) {
            djass_log("artifact %s: %s Retrying with backoff (a transient "
                      "storage error).", rel, err);

        } else {
            djass_debug("artifact %s: %s Next try in %d ms.", rel, err, ms);
        }

        if (tick(data) != 0) {
            return -1;
        }

        /* jittered; the heartbeat must still come every third of the
         * visibility timeout, to keep the job this worker's */
        wait = ms / 2 + rand() % (ms / 2 + 1);
        if (wait > conf->visibility_ms / 3) {
            wait = conf->visibility_ms / 3;
        }

        djass_redis_sleep(wait, 1);

        if (djass_stop >= 1) {
            djass_log("artifact %s: stopped before the upload succeeded; "
                      "the job will be redone", rel);
            return -1;
        }

        ms = ms * 2 > DJASS_UPLOAD_BACKOFF_MAX ? DJASS_UPLOAD_BACKOFF_MAX
                                               : ms * 2;
    }
}


/*
 * An S3 store's removal: one signed DELETE.  S3 answers 204 whether the
 * object was there or not, and a 404 (some stores) is done too; 403 and
 * NoSuchBucket wait for an operator like the upload's, transient
 * failures are retried.
 */
static djass_upload_e
djass_upload_s3_delete(const djass_conf_t *conf, const char *rel, char *err,
    size_t len)
{
    char               key[DJASS_S3_KEY_MAX + 1];
    djass_s3_rc_e      rc;
    djass_s3_client_t  c;

    if (djass_reload) {
        djass_upload_s3_reload(conf);
    }

    if (djass_s3_key(conf->s3, rel, key, sizeof(key)) != 0) {
        snprintf(err, len, "The artifact's S3 key is too long.");
        return DJASS_UPLOAD_PERMANENT;
    }

    memset(&c, 0, sizeof(c));
    c.s3 = conf->s3;
    c.creds = &djass_s3_creds;

    djass_debug("artifact %s: DELETE s3://%s/%s", rel, conf->s3->bucket, key);

    rc = djass_s3_delete(&c, key, err, len);

    switch (rc) {
    case DJASS_S3_OK:
        return DJASS_UPLOAD_OK;

    case DJASS_S3_NOT_FOUND:
        /* NoSuchKey: gone already; NoSuchBucket: an operator's to fix */
        return strcmp(c.code, "NoSuchBucket") == 0 ? DJASS_UPLOAD_DENIED
                                                   : DJASS_UPLOAD_OK;

    case DJASS_S3_DENIED:
        return DJASS_UPLOAD_DENIED;

    case DJASS_S3_TRANSIENT:
        return DJASS_UPLOAD_TRANSIENT;

    default:
        return DJASS_UPLOAD_PERMANENT;
    }
}


djass_upload_e
djass_upload_delete(const djass_conf_t *conf, const char *rel, char *err,
    size_t len)
{
    CURL               *c;
    long                status;
    djass_upload_e      res;
    struct curl_slist  *headers;

    if (conf->s3) {
        return djass_upload_s3_delete(conf, rel, err, len);
    }

    headers = NULL;
    c = djass_upload_handle(conf, rel, &headers, err, len);
    if (c == NULL) {
        return DJASS_UPLOAD_TRANSIENT;
    }

    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");

    res = djass_upload_perform(c, "the removal", &status, err, len);

    /* not there (any more): what the removal wants */
    if (res == DJASS_UPLOAD_PERMANENT && (status == 404 || status == 410)) {
        res = DJASS_UPLOAD_OK;
    }

    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return res;
}


static size_t
djass_upload_write(char *p, size_t size, size_t n, void *data)
{
    return fwrite(p, size, n, data) * size;
}


djass_upload_e
djass_upload_get(const djass_conf_t *conf, const char *rel, const char *file,
    char *err, size_t len)
{
    FILE               *f;
    CURL               *c;
    char               *url, key[DJASS_S3_KEY_MAX + 1];
    long                status;
    djass_upload_e      res;
    struct curl_slist  *headers;

    headers = NULL;

    if (conf->s3) {
        /* a presigned GET: the same signing as nginx's downloads */
        url = djass_s3_key(conf->s3, rel, key, sizeof(key)) == 0
              ? djass_s3_presign(conf->s3, &djass_s3_creds, key, 300,
                                 (long long) time(NULL))
              : NULL;
        c = url ? curl_easy_init() : NULL;

        if (c) {
            curl_easy_setopt(c, CURLOPT_URL, url);
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                             (long) DJASS_UPLOAD_CONNECT_MS);
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                             (long) DJASS_UPLOAD_TIMEOUT_MS);
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        }

        free(url);

        if (c == NULL) {
            snprintf(err, len, "Cannot sign the store's GET of %s.", rel);
            return DJASS_UPLOAD_TRANSIENT;
        }

    } else {
        c = djass_upload_handle(conf, rel, &headers, err, len);
        if (c == NULL) {
            return DJASS_UPLOAD_TRANSIENT;
        }
    }

    f = fopen(file, "wbe");
    if (f == NULL) {
        snprintf(err, len, "Cannot write the work folder (%s).",
                 strerror(errno));
        res = DJASS_UPLOAD_TRANSIENT;
        goto done;
    }

    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, djass_upload_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);

    res = djass_upload_perform(c, "the GET", &status, err, len);

    if (fclose(f) != 0 && res == DJASS_UPLOAD_OK) {
        snprintf(err, len, "Cannot write the work folder.");
        res = DJASS_UPLOAD_TRANSIENT;
    }

done:

    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return res;
}
