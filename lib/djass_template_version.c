/*
 * The template version (see djass_template_version.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "djass_template_version.h"


typedef struct {
    char         **paths;        /* relative, malloc'd */
    size_t         n;
    size_t         size;
    char          *err;
    size_t         errlen;
} djass_tv_list_t;


static int djass_tv_walk(djass_tv_list_t *l, const char *root,
    const char *rel);
static void djass_tv_join(char *out, const char *a, const char *b);
static int djass_tv_add(djass_tv_list_t *l, const char *rel);
static int djass_tv_cmp(const void *a, const void *b);
static int djass_tv_entry(EVP_MD_CTX *md, const char *root, const char *rel,
    long long *newest, char *err, size_t errlen);
static int djass_tv_file(EVP_MD_CTX *md, const char *full, const char *rel,
    off_t size, char *err, size_t errlen);


int
djass_template_version(const char *dir, char *hex, long long *newest,
    char *err, size_t errlen)
{
    int               rc;
    size_t            i;
    unsigned int      len;
    EVP_MD_CTX       *md;
    djass_tv_list_t   l;
    unsigned char     digest[EVP_MAX_MD_SIZE];

    memset(&l, 0, sizeof(djass_tv_list_t));

    if (newest) {
        *newest = 0;
    }

    l.err = err;
    l.errlen = errlen;

    rc = djass_tv_walk(&l, dir, "");

    md = NULL;

    if (rc == 0) {
        qsort(l.paths, l.n, sizeof(char *), djass_tv_cmp);

        md = EVP_MD_CTX_new();
        if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
            snprintf(err, errlen, "%s: cannot hash: out of memory", dir);
            rc = -1;
        }
    }

    for (i = 0; rc == 0 && i < l.n; i++) {
        rc = djass_tv_entry(md, dir, l.paths[i], newest, err, errlen);
    }

    if (rc == 0) {
        if (EVP_DigestFinal_ex(md, digest, &len) != 1 || len != 32) {
            snprintf(err, errlen, "%s: cannot hash", dir);
            rc = -1;

        } else {
            for (i = 0; i < 32; i++) {
                snprintf(hex + 2 * i, 3, "%02x", digest[i]);
            }
        }
    }

    EVP_MD_CTX_free(md);

    for (i = 0; i < l.n; i++) {
        free(l.paths[i]);
    }

    free(l.paths);

    return rc;
}


/* rel is "" for the root, or "a/b" */
static int
djass_tv_walk(djass_tv_list_t *l, const char *root, const char *rel)
{
    int             rc;
    DIR            *d;
    char           *full, *sub;
    size_t          n;
    struct stat     st;
    struct dirent  *de;

    n = strlen(root) + strlen(rel) + 2;
    full = malloc(n);
    if (full == NULL) {
        snprintf(l->err, l->errlen, "%s: out of memory", rel);
        return -1;
    }

    djass_tv_join(full, root, rel);

    d = opendir(full);
    free(full);

    if (d == NULL) {
        snprintf(l->err, l->errlen, "%s: cannot read the folder: %s",
                 rel[0] ? rel : root, strerror(errno));
        return -1;
    }

    rc = 0;

    while (rc == 0) {
        errno = 0;
        de = readdir(d);

        if (de == NULL) {
            if (errno != 0) {
                snprintf(l->err, l->errlen, "%s: cannot read the folder: "
                         "%s", rel[0] ? rel : root, strerror(errno));
                rc = -1;
            }

            break;
        }

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        n = strlen(rel) + strlen(de->d_name) + 2;

        if (n > DJASS_TEMPLATE_MAX_PATH) {
            snprintf(l->err, l->errlen, "%.200s...: path longer than %d "
                     "bytes", rel, DJASS_TEMPLATE_MAX_PATH);
            rc = -1;
            break;
        }

        sub = malloc(n);
        if (sub == NULL) {
            snprintf(l->err, l->errlen, "%s: out of memory", rel);
            rc = -1;
            break;
        }

        djass_tv_join(sub, rel, de->d_name);

        rc = djass_tv_add(l, sub);
        if (rc != 0) {
            free(sub);
            break;
        }

        full = malloc(strlen(root) + n + 1);
        if (full == NULL) {
            snprintf(l->err, l->errlen, "%s: out of memory", sub);
            rc = -1;
            break;
        }

        djass_tv_join(full, root, sub);

        if (lstat(full, &st) != 0) {
            snprintf(l->err, l->errlen, "%s: %s", sub, strerror(errno));
            rc = -1;

        } else if (S_ISDIR(st.st_mode)) {
            rc = djass_tv_walk(l, root, sub);
        }

        free(full);
    }

    closedir(d);

    return rc;
}


/* "a/b", "a" when b is empty, "b" when a is; out holds both and 2 more */
static void
djass_tv_join(char *out, const char *a, const char *b)
{
    size_t  n;

    n = strlen(a);
    memcpy(out, a, n);

    if (n && b[0]) {
        out[n++] = '/';
    }

    strcpy(out + n, b);
}


