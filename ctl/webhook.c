/*
 * Webhook endpoints: djass:webhook:<id> hashes (url, events, secret,
 * allow_private, disabled, the last delivery's outcome) and each profile's
 * set djass:profile:<pid>:webhooks, which redis/record_finish.lua reads to
 * queue one message per matching endpoint (doc/redis-layout.md).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "djass_parse.h"
#include "djass_webhook.h"
#include "profile.h"
#include "webhook.h"


#define CTL_WEBHOOK_SECRET_BYTES   32      /* Standard Webhooks: 24 to 64 */
#define CTL_WEBHOOK_ID_BYTES       12
#define CTL_EVENT_READY            "project.ready"
#define CTL_EVENT_FAILED           "project.failed"
#define CTL_EVENT_DELETED          "project.deleted"


static void
ctl_random(unsigned char *buf, size_t n)
{
    size_t   got;
    ssize_t  r;

    for (got = 0; got < n; got += r) {
        r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) {
                r = 0;
                continue;
            }
            die(EXIT_REDIS, "no randomness from the kernel: %s",
                strerror(errno));
        }
    }
}


/* "project.failed,project.ready" -> canonical order (ready, failed,
 * deleted), unknowns refused */
static void
ctl_events(const char *list, char *out, size_t size)
{
    int          ready, failed, deleted;
    size_t       len;
    const char  *p, *comma;

    ready = 0;
    failed = 0;
    deleted = 0;

    for (p = list; ; p = comma + 1) {
        comma = strchr(p, ',');
        len = comma ? (size_t) (comma - p) : strlen(p);

        if (len == sizeof(CTL_EVENT_READY) - 1
            && memcmp(p, CTL_EVENT_READY, len) == 0)
        {
            ready = 1;

        } else if (len == sizeof(CTL_EVENT_FAILED) - 1
                   && memcmp(p, CTL_EVENT_FAILED, len) == 0)
        {
            failed = 1;

        } else if (len == sizeof(CTL_EVENT_DELETED) - 1
                   && memcmp(p, CTL_EVENT_DELETED, len) == 0)
        {
            deleted = 1;

        } else {
            die(EXIT_USAGE, "unknown event \"%.*s\" (known: "
                CTL_EVENT_READY ", " CTL_EVENT_FAILED ", " CTL_EVENT_DELETED
                ")", (int) len, p);
        }

        if (comma == NULL) {
            break;
        }
    }

    snprintf(out, size, "%s%s%s%s%s", ready ? CTL_EVENT_READY : "",
             ready && failed ? "," : "", failed ? CTL_EVENT_FAILED : "",
             deleted && (ready || failed) ? "," : "",
             deleted ? CTL_EVENT_DELETED : "");
}


static json_t *
ctl_events_array(const char *events)
{
    json_t      *a;
    const char  *p, *comma;

    a = json_array();

    for (p = events; a && *p; p = comma + 1) {
        comma = strchr(p, ',');
        json_array_append_new(a, json_stringn(p, comma ? (size_t) (comma - p)
                                                       : strlen(p)));
        if (comma == NULL) {
            break;
        }
    }

    return a;
}


int
ctl_webhook_add(ctl_opts_t *o)
{
    size_t          i;
    char            events[64], id[4 + 2 * CTL_WEBHOOK_ID_BYTES],
                    err[512], secret[sizeof(DJASS_WEBHOOK_SECRET_PREFIX)
                                     + 4 * (CTL_WEBHOOK_SECRET_BYTES + 2)
                                       / 3];
    json_t         *obj;
    redisReply     *reply;
    const char     *why;
    djass_url_t     u;
    djass_addrs_t   addrs;
    unsigned char   rnd[CTL_WEBHOOK_SECRET_BYTES];

    if (o->profile == NULL || o->url == NULL) {
        die(EXIT_USAGE, "webhook add needs --profile ID and --url URL");
    }

    ctl_events(o->events ? o->events
                         : CTL_EVENT_READY "," CTL_EVENT_FAILED,
               events, sizeof(events));

    if (djass_url_parse(o->url, &u, &why) != 0) {
        die(EXIT_USAGE, "--url %s: %s", o->url, why);
    }

    ctl_require_profile(o->profile);

    /* the same rule the worker applies at every delivery */
    if (djass_url_resolve(&u, o->allow_private, &addrs, err, sizeof(err))
        != 0)
    {
        die(EXIT_USAGE, "--url %s: %s", o->url, err);
    }

    ctl_random(rnd, CTL_WEBHOOK_ID_BYTES);
    memcpy(id, "ep_", 3);
    for (i = 0; i < CTL_WEBHOOK_ID_BYTES; i++) {
        sprintf(id + 3 + 2 * i, "%02x", rnd[i]);
    }

    ctl_random(rnd, sizeof(rnd));
    memcpy(secret, DJASS_WEBHOOK_SECRET_PREFIX,
           sizeof(DJASS_WEBHOOK_SECRET_PREFIX) - 1);
    djass_base64_encode(rnd, sizeof(rnd),
                        secret + sizeof(DJASS_WEBHOOK_SECRET_PREFIX) - 1);

    freeReplyObject(ctl_command("MULTI"));
    freeReplyObject(ctl_command(
        "HSET djass:webhook:%s id %s profile %s url %s events %s secret %s "
        "allow_private %s disabled 0 created_at %lld", id, id, o->profile,
        o->url, events, secret, o->allow_private ? "1" : "0",
        (long long) time(NULL)));
    freeReplyObject(ctl_command("SADD djass:profile:%s:webhooks %s",
                                o->profile, id));

    reply = ctl_command("EXEC");
    if (reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        die(EXIT_REDIS, "the endpoint was not stored");
    }
    freeReplyObject(reply);

    ctl_confirm();
    obj = json_object();
    json_object_set_new(obj, "id", json_string(id));
    json_object_set_new(obj, "url", json_string(o->url));
    json_object_set_new(obj, "events", ctl_events_array(events));
    json_object_set_new(obj, "secret", json_string(secret));
    ctl_print_json(obj);
    json_decref(obj);

    return 0;
}


