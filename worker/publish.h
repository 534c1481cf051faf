/*
 * The artifact store: a folder that every nginx reaches (local disk for one
 * host, shared storage for many).  A project's ZIP is published at a fixed
 * relative path, projects/<id mod 1000>/<id>.zip, so a redone job replaces
 * the file instead of adding one.  Work happens under .tmp/ in the same
 * file system, and the finished ZIP arrives with one rename(2): readers
 * see the old file or the new one, never half of one.
 */

#ifndef DJASS_PUBLISH_H
#define DJASS_PUBLISH_H

#include <limits.h>
#include <stddef.h>


#define DJASS_TMP_DIR   ".tmp"


typedef struct {
    char  dir[PATH_MAX];     /* .tmp/<id>.<attempt>.<pid>/: the render, in
                                the work folder's .tmp/ (or the store's) */
    char  zip[PATH_MAX];     /* .tmp/<id>.<attempt>.<pid>.zip, the store's */
    char  rel[64];           /* projects/NNN/<id>.zip */
} djass_publish_t;


/*
 * Removes what earlier attempts at project id left in .tmp/ (a killed
 * worker cannot clean up after itself), then makes a fresh folder for the
 * render in work/.tmp/ (work: --work-dir, host-local, where only what no
 * live process of this host owns is removed; NULL: the store's .tmp/).
 * err gets a message without host paths.  On -1 here and in
 * djass_publish_commit, errno says why (djass_store_transient: the store
 * is failing, not the project).
 */
int djass_publish_prepare(const char *artifacts, const char *work,
    const char *id, int attempt, djass_publish_t *p, char *err, size_t len);

/* removes what any attempt at project id left in .tmp/: for a job that
 * ends without a new attempt */
void djass_publish_forget(const char *artifacts, const char *work,
    const char *id);

/* fsync(2)s the ZIP, renames it into place and fsyncs the folder */
int djass_publish_commit(const char *artifacts, djass_publish_t *p,
    char *err, size_t len);

/* removes the work folder and the temporary ZIP, whatever is left */
void djass_publish_discard(djass_publish_t *p);

/* size and SHA-256 (lowercase hex) of a file */
int djass_file_digest(const char *path, long long *size, char *hex65);

#endif /* DJASS_PUBLISH_H */
