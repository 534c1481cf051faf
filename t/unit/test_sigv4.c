/*
 * lib/djass_sigv4.c against AWS's published examples: the SigV4 test
 * suite (the get-vanilla family: credentials AKIDEXAMPLE, service
 * "service", 20150830T123600Z) and the S3 documentation's signed GET,
 * PUT, list and lifecycle requests and its presigned URL (examplebucket,
 * 20130524T000000Z).  The expected signatures are AWS's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_sigv4.h"
#include "tap.h"


#define EMPTY_SHA  \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_KEY  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_KEY     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


/* one request of the test suite: Host and X-Amz-Date, plus extra */
static void
suite(const char *name, const char *method, const char *path,
    const djass_sigv4_pair_t *q, size_t nq, const djass_sigv4_pair_t *extra,
    size_t nextra, const char *payload, const char *want)
{
    char                out[1024], expect[1024], hash[DJASS_SHA256_HEX];
    char                signed_headers[256];
    size_t              i, n;
    djass_sigv4_t       s;
    djass_sigv4_pair_t  h[8];

    n = 0;
    h[n].name = "Host";
    h[n++].value = "example.amazonaws.com";
    h[n].name = "X-Amz-Date";
    h[n++].value = "20150830T123600Z";
    for (i = 0; i < nextra; i++) {
        h[n++] = extra[i];
    }

    djass_sha256_hex(payload, strlen(payload), hash);

    memset(&s, 0, sizeof(s));
    s.method = method;
    s.path = path;
    s.query = q;
    s.nquery = nq;
    s.headers = h;
    s.nheaders = n;
    s.payload_hash = hash;
    s.region = "us-east-1";
    s.service = "service";
    s.amz_date = "20150830T123600Z";
    s.access_key = "AKIDEXAMPLE";
    s.secret_key = SUITE_KEY;

    strcpy(signed_headers, "host;x-amz-date");
    if (nextra && strcmp(extra[0].name, "Content-Type") == 0) {
        strcpy(signed_headers, "content-type;host;x-amz-date");

    } else if (nextra == 1) {
        strcpy(signed_headers, "host;my-header1;x-amz-date");

    } else if (nextra == 2) {
        strcpy(signed_headers, "host;my-header1;my-header2;x-amz-date");
    }

    snprintf(expect, sizeof(expect), "AWS4-HMAC-SHA256 Credential="
             "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=%s, Signature=%s", signed_headers, want);

    ok(djass_sigv4_authorization(&s, out, sizeof(out)) == 0, "%s: signs",
       name);
    is_str(out, expect, "%s: AWS's Authorization header", name);
}


/* the S3 documentation's examples: examplebucket, 20130524T000000Z */
static void
s3_example(const char *name, const char *method, const char *path,
    const djass_sigv4_pair_t *q, size_t nq, const djass_sigv4_pair_t *h,
    size_t nh, const char *payload_hash, const char *signed_headers,
    const char *want)
{
    char           out[1024], expect[1024];
    djass_sigv4_t  s;

    memset(&s, 0, sizeof(s));
    s.method = method;
    s.path = path;
    s.query = q;
    s.nquery = nq;
    s.headers = h;
    s.nheaders = nh;
    s.payload_hash = payload_hash;
    s.region = "us-east-1";
    s.service = "s3";
    s.amz_date = "20130524T000000Z";
    s.access_key = "AKIAIOSFODNN7EXAMPLE";
    s.secret_key = S3_KEY;

    snprintf(expect, sizeof(expect), "AWS4-HMAC-SHA256 Credential="
             "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
             "SignedHeaders=%s, Signature=%s", signed_headers, want);

    ok(djass_sigv4_authorization(&s, out, sizeof(out)) == 0, "%s: signs",
       name);
    is_str(out, expect, "%s: the S3 documentation's Authorization", name);
}


