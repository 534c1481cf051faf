/*
 * djassctl: the administrator's tool for profiles and API keys.
 *
 *   djassctl --redis ADDR profile create --email E [--quota N]
 *   djassctl --redis ADDR profile show ID
 *   djassctl --redis ADDR key create --profile ID [--scopes S,S] [--legacy]
 *                                    [--name NAME] [--expires-in SECONDS]
 *   djassctl --redis ADDR key list --profile ID
 *   djassctl --redis ADDR key revoke KEY
 *
 * Each prints only its result on stdout; errors go to stderr with exit
 * status 1 (bad input, nothing found) or 2 (Redis unreachable or failing).
 * A key is printed once, at creation: Redis holds only its SHA-256.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "djass_addr.h"


#define DJASS_KEY_PREFIX      "djk_"
#define DJASS_KEY_RANDOM      32           /* bytes: 256 bits */
#define DJASS_KEY_LEN         (sizeof(DJASS_KEY_PREFIX) - 1 \
                               + 2 * DJASS_KEY_RANDOM)
#define DJASS_KEY_SHOWN       12           /* characters kept as "prefix" */
#define DJASS_SCOPE_CREATE    "projects:create"
#define DJASS_SCOPE_READ      "projects:read"

#define EXIT_USAGE            1
#define EXIT_REDIS            2


typedef struct {
    const char  *redis;
    const char  *password;
    const char  *email;
    const char  *quota;
    const char  *profile;
    const char  *scopes;
    const char  *name;
    const char  *expires_in;
    int          legacy;
} ctl_opts_t;


static redisContext  *ctl_redis;
static const char    *ctl_addr;


static void
die(int code, const char *fmt, ...)
{
    va_list  ap;

    fprintf(stderr, "djassctl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");

    if (ctl_redis) {
        redisFree(ctl_redis);
    }

    exit(code);
}


static void
usage(void)
{
    fprintf(stderr,
        "usage: djassctl --redis ADDR [--password P] COMMAND\n"
        "  profile create --email E [--quota N]   prints the profile id\n"
        "  profile show ID                        prints the profile\n"
        "  key create --profile ID [--scopes projects:create,projects:read]\n"
        "             [--legacy] [--name NAME] [--expires-in SECONDS]\n"
        "                                         prints the key, once\n"
        "  key list --profile ID                  one JSON line per key\n"
        "  key revoke KEY                         revokes the key\n"
        "ADDR is host:port or unix:/path (default 127.0.0.1:6379)\n");
    exit(EXIT_USAGE);
}


/* --- Redis --------------------------------------------------------------- */

static void
ctl_connect(const char *addr, const char *password)
{
    redisReply      *reply;
    djass_addr_t     a;
    struct timeval   tv = { 2, 0 };

    if (djass_addr_parse(addr, strlen(addr), &a) != 0) {
        die(EXIT_USAGE, "invalid Redis address \"%s\" "
            "(want host:port or unix:/path)", addr);
    }

    ctl_addr = addr;
    ctl_redis = a.is_unix ? redisConnectUnixWithTimeout(a.host, tv)
                          : redisConnectWithTimeout(a.host, a.port, tv);

    if (ctl_redis == NULL || ctl_redis->err) {
        die(EXIT_REDIS, "cannot reach Redis at %s: %s", addr,
            ctl_redis ? ctl_redis->errstr : "out of memory");
    }

    redisSetTimeout(ctl_redis, tv);

    if (password && password[0]) {
        reply = redisCommand(ctl_redis, "AUTH %s", password);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
            die(EXIT_REDIS, "Redis at %s refused the password", addr);
        }
        freeReplyObject(reply);
    }
}


/* runs a command; any transport or Redis error ends the program */

static redisReply *
ctl_command(const char *fmt, ...)
{
    va_list      ap;
    redisReply  *reply;

    va_start(ap, fmt);
    reply = redisvCommand(ctl_redis, fmt, ap);
    va_end(ap);

    if (reply == NULL) {
        die(EXIT_REDIS, "Redis at %s: %s", ctl_addr, ctl_redis->errstr);
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "djassctl: Redis at %s: %s\n", ctl_addr, reply->str);
        freeReplyObject(reply);
        die(EXIT_REDIS, "command failed");
    }

    return reply;
}


