/*
 * An S3 bucket as an artifact store: where it is (s3://BUCKET[/PREFIX],
 * an endpoint, a region), the credentials that sign for it, and the
 * signed requests of the few operations Djass needs (PUT, GET, HEAD and
 * DELETE of an object, ListObjectsV2 of the prefix, a presigned GET).
 * Plain C, shared by nginx, the worker and djassctl; the sending is the
 * caller's (libcurl in lib/djass_s3_client.c, nginx's upstream in the
 * module).
 *
 * Addressing: without an endpoint, AWS for the region
 * (https://s3.REGION.amazonaws.com) in virtual-hosted style
 * (BUCKET.s3.REGION.amazonaws.com/KEY); with one, path style
 * (ENDPOINT/BUCKET/KEY), as S3-compatible stores want.
 */

#ifndef DJASS_S3_H
#define DJASS_S3_H

#include <stddef.h>

#include "djass_sigv4.h"


#define DJASS_S3_SCHEME        "s3://"
#define DJASS_S3_KEY_MAX       1024     /* S3's own limit on a key */


typedef struct {
    char   bucket[64];          /* 3..63 of [a-z0-9.-] */
    char   prefix[DJASS_S3_KEY_MAX];  /* "" or "a/b/" (ends with "/") */
    char   region[64];
    int    https;
    char   host[300];           /* the Host header: name[:port] */
    char   connect_host[300];   /* name or address, no brackets */
    int    port;
    char   base[256];           /* the endpoint's own path, no trailing
                                   "/": "" usually */
    int    virtual_hosted;      /* the bucket in the host name (AWS) */
} djass_s3_t;


typedef struct {
    char   access_key[129];
    char   secret_key[129];
    char   session_token[4097];
} djass_s3_creds_t;


/* a signed request: send method to url with these headers */
typedef struct {
    char                *url;          /* malloc(3)ed: scheme://host/path?q */
    char                *path;         /* malloc(3)ed: encoded path?query,
                                          the request line's target */
    char                 amz_date[DJASS_AMZ_DATE];
    char                 payload_hash[DJASS_SHA256_HEX + 16];
    char                 authorization[512];
    /* the headers to send, Host first: "Name: value" lines */
    char                *headers[6];
    size_t               nheaders;
} djass_s3_req_t;


/* 1 when s names an S3 store (s3://...) */
int djass_s3_is_url(const char *s);

/*
 * Fills s3 from --artifacts s3://BUCKET[/PREFIX], --s3-endpoint (NULL:
 * AWS for the region) and --s3-region.  -1 with a message in err.
 */
int djass_s3_parse(const char *artifacts, const char *endpoint,
    const char *region, djass_s3_t *s3, char *err, size_t len);

/*
 * Credentials from a file of AWS_ACCESS_KEY_ID=, AWS_SECRET_ACCESS_KEY=
 * and optional AWS_SESSION_TOKEN= lines (blank lines and # comments
 * allowed; values may be quoted), or with path NULL from the environment
 * variables of the same names.  -1 with a message in err that never
 * quotes the file's contents.
 */
int djass_s3_creds_load(const char *path, djass_s3_creds_t *c, char *err,
    size_t len);

/* zeroes the credentials */
void djass_s3_creds_clear(djass_s3_creds_t *c);

/* the object key of an artifact's relative path: prefix + rel, into key */
int djass_s3_key(const djass_s3_t *s3, const char *rel, char *key,
    size_t len);

/*
 * Signs method on key (NULL: the bucket itself, for a listing) with the
 * query q at time now; payload_hash is the body's hex SHA-256 (NULL: the
 * empty body's).  extra: headers to sign and send as well (Range...).
 * 0, or -1 (out of memory, too long); free with djass_s3_req_free.
 */
int djass_s3_sign(const djass_s3_t *s3, const djass_s3_creds_t *c,
    const char *method, const char *key, const djass_sigv4_pair_t *q,
    size_t nq, const char *payload_hash, const djass_sigv4_pair_t *extra,
    size_t nextra, long long now, djass_s3_req_t *req);

void djass_s3_req_free(djass_s3_req_t *req);

/* a presigned GET URL of key, valid expires seconds from now;
 * malloc(3)ed, or NULL */
char *djass_s3_presign(const djass_s3_t *s3, const djass_s3_creds_t *c,
    const char *key, long expires, long long now);


/* one object of a listing */
typedef struct {
    char        *key;
    long long    size;
    char         last_modified[32];    /* as the store wrote it */
} djass_s3_object_t;

/* a ListObjectsV2 answer, or an error document */
typedef struct {
    djass_s3_object_t  *objects;
    size_t              nobjects;
    int                 truncated;
    char               *next_token;        /* NextContinuationToken */
    char                code[64];          /* <Error><Code> */
    char                message[256];      /* <Error><Message> */
} djass_s3_list_t;

/*
 * Parses an S3 XML reply (ListBucketResult or Error) of n bytes.  0: l is
 * filled (free it with djass_s3_list_free); -1: not such a reply.
 */
int djass_s3_xml_parse(const char *xml, size_t n, djass_s3_list_t *l);

void djass_s3_list_free(djass_s3_list_t *l);

#endif /* DJASS_S3_H */
