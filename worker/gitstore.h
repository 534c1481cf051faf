/*
 * Issue 25: a project's git repository beside its ZIP in the store,
 * projects/NNN/<id>.pack and projects/NNN/<id>.idx (one pack, complete:
 * an upgrade's holds its parent's objects too).  nginx answers info/refs,
 * HEAD and objects/info/packs from the record (git_commit, git_pack) and
 * serves these two files (ngx_http_djass_git.c).
 */

#ifndef DJASS_GITSTORE_H
#define DJASS_GITSTORE_H

#include <limits.h>
#include <stddef.h>

#include "conf.h"
#include "generate.h"
#include "gitrepo.h"
#include "publish.h"
#include "record.h"


typedef struct {
    djass_git_in_t  in;
    char            parent_pack[PATH_MAX];
    char            parent_idx[PATH_MAX];
    char            err[256];    /* when in.slug is NULL: setup failed */
    const djass_conf_t  *conf;
    char            parent_rel[64];  /* an HTTP or S3 store: the parent's
                                        pack, fetched by the child */
} djass_gitstore_in_t;


/* the commit's inputs from the record (g points into st); the parent's
 * pack, for an upgrade (a folder store: read in place; an HTTP or S3
 * store: fetched by djass_gitstore_write).  On failure g->in.slug is NULL
 * and g->err says why (the project fails with it) */
void djass_gitstore_setup(const djass_conf_t *conf, const djass_start_t *st,
    djass_gitstore_in_t *g);

/* in the child, after the ZIP: the pack and its index beside the
 * temporary ZIP; res->git_commit and res->git_pack; -1 with res->error */
int djass_gitstore_write(const djass_publish_t *p, djass_generate_t *res);

/* the pack and the index into the store (a folder: renamed into place;
 * HTTP or S3: PUT, retried as the ZIP's); as djass_upload_publish
 * returns, errno set on a folder's -1 */
int djass_gitstore_publish(const djass_conf_t *conf, const djass_publish_t *p,
    int (*tick)(void *data), void *data, char *err, size_t len);

/* projects/NNN/<id>.pack or .idx into rel; -1 when id is no number */
int djass_gitstore_rel(const char *id, const char *ext, char *rel,
    size_t len);

#endif /* DJASS_GITSTORE_H */
