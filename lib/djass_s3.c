/*
 * S3 addressing, credentials and signed requests (see djass_s3.h).
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "djass_s3.h"


#define DJASS_S3_EMPTY_SHA                                                    \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


int
djass_s3_is_url(const char *s)
{
    return strncmp(s, DJASS_S3_SCHEME, sizeof(DJASS_S3_SCHEME) - 1) == 0;
}


/* S3's bucket names: 3..63 of lowercase letters, digits, "." and "-",
 * starting and ending with a letter or digit */
static int
djass_s3_bucket_ok(const char *b, size_t n)
{
    size_t  i;

    if (n < 3 || n > 63 || !isalnum((unsigned char) b[0])
        || !isalnum((unsigned char) b[n - 1]))
    {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9')
              || b[i] == '.' || b[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/* a region or a host: letters, digits, ".", "-", "_" (and ":" "[" "]"
 * in a host) */
static int
djass_s3_token_ok(const char *s, size_t n, int host)
{
    size_t  i;

    if (n == 0) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!(isalnum((unsigned char) s[i]) || s[i] == '.' || s[i] == '-'
              || s[i] == '_' || (host && (s[i] == ':' || s[i] == '['
                                          || s[i] == ']'))))
        {
            return 0;
        }
    }

    return 1;
}


/* a "." or ".." segment: clients (libcurl) and proxies remove them, so
 * what is signed would not be what is sent, nor the same key */
static int
djass_s3_dot_segment(const char *s, size_t n)
{
    size_t  i, k;

    for (i = 0; i < n; i = k + 1) {
        for (k = i; k < n && s[k] != '/'; k++) { /* void */ }

        if ((k - i == 1 && s[i] == '.')
            || (k - i == 2 && s[i] == '.' && s[i + 1] == '.'))
        {
            return 1;
        }
    }

    return 0;
}


static int
djass_s3_endpoint(const char *endpoint, djass_s3_t *s3, char *err,
    size_t len)
{
    long         port;
    char        *end;
    size_t       n;
    const char  *h, *slash, *colon, *hend;

    if (strncmp(endpoint, "http://", 7) == 0) {
        h = endpoint + 7;
        s3->https = 0;
        s3->port = 80;

    } else if (strncmp(endpoint, "https://", 8) == 0) {
        h = endpoint + 8;
        s3->https = 1;
        s3->port = 443;

    } else {
        snprintf(err, len, "the S3 endpoint is not http(s)://HOST[:PORT]");
        return -1;
    }

    slash = strchr(h, '/');
    n = slash ? (size_t) (slash - h) : strlen(h);

    if (!djass_s3_token_ok(h, n, 1) || n >= sizeof(s3->host)
        || strpbrk(h, "?#@ ") != NULL)
    {
        snprintf(err, len, "the S3 endpoint's host is not usable");
        return -1;
    }

    memcpy(s3->host, h, n);
    s3->host[n] = '\0';

    if (s3->host[0] == '[') {
        hend = strchr(s3->host, ']');
        if (hend == NULL) {
            snprintf(err, len, "the S3 endpoint's host is not usable");
            return -1;
        }

        colon = hend[1] == ':' ? hend + 1 : NULL;
        if (hend[1] != '\0' && colon == NULL) {
            snprintf(err, len, "the S3 endpoint's host is not usable");
            return -1;
        }

        n = hend - s3->host - 1;
        memcpy(s3->connect_host, s3->host + 1, n);

    } else {
        colon = strchr(s3->host, ':');
        n = colon ? (size_t) (colon - s3->host) : strlen(s3->host);
        memcpy(s3->connect_host, s3->host, n);
    }

    s3->connect_host[n] = '\0';

    if (n == 0) {
        snprintf(err, len, "the S3 endpoint's host is not usable");
        return -1;
    }

    if (colon) {
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (errno || *end || end == colon + 1 || port < 1 || port > 65535) {
            snprintf(err, len, "the S3 endpoint's port is not a port");
            return -1;
        }

        s3->port = (int) port;
    }

    if (slash) {
        n = strlen(slash);
        while (n > 0 && slash[n - 1] == '/') {
            n--;
        }

        if (n >= sizeof(s3->base)) {
            snprintf(err, len, "the S3 endpoint's path is too long");
            return -1;
        }

        if (djass_s3_dot_segment(slash, n)) {
            snprintf(err, len, "the S3 endpoint's path is not usable");
            return -1;
        }

        memcpy(s3->base, slash, n);
        s3->base[n] = '\0';
    }

    return 0;
}


int
djass_s3_parse(const char *artifacts, const char *endpoint,
    const char *region, djass_s3_t *s3, char *err, size_t len)
{
    size_t       n;
    const char  *b, *slash;

    memset(s3, 0, sizeof(djass_s3_t));

    if (!djass_s3_is_url(artifacts)) {
        snprintf(err, len, "an S3 store is s3://BUCKET[/PREFIX]");
        return -1;
    }

    b = artifacts + sizeof(DJASS_S3_SCHEME) - 1;
    slash = strchr(b, '/');
    n = slash ? (size_t) (slash - b) : strlen(b);

    if (!djass_s3_bucket_ok(b, n)) {
        snprintf(err, len, "the S3 bucket name is not a bucket name "
                 "(3 to 63 of a-z, 0-9, \".\", \"-\")");
        return -1;
    }

    memcpy(s3->bucket, b, n);
    s3->bucket[n] = '\0';

    if (slash) {
        slash++;
        while (*slash == '/') {
            slash++;
        }

        n = strlen(slash);
        if (n + 2 > sizeof(s3->prefix) - 64 || strstr(slash, "//")
            || strpbrk(slash, "?#\\") || djass_s3_dot_segment(slash, n))
        {
            snprintf(err, len, "the S3 prefix is not usable");
            return -1;
        }

        memcpy(s3->prefix, slash, n + 1);
        if (n && s3->prefix[n - 1] != '/') {
            s3->prefix[n] = '/';
            s3->prefix[n + 1] = '\0';
        }
    }

    if (region == NULL || !djass_s3_token_ok(region, strlen(region), 0)
        || strlen(region) >= sizeof(s3->region))
    {
        snprintf(err, len, "the S3 region is missing or not a region name");
        return -1;
    }

    strcpy(s3->region, region);

    if (endpoint == NULL || endpoint[0] == '\0') {
        /* AWS: virtual-hosted style, the bucket in the host name */
        s3->https = 1;
        s3->port = 443;
        s3->virtual_hosted = 1;

        if (strchr(s3->bucket, '.') != NULL) {
            snprintf(err, len, "a bucket name with dots needs an explicit "
                     "S3 endpoint (path style): AWS's certificate does not "
                     "cover it");
            return -1;
        }

        snprintf(s3->host, sizeof(s3->host), "%s.s3.%s.amazonaws.com",
                 s3->bucket, s3->region);
        snprintf(s3->connect_host, sizeof(s3->connect_host), "%s",
                 s3->host);
        return 0;
    }

    return djass_s3_endpoint(endpoint, s3, err, len);
}


void
djass_s3_creds_clear(djass_s3_creds_t *c)
{
    volatile char  *p;
    size_t          i;

    p = (volatile char *) c;
    for (i = 0; i < sizeof(djass_s3_creds_t); i++) {
        p[i] = 0;
    }
}


static int
djass_s3_creds_set(djass_s3_creds_t *c, const char *name, const char *v,
    size_t n)
{
    char    *to;
    size_t   max;

    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0) {
        to = c->access_key;
        max = sizeof(c->access_key);

    } else if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0) {
        to = c->secret_key;
        max = sizeof(c->secret_key);

    } else if (strcmp(name, "AWS_SESSION_TOKEN") == 0) {
        to = c->session_token;
        max = sizeof(c->session_token);

    } else {
        return 0;       /* another variable: not ours */
    }

    if (n >= max) {
        return -1;
    }

    memcpy(to, v, n);
    to[n] = '\0';
    return 0;
}


