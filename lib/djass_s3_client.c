/*
 * S3 requests with libcurl (see djass_s3_client.h).  Credentials and the
 * Authorization header never reach an error message: err says what was
 * done and what the store answered (status, its error code), nothing of
 * what was sent.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "djass_buf.h"
#include "djass_s3_client.h"


#define DJASS_S3_CONNECT_MS   3000
#define DJASS_S3_TIMEOUT_MS   60000
#define DJASS_S3_REPLY_MAX    (8 << 20)      /* a listing page's XML */


static int  djass_s3_curl_ready;


const char *
djass_s3_rc_text(djass_s3_rc_e rc)
{
    switch (rc) {
    case DJASS_S3_OK:
        return "ok";
    case DJASS_S3_TRANSIENT:
        return "transient failure";
    case DJASS_S3_DENIED:
        return "access denied";
    case DJASS_S3_NOT_FOUND:
        return "not found";
    default:
        return "failed";
    }
}


/*
 * The 400s that say the configuration is wrong (an expired session token,
 * a region that is not the bucket's), not the request: like 403.
 */
static int
djass_s3_config_code(const char *code)
{
    static const char  *codes[] = {
        "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "AuthorizationHeaderMalformed", "InvalidAccessKeyId", NULL
    };

    const char  **p;

    for (p = codes; *p; p++) {
        if (strcmp(code, *p) == 0) {
            return 1;
        }
    }

    return 0;
}


static size_t
djass_s3_collect(char *p, size_t size, size_t n, void *data)
{
    djass_buf_t  *b = data;

    djass_buf_add(b, p, size * n);
    return djass_buf_failed(b) ? 0 : size * n;
}


/*
 * One signed request: method on key (NULL: the bucket) with query q;
 * the reply's body into body (NULL: discarded).  upload: a file to send.
 */
static djass_s3_rc_e
djass_s3_request(djass_s3_client_t *c, const char *method, const char *key,
    const djass_sigv4_pair_t *q, size_t nq, FILE *upload, long long size,
    const char *sha, const char *type, djass_buf_t *body, long long *length,
    char *err, size_t len)
{
    CURL               *h;
    size_t              i;
    CURLcode            rc;
    curl_off_t          cl;
    djass_buf_t         reply;
    djass_s3_rc_e       res;
    djass_s3_req_t      req;
    djass_s3_list_t     doc;
    struct curl_slist  *headers, *l;
    char                line[128];

    c->code[0] = '\0';
    c->status = 0;

    if (!djass_s3_curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            snprintf(err, len, "cannot initialise libcurl");
            return DJASS_S3_TRANSIENT;
        }

        djass_s3_curl_ready = 1;
    }

    if (djass_s3_sign(c->s3, c->creds, method, key, q, nq, sha, NULL, 0,
                      (long long) time(NULL), &req)
        != 0)
    {
        snprintf(err, len, "cannot sign the S3 request (a name too long, "
                 "or out of memory)");
        return DJASS_S3_FAILED;
    }

    h = curl_easy_init();
    headers = curl_slist_append(NULL, "Expect:");

    for (i = 0; headers && i < req.nheaders; i++) {
        l = curl_slist_append(headers, req.headers[i]);
        if (l == NULL) {
            curl_slist_free_all(headers);
            headers = NULL;
        }
        headers = l;
    }

    if (headers && type) {
        snprintf(line, sizeof(line), "Content-Type: %s", type);
        l = curl_slist_append(headers, line);
        if (l == NULL) {
            curl_slist_free_all(headers);
        }
        headers = l;
    }

    if (h == NULL || headers == NULL) {
        if (h) {
            curl_easy_cleanup(h);
        }
        curl_slist_free_all(headers);
        djass_s3_req_free(&req);
        snprintf(err, len, "out of memory");
        return DJASS_S3_TRANSIENT;
    }

    memset(&reply, 0, sizeof(reply));
    reply.max = DJASS_S3_REPLY_MAX;

    curl_easy_setopt(h, CURLOPT_URL, req.url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     c->connect_ms ? c->connect_ms : DJASS_S3_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     c->timeout_ms ? c->timeout_ms : DJASS_S3_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, djass_s3_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);

    if (upload) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, upload);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) size);

    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);

    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }

    rc = curl_easy_perform(h);

    if (rc != CURLE_OK) {
        snprintf(err, len, "the S3 store cannot be reached (%s)",
                 curl_easy_strerror(rc));
        res = DJASS_S3_TRANSIENT;
        goto done;
    }

    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);

    if (length) {
        cl = -1;
        curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        *length = (long long) cl;
    }

    if (c->status >= 200 && c->status < 300) {
        res = DJASS_S3_OK;
        if (body && reply.len) {
            djass_buf_add(body, reply.data, reply.len);
        }
        goto done;
    }

    /* an error document: its code, for the log (HEAD has none); a code
     * is a word, anything else in it is the store's and not logged raw */
    if (reply.len && djass_s3_xml_parse(reply.data, reply.len, &doc) == 0) {
        snprintf(c->code, sizeof(c->code), "%s", doc.code);
        djass_s3_list_free(&doc);

        for (i = 0; c->code[i]; i++) {
            if (!isalnum((unsigned char) c->code[i])) {
                c->code[i] = '?';
            }
        }
    }

    if (c->status == 403 || (c->status >= 300 && c->status < 400)
        || (c->status == 400 && djass_s3_config_code(c->code)))
    {
        /* the credentials, the region or the endpoint: an operator's to
         * fix, not the request's */
        res = DJASS_S3_DENIED;

    } else if (c->status == 404) {
        res = DJASS_S3_NOT_FOUND;

    } else if (c->status >= 500 || c->status == 408 || c->status == 429) {
        res = DJASS_S3_TRANSIENT;

    } else {
        res = DJASS_S3_FAILED;
    }

    snprintf(err, len, "the S3 store answered %s with HTTP %ld%s%s%s",
             method, c->status, c->code[0] ? " (" : "", c->code,
             c->code[0] ? ")" : "");

