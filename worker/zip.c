/*
 * The deterministic ZIP (see zip.h): every entry of the project
 * folder, sorted by path, under the project folder's name, with a fixed
 * time, owner 0 and the tree's modes, deflated by libarchive.  The same
 * tree gives the same bytes.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "files.h"
#include "zip.h"


/* libarchive's message, with the errno behind it noted (files.h) */
static const char *
djass_zip_error(struct archive *a)
{
    djass_file_note(archive_errno(a));
    return archive_error_string(a);
}


/* 2000-01-01 00:00:00 UTC: DOS time starts in 1980, any fixed value does */
#define DJASS_ZIP_MTIME  946684800


typedef struct {
    char   **paths;    /* relative to the folder holding the project */
    size_t   n;
    size_t   cap;
} djass_zip_list_t;


static int
djass_zip_add(djass_zip_list_t *l, const char *path)
{
    char  **p;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        p = realloc(l->paths, l->cap * sizeof(char *));
        if (p == NULL) {
            return -1;
        }
        l->paths = p;
    }

    l->paths[l->n] = strdup(path);
    return l->paths[l->n++] ? 0 : -1;
}


static int
djass_zip_collect(djass_zip_list_t *l, const char *base, const char *rel)
{
    int             rc;
    DIR            *d;
    char            path[PATH_MAX], sub[PATH_MAX];
    struct stat     st;
    struct dirent  *de;

    if (snprintf(path, sizeof(path), "%s/%s", base, rel) >= PATH_MAX) {
        return -1;
    }

    if (djass_zip_add(l, rel) != 0 || lstat(path, &st) != 0) {
        return -1;
    }

    if (!S_ISDIR(st.st_mode)) {
        return 0;
    }

    d = opendir(path);
    if (d == NULL) {
        return -1;
    }

    rc = 0;

    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= PATH_MAX
            || djass_zip_collect(l, base, sub) != 0)
        {
            rc = -1;
        }
    }

    closedir(d);
    return rc;
}


/* the entry's header: name, fixed time and owner, mode, type and size */
static struct archive_entry *
djass_zip_header(const char *path, const char *rel, const struct stat *st,
    djass_err_t *err)
{
    char                   name[PATH_MAX], target[PATH_MAX];
    ssize_t                n;
    struct archive_entry  *e;

    e = archive_entry_new();
    if (e == NULL) {
        djass_err_set(err, rel, 0, "out of memory");
        return NULL;
    }

    snprintf(name, sizeof(name), "%s%s", rel, S_ISDIR(st->st_mode) ? "/" : "");
    /* names are UTF-8 bytes, whatever the locale says: flag them so */
    archive_entry_set_pathname_utf8(e, name);
    archive_entry_set_mtime(e, DJASS_ZIP_MTIME, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_perm(e, st->st_mode & 07777);

    if (S_ISDIR(st->st_mode)) {
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_size(e, 0);

    } else if (S_ISLNK(st->st_mode)) {
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0 || target[0] == '/' || strstr(target, "..")) {
            djass_err_set(err, rel, 0, "a symbolic link that may point "
                          "outside the project");
            goto failed;
        }
        target[n] = '\0';
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, target);
        archive_entry_set_size(e, 0);

    } else if (S_ISREG(st->st_mode)) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, st->st_size);

    } else {
        djass_err_set(err, rel, 0, "not a file or a folder");
        goto failed;
    }

    return e;

failed:

    archive_entry_free(e);
    return NULL;
}


/* a regular file's bytes into the entry whose header was written */
static int
djass_zip_data(struct archive *a, const char *path, const char *rel,
    djass_err_t *err)
{
    int      fd, rc;
    char     buf[65536];
    ssize_t  n;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return djass_err_set(err, rel, 0, "cannot read: %s",
                             djass_file_strerror(errno));
    }

    rc = 0;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (archive_write_data(a, buf, (size_t) n) != n) {
            rc = djass_err_set(err, rel, 0, "zip: %s",
                               djass_zip_error(a));
            goto done;
        }
    }

    if (n != 0) {
        rc = djass_err_set(err, rel, 0, "cannot read: %s",
                           djass_file_strerror(errno));
    }

done:

    close(fd);
    return rc;
}


static int
djass_zip_entry(struct archive *a, const char *base, const char *rel,
    djass_err_t *err)
{
    int                    rc;
    char                   path[PATH_MAX];
    struct stat            st;
    struct archive_entry  *e;

    snprintf(path, sizeof(path), "%s/%s", base, rel);
    if (lstat(path, &st) != 0) {
        return djass_err_set(err, rel, 0, "cannot read: %s",
                             djass_file_strerror(errno));
    }

    e = djass_zip_header(path, rel, &st, err);
    if (e == NULL) {
        return -1;
    }

    rc = archive_write_header(a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) {
        return djass_err_set(err, rel, 0, "zip: %s", djass_zip_error(a));
    }

    return S_ISREG(st.st_mode) ? djass_zip_data(a, path, rel, err) : 0;
}


