/*
 * AWS Signature Version 4 (see djass_sigv4.h): the canonical request, the
 * string to sign, the signing key derived from the secret by four HMACs,
 * and the signature, as AWS's documentation "Create a signed AWS API
 * request" describes them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "djass_buf.h"
#include "djass_sigv4.h"


#define DJASS_SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define DJASS_SIGV4_MAX_PAIRS   32


typedef struct {
    char        *name;          /* encoded (query) or lowercased (header) */
    char        *value;
    size_t       order;         /* the caller's, for a stable sort */
} djass_sigv4_item_t;


static const char  djass_hex[] = "0123456789abcdef";


static int
djass_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}


size_t
djass_sigv4_encode(char *out, const char *s, size_t n, int keep_slash)
{
    size_t         i, k;
    unsigned char  c;

    for (i = 0, k = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (djass_sigv4_unreserved(c) || (keep_slash && c == '/')) {
            if (out) {
                out[k] = (char) c;
            }
            k++;
            continue;
        }

        if (out) {
            out[k] = '%';
            out[k + 1] = "0123456789ABCDEF"[c >> 4];
            out[k + 2] = "0123456789ABCDEF"[c & 0xf];
        }
        k += 3;
    }

    return k;
}


static char *
djass_sigv4_encoded(const char *s, int keep_slash)
{
    char    *p;
    size_t   n, k;

    n = strlen(s);
    k = djass_sigv4_encode(NULL, s, n, keep_slash);

    p = malloc(k + 1);
    if (p == NULL) {
        return NULL;
    }

    djass_sigv4_encode(p, s, n, keep_slash);
    p[k] = '\0';

    return p;
}


static void
djass_sigv4_tohex(const unsigned char *d, size_t n, char *hex)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        hex[2 * i] = djass_hex[d[i] >> 4];
        hex[2 * i + 1] = djass_hex[d[i] & 0xf];
    }

    hex[2 * n] = '\0';
}


void
djass_sha256_hex(const void *p, size_t n, char *hex)
{
    unsigned int   len;
    unsigned char  md[EVP_MAX_MD_SIZE];

    len = 0;
    if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1) {
        len = 0;
    }

    djass_sigv4_tohex(md, len, hex);
}


void
djass_sigv4_date(long long t, char *out)
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;
    gmtime_r(&tt, &tm);
    strftime(out, DJASS_AMZ_DATE, "%Y%m%dT%H%M%SZ", &tm);
}


static int
djass_sigv4_cmp(const void *a, const void *b)
{
    int                        rc;
    const djass_sigv4_item_t  *x = a, *y = b;

    rc = strcmp(x->name, y->name);
    if (rc == 0) {
        rc = strcmp(x->value, y->value);
    }

    return rc;
}


static int
djass_sigv4_cmp_name(const void *a, const void *b)
{
    int                        rc;
    const djass_sigv4_item_t  *x = a, *y = b;

    rc = strcmp(x->name, y->name);
    if (rc == 0) {
        rc = x->order < y->order ? -1 : (x->order > y->order);
    }

    return rc;
}


static void
djass_sigv4_items_free(djass_sigv4_item_t *it, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(it[i].name);
        free(it[i].value);
    }
}


char *
djass_sigv4_query(const djass_sigv4_pair_t *q, size_t n)
{
    size_t              i;
    djass_buf_t         b;
    djass_sigv4_item_t  it[DJASS_SIGV4_MAX_PAIRS];

    if (n > DJASS_SIGV4_MAX_PAIRS) {
        return NULL;
    }

    memset(it, 0, sizeof(it));
    memset(&b, 0, sizeof(b));

    for (i = 0; i < n; i++) {
        it[i].name = djass_sigv4_encoded(q[i].name, 0);
        it[i].value = djass_sigv4_encoded(q[i].value ? q[i].value : "", 0);
        it[i].order = i;

        if (it[i].name == NULL || it[i].value == NULL) {
            djass_sigv4_items_free(it, i + 1);
            return NULL;
        }
    }

    qsort(it, n, sizeof(it[0]), djass_sigv4_cmp);

    djass_buf_printf(&b, "%s", "");

    for (i = 0; i < n; i++) {
        djass_buf_printf(&b, "%s%s=%s", i ? "&" : "", it[i].name,
                         it[i].value);
    }

    djass_sigv4_items_free(it, n);

    if (djass_buf_failed(&b)) {
        djass_buf_free(&b);
        return NULL;
    }

    return djass_buf_detach(&b, NULL);
}


/* a header's value as signed: no space at either end, runs of spaces
 * folded into one */