static long long
ctl_integer(redisReply *reply)
{
    long long  n;

    n = reply->type == REDIS_REPLY_INTEGER ? reply->integer
        : (reply->type == REDIS_REPLY_STRING ? atoll(reply->str) : 0);
    freeReplyObject(reply);

    return n;
}


/* --- input checks -------------------------------------------------------- */

static long long
ctl_number(const char *what, const char *s, long long min, long long max)
{
    char       *end;
    long long   n;

    errno = 0;
    n = strtoll(s, &end, 10);

    if (s[0] == '\0' || *end != '\0' || errno || n < min || n > max) {
        die(EXIT_USAGE, "%s must be an integer from %lld to %lld, not \"%s\"",
            what, min, max, s);
    }

    return n;
}


static void
ctl_check_email(const char *email)
{
    size_t       len;
    const char  *at, *p;

    len = strlen(email);
    at = strchr(email, '@');

    if (len == 0 || len > 254 || at == NULL || at == email
        || at[1] == '\0' || strchr(at + 1, '@'))
    {
        die(EXIT_USAGE, "invalid email \"%s\"", email);
    }

    for (p = email; *p; p++) {
        if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '"'
            || *p == '<' || *p == '>' || *p == '\\')
        {
            die(EXIT_USAGE, "invalid email \"%s\"", email);
        }
    }
}


/* "projects:read,projects:create" -> canonical order, unknowns refused */

static void
ctl_scopes(const char *list, char *out, size_t size)
{
    int          create, read;
    size_t       len;
    const char  *p, *comma;

    create = 0;
    read = 0;

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

        } else {
            die(EXIT_USAGE, "unknown scope \"%.*s\" (known: "
                DJASS_SCOPE_CREATE ", " DJASS_SCOPE_READ ")", (int) len, p);
        }

        if (comma == NULL) {
            break;
        }
    }

    if (!create && !read) {
        die(EXIT_USAGE, "--scopes names no scope");
    }

    snprintf(out, size, "%s%s%s", create ? DJASS_SCOPE_CREATE : "",
             create && read ? "," : "", read ? DJASS_SCOPE_READ : "");
}


static void
ctl_require_profile(const char *id)
{
    ctl_number("profile id", id, 1, 999999999999999LL);

    if (ctl_integer(ctl_command("EXISTS djass:profile:%s", id)) != 1) {
        die(EXIT_USAGE, "no profile %s", id);
    }
}


/* --- keys ---------------------------------------------------------------- */

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


/* --- commands ------------------------------------------------------------ */

static int
ctl_profile_create(ctl_opts_t *o)
{
    long long   id, quota;
    redisReply  *reply;

    if (o->email == NULL) {
        die(EXIT_USAGE, "profile create needs --email");
    }

    ctl_check_email(o->email);
    quota = o->quota ? ctl_number("--quota", o->quota, 0, 1000000000) : -1;

    id = ctl_integer(ctl_command("INCR djass:seq:profile"));

    if (quota >= 0) {
        reply = ctl_command("HSET djass:profile:%lld id %lld email %s "
                            "quota %lld created_at %lld", id, id, o->email,
                            quota, (long long) time(NULL));
    } else {
        reply = ctl_command("HSET djass:profile:%lld id %lld email %s "
                            "created_at %lld", id, id, o->email,
                            (long long) time(NULL));
    }

    freeReplyObject(reply);
    printf("%lld\n", id);

    return 0;
}


static json_t *
ctl_hash_object(redisReply *reply)
{
    size_t   i;
    json_t  *obj;

    obj = json_object();

    for (i = 0; obj && i + 1 < reply->elements; i += 2) {
        json_object_set_new(obj, reply->element[i]->str,
                            json_string(reply->element[i + 1]->str));
    }

    return obj;
}


