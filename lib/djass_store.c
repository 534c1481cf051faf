/*
 * The artifact store's operations for each kind of store (see
 * djass_store.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <openssl/evp.h>

#include "djass_store.h"


int
djass_store_option(djass_store_opts_t *o, const char *opt, const char *value)
{
    if (strcmp(opt, "--artifacts") == 0) {
        o->artifacts = value;

    } else if (strcmp(opt, "--s3-endpoint") == 0) {
        o->s3_endpoint = value;

    } else if (strcmp(opt, "--s3-region") == 0) {
        o->s3_region = value;

    } else if (strcmp(opt, "--s3-credentials") == 0) {
        o->s3_credentials = value;

    } else {
        return 0;
    }

    return 1;
}


int
djass_store_open(const djass_store_opts_t *o, djass_store_t *st, char *err,
    size_t len)
{
    size_t  n;

    memset(st, 0, sizeof(djass_store_t));

    if (o->artifacts == NULL || o->artifacts[0] == '\0') {
        snprintf(err, len, "--artifacts is required");
        return -1;
    }

    if (!djass_s3_is_url(o->artifacts)
        && (o->s3_endpoint || o->s3_region || o->s3_credentials))
    {
        snprintf(err, len, "--s3-endpoint, --s3-region and --s3-credentials "
                 "go with --artifacts s3://BUCKET");
        return -1;
    }

    n = strlen(o->artifacts);
    st->location = malloc(n + 2);
    if (st->location == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    memcpy(st->location, o->artifacts, n + 1);

    if (djass_s3_is_url(o->artifacts)) {
        st->kind = DJASS_STORE_S3;
        st->s3_credentials = o->s3_credentials;

        if (djass_s3_parse(o->artifacts, o->s3_endpoint, o->s3_region,
                           &st->s3, err, len) != 0
            || djass_s3_creds_load(o->s3_credentials, &st->creds, err, len)
               != 0)
        {
            djass_store_close(st);
            return -1;
        }

        st->client.s3 = &st->s3;
        st->client.creds = &st->creds;
        return 0;
    }

    if (strncmp(o->artifacts, "http://", 7) == 0
        || strncmp(o->artifacts, "https://", 8) == 0)
    {
        st->kind = DJASS_STORE_HTTP;

    } else {
        st->kind = DJASS_STORE_FOLDER;
    }

    while (n > 1 && st->location[n - 1] == '/') {
        st->location[--n] = '\0';
    }

    if (st->kind == DJASS_STORE_HTTP) {
        st->location[n] = '/';
        st->location[n + 1] = '\0';
    }

    return 0;
}


int
djass_store_reload(djass_store_t *st, char *err, size_t len)
{
    djass_s3_creds_t  c;

    if (st->kind != DJASS_STORE_S3) {
        return 0;
    }

    if (djass_s3_creds_load(st->s3_credentials, &c, err, len) != 0) {
        return -1;
    }

    st->creds = c;
    djass_s3_creds_clear(&c);
    return 0;
}


void
djass_store_close(djass_store_t *st)
{
    free(st->location);
    djass_s3_creds_clear(&st->creds);
    memset(st, 0, sizeof(djass_store_t));
}


/* a relative path of plain names: no "..", no leading "/" */
static int
djass_store_rel_ok(const char *rel)
{
    return rel[0] != '\0' && rel[0] != '/' && strstr(rel, "..") == NULL
           && strstr(rel, "//") == NULL;
}


static int
djass_store_s3_rc(djass_s3_rc_e rc)
{
    switch (rc) {
    case DJASS_S3_OK:
        return 0;
    case DJASS_S3_TRANSIENT:
    case DJASS_S3_DENIED:
        return 1;
    default:
        return -1;
    }
}


/* PUT or DELETE of an HTTP store's URL + rel */
static int
djass_store_http(djass_store_t *st, const char *method, const char *file,
    const char *rel, char *err, size_t len)
{
    int                 rc;
    FILE               *f;
    CURL               *h;
    long                status;
    char               *url;
    CURLcode            cc;
    struct stat         sb;

    url = malloc(strlen(st->location) + strlen(rel) + 1);
    h = curl_easy_init();
    f = NULL;

    if (url == NULL || h == NULL) {
        free(url);
        if (h) {
            curl_easy_cleanup(h);
        }
        snprintf(err, len, "out of memory");
        return 1;
    }

    sprintf(url, "%s%s", st->location, rel);

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

    if (file) {
        f = fopen(file, "rbe");
        if (f == NULL || fstat(fileno(f), &sb) != 0) {
            snprintf(err, len, "cannot read the file to upload");
            rc = -1;
            goto done;
        }

        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, f);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t) sb.st_size);

    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }

    cc = curl_easy_perform(h);

    if (cc != CURLE_OK) {
        snprintf(err, len, "the artifact store cannot be reached (%s)",
                 curl_easy_strerror(cc));
        rc = 1;
        goto done;
    }

    status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    if ((status >= 200 && status < 300) || (!file && status == 404)) {
        rc = 0;

    } else {
        snprintf(err, len, "the artifact store answered %s with HTTP %ld",
                 method, status);
        rc = (status >= 500 || status == 408 || status == 429) ? 1 : -1;
    }