int
main(void)
{
    char           *p, out[64], hash[DJASS_SHA256_HEX];
    djass_sigv4_t   s;

    static const djass_sigv4_pair_t  q_order[] = {
        { "Param2", "value2" }, { "Param1", "value1" },
    };
    static const djass_sigv4_pair_t  q_one[] = { { "Param1", "value1" } };
    static const djass_sigv4_pair_t  q_unreserved[] = {
        { "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
          "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
    };
    static const djass_sigv4_pair_t  q_utf8[] = { { "\xe1\x88\xb4", "bar" } };
    static const djass_sigv4_pair_t  h_key_sort[] = {
        { "My-Header1", "value1" },
    };
    static const djass_sigv4_pair_t  h_value_case[] = {
        { "My-Header1", "VALUE1" },
    };
    static const djass_sigv4_pair_t  h_trim[] = {
        { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" },
    };
    static const djass_sigv4_pair_t  h_form[] = {
        { "Content-Type", "application/x-www-form-urlencoded" },
    };

    static const djass_sigv4_pair_t  s3_get[] = {
        { "Host", "examplebucket.s3.amazonaws.com" },
        { "Range", "bytes=0-9" },
        { "x-amz-content-sha256", EMPTY_SHA },
        { "x-amz-date", "20130524T000000Z" },
    };
    static const djass_sigv4_pair_t  s3_put[] = {
        { "Host", "examplebucket.s3.amazonaws.com" },
        { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
        { "x-amz-date", "20130524T000000Z" },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
        { "x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b"
                                  "4b4e99e42034a8b803f8b072" },
    };
    static const djass_sigv4_pair_t  s3_plain[] = {
        { "Host", "examplebucket.s3.amazonaws.com" },
        { "x-amz-content-sha256", EMPTY_SHA },
        { "x-amz-date", "20130524T000000Z" },
    };
    static const djass_sigv4_pair_t  q_lifecycle[] = { { "lifecycle", "" } };
    static const djass_sigv4_pair_t  q_list[] = {
        { "prefix", "J" }, { "max-keys", "2" },
    };
    static const djass_sigv4_pair_t  h_presign[] = {
        { "host", "examplebucket.s3.amazonaws.com" },
    };

    /* the SigV4 test suite */
    suite("get-vanilla", "GET", "/", NULL, 0, NULL, 0, "",
          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    suite("get-vanilla-query", "GET", "/", NULL, 0, NULL, 0, "",
          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    suite("get-vanilla-empty-query-key", "GET", "/", q_one, 1, NULL, 0, "",
          "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
    suite("get-vanilla-query-order-key-case", "GET", "/", q_order, 2, NULL,
          0, "",
          "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    suite("get-vanilla-query-unreserved", "GET", "/", q_unreserved, 1, NULL,
          0, "",
          "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
    suite("get-vanilla-utf8-query", "GET", "/", q_utf8, 1, NULL, 0, "",
          "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
    suite("get-unreserved", "GET",
          "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
          NULL, 0, NULL, 0, "",
          "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
    suite("get-utf8", "GET", "/\xe1\x88\xb4", NULL, 0, NULL, 0, "",
          "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
    suite("get-header-value-trim", "GET", "/", NULL, 0, h_trim, 2, "",
          "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
    suite("post-vanilla", "POST", "/", NULL, 0, NULL, 0, "",
          "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    suite("post-vanilla-query", "POST", "/", q_one, 1, NULL, 0, "",
          "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    suite("post-header-key-sort", "POST", "/", NULL, 0, h_key_sort, 1, "",
          "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
    suite("post-header-value-case", "POST", "/", NULL, 0, h_value_case, 1, "",
          "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
    suite("post-x-www-form-urlencoded", "POST", "/", NULL, 0, h_form, 1,
          "Param1=value1",
          "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");

    /* the S3 documentation's examples */
    s3_example("GET Object", "GET", "/test.txt", NULL, 0, s3_get, 4,
               EMPTY_SHA, "host;range;x-amz-content-sha256;x-amz-date",
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036"
               "bdb41");
    s3_example("PUT Object", "PUT", "/test$file.text", NULL, 0, s3_put, 5,
               s3_put[4].value,
               "date;host;x-amz-content-sha256;x-amz-date;"
               "x-amz-storage-class",
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece"
               "108bd");
    s3_example("GET Bucket Lifecycle", "GET", "/", q_lifecycle, 1, s3_plain,
               3, EMPTY_SHA, "host;x-amz-content-sha256;x-amz-date",
               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a01367"
               "83543");
    s3_example("Get Bucket (List Objects)", "GET", "/", q_list, 2, s3_plain,
               3, EMPTY_SHA, "host;x-amz-content-sha256;x-amz-date",
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69"
               "dc6f7");

    /* the presigned URL example */
    memset(&s, 0, sizeof(s));
    s.method = "GET";
    s.path = "/test.txt";
    s.headers = h_presign;
    s.nheaders = 1;
    s.region = "us-east-1";
    s.service = "s3";
    s.amz_date = "20130524T000000Z";
    s.access_key = "AKIAIOSFODNN7EXAMPLE";
    s.secret_key = S3_KEY;

    p = djass_sigv4_presign(&s, 86400);
    is_str(p, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
              "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
              "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
              "&X-Amz-SignedHeaders=host&X-Amz-Signature="
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
           "presigned URL: the S3 documentation's query and signature");
    free(p);

    s.session_token = "tok/en+=";
    p = djass_sigv4_presign(&s, 60);
    ok(p && strstr(p, "&X-Amz-Security-Token=tok%2Fen%2B%3D&"),
       "presigned URL: a session token is in the query, encoded");
    free(p);

    ok(djass_sigv4_presign(&s, 0) == NULL
       && djass_sigv4_presign(&s, 604801) == NULL,
       "presigned URL: an expiry outside 1 s .. 7 days is refused");

    s.path = "test.txt";
    ok(djass_sigv4_authorization(&s, out, sizeof(out)) == -1,
       "a path without its leading / is refused");

    s.path = "/test.txt";
    s.payload_hash = EMPTY_SHA;
    ok(djass_sigv4_authorization(&s, out, sizeof(out)) == -1,
       "an Authorization that does not fit is refused, not cut");

    djass_sha256_hex("abc", 3, hash);
    is_str(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
                 "f20015ad", "SHA-256 of abc");

    djass_sigv4_date(1369353600, out);
    is_str(out, "20130524T000000Z", "the x-amz-date form of a time");

    p = djass_sigv4_query(q_order, 2);
    is_str(p, "Param1=value1&Param2=value2", "a canonical query is sorted");
    free(p);

    return done_testing();
}