/* a value may go into a header: printable ASCII, no space */
static int
djass_s3_creds_value_ok(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
djass_s3_creds_load(const char *path, djass_s3_creds_t *c, char *err,
    size_t len)
{
    int          lineno, rc;
    FILE        *f;
    char         line[8192], name[64], *p, *eq, *v, *e;
    size_t       n;
    const char  *env;
    struct stat  sb;

    djass_s3_creds_clear(c);
    rc = 0;

    if (path == NULL) {
        env = getenv("AWS_ACCESS_KEY_ID");
        if (env && djass_s3_creds_set(c, "AWS_ACCESS_KEY_ID", env,
                                      strlen(env)) != 0)
        {
            rc = -1;
        }

        env = getenv("AWS_SECRET_ACCESS_KEY");
        if (env && djass_s3_creds_set(c, "AWS_SECRET_ACCESS_KEY", env,
                                      strlen(env)) != 0)
        {
            rc = -1;
        }

        env = getenv("AWS_SESSION_TOKEN");
        if (env && djass_s3_creds_set(c, "AWS_SESSION_TOKEN", env,
                                      strlen(env)) != 0)
        {
            rc = -1;
        }

        if (rc != 0) {
            snprintf(err, len, "an AWS_* variable of the environment is "
                     "too long");
            djass_s3_creds_clear(c);
            return -1;
        }

        path = "the environment";
        goto check;
    }

    f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, len, "cannot read the S3 credentials file %s (%s)",
                 path, strerror(errno));
        return -1;
    }

    /* a secret every user of the host may read is no longer one */
    if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & (S_IROTH | S_IWOTH))) {
        snprintf(err, len, "the S3 credentials file %s is readable or "
                 "writable by every user (mode %04o): chmod o-rwx it",
                 path, (unsigned) (sb.st_mode & 07777));
        fclose(f);
        return -1;
    }

    for (lineno = 1; fgets(line, sizeof(line), f) != NULL; lineno++) {
        n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'
                         || line[n - 1] == ' ' || line[n - 1] == '\t'))
        {
            line[--n] = '\0';
        }

        p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }

        if (*p == '\0' || *p == '#') {
            continue;
        }

        if (strncmp(p, "export ", 7) == 0) {
            p += 7;
        }

        eq = strchr(p, '=');
        if (eq == NULL || (size_t) (eq - p) >= sizeof(name)) {
            snprintf(err, len, "%s, line %d: not NAME=value", path, lineno);
            rc = -1;
            break;
        }

        memcpy(name, p, eq - p);
        name[eq - p] = '\0';

        v = eq + 1;
        e = v + strlen(v);
        if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
            v++;
            e--;
        }

        if (djass_s3_creds_set(c, name, v, e - v) != 0) {
            snprintf(err, len, "%s, line %d: the value of %s is too long",
                     path, lineno, name);
            rc = -1;
            break;
        }
    }

    fclose(f);
    memset(line, 0, sizeof(line));

    if (rc != 0) {
        djass_s3_creds_clear(c);
        return -1;
    }