done:

    if (f) {
        fclose(f);
    }

    curl_easy_cleanup(h);
    free(url);
    return rc;
}


/* a folder: a copy into .tmp/, renamed into place */
static int
djass_store_folder_put(djass_store_t *st, const char *file, const char *rel,
    char *err, size_t len)
{
    int      in, out, rc;
    char     dst[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX], *s, buf[65536];
    ssize_t  n;

    if (snprintf(dst, sizeof(dst), "%s/%s", st->location, rel)
        >= (int) sizeof(dst)
        || snprintf(tmp, sizeof(tmp), "%s/.tmp/put.%d", st->location,
                    (int) getpid()) >= (int) sizeof(tmp))
    {
        snprintf(err, len, "the artifact's path is too long");
        return -1;
    }

    /* the folders on the way, as the worker makes them */
    memcpy(dir, dst, sizeof(dir));
    for (s = dir + strlen(st->location) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        (void) mkdir(dir, 0755);
        *s = '/';
    }

    snprintf(dir, sizeof(dir), "%s/.tmp", st->location);
    (void) mkdir(dir, 0755);

    in = open(file, O_RDONLY | O_CLOEXEC);
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    rc = (in >= 0 && out >= 0) ? 0 : -1;

    while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 || write(out, buf, n) != n) {
            rc = -1;
        }
    }

    if (rc == 0 && (fsync(out) != 0 || rename(tmp, dst) != 0)) {
        rc = -1;
    }

    if (rc != 0) {
        snprintf(err, len, "cannot write %s into the artifact store (%s)",
                 rel, strerror(errno));
        (void) unlink(tmp);
    }

    if (in >= 0) {
        close(in);
    }

    if (out >= 0) {
        close(out);
    }

    return rc;
}


int
djass_store_put(djass_store_t *st, const char *file, const char *rel,
    char *err, size_t len)
{
    char            key[DJASS_S3_KEY_MAX + 1], sha[DJASS_SHA256_HEX];
    FILE           *f;
    size_t          n;
    long long       size;
    unsigned char   buf[65536];

    if (!djass_store_rel_ok(rel)) {
        snprintf(err, len, "not an artifact's relative path");
        return -1;
    }

    if (st->kind == DJASS_STORE_FOLDER) {
        return djass_store_folder_put(st, file, rel, err, len);
    }

    if (st->kind == DJASS_STORE_HTTP) {
        return djass_store_http(st, "PUT", file, rel, err, len);
    }

    if (djass_s3_key(&st->s3, rel, key, sizeof(key)) != 0) {
        snprintf(err, len, "the artifact's S3 key is too long");
        return -1;
    }

    /* the SHA-256 and the size of the bytes sent */
    f = fopen(file, "rbe");
    if (f == NULL) {
        snprintf(err, len, "cannot read the file to upload");
        return -1;
    }

    size = 0;

    {
        EVP_MD_CTX    *md;
        unsigned int   mdlen, i;
        unsigned char  d[EVP_MAX_MD_SIZE];

        md = EVP_MD_CTX_new();
        if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
            EVP_MD_CTX_free(md);
            fclose(f);
            snprintf(err, len, "out of memory");
            return 1;
        }

        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            EVP_DigestUpdate(md, buf, n);
            size += (long long) n;
        }

        EVP_DigestFinal_ex(md, d, &mdlen);
        EVP_MD_CTX_free(md);

        for (i = 0; i < mdlen; i++) {
            snprintf(sha + 2 * i, 3, "%02x", d[i]);
        }
    }

    fclose(f);

    return djass_store_s3_rc(djass_s3_put_file(&st->client, key, file, size,
                                               sha, "application/zip", err,
                                               len));
}