/*
 * Where libarchive's bytes go.  A failed write is remembered, not passed
 * on: libarchive then finishes the archive as usual and frees all it
 * holds (after a failed write it would leak its deflate state), and the
 * error is reported once it is done.
 */
typedef struct {
    int  fd;
    int  error;      /* errno of the first failed write, 0 if none */
} djass_zip_out_t;


static la_ssize_t
djass_zip_out(struct archive *a, void *data, const void *buf, size_t len)
{
    djass_zip_out_t  *out = data;

    if (out->error == 0 && djass_write_all(out->fd, buf, len) != 0) {
        out->error = errno ? errno : EIO;
    }

    return (la_ssize_t) len;
}


static int
djass_zip_archive(const char *base, djass_zip_list_t *l, int fd,
    djass_err_t *err)
{
    int               rc;
    size_t            i;
    struct archive   *a;
    djass_zip_out_t   out;

    a = archive_write_new();
    if (a == NULL) {
        return djass_err_set(err, "zip", 0, "out of memory");
    }

    out.fd = fd;
    out.error = 0;

    if (archive_write_set_format_zip(a) != ARCHIVE_OK
        || archive_write_set_options(a, "zip:compression=deflate,"
                                     "zip:hdrcharset=UTF-8")
           != ARCHIVE_OK
        || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK
        || archive_write_open(a, &out, NULL, djass_zip_out, NULL)
           != ARCHIVE_OK)
    {
        rc = djass_err_set(err, "zip", 0, "zip: %s", djass_zip_error(a));
        archive_write_free(a);
        return rc;
    }

    rc = 0;
    for (i = 0; rc == 0 && i < l->n; i++) {
        rc = djass_zip_entry(a, base, l->paths[i], err);
    }

    if (archive_write_close(a) != ARCHIVE_OK && rc == 0) {
        rc = djass_err_set(err, "zip", 0, "zip: %s", djass_zip_error(a));
    }

    archive_write_free(a);

    if (out.error != 0) {
        rc = djass_err_set(err, "zip", 0, "cannot write the ZIP: %s",
                           djass_file_strerror(out.error));
    }

    return rc;
}


/*
 * libarchive writes the DOS time of each entry in local time: the zone is
 * UTC while it writes, so the bytes do not depend on the host's zone.
 */
static int
djass_zip_in_utc(const char *base, djass_zip_list_t *l, int fd,
    djass_err_t *err)
{
    int    rc;
    char  *old;

    old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "UTC", 1);
    tzset();

    rc = djass_zip_archive(base, l, fd, err);

    if (old != NULL) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    return rc;
}


int
djass_zip_write(const char *project_dir, const char *zip_path,
    djass_err_t *err)
{
    int               fd, rc;
    char              base[PATH_MAX], tmp[PATH_MAX], *slash;
    size_t            i;
    djass_zip_list_t  l;

    memset(err, 0, sizeof(*err));
    memset(&l, 0, sizeof(l));

    snprintf(base, sizeof(base), "%s", project_dir);
    while (strlen(base) > 1 && base[strlen(base) - 1] == '/') {
        base[strlen(base) - 1] = '\0';
    }

    slash = strrchr(base, '/');
    if (slash == NULL) {
        memmove(base + 2, base, strlen(base) + 1);
        base[0] = '.';
        base[1] = '/';
        slash = base + 1;
    }
    *slash = '\0';

    if (djass_zip_collect(&l, base[0] ? base : "/", slash + 1) != 0) {
        rc = djass_err_set(err, "zip", 0, "cannot read the project folder: "
                           "%s", djass_file_strerror(errno));
        goto done;
    }

    djass_names_sort(l.paths, l.n);

    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", zip_path) >= PATH_MAX) {
        rc = djass_err_set(err, "zip", 0, "path too long");
        goto done;
    }

    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = djass_err_set(err, "zip", 0, "cannot write the ZIP: %s",
                           djass_file_strerror(errno));
        goto done;
    }

    rc = djass_zip_in_utc(base[0] ? base : "/", &l, fd, err);

    if (rc == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0)) {
        rc = djass_err_set(err, "zip", 0, "cannot write the ZIP: %s",
                           djass_file_strerror(errno));
    }

    if (close(fd) != 0 && rc == 0) {
        rc = djass_err_set(err, "zip", 0, "cannot write the ZIP: %s",
                           djass_file_strerror(errno));
    }

    if (rc == 0 && rename(tmp, zip_path) != 0) {
        rc = djass_err_set(err, "zip", 0, "cannot write the ZIP: %s",
                           djass_file_strerror(errno));
    }

    if (rc != 0) {
        unlink(tmp);
    }

done:

    for (i = 0; i < l.n; i++) {
        free(l.paths[i]);
    }
    free(l.paths);
    return rc;
}
