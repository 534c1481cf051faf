/*
 * AWS Signature Version 4: the one implementation nginx, the worker and
 * djassctl sign their S3 requests with (plain C, OpenSSL's SHA-256 and
 * HMAC; no nginx, no libcurl).  Two forms: the Authorization header of
 * a request, and a presigned URL's query (query-string signing).
 *
 * Strings are NUL-terminated; the path and the query's names and values
 * are given unencoded and are URI-encoded here as S3 wants (RFC 3986
 * unreserved characters kept, '/' kept in the path, everything else %XX),
 * once: S3's canonical URI is not normalised nor encoded twice.
 */

#ifndef DJASS_SIGV4_H
#define DJASS_SIGV4_H

#include <stddef.h>


#define DJASS_SHA256_HEX   65          /* 64 hex digits and the NUL */
#define DJASS_AMZ_DATE     17          /* YYYYMMDDTHHMMSSZ and the NUL */

/* x-amz-content-sha256 of a request whose body is not signed */
#define DJASS_SIGV4_UNSIGNED  "UNSIGNED-PAYLOAD"


typedef struct {
    const char  *name;                 /* any case: lowercased here */
    const char  *value;                /* trimmed, inner spaces folded */
} djass_sigv4_pair_t;


typedef struct {
    const char                *method;       /* "GET" */
    const char                *path;         /* unencoded, from "/" */
    const djass_sigv4_pair_t  *query;        /* unencoded; any order */
    size_t                     nquery;
    const djass_sigv4_pair_t  *headers;      /* host included; signed */
    size_t                     nheaders;
    const char                *payload_hash; /* hex, or UNSIGNED-PAYLOAD */
    const char                *region;
    const char                *service;      /* "s3" */
    const char                *amz_date;     /* YYYYMMDDTHHMMSSZ */
    const char                *access_key;
    const char                *secret_key;
    const char                *session_token; /* NULL or "": none (the
                                                 header form: the caller
                                                 sends and signs it) */
} djass_sigv4_t;


/*
 * The value of the Authorization header ("AWS4-HMAC-SHA256 Credential=
 * ..., SignedHeaders=..., Signature=..."), into out.  -1: a field is
 * missing, too many headers, or out is too small.
 */
int djass_sigv4_authorization(const djass_sigv4_t *s, char *out,
    size_t len);

/*
 * The query of a presigned URL: s->query plus X-Amz-Algorithm,
 * -Credential, -Date, -Expires, -SignedHeaders, -Security-Token (with a
 * session token) and -Signature, encoded and in canonical order, ready
 * to follow "?".  The payload is UNSIGNED-PAYLOAD, whatever s says.
 * Returns a malloc(3)ed string, or NULL.
 */
char *djass_sigv4_presign(const djass_sigv4_t *s, long expires);

/*
 * A query in canonical form (names and values encoded, sorted by name
 * then value, joined with & and =): the canonical request's query line,
 * also valid in a URL.  malloc(3)ed, or NULL.
 */
char *djass_sigv4_query(const djass_sigv4_pair_t *q, size_t n);

/* appends the URI encoding of s (n bytes) to out; keep_slash for paths;
 * returns the bytes written, or the bytes needed when out is NULL */
size_t djass_sigv4_encode(char *out, const char *s, size_t n,
    int keep_slash);

/* hex SHA-256 of n bytes */
void djass_sha256_hex(const void *p, size_t n, char *hex);

/* YYYYMMDDTHHMMSSZ of t (UTC) */
void djass_sigv4_date(long long t, char *out);

#endif /* DJASS_SIGV4_H */