static const char *
ctl_field(redisReply *reply, size_t i)
{
    if (i < reply->elements && reply->element[i]->type == REDIS_REPLY_STRING)
    {
        return reply->element[i]->str;
    }

    return NULL;
}


static json_t *
ctl_int_or_null(const char *s)
{
    long long  n;

    if (s == NULL || djass_parse_int(s, 0, 999999999999999LL, &n) != 0) {
        return json_null();
    }

    return json_integer(n);
}


static json_t *
ctl_time_or_null(const char *s)
{
    char       text[32];
    time_t     t;
    long long  n;
    struct tm  tm;

    if (s == NULL || djass_parse_int(s, 0, 99999999999LL, &n) != 0) {
        return json_null();
    }

    t = (time_t) n;
    gmtime_r(&t, &tm);
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);

    return json_string(text);
}


enum {
    CTL_W_ID = 0, CTL_W_URL, CTL_W_EVENTS, CTL_W_PRIVATE, CTL_W_DISABLED,
    CTL_W_CREATED, CTL_W_LAST_AT, CTL_W_LAST_PROJECT, CTL_W_LAST_ATTEMPT,
    CTL_W_LAST_OUTCOME, CTL_W_LAST_STATUS, CTL_W_LAST_ERROR
};


static json_t *
ctl_webhook_object(redisReply *r)
{
    json_t      *obj, *last;
    const char  *s;

    obj = json_object();
    json_object_set_new(obj, "id", json_string(ctl_field(r, CTL_W_ID)));
    json_object_set_new(obj, "url", json_string(ctl_field(r, CTL_W_URL)));
    s = ctl_field(r, CTL_W_EVENTS);
    json_object_set_new(obj, "events", ctl_events_array(s ? s : ""));
    s = ctl_field(r, CTL_W_PRIVATE);
    json_object_set_new(obj, "allow_private",
                        json_boolean(s && strcmp(s, "1") == 0));
    s = ctl_field(r, CTL_W_DISABLED);
    json_object_set_new(obj, "disabled",
                        json_boolean(s && strcmp(s, "1") == 0));
    json_object_set_new(obj, "created_at",
                        ctl_time_or_null(ctl_field(r, CTL_W_CREATED)));

    if (ctl_field(r, CTL_W_LAST_OUTCOME) == NULL) {
        json_object_set_new(obj, "last_delivery", json_null());
        return obj;
    }

    last = json_object();
    json_object_set_new(last, "at",
                        ctl_time_or_null(ctl_field(r, CTL_W_LAST_AT)));
    json_object_set_new(last, "project",
                        ctl_int_or_null(ctl_field(r, CTL_W_LAST_PROJECT)));
    json_object_set_new(last, "attempt",
                        ctl_int_or_null(ctl_field(r, CTL_W_LAST_ATTEMPT)));
    json_object_set_new(last, "outcome",
                        json_string(ctl_field(r, CTL_W_LAST_OUTCOME)));
    json_object_set_new(last, "status",
                        ctl_int_or_null(ctl_field(r, CTL_W_LAST_STATUS)));
    s = ctl_field(r, CTL_W_LAST_ERROR);
    json_object_set_new(last, "error",
                        s && *s ? json_string(s) : json_null());
    json_object_set_new(obj, "last_delivery", last);

    return obj;
}


int
ctl_webhook_list(ctl_opts_t *o)
{
    size_t       i;
    json_t      *arr;
    redisReply  *ids, *reply;

    if (o->profile == NULL) {
        die(EXIT_USAGE, "webhook list needs --profile ID");
    }

    ctl_require_profile(o->profile);

    ids = ctl_command("SORT djass:profile:%s:webhooks ALPHA", o->profile);
    arr = json_array();

    for (i = 0; i < ids->elements; i++) {
        reply = ctl_command("HMGET djass:webhook:%s id url events "
                            "allow_private disabled created_at last_at "
                            "last_project last_attempt last_outcome "
                            "last_status last_error", ids->element[i]->str);

        if (ctl_field(reply, CTL_W_ID) != NULL) {
            json_array_append_new(arr, ctl_webhook_object(reply));
        }

        freeReplyObject(reply);
    }

    freeReplyObject(ids);
    ctl_print_json(arr);
    json_decref(arr);

    return 0;
}


int
ctl_webhook_remove(ctl_opts_t *o)
{
    redisReply  *reply;

    reply = ctl_command("HGET djass:webhook:%s profile", o->arg);
    if (reply->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        die(EXIT_USAGE, "no webhook endpoint %s", o->arg);
    }

    freeReplyObject(ctl_command("MULTI"));
    freeReplyObject(ctl_command("SREM djass:profile:%s:webhooks %s",
                                reply->str, o->arg));
    freeReplyObject(ctl_command("DEL djass:webhook:%s", o->arg));
    freeReplyObject(reply);
    freeReplyObject(ctl_command("EXEC"));

    ctl_confirm();
    printf("removed\n");

    return 0;
}
