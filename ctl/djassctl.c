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
 *   djassctl --redis ADDR gc --artifacts STORE [--dry-run]
 *                            [--s3-endpoint URL --s3-region REGION
 *                             --s3-credentials FILE]
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
#include "gc.h"
#include "key.h"
#include "profile.h"
#include "webhook.h"

#ifndef DJASS_VERSION
#error "DJASS_VERSION is set by the Makefile, from the file VERSION"
#endif


#define CTL_TIMEOUT_MS        2000         /* connect and each command */
#define CTL_WAIT_MS           1000         /* WAIT's, below the above */
#define CTL_MULTI_MAX         8            /* commands in a transaction */


static redisContext  *ctl_redis;
static const char    *ctl_addr;
static const char    *ctl_password;
static djass_addr_t   ctl_parsed;
static int            ctl_reasked;       /* the Sentinels asked again */
static int            ctl_wait;          /* --redis-wait N */
static char          *ctl_cmd;           /* the command being sent */

/* an open MULTI's commands as sent (MULTI first), for a new master */
static char          *ctl_multi[CTL_MULTI_MAX];
static int            ctl_multi_len[CTL_MULTI_MAX];
static int            ctl_nmulti;


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

    while (ctl_nmulti) {
        redisFreeCommand(ctl_multi[--ctl_nmulti]);
    }

    if (ctl_cmd) {
        redisFreeCommand(ctl_cmd);
    }

    exit(code);
}


static void
usage(void)
{
    fprintf(stderr,
        "usage: djassctl --redis ADDR [--password P] [--redis-wait N] "
        "COMMAND\n"
        "  profile create --email E [--quota N]   prints the profile id\n"
        "  profile show ID                        prints the profile\n"
        "  key create --profile ID [--scopes projects:create,projects:read,\n"
        "             projects:delete]\n"
        "             [--legacy] [--name NAME] [--expires-in SECONDS]\n"
        "                                         prints the key, once\n"
        "  key list --profile ID                  one JSON line per key\n"
        "  key revoke KEY                         revokes the key\n"
        "  webhook add --profile ID --url URL [--events project.ready,\n"
        "              project.failed,project.deleted] [--allow-private]\n"
        "                                         prints the endpoint and\n"
        "                                         its secret, once\n"
        "  webhook list --profile ID              a JSON array of endpoints\n"
        "  webhook remove ID                      removes the endpoint\n"
        "  gc --artifacts STORE [--dry-run]       removes ZIPs no record\n"
        "                                         points to, reports records\n"
        "                                         whose ZIP is missing\n"
        "     STORE: a folder or s3://BUCKET[/PREFIX], with\n"
        "     [--s3-endpoint URL] [--s3-region REGION]\n"
        "     [--s3-credentials FILE] (else AWS_ACCESS_KEY_ID,\n"
        "     AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as the worker's\n"
        "ADDR is host:port, unix:/path or\n"
        "sentinel://HOST:PORT[,HOST:PORT...]/NAME (default 127.0.0.1:6379)\n"
        "--redis-wait N: a write succeeds once N replicas have it (WAIT,\n"
        "1 s)\n"
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
ctl_open(void)
{
    char  err[256];

    switch (djass_redis_open(&ctl_parsed, ctl_password, CTL_TIMEOUT_MS,
                             &ctl_redis, err, sizeof(err)))
    {
    case DJASS_REDIS_OK:
        return;

    case DJASS_REDIS_EAUTH:
        die(EXIT_REDIS, "Redis at %s refused the password", ctl_addr);

    default:
        die(EXIT_REDIS, "cannot reach Redis at %s: %s", ctl_addr, err);
    }
}


static void
ctl_connect(const char *addr, const char *password)
{
    if (djass_addr_parse(addr, strlen(addr), &ctl_parsed) != 0) {
        die(EXIT_USAGE, "invalid Redis address \"%s\" "
            "(want host:port, unix:/path or "
            "sentinel://HOST:PORT[,HOST:PORT...]/NAME)", addr);
    }

    ctl_addr = addr;
    ctl_password = password;

    ctl_open();
}


/* one formatted command sent, its reply read; no reply ends the program */
static redisReply *
ctl_send(const char *cmd, int len)
{
    void  *reply;

    if (redisAppendFormattedCommand(ctl_redis, cmd, len) != REDIS_OK
        || redisGetReply(ctl_redis, &reply) != REDIS_OK)
    {
        die(EXIT_REDIS, "Redis at %s: %s", ctl_addr,
            djass_redis_errstr(ctl_redis, NULL));
    }

    return reply;
}


static redisReply *
ctl_checked(redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "djassctl: Redis at %s: %s\n", ctl_addr, reply->str);
        freeReplyObject(reply);
        die(EXIT_REDIS, "command failed");
    }

    return reply;
}


