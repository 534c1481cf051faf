/*
 * lib/djass_s3.c and lib/djass_s3_xml.c: s3://BUCKET[/PREFIX] and the
 * endpoint (path style, AWS's virtual-hosted style, ports, IPv6), the
 * credentials file, keys, the signed request's URL and headers, and the
 * XML replies (ListObjectsV2 pages, Error documents).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "djass_s3.h"
#include "tap.h"


static const char *
write_file(const char *name, const char *text)
{
    FILE  *f;

    f = fopen(name, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }

    chmod(name, 0600);

    return name;
}


static int
parse(const char *xml, djass_s3_list_t *l)
{
    return djass_s3_xml_parse(xml, strlen(xml), l);
}


int
main(void)
{
    int               rc;
    char              err[256], key[2048], tmpl[64], path[128], *url;
    djass_s3_t        s3;
    djass_s3_req_t    req;
    djass_s3_list_t   l;
    djass_s3_creds_t  c;

    static const char  list_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
        "<IsTruncated>true</IsTruncated>"
        "<Contents><Key>p/projects/001/1.zip</Key>"
        "<LastModified>2026-12-06T17:56:21.000Z</LastModified>"
        "<Size>1234</Size></Contents>"
        "<Contents><Key>p/a&amp;b&lt;&#x263A;&#65;.zip</Key><Size>0</Size>"
        "</Contents>"
        "<NextContinuationToken>tok/en+=</NextContinuationToken>"
        "</ListBucketResult>";

    /* addressing */

    rc = djass_s3_parse("s3://djass-b/fleet/a", "http://127.0.0.1:8333",
                        "us-east-1", &s3, err, sizeof(err));
    ok(rc == 0, "s3://bucket/prefix with an endpoint parses");
    is_str(s3.bucket, "djass-b", "the bucket");
    is_str(s3.prefix, "fleet/a/", "the prefix gets its trailing /");
    is_str(s3.host, "127.0.0.1:8333", "Host: the endpoint's host:port");
    is_str(s3.connect_host, "127.0.0.1", "connect to the host");
    ok(s3.port == 8333 && !s3.https && !s3.virtual_hosted,
       "port 8333, http, path style");

    rc = djass_s3_parse("s3://djass-b", NULL, "eu-west-1", &s3, err,
                        sizeof(err));
    ok(rc == 0 && s3.virtual_hosted && s3.https && s3.port == 443,
       "no endpoint: AWS, https, virtual-hosted");
    is_str(s3.host, "djass-b.s3.eu-west-1.amazonaws.com",
           "AWS's host is BUCKET.s3.REGION.amazonaws.com");
    is_str(s3.prefix, "", "no prefix");

    ok(djass_s3_parse("s3://b.dots", NULL, "r", &s3, err, sizeof(err)) != 0
       && strstr(err, "dots"), "AWS with a dotted bucket: refused (TLS)");

    rc = djass_s3_parse("s3://djass-b/", "https://[::1]:9000/base/", "r",
                        &s3, err, sizeof(err));
    ok(rc == 0 && s3.https && s3.port == 9000, "an IPv6 https endpoint");
    is_str(s3.connect_host, "::1", "... connects to ::1");
    is_str(s3.host, "[::1]:9000", "... Host keeps the brackets");
    is_str(s3.base, "/base", "... the endpoint's path, without its /");

    ok(djass_s3_parse("s3://ab", "http://h", "r", &s3, err, sizeof(err))
       != 0, "a 2-character bucket is refused");
    ok(djass_s3_parse("s3://Ab-c", "http://h", "r", &s3, err, sizeof(err))
       != 0, "a bucket with a capital is refused");
    ok(djass_s3_parse("s3://abc/x/../y", "http://h", "r", &s3, err,
                      sizeof(err)) != 0, "a prefix with ../ is refused");
    ok(djass_s3_parse("s3://abc", "http://h:0", "r", &s3, err, sizeof(err))
       != 0, "port 0 is refused");
    ok(djass_s3_parse("s3://abc", "http://u@h", "r", &s3, err, sizeof(err))
       != 0, "an endpoint with a user is refused");
    ok(djass_s3_parse("s3://abc", "http://h", "r r", &s3, err, sizeof(err))
       != 0, "a region with a space is refused");
    ok(djass_s3_parse("http://abc", "http://h", "r", &s3, err, sizeof(err))
       != 0, "not s3:// is refused");

    /* a signed request: path style, the prefix, encoding */

    djass_s3_parse("s3://djass-b/fleet", "http://127.0.0.1:8333", "us-east-1",
                   &s3, err, sizeof(err));
    ok(djass_s3_key(&s3, "projects/001/1 x.zip", key, sizeof(key)) == 0,
       "a key");
    is_str(key, "fleet/projects/001/1 x.zip", "the key is prefix + rel");

    strcpy(c.access_key, "AKID");
    strcpy(c.secret_key, "secret");
    c.session_token[0] = '\0';

    rc = djass_s3_sign(&s3, &c, "GET", key, NULL, 0, NULL, NULL, 0,
                       1369353600, &req);
    ok(rc == 0, "a GET is signed");
    is_str(req.url, "http://127.0.0.1:8333/djass-b/fleet/projects/001/"
                    "1%20x.zip", "its URL: path style, encoded once");
    ok(req.nheaders == 4, "four headers: host, sha256, date, "
                          "Authorization");
    is_str(req.headers[0], "host: 127.0.0.1:8333", "host first");
    is_str(req.headers[2], "x-amz-date: 20130524T000000Z", "x-amz-date");
    ok(strncmp(req.headers[3], "Authorization: AWS4-HMAC-SHA256 "
               "Credential=AKID/20130524/us-east-1/s3/aws4_request, "
               "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
               "Signature=", 136) == 0, "the Authorization header");
    ok(strstr(req.headers[3], "secret") == NULL, "no secret in it");
    djass_s3_req_free(&req);

    strcpy(c.session_token, "TOKEN");
    rc = djass_s3_sign(&s3, &c, "PUT", key, NULL, 0, "ab", NULL, 0,
                       1369353600, &req);
    ok(rc == 0 && req.nheaders == 5
       && strcmp(req.headers[3], "x-amz-security-token: TOKEN") == 0
       && strstr(req.headers[4], "x-amz-security-token") != NULL,
       "a session token is sent and signed");
    djass_s3_req_free(&req);

    url = djass_s3_presign(&s3, &c, key, 60, 1369353600);
    ok(url && strncmp(url, "http://127.0.0.1:8333/djass-b/fleet/projects/"
                      "001/1%20x.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&", 83)
       == 0 && strstr(url, "&X-Amz-Security-Token=TOKEN&"),
       "a presigned URL of the key");
    free(url);

    /* credentials */

    snprintf(tmpl, sizeof(tmpl), "/tmp/djass-s3-unit-%d", (int) getpid());
    snprintf(path, sizeof(path), "%s.env", tmpl);

    write_file(path, "# comment\n\nexport AWS_ACCESS_KEY_ID=AKID1\r\n"
               "AWS_SECRET_ACCESS_KEY=\"se/cr+et\"\nOTHER=x\n"
               "AWS_SESSION_TOKEN='tok'\n");
    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) == 0,
       "a credentials file with comments, export, quotes, CRLF");
    is_str(c.access_key, "AKID1", "the access key");
    is_str(c.secret_key, "se/cr+et", "the secret, unquoted");
    is_str(c.session_token, "tok", "the session token");

    chmod(path, 0644);
    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) != 0
       && strstr(err, "every user (mode 0644)")
       && strstr(err, "se/cr+et") == NULL,
       "a file every user may read: refused, the secret not quoted");

    write_file(path, "AWS_ACCESS_KEY_ID=AKID1\n");
    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) != 0
       && strstr(err, "both needed"), "without the secret: refused");

    write_file(path, "AWS_ACCESS_KEY_ID=AKID1\nAWS_SECRET_ACCESS_KEY=a b\n");
    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) != 0
       && strstr(err, "a b") == NULL,
       "a secret with a space: refused, and not quoted in the message");

    write_file(path, "AWS_ACCESS_KEY_ID=AKID1\nnot a line\n");
    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) != 0
       && strstr(err, "line 2"), "a line that is not NAME=value: its "
                                  "number");
    ok(c.access_key[0] == '\0', "a refused file leaves no credential");
    unlink(path);

    ok(djass_s3_creds_load(path, &c, err, sizeof(err)) != 0
       && strstr(err, "cannot read"), "a missing file: cannot read");

    /* XML */

    ok(djass_s3_xml_parse(list_xml, sizeof(list_xml) - 1, &l) == 0,
       "a ListBucketResult parses");
    ok(l.nobjects == 2 && l.truncated, "two objects, truncated");
    is_str(l.objects[0].key, "p/projects/001/1.zip", "the first key");
    ok(l.objects[0].size == 1234, "its size");
    is_str(l.objects[0].last_modified, "2026-12-06T17:56:21.000Z",
           "its LastModified");
    is_str(l.objects[1].key, "p/a&b<\xe2\x98\xba" "A.zip",
           "entities and character references unescaped");
    is_str(l.next_token, "tok/en+=", "the continuation token");
    djass_s3_list_free(&l);

    ok(parse("<ListBucketResult><IsTruncated>true"
                          "</IsTruncated></ListBucketResult>", &l) != 0,
       "truncated without a token: refused (it would loop)");

    ok(parse("<Error><Code>SignatureDoesNotMatch</Code>"
                          "<Message>no &amp; no</Message></Error>", &l)
       == 0, "an Error document parses");
    is_str(l.code, "SignatureDoesNotMatch", "its Code");
    is_str(l.message, "no & no", "its Message");
    djass_s3_list_free(&l);

    ok(parse("<Contents><Key>x</Key></Contents>", &l) != 0,
       "neither a listing nor an error: refused");
    ok(parse("<ListBucketResult><Contents><Key>&#0;</Key>"
                          "</Contents></ListBucketResult>", &l) != 0,
       "a NUL character reference: refused");
    ok(parse("<ListBucketResult><Contents><Key>a", &l) != 0,
       "an unclosed element: refused");

    return done_testing();
}