int
djass_store_delete(djass_store_t *st, const char *rel, char *err,
    size_t len)
{
    char  path[PATH_MAX], key[DJASS_S3_KEY_MAX + 1];

    if (!djass_store_rel_ok(rel)) {
        snprintf(err, len, "not an artifact's relative path");
        return -1;
    }

    switch (st->kind) {

    case DJASS_STORE_FOLDER:
        if (snprintf(path, sizeof(path), "%s/%s", st->location, rel)
            >= (int) sizeof(path))
        {
            snprintf(err, len, "the artifact's path is too long");
            return -1;
        }

        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, len, "cannot remove %s (%s)", rel,
                     strerror(errno));
            return errno == EROFS || errno == EACCES || errno == EPERM
                   ? -1 : 1;
        }

        return 0;

    case DJASS_STORE_HTTP:
        return djass_store_http(st, "DELETE", NULL, rel, err, len);

    default:
        if (djass_s3_key(&st->s3, rel, key, sizeof(key)) != 0) {
            snprintf(err, len, "the artifact's S3 key is too long");
            return -1;
        }

        return djass_store_s3_rc(djass_s3_delete(&st->client, key, err,
                                                 len));
    }
}


typedef struct {
    int        (*each)(void *data, const char *rel, long long size);
    void        *data;
    size_t       prefix;
    int          rc;
} djass_store_walk_t;


static int
djass_store_s3_each(void *data, const djass_s3_object_t *o)
{
    djass_store_walk_t  *w = data;

    if (strlen(o->key) <= w->prefix) {
        return 0;
    }

    w->rc = w->each(w->data, o->key + w->prefix, o->size);
    return w->rc;
}


/* a folder: projects/NNN/ID.zip */
static int
djass_store_folder_list(djass_store_t *st, djass_store_walk_t *w, char *err,
    size_t len)
{
    int             rc;
    DIR            *top, *d;
    char            path[PATH_MAX], rel[PATH_MAX];
    size_t          n;
    struct stat     sb;
    struct dirent  *e, *f;

    snprintf(path, sizeof(path), "%s/projects", st->location);

    top = opendir(path);
    if (top == NULL) {
        if (errno == ENOENT) {
            return 0;
        }

        snprintf(err, len, "cannot list the artifact store (%s)",
                 strerror(errno));
        return -1;
    }

    rc = 0;

    while (rc == 0 && (e = readdir(top)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }

        snprintf(path, sizeof(path), "%s/projects/%s", st->location,
                 e->d_name);

        d = opendir(path);
        if (d == NULL) {
            continue;
        }

        while (rc == 0 && (f = readdir(d)) != NULL) {
            n = strlen(f->d_name);
            if (f->d_name[0] == '.' || n < 5
                || strcmp(f->d_name + n - 4, ".zip") != 0)
            {
                continue;
            }

            if (snprintf(rel, sizeof(rel), "projects/%s/%s", e->d_name,
                         f->d_name) >= (int) sizeof(rel)
                || snprintf(path, sizeof(path), "%s/%s", st->location, rel)
                   >= (int) sizeof(path))
            {
                continue;
            }

            rc = w->each(w->data, rel,
                         stat(path, &sb) == 0 ? (long long) sb.st_size : -1);
        }

        closedir(d);
    }

    closedir(top);
    return rc;
}


int
djass_store_list(djass_store_t *st,
    int (*each)(void *data, const char *rel, long long size), void *data,
    char *err, size_t len)
{
    char                prefix[DJASS_S3_KEY_MAX + 1];
    djass_s3_rc_e       rc;
    djass_store_walk_t  w;

    w.each = each;
    w.data = data;
    w.rc = 0;

    switch (st->kind) {

    case DJASS_STORE_FOLDER:
        return djass_store_folder_list(st, &w, err, len);

    case DJASS_STORE_HTTP:
        snprintf(err, len, "an HTTP artifact store cannot be listed");
        return -1;

    default:
        w.prefix = strlen(st->s3.prefix);

        if (djass_s3_key(&st->s3, "projects/", prefix, sizeof(prefix)) != 0)
        {
            snprintf(err, len, "the S3 prefix is too long");
            return -1;
        }

        rc = djass_s3_list(&st->client, prefix, djass_store_s3_each, &w, err,
                           len);
        if (rc == DJASS_S3_FAILED && w.rc) {
            return w.rc;
        }

        return djass_store_s3_rc(rc);
    }
}


char *
djass_store_presign(djass_store_t *st, const char *rel, long ttl)
{
    char  key[DJASS_S3_KEY_MAX + 1];

    if (st->kind != DJASS_STORE_S3 || !djass_store_rel_ok(rel)
        || djass_s3_key(&st->s3, rel, key, sizeof(key)) != 0)
    {
        return NULL;
    }

    return djass_s3_presign(&st->s3, &st->creds, key, ttl,
                            (long long) time(NULL));
}