static char *
djass_sigv4_trim(const char *v)
{
    char        *p, *o;
    const char  *e;

    while (*v == ' ' || *v == '\t') {
        v++;
    }

    e = v + strlen(v);
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }

    p = malloc(e - v + 1);
    if (p == NULL) {
        return NULL;
    }

    for (o = p; v < e; v++) {
        if ((*v == ' ' || *v == '\t') && o > p && o[-1] == ' ') {
            continue;
        }

        *o++ = (*v == '\t') ? ' ' : *v;
    }

    *o = '\0';
    return p;
}


/*
 * The canonical headers ("name:value\n" each, duplicates joined with ",")
 * and the signed headers' list, appended to canon and signed.
 */
static int
djass_sigv4_headers(const djass_sigv4_t *s, djass_buf_t *canon,
    djass_buf_t *signed_headers)
{
    size_t              i, k;
    char               *c;
    djass_sigv4_item_t  it[DJASS_SIGV4_MAX_PAIRS];

    if (s->nheaders > DJASS_SIGV4_MAX_PAIRS) {
        return -1;
    }

    memset(it, 0, sizeof(it));

    for (i = 0; i < s->nheaders; i++) {
        it[i].name = strdup(s->headers[i].name);
        it[i].value = djass_sigv4_trim(s->headers[i].value);
        it[i].order = i;

        if (it[i].name == NULL || it[i].value == NULL) {
            djass_sigv4_items_free(it, i + 1);
            return -1;
        }

        for (c = it[i].name; *c; c++) {
            if (*c >= 'A' && *c <= 'Z') {
                *c = (char) (*c - 'A' + 'a');
            }
        }
    }

    qsort(it, s->nheaders, sizeof(it[0]), djass_sigv4_cmp_name);

    for (i = 0; i < s->nheaders; i = k) {
        djass_buf_printf(canon, "%s:%s", it[i].name, it[i].value);
        djass_buf_printf(signed_headers, "%s%s", i ? ";" : "", it[i].name);

        for (k = i + 1; k < s->nheaders
                        && strcmp(it[k].name, it[i].name) == 0; k++)
        {
            djass_buf_printf(canon, ",%s", it[k].value);
        }

        djass_buf_printf(canon, "%s", "\n");
    }

    djass_sigv4_items_free(it, s->nheaders);

    return 0;
}


static int
djass_sigv4_hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char *out)
{
    unsigned int  len;

    len = 32;
    return HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) msg,
                strlen(msg), out, &len) == NULL ? -1 : 0;
}


/*
 * The signature (64 hex digits) of the canonical request canon; scope is
 * "YYYYMMDD/region/service/aws4_request".
 */
static int
djass_sigv4_signature(const djass_sigv4_t *s, const char *canon,
    const char *scope, char *sig)
{
    int            rc;
    char           day[9], hash[DJASS_SHA256_HEX], *key;
    djass_buf_t    sts;
    unsigned char  k[32];

    memcpy(day, s->amz_date, 8);
    day[8] = '\0';

    djass_sha256_hex(canon, strlen(canon), hash);

    memset(&sts, 0, sizeof(sts));
    djass_buf_printf(&sts, DJASS_SIGV4_ALGORITHM "\n%s\n%s\n%s", s->amz_date,
                     scope, hash);

    key = malloc(strlen(s->secret_key) + 5);
    if (key == NULL || djass_buf_failed(&sts)) {
        free(key);
        djass_buf_free(&sts);
        return -1;
    }

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, s->secret_key, strlen(s->secret_key) + 1);

    rc = djass_sigv4_hmac((unsigned char *) key, strlen(key), day, k)
         || djass_sigv4_hmac(k, 32, s->region, k)
         || djass_sigv4_hmac(k, 32, s->service, k)
         || djass_sigv4_hmac(k, 32, "aws4_request", k)
         || djass_sigv4_hmac(k, 32, sts.data, k);

    /* the secret's copy does not outlive the call */
    memset(key, 0, strlen(key));
    free(key);
    djass_buf_free(&sts);

    if (rc != 0) {
        return -1;
    }

    djass_sigv4_tohex(k, 32, sig);
    return 0;
}


static int
djass_sigv4_valid(const djass_sigv4_t *s)
{
    return s->method && s->path && s->path[0] == '/' && s->region
           && s->service && s->amz_date && strlen(s->amz_date) == 16
           && s->access_key && s->secret_key
           && (s->nquery == 0 || s->query) && (s->nheaders == 0 || s->headers);
}


/* the canonical request of s with the canonical query given; the signed
 * headers' list into signed_headers */
