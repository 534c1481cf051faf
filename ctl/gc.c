/*
 * djassctl gc: the artifact store against the records.
 *
 * A ZIP at projects/<id mod 1000>/<id>.zip is kept while its record
 * exists and is queued or generating (a job is on its way and will replace
 * it), or is ready and points to it; any other is an orphan: its record is
 * gone (deleted, expired) or failed.  Files under .tmp/ belong to running
 * jobs and are only counted.  Then every ready record's artifact is
 * looked for, with SCAN in batches: the missing ones are reported (at most
 * CTL_GC_LIST of their ids are listed).
 *
 * Only a folder store can be listed: an HTTP store (http(s)://...) is
 * refused with a message.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "djass_parse.h"
#include "gc.h"


#define CTL_GC_LIST   100        /* ids of missing artifacts listed */


typedef struct {
    const char  *store;
    int          dry_run;
    long long    artifacts;      /* ZIPs found */
    long long    orphans;        /* of them, no record points to */
    long long    removed;        /* orphans removed */
    long long    failed;         /* orphans that could not be removed */
    long long    temporary;      /* entries under .tmp/ */
    long long    records;        /* project records looked at */
    long long    missing;        /* ready records without their ZIP */
    json_t      *missing_ids;
} ctl_gc_t;


/* 1: the record wants this ZIP (or may soon); 0: an orphan */
static int
ctl_gc_wanted(const char *id, const char *rel)
{
    int          keep;
    redisReply  *r;

    r = ctl_command("HMGET djass:project:%s status artifact", id);

    keep = 0;

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2
        && r->element[0]->type == REDIS_REPLY_STRING)
    {
        if (strcmp(r->element[0]->str, "queued") == 0
            || strcmp(r->element[0]->str, "generating") == 0)
        {
            keep = 1;

        } else if (strcmp(r->element[0]->str, "ready") == 0
                   && r->element[1]->type == REDIS_REPLY_STRING
                   && strcmp(r->element[1]->str, rel) == 0)
        {
            keep = 1;
        }
    }

    freeReplyObject(r);
    return keep;
}


/* projects/<bucket>/: each <id>.zip */
static void
ctl_gc_bucket(ctl_gc_t *gc, const char *bucket)
{
    DIR            *d;
    size_t          len;
    char            dir[PATH_MAX], path[PATH_MAX], rel[NAME_MAX + 64];
    char            id[32];
    long long       n;
    struct dirent  *e;

    if (snprintf(dir, sizeof(dir), "%s/projects/%s", gc->store, bucket)
        >= (int) sizeof(dir))
    {
        return;
    }

    d = opendir(dir);
    if (d == NULL) {
        return;
    }

    while ((e = readdir(d)) != NULL) {
        len = strlen(e->d_name);

        if (len < 5 || len - 4 >= sizeof(id)
            || strcmp(e->d_name + len - 4, ".zip") != 0)
        {
            continue;
        }

        memcpy(id, e->d_name, len - 4);
        id[len - 4] = '\0';

        /* not a name a worker writes: not ours to judge */
        if (djass_parse_int(id, 1, LLONG_MAX, &n) != 0) {
            continue;
        }

        gc->artifacts++;

        snprintf(rel, sizeof(rel), "projects/%s/%s", bucket, e->d_name);

        if (ctl_gc_wanted(id, rel)) {
            continue;
        }

        gc->orphans++;

        if (gc->dry_run) {
            continue;
        }

        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name)
            < (int) sizeof(path)
            && (unlink(path) == 0 || errno == ENOENT))
        {
            gc->removed++;

        } else {
            gc->failed++;
            fprintf(stderr, "djassctl: gc: cannot remove %s: %s\n", rel,
                    strerror(errno));
        }
    }

    closedir(d);
}


static void
ctl_gc_store(ctl_gc_t *gc)
{
    DIR            *d;
    char            dir[PATH_MAX];
    struct dirent  *e;

    if (snprintf(dir, sizeof(dir), "%s/.tmp", gc->store)
        < (int) sizeof(dir)
        && (d = opendir(dir)) != NULL)
    {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                gc->temporary++;
            }
        }

        closedir(d);
    }

    if (snprintf(dir, sizeof(dir), "%s/projects", gc->store)
        >= (int) sizeof(dir))
    {
        die(EXIT_USAGE, "gc: the store's path is too long");
    }

    d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) {
            return;
        }
        die(EXIT_USAGE, "gc: cannot read %s: %s", dir, strerror(errno));
    }

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            ctl_gc_bucket(gc, e->d_name);
        }
    }

    closedir(d);
}