check:

    if (c->access_key[0] == '\0' || c->secret_key[0] == '\0') {
        snprintf(err, len, "%s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                 "are both needed", path);
        djass_s3_creds_clear(c);
        return -1;
    }

    if (!djass_s3_creds_value_ok(c->access_key)
        || !djass_s3_creds_value_ok(c->secret_key)
        || !djass_s3_creds_value_ok(c->session_token))
    {
        snprintf(err, len, "%s: an AWS_* value holds a space or a control "
                 "character", path);
        djass_s3_creds_clear(c);
        return -1;
    }

    return 0;
}


int
djass_s3_key(const djass_s3_t *s3, const char *rel, char *key, size_t len)
{
    if (snprintf(key, len, "%s%s", s3->prefix, rel) >= (int) len
        || strlen(key) > DJASS_S3_KEY_MAX)
    {
        return -1;
    }

    return 0;
}


/* the unencoded path of key (NULL: the bucket) */
static char *
djass_s3_path(const djass_s3_t *s3, const char *key)
{
    char    *p;
    size_t   n;

    n = strlen(s3->base) + strlen(s3->bucket) + (key ? strlen(key) : 0) + 4;

    p = malloc(n);
    if (p == NULL) {
        return NULL;
    }

    if (s3->virtual_hosted) {
        snprintf(p, n, "/%s", key ? key : "");

    } else if (key) {
        snprintf(p, n, "%s/%s/%s", s3->base, s3->bucket, key);

    } else {
        snprintf(p, n, "%s/%s", s3->base, s3->bucket);
    }

    return p;
}


/* scheme://host + encoded path [+ "?" + query]; the path and query part
 * into *target */
static char *
djass_s3_url(const djass_s3_t *s3, const char *path, const char *query,
    char **target)
{
    char    *url;
    size_t   n, k, plen;

    plen = djass_sigv4_encode(NULL, path, strlen(path), 1);
    n = sizeof("https://") + strlen(s3->host) + plen
        + (query ? strlen(query) + 1 : 0) + 1;

    url = malloc(n);
    *target = malloc(n);
    if (url == NULL || *target == NULL) {
        free(url);
        free(*target);
        *target = NULL;
        return NULL;
    }

    k = djass_sigv4_encode(*target, path, strlen(path), 1);
    (*target)[k] = '\0';
    if (query && query[0]) {
        snprintf(*target + k, n - k, "?%s", query);
    }

    snprintf(url, n, "%s://%s%s", s3->https ? "https" : "http", s3->host,
             *target);

    return url;
}