/*
 * The master of a Sentinel address moved (-READONLY, -LOADING,
 * -MASTERDOWN: nothing was done): the Sentinels are asked again, once,
 * and an open transaction is begun again on the new master.
 */
static void
ctl_reask(redisReply *reply)
{
    int  i;

    fprintf(stderr, "djassctl: Redis at %s: %s; asking the Sentinels "
            "again\n", ctl_addr, reply->str);
    freeReplyObject(reply);

    ctl_reasked = 1;
    redisFree(ctl_redis);
    ctl_redis = NULL;

    ctl_open();

    for (i = 0; i < ctl_nmulti; i++) {
        freeReplyObject(ctl_checked(ctl_send(ctl_multi[i],
                                             ctl_multi_len[i])));
    }
}


redisReply *
ctl_command(const char *fmt, ...)
{
    int          len, multi;
    char        *cmd;
    va_list      ap;
    redisReply  *reply;

    va_start(ap, fmt);
    len = redisvFormatCommand(&ctl_cmd, fmt, ap);
    va_end(ap);

    if (len < 0) {
        ctl_cmd = NULL;
        die(EXIT_REDIS, "out of memory");
    }

    reply = ctl_send(ctl_cmd, len);

    if (ctl_parsed.nsentinels && !ctl_reasked && djass_redis_moved(reply)) {
        ctl_reask(reply);
        reply = ctl_send(ctl_cmd, len);
    }

    cmd = ctl_cmd;
    ctl_cmd = NULL;

    /* the commands of a transaction are kept until EXEC */
    multi = strcmp(fmt, "MULTI") == 0;

    if (strcmp(fmt, "EXEC") == 0 || strcmp(fmt, "DISCARD") == 0) {
        while (ctl_nmulti) {
            redisFreeCommand(ctl_multi[--ctl_nmulti]);
        }
        redisFreeCommand(cmd);

    } else if ((multi || ctl_nmulti) && ctl_nmulti < CTL_MULTI_MAX) {
        ctl_multi[ctl_nmulti] = cmd;
        ctl_multi_len[ctl_nmulti++] = len;

    } else if (ctl_nmulti) {
        redisFreeCommand(cmd);
        freeReplyObject(reply);
        die(EXIT_REDIS, "a transaction of more than %d commands",
            CTL_MULTI_MAX);

    } else {
        redisFreeCommand(cmd);
    }

    return ctl_checked(reply);
}


void
ctl_confirm(void)
{
    long long  n;

    if (ctl_wait == 0) {
        return;
    }

    n = ctl_integer(ctl_command("WAIT %d %d", ctl_wait, CTL_WAIT_MS));

    if (n < ctl_wait) {
        die(EXIT_REDIS, "written on the master, but %lld of %d replica(s) "
            "confirmed it within %d ms (--redis-wait): a failover now "
            "could lose it; check, and run again if it is missing", n,
            ctl_wait, CTL_WAIT_MS);
    }
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
        { "--redis-wait", &o->redis_wait },
        { "--artifacts", &o->artifacts },
        { "--s3-endpoint", &o->s3_endpoint },
        { "--s3-region", &o->s3_region },
        { "--s3-credentials", &o->s3_credentials },
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
    { "gc", "", 0, ctl_gc },
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
        } else if (strcmp(a, "--dry-run") == 0) {
            o.dry_run = 1;
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

    /* gc is one word */
    if (npos == 1 && strcmp(pos[0], "gc") == 0) {
        pos[npos++] = "";
    }

    if (npos < 2) {
        usage();
    }

    cmd = ctl_find_command(pos[0], pos[1], npos - 2);
    if (cmd == NULL) {
        usage();
    }

    o.arg = npos > 2 ? pos[2] : NULL;

    if (o.redis_wait) {
        ctl_wait = (int) ctl_number("--redis-wait", o.redis_wait, 0, 64);
    }

    ctl_connect(o.redis, o.password);

    i = cmd->handler(&o);

    redisFree(ctl_redis);

    return i;
}