static void
ctl_print_json(json_t *obj)
{
    char  *text;

    text = json_dumps(obj, JSON_COMPACT|JSON_PRESERVE_ORDER);
    if (text == NULL) {
        die(EXIT_REDIS, "out of memory");
    }

    printf("%s\n", text);
    free(text);
}


static int
ctl_profile_show(const char *id)
{
    json_t      *obj;
    redisReply  *reply;

    ctl_require_profile(id);

    reply = ctl_command("HGETALL djass:profile:%s", id);
    obj = ctl_hash_object(reply);
    freeReplyObject(reply);

    json_object_set_new(obj, "projects", json_integer(ctl_integer(
        ctl_command("ZCARD djass:profile:%s:projects", id))));
    json_object_set_new(obj, "keys", json_integer(ctl_integer(
        ctl_command("SCARD djass:profile:%s:keys", id))));

    ctl_print_json(obj);
    json_decref(obj);

    return 0;
}


static int
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
        die(EXIT_REDIS, "the key was not stored");
    }
    freeReplyObject(reply);

    printf("%s\n", key);

    return 0;
}


static int
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


static int
ctl_key_revoke(const char *key)
{
    char  digest[65];

    ctl_sha256_hex(key, digest);

    if (ctl_integer(ctl_command("EXISTS djass:key:%s", digest)) != 1) {
        die(EXIT_USAGE, "no such key");
    }

    ctl_integer(ctl_command("HSETNX djass:key:%s revoked_at %lld", digest,
                            (long long) time(NULL)));

    printf("revoked\n");

    return 0;
}


/* --- main ---------------------------------------------------------------- */

/* the options that take a value, and where each value goes */

static const char **
ctl_value_option(ctl_opts_t *o, const char *name)
{
    size_t  i;

    struct {
        const char   *name;
        const char  **value;
    } options[] = {
        { "--redis", &o->redis },
        { "--password", &o->password },
        { "--email", &o->email },
        { "--quota", &o->quota },
        { "--profile", &o->profile },
        { "--scopes", &o->scopes },
        { "--name", &o->name },
        { "--expires-in", &o->expires_in },
    };

    for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strcmp(name, options[i].name) == 0) {
            return options[i].value;
        }
    }

    return NULL;
}


int
main(int argc, char **argv)
{
    int           i, npos;
    char         *pos[3];
    const char   *a, **value;
    ctl_opts_t    o;

    memset(&o, 0, sizeof(o));
    o.redis = "127.0.0.1:6379";
    o.password = getenv("DJASS_REDIS_PASSWORD");
    npos = 0;

    for (i = 1; i < argc; i++) {
        a = argv[i];
        value = ctl_value_option(&o, a);

        if (value) {
            if (i + 1 >= argc) {
                die(EXIT_USAGE, "%s needs a value", a);
            }
            *value = argv[++i];
        } else if (strcmp(a, "--legacy") == 0) {
            o.legacy = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
        } else if (a[0] == '-' && a[1] == '-') {
            die(EXIT_USAGE, "unknown option %s (see --help)", a);
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            usage();
        }
    }

    if (npos < 2) {
        usage();
    }

#define CMD(g, c, n)  (strcmp(pos[0], g) == 0 && strcmp(pos[1], c) == 0 \
                       && npos == n)

    if (!(CMD("profile", "create", 2) || CMD("profile", "show", 3)
          || CMD("key", "create", 2) || CMD("key", "list", 2)
          || CMD("key", "revoke", 3)))
    {
        usage();
    }

    ctl_connect(o.redis, o.password);

    if (CMD("profile", "create", 2)) {
        i = ctl_profile_create(&o);
    } else if (CMD("profile", "show", 3)) {
        i = ctl_profile_show(pos[2]);
    } else if (CMD("key", "create", 2)) {
        i = ctl_key_create(&o);
    } else if (CMD("key", "list", 2)) {
        i = ctl_key_list(&o);
    } else {
        i = ctl_key_revoke(pos[2]);
    }

#undef CMD

    redisFree(ctl_redis);

    return i;
}
