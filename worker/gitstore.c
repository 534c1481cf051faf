/*
 * Issue 25: the project's git repository in the artifact store (see
 * gitstore.h).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "djass_parse.h"
#include "gitstore.h"
#include "log.h"
#include "rollout.h"
#include "upload.h"


int
djass_gitstore_rel(const char *id, const char *ext, char *rel, size_t len)
{
    long long  n;

    if (djass_parse_int(id, 0, LLONG_MAX, &n) != 0
        || snprintf(rel, len, "projects/%03d/%s.%s", (int) (n % 1000), id,
                    ext)
           >= (int) len)
    {
        return -1;
    }

    return 0;
}


static int djass_gitstore_parent(const djass_conf_t *conf,
    const djass_start_t *st, djass_gitstore_in_t *g, char *err, size_t len);


void
djass_gitstore_setup(const djass_conf_t *conf, const djass_start_t *st,
    djass_gitstore_in_t *g)
{
    memset(g, 0, sizeof(djass_gitstore_in_t));
    g->conf = conf;

    if (djass_gitstore_parent(conf, st, g, g->err, sizeof(g->err)) != 0) {
        g->in.slug = NULL;
        djass_log("git: %s", g->err);
    }
}


static int
djass_gitstore_parent(const djass_conf_t *conf, const djass_start_t *st,
    djass_gitstore_in_t *g, char *err, size_t len)
{
    char  rel[64];

    if (st->created_at <= 0 || st->slug == NULL || st->slug[0] == '\0') {
        snprintf(err, len, "The project's record lacks its created_at or "
                 "slug.");
        return -1;
    }

    g->in.created_at = st->created_at;
    g->in.slug = st->slug;

    /* the version it is rendered with (the record says the same once
     * finished, worker/rollout.c) */
    g->in.template_version = djass_template_current[0]
                             ? djass_template_current : "unknown";

    if (st->parent_commit[0] == '\0') {
        return 0;
    }

    if (!djass_git_is_sha(st->parent_commit)
        || djass_gitstore_rel(st->upgraded_from, "pack", rel, sizeof(rel))
           != 0)
    {
        snprintf(err, len, "The project's parent commit is unusable.");
        return -1;
    }

    g->in.parent = st->parent_commit;

    if (conf->artifacts_url) {
        /* fetched in the child, beside the work folder */
        memcpy(g->parent_rel, rel, sizeof(rel));
        return 0;
    }

    if (snprintf(g->parent_pack, sizeof(g->parent_pack), "%s/%s",
                 conf->artifacts_dir, rel)
        >= (int) sizeof(g->parent_pack))
    {
        snprintf(err, len, "The artifact store's path is too long.");
        return -1;
    }

    memcpy(g->parent_idx, g->parent_pack, sizeof(g->parent_idx));
    strcpy(g->parent_idx + strlen(g->parent_idx) - 4, "idx");

    if (access(g->parent_pack, R_OK) != 0
        || access(g->parent_idx, R_OK) != 0)
    {
        snprintf(err, len, "The project this one upgrades (%s) has no git "
                 "repository in the store any more (deleted?).",
                 st->upgraded_from);
        return -1;
    }

    g->in.parent_pack = g->parent_pack;
    g->in.parent_idx = g->parent_idx;

    return 0;
}


/* the temporary pack and index: .tmp/<id>.<attempt>.<pid>.pack, .idx,
 * beside the temporary ZIP in the store's .tmp/ (the render's folder may
 * be on another file system, --work-dir: a rename from there fails) */
static int
djass_gitstore_tmp(const djass_publish_t *p, char *pack, char *idx)
{
    size_t  n;

    n = strlen(p->zip);

    if (n < sizeof(".zip") - 1
        || strcmp(p->zip + n - (sizeof(".zip") - 1), ".zip") != 0)
    {
        return -1;
    }

    n -= sizeof(".zip") - 1;

    if (snprintf(pack, PATH_MAX, "%.*s.pack", (int) n, p->zip) >= PATH_MAX
        || snprintf(idx, PATH_MAX, "%.*s.idx", (int) n, p->zip) >= PATH_MAX)
    {
        return -1;
    }

    return 0;
}


/* an HTTP or S3 store: the parent's pack and index into the work area */
static int
djass_gitstore_fetch(const djass_gitstore_in_t *g, djass_git_in_t *in,
    char *pack, char *idx, djass_generate_t *res)
{
    int             i;
    char            rel[64], msg[256], *file;
    djass_upload_e  rc;

    for (i = 0; i < 2; i++) {
        memcpy(rel, g->parent_rel, sizeof(rel));
        file = i ? idx : pack;

        if (i) {
            strcpy(rel + strlen(rel) - 4, "idx");
        }

        rc = djass_upload_get(g->conf, rel, file, msg, sizeof(msg));

        if (rc == DJASS_UPLOAD_OK) {
            continue;
        }

        if (rc == DJASS_UPLOAD_PERMANENT) {
            snprintf(res->error, sizeof(res->error), "The project this one "
                     "upgrades has no git repository in the store any more "
                     "(deleted?): %s", msg);

        } else {
            /* the store is failing, not the project: the job is redone */
            snprintf(res->error, sizeof(res->error), "%s", msg);
            res->store_errno = EIO;
        }

        return -1;
    }

    in->parent_pack = pack;
    in->parent_idx = idx;

    return 0;
}