static int
djass_tv_add(djass_tv_list_t *l, const char *rel)
{
    size_t   size;
    char   **p;

    if (l->n == DJASS_TEMPLATE_MAX_ENTRIES) {
        snprintf(l->err, l->errlen, "%s: more than %d entries in the "
                 "template", rel, DJASS_TEMPLATE_MAX_ENTRIES);
        return -1;
    }

    if (l->n == l->size) {
        size = l->size ? l->size * 2 : 64;
        p = realloc(l->paths, size * sizeof(char *));
        if (p == NULL) {
            snprintf(l->err, l->errlen, "%s: out of memory", rel);
            return -1;
        }

        l->paths = p;
        l->size = size;
    }

    l->paths[l->n++] = (char *) rel;

    return 0;
}


/* byte-wise: strcmp compares as unsigned char */
static int
djass_tv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static int
djass_tv_entry(EVP_MD_CTX *md, const char *root, const char *rel,
    long long *newest, char *err, size_t errlen)
{
    int           rc;
    char         *full, head[DJASS_TEMPLATE_MAX_PATH + 64];
    char          target[DJASS_TEMPLATE_MAX_PATH + 1];
    size_t        plen;
    ssize_t       n;
    const char   *mode;
    struct stat   st;

    full = malloc(strlen(root) + strlen(rel) + 2);
    if (full == NULL) {
        snprintf(err, errlen, "%s: out of memory", rel);
        return -1;
    }

    djass_tv_join(full, root, rel);

    rc = -1;
    plen = strlen(rel);

    if (lstat(full, &st) != 0) {
        snprintf(err, errlen, "%s: %s", rel, strerror(errno));
        goto done;
    }

    if (newest && (long long) st.st_mtime > *newest) {
        *newest = (long long) st.st_mtime;
    }

    if (S_ISDIR(st.st_mode)) {
        mode = "40000";

    } else if (S_ISLNK(st.st_mode)) {
        mode = "120000";

    } else if (S_ISREG(st.st_mode)) {
        mode = (st.st_mode & S_IXUSR) ? "100755" : "100644";

    } else {
        snprintf(err, errlen, "%s: not a regular file, folder or symlink",
                 rel);
        goto done;
    }

    if (S_ISLNK(st.st_mode)) {
        n = readlink(full, target, sizeof(target));
        if (n < 0 || (size_t) n >= sizeof(target)) {
            snprintf(err, errlen, "%s: cannot read the link: %s", rel,
                     n < 0 ? strerror(errno) : "too long");
            goto done;
        }

        snprintf(head, sizeof(head), "%s %zu:", mode, plen);

        if (EVP_DigestUpdate(md, head, strlen(head)) != 1
            || EVP_DigestUpdate(md, rel, plen) != 1)
        {
            goto failed;
        }

        snprintf(head, sizeof(head), " %zd:", n);

        if (EVP_DigestUpdate(md, head, strlen(head)) != 1
            || EVP_DigestUpdate(md, target, (size_t) n) != 1
            || EVP_DigestUpdate(md, "\n", 1) != 1)
        {
            goto failed;
        }

        rc = 0;
        goto done;
    }

    snprintf(head, sizeof(head), "%s %zu:", mode, plen);

    if (EVP_DigestUpdate(md, head, strlen(head)) != 1
        || EVP_DigestUpdate(md, rel, plen) != 1)
    {
        goto failed;
    }

    if (S_ISDIR(st.st_mode)) {
        rc = EVP_DigestUpdate(md, " 0:\n", 4) == 1 ? 0 : -1;
        if (rc != 0) {
            goto failed;
        }

        goto done;
    }

    rc = djass_tv_file(md, full, rel, st.st_size, err, errlen);
    goto done;

failed:

    snprintf(err, errlen, "%s: cannot hash", rel);
    rc = -1;

done:

    free(full);
    return rc;
}


/* " <size>:<bytes>\n"; the file must still be the size lstat said */
static int
djass_tv_file(EVP_MD_CTX *md, const char *full, const char *rel, off_t size,
    char *err, size_t errlen)
{
    int          fd, rc;
    char         buf[65536];
    off_t        total;
    ssize_t      n;
    struct stat  st;

    fd = open(full, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", rel, strerror(errno));
        return -1;
    }

    rc = -1;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != size) {
        snprintf(err, errlen, "%s: changed while it was read", rel);
        goto done;
    }

    snprintf(buf, sizeof(buf), " %lld:", (long long) size);

    if (EVP_DigestUpdate(md, buf, strlen(buf)) != 1) {
        snprintf(err, errlen, "%s: cannot hash", rel);
        goto done;
    }

    total = 0;

    for ( ;; ) {
        n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", rel,
                     strerror(errno));
            goto done;
        }

        if (n == 0) {
            break;
        }

        total += n;

        if (total > size) {
            break;
        }

        if (EVP_DigestUpdate(md, buf, (size_t) n) != 1) {
            snprintf(err, errlen, "%s: cannot hash", rel);
            goto done;
        }
    }

    if (total != size) {
        snprintf(err, errlen, "%s: changed while it was read", rel);
        goto done;
    }

    rc = EVP_DigestUpdate(md, "\n", 1) == 1 ? 0 : -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot hash", rel);
    }

done:

    close(fd);
    return rc;
}
