/*
 * File helpers for the renderer (see files.h): whole files in and out,
 * paths joined with a length check, rm -rf and mkdir -p.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"


int        djass_file_errno;
long long  djass_file_out_max;

static long long  djass_file_out_total;


int
djass_store_transient(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS;
}


void
djass_file_note(int e)
{
    if (djass_file_errno == 0
        && (djass_store_transient(e) || e == EFBIG || e == ENOMEM))
    {
        djass_file_errno = e;
    }
}


const char *
djass_file_strerror(int e)
{
    djass_file_note(e);
    return strerror(e);
}


int
djass_file_err(djass_err_t *err, const char *rel, const char *what)
{
    djass_file_note(errno);

    return djass_err_set(err, rel, 0, "%s: %s", what, strerror(errno));
}


int
djass_path(char *out, const char *a, const char *b)
{
    int  n;

    if (a[0] == '\0') {
        n = snprintf(out, PATH_MAX, "%s", b ? b : "");
    } else if (b == NULL || b[0] == '\0') {
        n = snprintf(out, PATH_MAX, "%s", a);
    } else {
        n = snprintf(out, PATH_MAX, "%s/%s", a, b);
    }
    return (n < 0 || n >= PATH_MAX) ? -1 : 0;
}


char *
djass_read_file(const char *path, size_t *len)
{
    int          fd, saved;
    char        *p;
    size_t       got;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }

    p = NULL;

    if (fstat(fd, &st) != 0) {
        goto done;
    }

    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto done;
    }

    p = malloc((size_t) st.st_size + 1);
    if (p == NULL) {
        goto done;
    }

    for (got = 0; got < (size_t) st.st_size; got += (size_t) n) {
        n = read(fd, p + got, (size_t) st.st_size - got);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            break;
        }
    }

    p[got] = '\0';
    *len = got;

done:

    saved = errno;
    close(fd);
    errno = saved;
    return p;
}


int
djass_write_all(int fd, const char *p, size_t len)
{
    ssize_t  n;

    if (djass_file_out_max > 0) {
        if ((long long) len > djass_file_out_max - djass_file_out_total) {
            errno = EFBIG;
            return -1;
        }
        djass_file_out_total += (long long) len;
    }

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }

    return 0;
}


int
djass_write_file(const char *dst, const char *p, size_t len, mode_t mode)
{
    int  fd, saved;

    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              0666);
    if (fd < 0) {
        return -1;
    }

    if (djass_write_all(fd, p, len) != 0 || fchmod(fd, mode & 07777) != 0) {
        goto failed;
    }

    return close(fd);

failed:

    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}


static int
djass_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


void
djass_names_sort(char **names, size_t n)
{
    if (n > 1) {
        qsort(names, n, sizeof(char *), djass_name_cmp);
    }
}


int
djass_rm_rf(const char *path)
{
    DIR            *d;
    char            sub[PATH_MAX];
    struct stat     st;
    struct dirent  *de;
    int             rc;

    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -1;
    }

    if (!S_ISDIR(st.st_mode)) {
        return unlink(path);
    }

    d = opendir(path);
    if (d == NULL) {
        return -1;
    }

    rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (djass_path(sub, path, de->d_name) != 0 || djass_rm_rf(sub) != 0) {
            rc = -1;
        }
    }

    closedir(d);
    return (rmdir(path) == 0) ? rc : -1;
}


int
djass_mkdirs(const char *path, int *created)
{
    char         buf[4096], *p;
    struct stat  st;

    if (stat(path, &st) == 0) {
        return S_ISDIR(st.st_mode) ? 0 : -1;
    }

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf)) {
        return -1;
    }

    for (p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }

    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        return -1;
    }

    *created = 1;
    return 0;
}