done:

    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    djass_buf_free(&reply);
    djass_s3_req_free(&req);

    return res;
}


djass_s3_rc_e
djass_s3_put_file(djass_s3_client_t *c, const char *key, const char *file,
    long long size, const char *sha, const char *type, char *err, size_t len)
{
    FILE           *f;
    djass_s3_rc_e   rc;

    f = fopen(file, "rbe");
    if (f == NULL) {
        snprintf(err, len, "cannot read the file to upload");
        return DJASS_S3_FAILED;
    }

    rc = djass_s3_request(c, "PUT", key, NULL, 0, f, size, sha, type, NULL,
                          NULL, err, len);
    fclose(f);

    return rc;
}


djass_s3_rc_e
djass_s3_head(djass_s3_client_t *c, const char *key, long long *size,
    char *err, size_t len)
{
    return djass_s3_request(c, "HEAD", key, NULL, 0, NULL, 0, NULL, NULL,
                            NULL, size, err, len);
}


djass_s3_rc_e
djass_s3_delete(djass_s3_client_t *c, const char *key, char *err,
    size_t len)
{
    return djass_s3_request(c, "DELETE", key, NULL, 0, NULL, 0, NULL, NULL,
                            NULL, NULL, err, len);
}


djass_s3_rc_e
djass_s3_list(djass_s3_client_t *c, const char *prefix,
    int (*each)(void *data, const djass_s3_object_t *o), void *data,
    char *err, size_t len)
{
    int                 pages;
    char                max[16], *token;
    size_t              i, nq;
    djass_buf_t         body;
    djass_s3_rc_e       rc;
    djass_s3_list_t     l;
    djass_sigv4_pair_t  q[4];

    token = NULL;

    for (pages = 0; ; pages++) {
        nq = 0;
        q[nq].name = "list-type";
        q[nq++].value = "2";
        q[nq].name = "prefix";
        q[nq++].value = prefix;
        if (c->max_keys > 0) {
            snprintf(max, sizeof(max), "%d", c->max_keys);
            q[nq].name = "max-keys";
            q[nq++].value = max;
        }
        if (token) {
            q[nq].name = "continuation-token";
            q[nq++].value = token;
        }

        memset(&body, 0, sizeof(body));
        rc = djass_s3_request(c, "GET", NULL, q, nq, NULL, 0, NULL, NULL,
                              &body, NULL, err, len);
        free(token);
        token = NULL;

        if (rc != DJASS_S3_OK) {
            djass_buf_free(&body);
            return rc;
        }

        if (body.len == 0
            || djass_s3_xml_parse(body.data, body.len, &l) != 0
            || l.code[0])
        {
            djass_buf_free(&body);
            snprintf(err, len, "the S3 store's listing is not a "
                     "ListBucketResult");
            return DJASS_S3_FAILED;
        }

        djass_buf_free(&body);

        for (i = 0; i < l.nobjects; i++) {
            if (each(data, &l.objects[i]) != 0) {
                djass_s3_list_free(&l);
                return DJASS_S3_FAILED;
            }
        }

        if (!l.truncated) {
            djass_s3_list_free(&l);
            return DJASS_S3_OK;
        }

        token = l.next_token;
        l.next_token = NULL;
        djass_s3_list_free(&l);

        if (pages > 1000000) {
            free(token);
            snprintf(err, len, "the S3 listing does not end");
            return DJASS_S3_FAILED;
        }
    }
}
