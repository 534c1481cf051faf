/*
 * lib/djass_webhook.c: the webhook URL grammar, the SSRF rule on every
 * kind of address, and base64 (the whsec_ secret, the signature).
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "djass_webhook.h"
#include "tap.h"


static int
public_addr(const char *text)
{
    struct sockaddr_in   s4;
    struct sockaddr_in6  s6;

    memset(&s4, 0, sizeof(s4));
    memset(&s6, 0, sizeof(s6));

    if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
        s4.sin_family = AF_INET;
        return djass_addr_public((struct sockaddr *) &s4);
    }

    if (inet_pton(AF_INET6, text, &s6.sin6_addr) == 1) {
        s6.sin6_family = AF_INET6;
        return djass_addr_public((struct sockaddr *) &s6);
    }

    return -1;
}


int
main(void)
{
    size_t              i, n;
    char                b64[64];
    const char         *err;
    djass_url_t         u;
    unsigned char       raw[64];

    static const char  *blocked[] = {
        "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1",
        "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "239.1.2.3", "255.255.255.255",
        "240.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9",
        "198.18.0.1", "::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
        "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a00:1",
        "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1",
        "ff02::1", "2001:db8::1", "2002:7f00:1::", "2001::1", "100::1",
        "::ffff:8.8.8.8",
    };

    static const char  *allowed[] = {
        "8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255",
        "100.128.0.1", "169.253.0.1", "192.169.0.1", "2606:4700::1111",
        "64:ff9b::808:808", "2002:808:808::",
        "2a00:1450:4001::200e",
    };

    for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        ok(public_addr(blocked[i]) == 0, "%s is refused without "
           "--allow-private", blocked[i]);
    }

    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        ok(public_addr(allowed[i]) == 1, "%s is a public address",
           allowed[i]);
    }

    ok(djass_url_parse("https://hooks.example.com/a/b?c=d", &u, &err) == 0
       && u.https && u.port == 443 && strcmp(u.host, "hooks.example.com")
          == 0, "https URL: host, default port 443");
    ok(djass_url_parse("HTTP://Example.COM:8080", &u, &err) == 0
       && !u.https && u.port == 8080 && strcmp(u.host, "Example.COM") == 0,
       "http URL without a path, scheme in capitals, a port");
    ok(djass_url_parse("http://[2001:db8::1]:81/x", &u, &err) == 0
       && u.port == 81 && strcmp(u.host, "2001:db8::1") == 0,
       "an IPv6 literal in brackets");

    {
        static const char  *bad[] = {
            "ftp://example.com/", "example.com/x", "http://", "http:///x",
            "http://user@example.com/", "http://a:b@example.com/",
            "http://example.com/#x", "http://exa mple.com/",
            "http://example.com:0/", "http://example.com:65536/",
            "http://example.com:80a/", "http://[::1/", "http://[zz]/",
            "http://[::1]x/", "http://ex\\ample.com/", "http://-x.com/",
            "http://ex_ample.com/", "http://example.com/\x01",
            "http://\xc3\xa9.com/",
        };

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            ok(djass_url_parse(bad[i], &u, &err) == -1,
               "URL refused: %s (%s)", bad[i], err);
        }
    }

    djass_base64_encode((const unsigned char *) "any carnal pleas", 16, b64);
    is_str(b64, "YW55IGNhcm5hbCBwbGVhcw==", "base64 of 16 bytes: two =");
    djass_base64_encode((const unsigned char *) "any carnal pleasu", 17,
                        b64);
    is_str(b64, "YW55IGNhcm5hbCBwbGVhc3U=", "base64 of 17 bytes: one =");
    djass_base64_encode((const unsigned char *) "any carnal pleasur", 18,
                        b64);
    is_str(b64, "YW55IGNhcm5hbCBwbGVhc3Vy", "base64 of 18 bytes: no =");

    ok(djass_base64_decode("YW55IGNhcm5hbCBwbGVhc3U=", raw, sizeof(raw), &n)
       == 0 && n == 17 && memcmp(raw, "any carnal pleasu", 17) == 0,
       "base64 decodes back, padded");
    ok(djass_base64_decode("YW55IGNhcm5hbCBwbGVhc3U", raw, sizeof(raw), &n)
       == 0 && n == 17, "and unpadded");
    ok(djass_base64_decode("YW55*", raw, sizeof(raw), &n) == -1,
       "a character outside base64 is refused");
    ok(djass_base64_decode("YW55IGNhcm5hbCBwbGVhc3U=", raw, 4, &n) == -1,
       "more bytes than room is refused");

    return done_testing();
}