static char *
djass_sigv4_canonical(const djass_sigv4_t *s, const char *query,
    const char *payload, djass_buf_t *signed_headers)
{
    char         *path;
    djass_buf_t   canon;

    path = djass_sigv4_encoded(s->path, 1);
    if (path == NULL) {
        return NULL;
    }

    memset(&canon, 0, sizeof(canon));
    djass_buf_printf(&canon, "%s\n%s\n%s\n", s->method, path, query);
    free(path);

    if (djass_sigv4_headers(s, &canon, signed_headers) != 0) {
        djass_buf_free(&canon);
        return NULL;
    }

    djass_buf_printf(&canon, "\n%s\n%s",
                     signed_headers->data ? signed_headers->data : "",
                     payload);

    if (djass_buf_failed(&canon) || djass_buf_failed(signed_headers)) {
        djass_buf_free(&canon);
        return NULL;
    }

    return djass_buf_detach(&canon, NULL);
}


int
djass_sigv4_authorization(const djass_sigv4_t *s, char *out, size_t len)
{
    int          rc;
    char        *query, *canon, sig[DJASS_SHA256_HEX], scope[256];
    djass_buf_t  sh;

    if (!djass_sigv4_valid(s) || s->payload_hash == NULL) {
        return -1;
    }

    if (snprintf(scope, sizeof(scope), "%.8s/%s/%s/aws4_request",
                 s->amz_date, s->region, s->service) >= (int) sizeof(scope))
    {
        return -1;
    }

    query = djass_sigv4_query(s->query, s->nquery);
    if (query == NULL) {
        return -1;
    }

    memset(&sh, 0, sizeof(sh));
    djass_buf_printf(&sh, "%s", "");

    canon = djass_sigv4_canonical(s, query, s->payload_hash, &sh);
    free(query);

    rc = -1;

    if (canon != NULL && djass_sigv4_signature(s, canon, scope, sig) == 0
        && snprintf(out, len, DJASS_SIGV4_ALGORITHM " Credential=%s/%s, "
                    "SignedHeaders=%s, Signature=%s", s->access_key, scope,
                    sh.data, sig) < (int) len)
    {
        rc = 0;
    }

    free(canon);
    djass_buf_free(&sh);

    return rc;
}


char *
djass_sigv4_presign(const djass_sigv4_t *s, long expires)
{
    size_t              n, i;
    char               *query, *canon, *url, sig[DJASS_SHA256_HEX];
    char                scope[256], credential[512], exp[32];
    djass_buf_t         sh, out;
    djass_sigv4_pair_t  q[DJASS_SIGV4_MAX_PAIRS + 1];

    if (!djass_sigv4_valid(s) || s->nquery + 7 > DJASS_SIGV4_MAX_PAIRS
        || expires < 1 || expires > 604800)
    {
        return NULL;
    }

    if (snprintf(scope, sizeof(scope), "%.8s/%s/%s/aws4_request",
                 s->amz_date, s->region, s->service) >= (int) sizeof(scope)
        || snprintf(credential, sizeof(credential), "%s/%s", s->access_key,
                    scope) >= (int) sizeof(credential))
    {
        return NULL;
    }

    /* the signed headers' list first, for X-Amz-SignedHeaders */
    memset(&sh, 0, sizeof(sh));
    memset(&out, 0, sizeof(out));
    djass_buf_printf(&sh, "%s", "");

    canon = djass_sigv4_canonical(s, "", DJASS_SIGV4_UNSIGNED, &sh);
    free(canon);

    if (canon == NULL) {
        djass_buf_free(&sh);
        return NULL;
    }

    snprintf(exp, sizeof(exp), "%ld", expires);

    n = 0;
    for (i = 0; i < s->nquery; i++) {
        q[n++] = s->query[i];
    }

    q[n].name = "X-Amz-Algorithm";
    q[n++].value = DJASS_SIGV4_ALGORITHM;
    q[n].name = "X-Amz-Credential";
    q[n++].value = credential;
    q[n].name = "X-Amz-Date";
    q[n++].value = s->amz_date;
    q[n].name = "X-Amz-Expires";
    q[n++].value = exp;
    if (s->session_token && s->session_token[0]) {
        q[n].name = "X-Amz-Security-Token";
        q[n++].value = s->session_token;
    }
    q[n].name = "X-Amz-SignedHeaders";
    q[n++].value = sh.data;

    query = djass_sigv4_query(q, n);
    djass_buf_free(&sh);

    if (query == NULL) {
        return NULL;
    }

    memset(&sh, 0, sizeof(sh));
    djass_buf_printf(&sh, "%s", "");

    canon = djass_sigv4_canonical(s, query, DJASS_SIGV4_UNSIGNED, &sh);
    djass_buf_free(&sh);

    url = NULL;

    if (canon != NULL && djass_sigv4_signature(s, canon, scope, sig) == 0) {
        djass_buf_printf(&out, "%s&X-Amz-Signature=%s", query, sig);
        url = djass_buf_failed(&out) ? NULL : djass_buf_detach(&out, NULL);
    }

    djass_buf_free(&out);
    free(canon);
    free(query);

    return url;
}