/* the ready records, SCANned: is each one's ZIP there? */
static void
ctl_gc_records(ctl_gc_t *gc)
{
    size_t        i;
    char          cursor[32], path[PATH_MAX];
    redisReply   *scan, *r, *keys;
    const char   *key;
    struct stat   st;

    strcpy(cursor, "0");

    do {
        scan = ctl_command("SCAN %s MATCH djass:project:* COUNT 1000",
                           cursor);

        if (scan->type != REDIS_REPLY_ARRAY || scan->elements != 2
            || scan->element[0]->type != REDIS_REPLY_STRING
            || scan->element[1]->type != REDIS_REPLY_ARRAY
            || strlen(scan->element[0]->str) >= sizeof(cursor))
        {
            freeReplyObject(scan);
            die(EXIT_REDIS, "gc: unexpected SCAN reply");
        }

        snprintf(cursor, sizeof(cursor), "%s", scan->element[0]->str);
        keys = scan->element[1];

        for (i = 0; i < keys->elements; i++) {
            key = keys->element[i]->str;

            if (keys->element[i]->type != REDIS_REPLY_STRING || key == NULL) {
                continue;
            }

            r = ctl_command("HMGET %s status artifact id", key);

            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3
                && r->element[0]->type == REDIS_REPLY_STRING)
            {
                gc->records++;

                if (strcmp(r->element[0]->str, "ready") == 0
                    && (r->element[1]->type != REDIS_REPLY_STRING
                        || snprintf(path, sizeof(path), "%s/%s", gc->store,
                                    r->element[1]->str)
                           >= (int) sizeof(path)
                        || stat(path, &st) != 0))
                {
                    gc->missing++;

                    if (json_array_size(gc->missing_ids) < CTL_GC_LIST
                        && r->element[2]->type == REDIS_REPLY_STRING)
                    {
                        json_array_append_new(gc->missing_ids,
                            json_integer(atoll(r->element[2]->str)));
                    }
                }
            }

            freeReplyObject(r);
        }

        freeReplyObject(scan);

    } while (strcmp(cursor, "0") != 0);
}


int
ctl_gc(ctl_opts_t *o)
{
    json_t       *out;
    ctl_gc_t      gc;
    struct stat   st;

    if (o->artifacts == NULL) {
        die(EXIT_USAGE, "gc needs --artifacts STORE (as the worker's)");
    }

    if (strncmp(o->artifacts, "http://", 7) == 0
        || strncmp(o->artifacts, "https://", 8) == 0)
    {
        die(EXIT_USAGE, "gc: an HTTP store cannot be listed; run gc where "
            "the store's folder is, with --artifacts DIR");
    }

    if (stat(o->artifacts, &st) != 0 || !S_ISDIR(st.st_mode)) {
        die(EXIT_USAGE, "gc: --artifacts %s is not a folder", o->artifacts);
    }

    memset(&gc, 0, sizeof(gc));
    gc.store = o->artifacts;
    gc.dry_run = o->dry_run;
    gc.missing_ids = json_array();

    ctl_gc_store(&gc);
    ctl_gc_records(&gc);

    out = json_object();
    json_object_set_new(out, "dry_run", json_boolean(gc.dry_run));
    json_object_set_new(out, "artifacts", json_integer(gc.artifacts));
    json_object_set_new(out, "orphans", json_integer(gc.orphans));
    json_object_set_new(out, "removed", json_integer(gc.removed));
    json_object_set_new(out, "remove_failed", json_integer(gc.failed));
    json_object_set_new(out, "temporary", json_integer(gc.temporary));
    json_object_set_new(out, "records", json_integer(gc.records));
    json_object_set_new(out, "missing", json_integer(gc.missing));
    json_object_set_new(out, "missing_ids", gc.missing_ids);

    ctl_print_json(out);
    json_decref(out);

    return gc.failed ? EXIT_USAGE : 0;
}