int
djass_s3_sign(const djass_s3_t *s3, const djass_s3_creds_t *c,
    const char *method, const char *key, const djass_sigv4_pair_t *q,
    size_t nq, const char *payload_hash, const djass_sigv4_pair_t *extra,
    size_t nextra, long long now, djass_s3_req_t *req)
{
    int                 rc;
    char               *path, *query, *line;
    size_t              i, n, sz;
    djass_sigv4_t       s;
    djass_sigv4_pair_t  h[16];

    memset(req, 0, sizeof(djass_s3_req_t));

    if (nextra > 10) {
        return -1;
    }

    djass_sigv4_date(now, req->amz_date);
    snprintf(req->payload_hash, sizeof(req->payload_hash), "%s",
             payload_hash ? payload_hash : DJASS_S3_EMPTY_SHA);

    n = 0;
    h[n].name = "host";
    h[n++].value = s3->host;
    h[n].name = "x-amz-content-sha256";
    h[n++].value = req->payload_hash;
    h[n].name = "x-amz-date";
    h[n++].value = req->amz_date;
    if (c->session_token[0]) {
        h[n].name = "x-amz-security-token";
        h[n++].value = c->session_token;
    }
    for (i = 0; i < nextra; i++) {
        h[n++] = extra[i];
    }

    path = djass_s3_path(s3, key);
    query = djass_sigv4_query(q, nq);
    if (path == NULL || query == NULL) {
        free(path);
        free(query);
        return -1;
    }

    memset(&s, 0, sizeof(s));
    s.method = method;
    s.path = path;
    s.query = q;
    s.nquery = nq;
    s.headers = h;
    s.nheaders = n;
    s.payload_hash = req->payload_hash;
    s.region = s3->region;
    s.service = "s3";
    s.amz_date = req->amz_date;
    s.access_key = c->access_key;
    s.secret_key = c->secret_key;

    rc = djass_sigv4_authorization(&s, req->authorization,
                                   sizeof(req->authorization));
    if (rc == 0) {
        req->url = djass_s3_url(s3, path, query, &req->path);
        rc = req->url ? 0 : -1;
    }

    free(path);
    free(query);

    if (rc != 0) {
        djass_s3_req_free(req);
        return -1;
    }

    /* what to send, in "Name: value" lines */
    for (i = 0; i < n - nextra + 1; i++) {
        const char  *name, *value;

        if (i == n - nextra) {
            name = "Authorization";
            value = req->authorization;

        } else {
            name = h[i].name;
            value = h[i].value;
        }

        sz = strlen(name) + strlen(value) + 3;
        line = malloc(sz);
        if (line == NULL) {
            djass_s3_req_free(req);
            return -1;
        }

        snprintf(line, sz, "%s: %s", name, value);
        req->headers[req->nheaders++] = line;
    }

    return 0;
}


void
djass_s3_req_free(djass_s3_req_t *req)
{
    size_t  i;

    free(req->url);
    free(req->path);

    for (i = 0; i < req->nheaders; i++) {
        free(req->headers[i]);
    }

    memset(req, 0, sizeof(djass_s3_req_t));
}


char *
djass_s3_presign(const djass_s3_t *s3, const djass_s3_creds_t *c,
    const char *key, long expires, long long now)
{
    char                *path, *query, *target, *url, *full;
    char                 date[DJASS_AMZ_DATE];
    size_t               n;
    djass_sigv4_t        s;
    djass_sigv4_pair_t   h[1];

    path = djass_s3_path(s3, key);
    if (path == NULL) {
        return NULL;
    }

    djass_sigv4_date(now, date);

    h[0].name = "host";
    h[0].value = s3->host;

    memset(&s, 0, sizeof(s));
    s.method = "GET";
    s.path = path;
    s.headers = h;
    s.nheaders = 1;
    s.region = s3->region;
    s.service = "s3";
    s.amz_date = date;
    s.access_key = c->access_key;
    s.secret_key = c->secret_key;
    s.session_token = c->session_token;

    query = djass_sigv4_presign(&s, expires);
    if (query == NULL) {
        free(path);
        return NULL;
    }

    url = djass_s3_url(s3, path, NULL, &target);
    free(path);
    free(target);

    full = NULL;

    if (url) {
        n = strlen(url) + strlen(query) + 2;
        full = malloc(n);
        if (full) {
            snprintf(full, n, "%s?%s", url, query);
        }
    }

    free(url);
    free(query);

    return full;
}
