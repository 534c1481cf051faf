/*
 * Profiles: djass:profile:<id> hashes, ids from djass:seq:profile.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profile.h"


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


void
ctl_require_profile(const char *id)
{
    ctl_number("profile id", id, 1, 999999999999999LL);

    if (ctl_integer(ctl_command("EXISTS djass:profile:%s", id)) != 1) {
        die(EXIT_USAGE, "no profile %s", id);
    }
}


int
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
    ctl_confirm();
    printf("%lld\n", id);

    return 0;
}


int
ctl_profile_show(ctl_opts_t *o)
{
    json_t      *obj;
    const char  *id;
    redisReply  *reply;

    id = o->arg;

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
