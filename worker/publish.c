/*
 * Publishing ZIPs into the artifact store, crash-safe: a worker killed at
 * any point leaves at most files under .tmp/, which the next attempt at
 * the same project removes.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "djass_parse.h"
#include "files.h"
#include "log.h"
#include "publish.h"


static int
djass_fsync_path(const char *path, int flags)
{
    int  fd, rc;

    fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }

    rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) {
        /* a file system without fsync on folders */
        rc = 0;
    }

    close(fd);
    return rc;
}


/* err = "what (<errno text>)."; errno is kept, for the caller to tell a
 * failing store from anything else; returns -1 */
static int
djass_publish_error(char *err, size_t len, const char *what)
{
    int  e;

    e = errno;
    snprintf(err, len, "%s (%s).", what, strerror(e));
    errno = e;
    return -1;
}


/* mkdir that accepts an existing folder; fsyncs the parent on creation */
static int
djass_mkdir(const char *path, const char *parent)
{
    if (mkdir(path, 0755) != 0) {
        return errno == EEXIST ? 0 : -1;
    }

    return djass_fsync_path(parent, O_RDONLY | O_DIRECTORY);
}


/*
 * Removes .tmp/<id>.* : leftovers of attempts killed mid-job.  The names
 * are collected first and removed after the listing, so that removing
 * never disturbs the listing.
 */
/* name is <id>.<attempt>.<pid>[.zip]: 1 when that pid is a process here
 * other than this one (a worker still at it) */
static int
djass_publish_alive(const char *name)
{
    long         pid;
    const char  *p;

    p = strchr(name, '.');
    p = p ? strchr(p + 1, '.') : NULL;
    if (p == NULL) {
        return 0;
    }

    pid = strtol(p + 1, NULL, 10);

    return pid > 0 && pid != (long) getpid()
           && (kill((pid_t) pid, 0) == 0 || errno == EPERM);
}


static void
djass_publish_sweep(const char *tmp, const char *id, int live_too)
{
    DIR            *d;
    size_t          n, i, found, rounds;
    char            path[PATH_MAX], names[16][NAME_MAX + 1];
    struct dirent  *e;

    n = strlen(id);
    rounds = 0;

    do {
        d = opendir(tmp);
        if (d == NULL) {
            return;
        }

        found = 0;

        while (found < 16 && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, id, n) == 0 && e->d_name[n] == '.'
                && (live_too || !djass_publish_alive(e->d_name)))
            {
                memcpy(names[found++], e->d_name, NAME_MAX + 1);
            }
        }

        closedir(d);

        for (i = 0; i < found; i++) {
            if (snprintf(path, sizeof(path), "%s/%s", tmp, names[i])
                >= (int) sizeof(path))
            {
                return;
            }

            djass_debug("project %s: removing %s/%s left by an earlier "
                        "attempt", id, DJASS_TMP_DIR, names[i]);
            (void) djass_rm_rf(path);
        }

    /* more than 16 leftovers: list again */
    } while (found == 16 && ++rounds < 64);
}


/* what earlier attempts left: all of it in a store's .tmp/ (which hosts
 * may share), what no live process here owns in the work folder's */
static void
djass_publish_sweeps(const char *tmp, const char *wtmp, const char *id)
{
    if (strcmp(tmp, wtmp) != 0) {
        djass_publish_sweep(tmp, id, 1);
    }

    djass_publish_sweep(wtmp, id, 0);
}


static int
djass_publish_tmp(char *tmp, char *wtmp, const char *artifacts,
    const char *work)
{
    return snprintf(tmp, PATH_MAX, "%s/%s", artifacts, DJASS_TMP_DIR)
           >= PATH_MAX - 64
           || snprintf(wtmp, PATH_MAX, "%s/%s", work ? work : artifacts,
                       DJASS_TMP_DIR) >= PATH_MAX - 64 ? -1 : 0;
}


