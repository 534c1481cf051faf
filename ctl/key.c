/*
 * API keys: "djk_" and 256 random bits, stored as djass:key:<sha256> with
 * the profile, scopes and the first characters to recognise it by.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "key.h"
#include "profile.h"


#define DJASS_KEY_PREFIX      "djk_"
#define DJASS_KEY_RANDOM      32           /* bytes: 256 bits */
#define DJASS_KEY_LEN         (sizeof(DJASS_KEY_PREFIX) - 1 \
                               + 2 * DJASS_KEY_RANDOM)
#define DJASS_KEY_SHOWN       12           /* characters kept as "prefix" */
#define DJASS_SCOPE_CREATE    "projects:create"
#define DJASS_SCOPE_READ      "projects:read"
#define DJASS_SCOPE_DELETE    "projects:delete"


/* "projects:read,projects:create" -> canonical order (create, read,
 * delete), unknowns refused */

static void
ctl_scopes(const char *list, char *out, size_t size)
{
    int          create, read, del;
    size_t       len;
    const char  *p, *comma;

    create = 0;
    read = 0;
    del = 0;

    for (p = list; *p; p = comma ? comma + 1 : p + len) {
        comma = strchr(p, ',');
        len = comma ? (size_t) (comma - p) : strlen(p);

        if (len == sizeof(DJASS_SCOPE_CREATE) - 1
            && memcmp(p, DJASS_SCOPE_CREATE, len) == 0)
        {
            create = 1;

        } else if (len == sizeof(DJASS_SCOPE_READ) - 1
                   && memcmp(p, DJASS_SCOPE_READ, len) == 0)
        {
            read = 1;

        } else if (len == sizeof(DJASS_SCOPE_DELETE) - 1
                   && memcmp(p, DJASS_SCOPE_DELETE, len) == 0)
        {
            del = 1;

        } else {
            die(EXIT_USAGE, "unknown scope \"%.*s\" (known: "
                DJASS_SCOPE_CREATE ", " DJASS_SCOPE_READ ", "
                DJASS_SCOPE_DELETE ")", (int) len, p);
        }

        if (comma == NULL) {
            break;
        }
    }

    if (!create && !read && !del) {
        die(EXIT_USAGE, "--scopes names no scope");
    }

    snprintf(out, size, "%s%s%s%s%s", create ? DJASS_SCOPE_CREATE : "",
             create && read ? "," : "", read ? DJASS_SCOPE_READ : "",
             del && (create || read) ? "," : "",
             del ? DJASS_SCOPE_DELETE : "");
}


static void
ctl_sha256_hex(const char *s, char hex[65])
{
    unsigned int    n, i;
    unsigned char   md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1) {
        die(EXIT_REDIS, "SHA-256 failed");
    }

    for (i = 0; i < n; i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }
}


static void
ctl_new_key(char key[DJASS_KEY_LEN + 1])
{
    size_t         i, got;
    ssize_t        n;
    unsigned char  rnd[DJASS_KEY_RANDOM];

    for (got = 0; got < sizeof(rnd); got += n) {
        n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            die(EXIT_REDIS, "no randomness from the kernel: %s",
                strerror(errno));
        }
    }

    memcpy(key, DJASS_KEY_PREFIX, sizeof(DJASS_KEY_PREFIX) - 1);

    for (i = 0; i < sizeof(rnd); i++) {
        sprintf(key + sizeof(DJASS_KEY_PREFIX) - 1 + 2 * i, "%02x", rnd[i]);
    }
}


int
ctl_key_create(ctl_opts_t *o)
{
    char        scopes[64], key[DJASS_KEY_LEN + 1], digest[65];
    long long   now, expires;
    redisReply  *reply;

    if (o->profile == NULL) {
        die(EXIT_USAGE, "key create needs --profile ID");
    }

    if (o->legacy && o->scopes) {
        die(EXIT_USAGE, "a --legacy key has every scope: drop --scopes");
    }

    ctl_scopes(o->scopes ? o->scopes
                         : DJASS_SCOPE_CREATE "," DJASS_SCOPE_READ,
               scopes, sizeof(scopes));

    if (o->name && strlen(o->name) > 200) {
        die(EXIT_USAGE, "--name is longer than 200 characters");
    }

    now = time(NULL);
    expires = o->expires_in
              ? now + ctl_number("--expires-in", o->expires_in, 1,
                                 100LL * 365 * 86400)
              : 0;

    ctl_require_profile(o->profile);

    ctl_new_key(key);
    ctl_sha256_hex(key, digest);

    freeReplyObject(ctl_command("MULTI"));
    freeReplyObject(ctl_command(
        "HSET djass:key:%s profile %s scopes %s legacy %s name %s "
        "prefix %b created_at %lld", digest, o->profile, scopes,
        o->legacy ? "1" : "0", o->name ? o->name : "",
        key, (size_t) DJASS_KEY_SHOWN, now));

    if (expires) {
        freeReplyObject(ctl_command("HSET djass:key:%s expires_at %lld",
                                    digest, expires));
    }

    freeReplyObject(ctl_command("SADD djass:profile:%s:keys %s",
                                o->profile, digest));

    reply = ctl_command("EXEC");
    if (reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        die(EXIT_REDIS, "the key was not stored");
    }
    freeReplyObject(reply);

    ctl_confirm();
    printf("%s\n", key);

    return 0;
}


int
ctl_key_list(ctl_opts_t *o)
{
    size_t       i;
    json_t      *obj;
    redisReply  *keys, *reply;

    if (o->profile == NULL) {
        die(EXIT_USAGE, "key list needs --profile ID");
    }

    ctl_require_profile(o->profile);

    keys = ctl_command("SMEMBERS djass:profile:%s:keys", o->profile);

    for (i = 0; i < keys->elements; i++) {
        reply = ctl_command("HGETALL djass:key:%s", keys->element[i]->str);
        obj = ctl_hash_object(reply);
        freeReplyObject(reply);

        /* the digest is not the key, but it is what the key unlocks */
        json_object_del(obj, "profile");
        ctl_print_json(obj);
        json_decref(obj);
    }

    freeReplyObject(keys);

    return 0;
}


int
ctl_key_revoke(ctl_opts_t *o)
{
    char  digest[65];

    ctl_sha256_hex(o->arg, digest);

    if (ctl_integer(ctl_command("EXISTS djass:key:%s", digest)) != 1) {
        die(EXIT_USAGE, "no such key");
    }

    ctl_integer(ctl_command("HSETNX djass:key:%s revoked_at %lld", digest,
                            (long long) time(NULL)));

    ctl_confirm();
    printf("revoked\n");

    return 0;
}
