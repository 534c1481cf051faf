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
 * The store is walked with lib/djass_store.c: a folder, or an S3 bucket
 * (--artifacts s3://BUCKET[/PREFIX] with the worker's --s3-endpoint,
 * --s3-region and --s3-credentials; ListObjectsV2 page after page).  The
 * orphans are removed after the walk.  A ready record whose artifact was
 * not listed is looked for once more (stat, or an S3 HEAD: it may have
 * come after the walk).  An HTTP store (http(s)://...) cannot be listed:
 * it is refused with a message.
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
#include "djass_store.h"
#include "gc.h"


#define CTL_GC_LIST   100        /* ids of missing artifacts listed */


typedef struct {
    djass_store_t    st;
    int              dry_run;
    long long        artifacts;      /* ZIPs found */
    long long        orphans;        /* of them, no record points to */
    long long        removed;        /* orphans removed */
    long long        failed;         /* orphans that could not be removed */
    long long        temporary;      /* entries under .tmp/ (a folder) */
    long long        records;        /* project records looked at */
    long long        missing;        /* ready records without their ZIP */
    json_t          *missing_ids;
    json_t          *found;          /* the listed artifacts, as a set */
    char           **orphan_rels;    /* to remove after the listing */
    size_t           norphans;
    size_t           nalloc;
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


/* each artifact the listing gives: kept, or an orphan to remove */
static int
ctl_gc_each(void *data, const char *rel, long long size)
{
    ctl_gc_t    *gc = data;
    char         id[32], zip[64], **list;
    size_t       n, e;
    long long    v;
    const char  *name;

    /* projects/NNN/ID.zip, nothing deeper */
    if (strncmp(rel, "projects/", 9) != 0
        || (name = strrchr(rel, '/')) == NULL
        || name == rel + 8 || strchr(rel + 9, '/') != name)
    {
        return 0;
    }

    name++;
    n = strlen(name);

    /* the ZIP, or (issue 25) its git repository's pack and index, kept
     * or removed with it */
    e = (n > 4 && strcmp(name + n - 4, ".zip") == 0) ? 4
        : (n > 5 && strcmp(name + n - 5, ".pack") == 0) ? 5
        : (n > 4 && strcmp(name + n - 4, ".idx") == 0) ? 4 : 0;

    if (e == 0 || n - e >= sizeof(id)
        || (size_t) (name - rel) + n - e + 5 > sizeof(zip))
    {
        return 0;
    }

    memcpy(id, name, n - e);
    id[n - e] = '\0';

    /* not a name a worker writes: not ours to judge */
    if (djass_parse_int(id, 1, LLONG_MAX, &v) != 0) {
        return 0;
    }

    snprintf(zip, sizeof(zip), "%.*s.zip", (int) (name - rel + n - e), rel);

    if (e == 4 && name[n - 3] == 'z') {
        gc->artifacts++;
    }

    json_object_set_new(gc->found, rel, json_true());

    if (ctl_gc_wanted(id, zip)) {
        return 0;
    }

    /* the counts are the ZIPs' (a repository goes with its ZIP) */
    if (e == 4 && name[n - 3] == 'z') {
        gc->orphans++;
    }

    if (gc->dry_run) {
        return 0;
    }

    /* removed after the walk: a listing is not changed under its feet */
    if (gc->norphans == gc->nalloc) {
        gc->nalloc = gc->nalloc ? gc->nalloc * 2 : 64;
        list = realloc(gc->orphan_rels, gc->nalloc * sizeof(char *));
        if (list == NULL) {
            die(EXIT_USAGE, "gc: out of memory");
        }
        gc->orphan_rels = list;
    }

    gc->orphan_rels[gc->norphans] = strdup(rel);
    if (gc->orphan_rels[gc->norphans] == NULL) {
        die(EXIT_USAGE, "gc: out of memory");
    }

    gc->norphans++;
    return 0;
}


static void
ctl_gc_store(ctl_gc_t *gc)
{
    int             rc;
    DIR            *d;
    char            dir[PATH_MAX], err[512];
    size_t          i, n;
    struct dirent  *e;

    if (gc->st.kind == DJASS_STORE_FOLDER
        && snprintf(dir, sizeof(dir), "%s/.tmp", gc->st.location)
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

    err[0] = '\0';

    if (djass_store_list(&gc->st, ctl_gc_each, gc, err, sizeof(err)) != 0) {
        die(EXIT_USAGE, "gc: cannot list the artifact store: %s",
            err[0] ? err : "failed");
    }

    for (i = 0; i < gc->norphans; i++) {
        err[0] = '\0';
        rc = djass_store_delete(&gc->st, gc->orphan_rels[i], err,
                                sizeof(err));

        n = strlen(gc->orphan_rels[i]);

        if (rc == 0) {
            if (strcmp(gc->orphan_rels[i] + n - 4, ".zip") == 0) {
                gc->removed++;
            }

        } else {
            gc->failed++;
            fprintf(stderr, "djassctl: gc: cannot remove %s: %s\n",
                    gc->orphan_rels[i], err);
        }

        free(gc->orphan_rels[i]);
    }

    free(gc->orphan_rels);
    gc->orphan_rels = NULL;
}


/* 1: rel is in the store (not listed: it may have come since) */
static int
ctl_gc_exists(ctl_gc_t *gc, const char *rel)
{
    char           path[PATH_MAX], key[DJASS_S3_KEY_MAX + 1], err[256];
    long long      size;
    struct stat    st;
    djass_s3_rc_e  rc;

    if (json_object_get(gc->found, rel)) {
        return 1;
    }

    if (gc->st.kind == DJASS_STORE_FOLDER) {
        return snprintf(path, sizeof(path), "%s/%s", gc->st.location, rel)
               < (int) sizeof(path)
               && stat(path, &st) == 0;
    }

    if (djass_s3_key(&gc->st.s3, rel, key, sizeof(key)) != 0) {
        return 0;
    }

    rc = djass_s3_head(&gc->st.client, key, &size, err, sizeof(err));

    if (rc != DJASS_S3_OK && rc != DJASS_S3_NOT_FOUND) {
        die(EXIT_USAGE, "gc: cannot look for %s in the artifact store: %s",
            rel, err);
    }

    return rc == DJASS_S3_OK;
}


/* the ready records, SCANned: is each one's ZIP there? */
static void
ctl_gc_records(ctl_gc_t *gc)
{
    size_t        i;
    char          cursor[32];
    redisReply   *scan, *r, *keys;
    const char   *key;

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
                        || !ctl_gc_exists(gc, r->element[1]->str)))
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
    char                 err[512];
    const char          *v;
    json_t              *out;
    ctl_gc_t             gc;
    struct stat          st;
    djass_store_opts_t   so;

    if (o->artifacts == NULL) {
        die(EXIT_USAGE, "gc needs --artifacts STORE (as the worker's)");
    }

    if (strncmp(o->artifacts, "http://", 7) == 0
        || strncmp(o->artifacts, "https://", 8) == 0)
    {
        die(EXIT_USAGE, "gc: an HTTP store cannot be listed; run gc where "
            "the store's folder is, with --artifacts DIR");
    }

    if (!djass_s3_is_url(o->artifacts)
        && (stat(o->artifacts, &st) != 0 || !S_ISDIR(st.st_mode)))
    {
        die(EXIT_USAGE, "gc: --artifacts %s is not a folder", o->artifacts);
    }

    memset(&so, 0, sizeof(so));
    so.artifacts = o->artifacts;
    so.s3_endpoint = o->s3_endpoint;
    so.s3_region = o->s3_region;
    so.s3_credentials = o->s3_credentials;

    memset(&gc, 0, sizeof(gc));

    if (djass_store_open(&so, &gc.st, err, sizeof(err)) != 0) {
        die(EXIT_USAGE, "gc: %s", err);
    }

    /* tests only: a listing's page, to walk many pages of few keys */
    v = getenv("DJASS_DEBUG_S3_MAX_KEYS");
    if (v) {
        gc.st.client.max_keys = (int) ctl_number("DJASS_DEBUG_S3_MAX_KEYS",
                                                 v, 1, 1000);
    }

    gc.dry_run = o->dry_run;
    gc.missing_ids = json_array();
    gc.found = json_object();

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
    json_decref(gc.found);
    djass_store_close(&gc.st);

    ctl_print_json(out);
    json_decref(out);

    return gc.failed ? EXIT_USAGE : 0;
}