int
djass_publish_prepare(const char *artifacts, const char *work,
    const char *id, int attempt, djass_publish_t *p, char *err, size_t len)
{
    int        fd;
    char       tmp[PATH_MAX], wtmp[PATH_MAX];
    long long  n;

    /* ids come from INCR: digits, checked when the job was read */
    if (djass_parse_int(id, 0, LLONG_MAX, &n) != 0) {
        snprintf(err, len, "The project id is not a number.");
        errno = EINVAL;
        return -1;
    }

    if (djass_publish_tmp(tmp, wtmp, artifacts, work) != 0
        || snprintf(p->dir, sizeof(p->dir), "%s/%s.%d.%d", wtmp, id, attempt,
                    (int) getpid()) >= (int) sizeof(p->dir) - 8
        || snprintf(p->zip, sizeof(p->zip), "%s/%s.%d.%d.zip", tmp, id,
                    attempt, (int) getpid()) >= (int) sizeof(p->zip)
        || snprintf(p->rel, sizeof(p->rel), "projects/%03d/%s.zip",
                    (int) (n % 1000), id)
           >= (int) sizeof(p->rel))
    {
        snprintf(err, len, "The artifact store's path is too long.");
        errno = ENAMETOOLONG;
        return -1;
    }

    if (djass_mkdir(tmp, artifacts) != 0) {
        return djass_publish_error(err, len, "The artifact store is not "
                                   "writable");
    }

    if (strcmp(tmp, wtmp) != 0 && djass_mkdir(wtmp, work) != 0) {
        return djass_publish_error(err, len, "The work folder is not "
                                   "writable");
    }

    djass_publish_sweeps(tmp, wtmp, id);

    /* the render is elsewhere: the ZIP's place is tried now, before the
     * work, as making the render's folder in the store would */
    if (strcmp(tmp, wtmp) != 0) {
        fd = open(p->zip, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            return djass_publish_error(err, len, "The artifact store is not "
                                       "writable");
        }
        close(fd);
    }

    if (mkdir(p->dir, 0755) != 0) {
        return djass_publish_error(err, len, strcmp(tmp, wtmp) != 0
                                   ? "The work folder is not writable"
                                   : "The artifact store is not writable");
    }

    return 0;
}


void
djass_publish_forget(const char *artifacts, const char *work,
    const char *id)
{
    char  tmp[PATH_MAX], wtmp[PATH_MAX];

    if (djass_publish_tmp(tmp, wtmp, artifacts, work) == 0) {
        djass_publish_sweeps(tmp, wtmp, id);
    }
}


int
djass_publish_commit(const char *artifacts, djass_publish_t *p, char *err,
    size_t len)
{
    char  top[PATH_MAX], dir[PATH_MAX], final[PATH_MAX];

    if (snprintf(top, sizeof(top), "%s/projects", artifacts)
        >= (int) sizeof(top)
        || snprintf(final, sizeof(final), "%s/%s", artifacts, p->rel)
           >= (int) sizeof(final))
    {
        snprintf(err, len, "The artifact store's path is too long.");
        errno = ENAMETOOLONG;
        return -1;
    }

    memcpy(dir, final, sizeof(dir));
    *strrchr(dir, '/') = '\0';

    if (djass_fsync_path(p->zip, O_RDONLY) != 0) {
        return djass_publish_error(err, len, "Cannot write the ZIP to the "
                                   "artifact store");
    }

    if (djass_mkdir(top, artifacts) != 0 || djass_mkdir(dir, top) != 0) {
        return djass_publish_error(err, len, "The artifact store is not "
                                   "writable");
    }

    if (rename(p->zip, final) != 0) {
        return djass_publish_error(err, len, "Cannot publish the ZIP in the "
                                   "artifact store");
    }

    /* the rename itself is durable once its folder is */
    if (djass_fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
        return djass_publish_error(err, len, "Cannot sync the artifact store");
    }

    return 0;
}


void
djass_publish_discard(djass_publish_t *p)
{
    (void) djass_rm_rf(p->dir);
    (void) djass_rm_rf(p->zip);
}


int
djass_file_digest(const char *path, long long *size, char *hex65)
{
    int            fd, rc;
    ssize_t        n;
    unsigned int   i, mdlen;
    EVP_MD_CTX    *md;
    unsigned char  buf[65536], digest[EVP_MAX_MD_SIZE];

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }

    rc = -1;
    *size = 0;

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        goto done;
    }

    for ( ;; ) {
        n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            goto done;
        }

        if (n == 0) {
            break;
        }

        *size += n;
        EVP_DigestUpdate(md, buf, n);
    }

    if (EVP_DigestFinal_ex(md, digest, &mdlen) != 1) {
        goto done;
    }

    for (i = 0; i < mdlen; i++) {
        snprintf(hex65 + 2 * i, 3, "%02x", digest[i]);
    }

    rc = 0;

done:

    EVP_MD_CTX_free(md);
    close(fd);
    return rc;
}
