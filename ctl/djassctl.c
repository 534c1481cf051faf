/*
 * djassctl: the administrator's tool for profiles and API keys.
 *
 *   djassctl --redis ADDR profile create --email E [--quota N]
 *   djassctl --redis ADDR profile show ID
 *   djassctl --redis ADDR key create --profile ID [--scopes S,S] [--legacy]
 *                                    [--name NAME] [--expires-in SECONDS]
 *   djassctl --redis ADDR key list --profile ID
 *   djassctl --redis ADDR key revoke KEY
 *   djassctl --redis ADDR webhook add --profile ID --url URL
 *                                     [--events E,E] [--allow-private]
 *   djassctl --redis ADDR webhook list --profile ID
 *   djassctl --redis ADDR webhook remove ID
 *
 * Each prints only its result on stdout; errors go to stderr with exit
 * status 1 (bad input, nothing found) or 2 (Redis unreachable or failing).
 * A key is printed once, at creation: Redis holds only its SHA-256; a
 * webhook secret is printed once, at add.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_parse.h"
#include "djass_redis.h"
#include "djassctl.h"
#include "key.h"
#include "profile.h"
#include "webhook.h"

#ifndef DJASS_VERSION
#error "DJASS_VERSION is set by the Makefile, from the file VERSION"
#endif


#define CTL_TIMEOUT_MS        2000         /* connect and each command */


static redisContext  *ctl_redis;
static const char    *ctl_addr;


void
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
        "  webhook add --profile ID --url URL [--events project.ready,\n"
        "              project.failed] [--allow-private]\n"
        "                                         prints the endpoint and\n"
        "                                         its secret, once\n"
        "  webhook list --profile ID              a JSON array of endpoints\n"
        "  webhook remove ID                      removes the endpoint\n"
        "ADDR is host:port, unix:/path or\n"
        "sentinel://HOST:PORT[,HOST:PORT...]/NAME (default 127.0.0.1:6379)\n"
        "--version prints the version\n");
    exit(EXIT_USAGE);
}


long long
ctl_number(const char *what, const char *s, long long min, long long max)
{
    long long  n;

    if (djass_parse_int(s, min, max, &n) != 0) {
        die(EXIT_USAGE, "%s must be an integer from %lld to %lld, not \"%s\"",
            what, min, max, s);
    }

    return n;
}


/* --- Redis --------------------------------------------------------------- */

static void
ctl_connect(const char *addr, const char *password)
{
    char          err[256];
    djass_addr_t  a;

    if (djass_addr_parse(addr, strlen(addr), &a) != 0) {
        die(EXIT_USAGE, "invalid Redis address \"%s\" "
            "(want host:port, unix:/path or "
            "sentinel://HOST:PORT[,HOST:PORT...]/NAME)", addr);
    }

    ctl_addr = addr;

    switch (djass_redis_open(&a, password, CTL_TIMEOUT_MS, &ctl_redis, err,
                             sizeof(err)))
    {
    case DJASS_REDIS_OK:
        return;

    case DJASS_REDIS_EAUTH:
        die(EXIT_REDIS, "Redis at %s refused the password", addr);

    default:
        die(EXIT_REDIS, "cannot reach Redis at %s: %s", addr, err);
    }
}


redisReply *
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


long long
ctl_integer(redisReply *reply)
{
    long long  n;

    if (djass_redis_integer(reply, &n) != 0) {
        n = 0;
    }

    freeReplyObject(reply);

    return n;
}


/* --- output -------------------------------------------------------------- */

json_t *
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


void
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
        { "--url", &o->url },
        { "--events", &o->events },
    };

    for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strcmp(name, options[i].name) == 0) {
            return options[i].value;
        }
    }

    return NULL;
}


/* the commands: group, command, how many arguments, what runs them */

typedef struct {
    const char  *group;
    const char  *name;
    int          nargs;
    int        (*handler)(ctl_opts_t *o);
} ctl_command_t;


static const ctl_command_t  ctl_commands[] = {
    { "profile", "create", 0, ctl_profile_create },
    { "profile", "show", 1, ctl_profile_show },
    { "key", "create", 0, ctl_key_create },
    { "key", "list", 0, ctl_key_list },
    { "key", "revoke", 1, ctl_key_revoke },
    { "webhook", "add", 0, ctl_webhook_add },
    { "webhook", "list", 0, ctl_webhook_list },
    { "webhook", "remove", 1, ctl_webhook_remove },
};


static const ctl_command_t *
ctl_find_command(const char *group, const char *name, int nargs)
{
    size_t  i;

    for (i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
        if (strcmp(group, ctl_commands[i].group) == 0
            && strcmp(name, ctl_commands[i].name) == 0
            && nargs == ctl_commands[i].nargs)
        {
            return &ctl_commands[i];
        }
    }

    return NULL;
}


int
main(int argc, char **argv)
{
    int                   i, npos;
    char                 *pos[3];
    const char           *a, **value;
    ctl_opts_t            o;
    const ctl_command_t  *cmd;

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
        } else if (strcmp(a, "--allow-private") == 0) {
            o.allow_private = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
        } else if (strcmp(a, "--version") == 0) {
            printf("djassctl %s\n", DJASS_VERSION);
            return 0;
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

    cmd = ctl_find_command(pos[0], pos[1], npos - 2);
    if (cmd == NULL) {
        usage();
    }

    o.arg = npos > 2 ? pos[2] : NULL;

    ctl_connect(o.redis, o.password);

    i = cmd->handler(&o);

    redisFree(ctl_redis);

    return i;
}