int
djass_gitstore_write(const djass_publish_t *p, djass_generate_t *res)
{
    int                         rc;
    char                        pack[PATH_MAX], idx[PATH_MAX], msg[512];
    char                        ppack[PATH_MAX], pidx[PATH_MAX];
    djass_git_in_t              in;
    djass_git_out_t             out;
    const djass_gitstore_in_t  *g;

    /* in is the first member */
    g = (const djass_gitstore_in_t *) p->git;
    in = g->in;

    if (djass_gitstore_tmp(p, pack, idx) != 0
        || snprintf(ppack, sizeof(ppack), "%s.parent.pack", p->dir)
           >= (int) sizeof(ppack)
        || snprintf(pidx, sizeof(pidx), "%s.parent.idx", p->dir)
           >= (int) sizeof(pidx))
    {
        snprintf(res->error, sizeof(res->error), "The artifact store's path "
                 "is too long.");
        return -1;
    }

    if (g->parent_rel[0] && djass_gitstore_fetch(g, &in, ppack, pidx, res)
                            != 0)
    {
        (void) unlink(ppack);
        (void) unlink(pidx);
        return -1;
    }

    rc = djass_git_write(p->zip, pack, idx, &in, &out, msg, sizeof(msg));

    if (g->parent_rel[0]) {
        (void) unlink(ppack);
        (void) unlink(pidx);
    }

    if (rc != 0) {
        snprintf(res->error, sizeof(res->error), "Writing the git "
                 "repository failed: %s", msg);
        return -1;
    }

    memcpy(res->git_commit, out.commit, sizeof(out.commit));
    memcpy(res->git_pack, out.pack, sizeof(out.pack));

    return 0;
}


static int
djass_gitstore_error(char *err, size_t len)
{
    int  e;

    e = errno;
    snprintf(err, len, "Cannot publish the git repository in the artifact "
             "store (%s).", strerror(e));
    errno = e;
    return -1;
}


int
djass_gitstore_publish(const djass_conf_t *conf, const djass_publish_t *p,
    int (*tick)(void *data), void *data, char *err, size_t len)
{
    int          i, rc;
    char         tmp[2][PATH_MAX], rel[2][64], final[PATH_MAX], *dot;
    struct stat  sb;

    if (djass_gitstore_tmp(p, tmp[0], tmp[1]) != 0) {
        snprintf(err, len, "The artifact store's path is too long.");
        errno = ENAMETOOLONG;
        return -1;
    }

    /* projects/NNN/<id>.zip: the same name, another extension */
    dot = strrchr(p->rel, '.');

    for (i = 0; i < 2; i++) {
        if (snprintf(rel[i], sizeof(rel[i]), "%.*s.%s", (int) (dot - p->rel),
                     p->rel, i ? "idx" : "pack")
            >= (int) sizeof(rel[i]))
        {
            snprintf(err, len, "The artifact store's path is too long.");
            errno = ENAMETOOLONG;
            return -1;
        }

        if (conf->artifacts_url) {
            if (stat(tmp[i], &sb) != 0) {
                snprintf(err, len, "The git repository is missing (%s).",
                         strerror(errno));
                return 1;
            }

            rc = djass_upload_publish(conf, tmp[i], rel[i], sb.st_size, tick,
                                      data, err, len);
            if (rc != 0) {
                return rc;
            }

            continue;
        }

        /* a folder: the ZIP's folder exists (published first) */
        if (snprintf(final, sizeof(final), "%s/%s", conf->artifacts_dir,
                     rel[i])
            >= (int) sizeof(final))
        {
            snprintf(err, len, "The artifact store's path is too long.");
            errno = ENAMETOOLONG;
            return -1;
        }

        if (rename(tmp[i], final) != 0) {
            return djass_gitstore_error(err, len);
        }
    }

    if (conf->artifacts_url == NULL) {
        /* the renames are durable once their folder is */
        *strrchr(final, '/') = '\0';

        rc = open(final, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rc < 0) {
            return djass_gitstore_error(err, len);
        }

        if (fsync(rc) != 0 && errno != EINVAL && errno != EROFS) {
            close(rc);
            return djass_gitstore_error(err, len);
        }

        close(rc);
    }

    return 0;
}
