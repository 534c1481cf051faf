/*
 * The git repository of a generated project (see gitrepo.h): the ZIP read
 * back with libarchive, its files turned into blobs and trees, one
 * commit, all written into a packfile (version 2, undeltified objects)
 * and its index (version 2).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "files.h"
#include "gitrepo.h"


#define DJASS_GIT_COMMIT  1
#define DJASS_GIT_TREE    2
#define DJASS_GIT_BLOB    3

#define DJASS_GIT_IDENT   "Djass <djass@localhost>"

/* a project's file: far below the render limits, far above any template */
#define DJASS_GIT_MAX_FILE  (1LL << 30)


typedef struct {
    unsigned char  sha[20];
    uint32_t       crc;
    uint64_t       off;
} djass_git_obj_t;


typedef struct djass_git_node_s  djass_git_node_t;

struct djass_git_node_s {
    char               *name;
    unsigned            mode;     /* 040000 for a tree */
    unsigned char       sha[20];
    int                 set;      /* a file: its blob is written */
    djass_git_node_t  **kids;
    size_t              n;
    size_t              cap;
};


typedef struct {
    FILE             *f;
    uint64_t          pos;
    djass_git_obj_t  *objs;
    size_t            n;
    size_t            cap;
    size_t            inherited;  /* the parent pack's objects, first */
    char             *err;
    size_t            len;
} djass_git_pack_t;


static const char  djass_git_hex[] = "0123456789abcdef";


static void
djass_git_tohex(const unsigned char *sha, char *hex41)
{
    int  i;

    for (i = 0; i < 20; i++) {
        hex41[2 * i] = djass_git_hex[sha[i] >> 4];
        hex41[2 * i + 1] = djass_git_hex[sha[i] & 15];
    }

    hex41[40] = '\0';
}


int
djass_git_is_sha(const char *s)
{
    int  i;

    for (i = 0; i < 40; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return s[40] == '\0';
}


static int
djass_git_fail(djass_git_pack_t *pk, const char *what)
{
    snprintf(pk->err, pk->len, "%s", what);
    return -1;
}


/* a failed write: its errno noted, so that a full or failing store is
 * the store's failure (the job is redone), not the project's */
static int
djass_git_io_fail(djass_git_pack_t *pk, const char *what)
{
    djass_file_note(errno);
    snprintf(pk->err, pk->len, "%s (%s)", what, strerror(errno));
    return -1;
}


static void
djass_git_put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}


static uint32_t
djass_git_get32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static int
djass_git_emit(djass_git_pack_t *pk, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, pk->f) != n) {
        return djass_git_io_fail(pk, "Cannot write the git pack");
    }

    pk->pos += n;
    return 0;
}


static djass_git_obj_t *
djass_git_find(djass_git_pack_t *pk, const unsigned char *sha)
{
    size_t  i;

    for (i = 0; i < pk->n; i++) {
        if (memcmp(pk->objs[i].sha, sha, 20) == 0) {
            return &pk->objs[i];
        }
    }

    return NULL;
}


static djass_git_obj_t *
djass_git_add(djass_git_pack_t *pk)
{
    djass_git_obj_t  *o;

    if (pk->n == pk->cap) {
        pk->cap = pk->cap ? pk->cap * 2 : 256;
        o = realloc(pk->objs, pk->cap * sizeof(djass_git_obj_t));
        if (o == NULL) {
            return NULL;
        }
        pk->objs = o;
    }

    return &pk->objs[pk->n++];
}


/* one object into the pack (once: an object already there is not
 * written again); its id into sha */
static int
djass_git_object(djass_git_pack_t *pk, int type, const void *data,
    size_t size, unsigned char *sha)
{
    int               rc;
    char              head[64];
    size_t            n, left;
    uLongf            zlen;
    EVP_MD_CTX       *md;
    unsigned char    *z, hdr[16], c;
    djass_git_obj_t  *o;
    static const char *names[] = { "", "commit", "tree", "blob" };

    n = snprintf(head, sizeof(head), "%s %zu", names[type], size) + 1;

    md = EVP_MD_CTX_new();
    if (md == NULL
        || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1
        || EVP_DigestUpdate(md, head, n) != 1
        || EVP_DigestUpdate(md, data, size) != 1
        || EVP_DigestFinal_ex(md, sha, NULL) != 1)
    {
        EVP_MD_CTX_free(md);
        return djass_git_fail(pk, "Cannot hash a git object.");
    }

    EVP_MD_CTX_free(md);

    if (djass_git_find(pk, sha) != NULL) {
        return 0;
    }

    /* the entry's header: the type and the size, 4 bits, then 7 a byte */
    c = (unsigned char) ((type << 4) | (size & 15));
    n = 0;
    left = size >> 4;

    while (left) {
        hdr[n++] = c | 0x80;
        c = left & 0x7f;
        left >>= 7;
    }

    hdr[n++] = c;

    zlen = compressBound(size);
    z = malloc(zlen);
    if (z == NULL) {
        return djass_git_fail(pk, "Out of memory in the git pack.");
    }

    if (compress2(z, &zlen, data, size, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z);
        return djass_git_fail(pk, "Cannot compress a git object.");
    }

    o = djass_git_add(pk);
    if (o == NULL) {
        free(z);
        return djass_git_fail(pk, "Out of memory in the git pack.");
    }

    memcpy(o->sha, sha, 20);
    o->off = pk->pos;
    o->crc = crc32(crc32(0, hdr, n), z, zlen);

    rc = (djass_git_emit(pk, hdr, n) == 0 && djass_git_emit(pk, z, zlen) == 0)
         ? 0 : -1;

    free(z);
    return rc;
}


/* the tree of the project: a node per folder and per file */

static djass_git_node_t *
djass_git_child(djass_git_node_t *dir, const char *name, size_t len,
    unsigned mode)
{
    size_t             i;
    djass_git_node_t  *k, **kids;

    for (i = 0; i < dir->n; i++) {
        k = dir->kids[i];
        if (strlen(k->name) == len && memcmp(k->name, name, len) == 0) {
            /* a file and a folder of the same name: the ZIP's own
             * folder entries come first, a file is never named twice */
            return (k->mode == 040000) == (mode == 040000) ? k : NULL;
        }
    }

    if (dir->n == dir->cap) {
        dir->cap = dir->cap ? dir->cap * 2 : 8;
        kids = realloc(dir->kids, dir->cap * sizeof(djass_git_node_t *));
        if (kids == NULL) {
            return NULL;
        }
        dir->kids = kids;
    }

    k = calloc(1, sizeof(djass_git_node_t));
    if (k == NULL) {
        return NULL;
    }

    k->name = strndup(name, len);
    if (k->name == NULL) {
        free(k);
        return NULL;
    }

    k->mode = mode;
    dir->kids[dir->n++] = k;

    return k;
}


static void
djass_git_free(djass_git_node_t *node)
{
    size_t  i;

    for (i = 0; i < node->n; i++) {
        djass_git_free(node->kids[i]);
    }

    free(node->kids);
    free(node->name);
    free(node);
}


/* git's order of tree entries: by name, a folder as if it ended in '/' */
static int
djass_git_cmp(const void *a, const void *b)
{
    int                       r;
    size_t                    la, lb, n;
    unsigned char             ca, cb;
    const djass_git_node_t   *x, *y;

    x = *(djass_git_node_t * const *) a;
    y = *(djass_git_node_t * const *) b;

    la = strlen(x->name);
    lb = strlen(y->name);
    n = la < lb ? la : lb;

    r = memcmp(x->name, y->name, n);
    if (r != 0) {
        return r;
    }

    ca = la > n ? (unsigned char) x->name[n] : x->mode == 040000 ? '/' : 0;
    cb = lb > n ? (unsigned char) y->name[n] : y->mode == 040000 ? '/' : 0;

    return ca < cb ? -1 : ca > cb;
}


static int
djass_git_tree(djass_git_pack_t *pk, djass_git_node_t *dir)
{
    int                rc;
    char              *buf, *p;
    size_t             i, size;
    djass_git_node_t  *k;

    for (i = 0; i < dir->n; i++) {
        if (dir->kids[i]->mode == 040000
            && djass_git_tree(pk, dir->kids[i]) != 0)
        {
            return -1;
        }
    }

    if (dir->n > 1) {
        qsort(dir->kids, dir->n, sizeof(djass_git_node_t *), djass_git_cmp);
    }

    size = 0;
    for (i = 0; i < dir->n; i++) {
        size += 8 + strlen(dir->kids[i]->name) + 20;
    }

    buf = malloc(size + 1);
    if (buf == NULL) {
        return djass_git_fail(pk, "Out of memory in the git tree.");
    }

    p = buf;

    for (i = 0; i < dir->n; i++) {
        k = dir->kids[i];
        p += sprintf(p, "%o %s", k->mode, k->name) + 1;
        memcpy(p, k->sha, 20);
        p += 20;
    }

    rc = djass_git_object(pk, DJASS_GIT_TREE, buf, p - buf, dir->sha);

    free(buf);
    return rc;
}


/* a name git takes in a tree: not empty, ".", "..", nor ".git" */
static int
djass_git_name_ok(const char *name, size_t len)
{
    return len > 0 && !(len == 1 && name[0] == '.')
           && !(len == 2 && name[0] == '.' && name[1] == '.')
           && !(len == 4 && strncasecmp(name, ".git", 4) == 0);
}


/* one file of the ZIP (path without the project folder) into the tree */
static int
djass_git_file(djass_git_pack_t *pk, djass_git_node_t *root,
    const char *path, unsigned mode, const void *data, size_t size)
{
    const char        *p, *slash;
    djass_git_node_t  *node;

    node = root;
    p = path;

    for ( ;; ) {
        slash = strchr(p, '/');

        if (slash == NULL) {
            break;
        }

        if (!djass_git_name_ok(p, slash - p)) {
            return djass_git_fail(pk, "The ZIP holds a path git refuses.");
        }

        node = djass_git_child(node, p, slash - p, 040000);
        if (node == NULL) {
            return djass_git_fail(pk, "The ZIP's tree does not fit git.");
        }

        p = slash + 1;
    }

    if (!djass_git_name_ok(p, strlen(p))) {
        return djass_git_fail(pk, "The ZIP holds a path git refuses.");
    }

    node = djass_git_child(node, p, strlen(p), mode);
    if (node == NULL || node->set) {
        return djass_git_fail(pk, "The ZIP's tree does not fit git.");
    }

    node->set = 1;

    return djass_git_object(pk, DJASS_GIT_BLOB, data, size, node->sha);
}


/* the ZIP's files, read back: one blob each, folders skipped */
static int
djass_git_read_zip(djass_git_pack_t *pk, const char *zip,
    djass_git_node_t *root)
{
    int                    rc, r;
    char                  *data, *more;
    size_t                 size, cap;
    ssize_t                n;
    unsigned               mode;
    const char            *path, *rest, *target;
    struct archive        *a;
    struct archive_entry  *e;

    a = archive_read_new();
    if (a == NULL) {
        return djass_git_fail(pk, "Out of memory reading the ZIP.");
    }

    archive_read_support_format_zip(a);

    if (archive_read_open_filename(a, zip, 65536) != ARCHIVE_OK) {
        archive_read_free(a);
        return djass_git_fail(pk, "Cannot read the ZIP back.");
    }

    rc = -1;
    data = NULL;
    cap = 0;

    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        path = archive_entry_pathname(e);

        if (path == NULL) {
            djass_git_fail(pk, "The ZIP holds an entry without a name.");
            goto done;
        }

        /* the project folder is the ZIP's single top-level entry */
        rest = strchr(path, '/');

        if (archive_entry_filetype(e) == AE_IFDIR || rest == NULL
            || rest[1] == '\0')
        {
            continue;
        }

        rest++;

        if (archive_entry_filetype(e) == AE_IFLNK) {
            target = archive_entry_symlink(e);
            if (target == NULL) {
                target = "";
            }

            if (djass_git_file(pk, root, rest, 0120000, target,
                               strlen(target))
                != 0)
            {
                goto done;
            }

            continue;
        }

        mode = (archive_entry_perm(e) & 0111) ? 0100755 : 0100644;
        size = 0;

        for ( ;; ) {
            if (cap - size < 65536) {
                if (cap >= DJASS_GIT_MAX_FILE) {
                    djass_git_fail(pk, "A file is too large for git.");
                    goto done;
                }

                cap = cap ? cap * 2 : 65536;
                more = realloc(data, cap);
                if (more == NULL) {
                    djass_git_fail(pk, "Out of memory reading the ZIP.");
                    goto done;
                }
                data = more;
            }

            n = archive_read_data(a, data + size, cap - size);
            if (n < 0) {
                djass_git_fail(pk, "Cannot read the ZIP back.");
                goto done;
            }

            if (n == 0) {
                break;
            }

            size += n;
        }

        if (djass_git_file(pk, root, rest, mode, data, size) != 0) {
            goto done;
        }
    }

    if (r != ARCHIVE_EOF) {
        djass_git_fail(pk, "Cannot read the ZIP back.");
        goto done;
    }

    rc = 0;

done:

    free(data);
    archive_read_free(a);
    return rc;
}


static int
djass_git_slurp(const char *path, unsigned char **buf, size_t *size)
{
    FILE         *f;
    struct stat   sb;

    *buf = NULL;

    f = fopen(path, "rbe");
    if (f == NULL) {
        return -1;
    }

    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0
        || sb.st_size > DJASS_GIT_MAX_FILE)
    {
        fclose(f);
        return -1;
    }

    *size = sb.st_size;
    *buf = malloc(*size + 1);

    if (*buf == NULL || fread(*buf, 1, *size, f) != *size) {
        free(*buf);
        *buf = NULL;
        fclose(f);
        return -1;
    }

    fclose(f);
    return 0;
}


/* 1 when the last 20 bytes of buf are the SHA-1 of the rest */
static int
djass_git_sum_ok(const unsigned char *buf, size_t size)
{
    int            ok;
    EVP_MD_CTX    *md;
    unsigned char  sum[20];

    md = EVP_MD_CTX_new();
    ok = md != NULL && size >= 20
         && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1
         && EVP_DigestUpdate(md, buf, size - 20) == 1
         && EVP_DigestFinal_ex(md, sum, NULL) == 1
         && memcmp(sum, buf + size - 20, 20) == 0;

    EVP_MD_CTX_free(md);
    return ok;
}


/*
 * The parent's pack, its objects copied as they are right after the
 * header: the same offsets, so its index's CRCs and offsets hold (and
 * any delta inside it still finds its base).
 */
static int
djass_git_inherit(djass_git_pack_t *pk, const djass_git_in_t *in)
{
    int               rc;
    size_t            psize, isize, i, n, need;
    uint64_t          off;
    const unsigned char *sha, *crc, *ofs, *big;
    unsigned char    *pack, *idx;
    djass_git_obj_t  *o;

    rc = -1;
    pack = NULL;

    if (djass_git_slurp(in->parent_idx, &idx, &isize) != 0
        || djass_git_slurp(in->parent_pack, &pack, &psize) != 0)
    {
        djass_git_fail(pk, "Cannot read the parent project's git pack.");
        goto done;
    }

    if (isize < 8 + 1024 + 40 || memcmp(idx, "\377tOc\0\0\0\2", 8) != 0
        || psize < 32 || memcmp(pack, "PACK\0\0\0\2", 8) != 0)
    {
        djass_git_fail(pk, "The parent project's git pack is damaged.");
        goto done;
    }

    n = djass_git_get32(idx + 8 + 255 * 4);
    need = 8 + 1024 + n * 28 + 40;

    /* both checksums hold (a store's damage shows), and they pair up */
    if (n != djass_git_get32(pack + 8) || isize < need
        || memcmp(idx + isize - 40, pack + psize - 20, 20) != 0
        || djass_git_sum_ok(idx, isize) != 1
        || djass_git_sum_ok(pack, psize) != 1)
    {
        djass_git_fail(pk, "The parent project's git pack is damaged.");
        goto done;
    }

    sha = idx + 8 + 1024;
    crc = sha + n * 20;
    ofs = crc + n * 4;
    big = ofs + n * 4;

    for (i = 0; i < n; i++) {
        off = djass_git_get32(ofs + 4 * i);

        if (off & 0x80000000) {
            off &= 0x7fffffff;
            if ((size_t) (big - idx) + off * 8 + 8 > isize - 40) {
                djass_git_fail(pk, "The parent project's git pack is "
                               "damaged.");
                goto done;
            }
            off = ((uint64_t) djass_git_get32(big + off * 8) << 32)
                  | djass_git_get32(big + off * 8 + 4);
        }

        if (off < 12 || off >= psize - 20) {
            djass_git_fail(pk, "The parent project's git pack is damaged.");
            goto done;
        }

        o = djass_git_add(pk);
        if (o == NULL) {
            djass_git_fail(pk, "Out of memory in the git pack.");
            goto done;
        }

        memcpy(o->sha, sha + 20 * i, 20);
        o->crc = djass_git_get32(crc + 4 * i);
        o->off = off;
    }

    pk->inherited = n;

    if (djass_git_emit(pk, pack + 12, psize - 32) != 0) {
        goto done;
    }

    rc = 0;

done:

    free(pack);
    free(idx);
    return rc;
}


static int
djass_git_obj_cmp(const void *a, const void *b)
{
    return memcmp(((const djass_git_obj_t *) a)->sha,
                  ((const djass_git_obj_t *) b)->sha, 20);
}


/* the object count into the header, then the SHA-1 of it all appended */
static int
djass_git_seal(djass_git_pack_t *pk, unsigned char *sum)
{
    size_t          n;
    EVP_MD_CTX     *md;
    unsigned char   buf[65536];

    djass_git_put32(buf, (uint32_t) pk->n);

    if (fflush(pk->f) != 0 || fseek(pk->f, 8, SEEK_SET) != 0
        || fwrite(buf, 1, 4, pk->f) != 4 || fflush(pk->f) != 0
        || fseek(pk->f, 0, SEEK_SET) != 0)
    {
        return djass_git_io_fail(pk, "Cannot write the git pack");
    }

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return djass_git_fail(pk, "Cannot hash the git pack.");
    }

    while ((n = fread(buf, 1, sizeof(buf), pk->f)) > 0) {
        EVP_DigestUpdate(md, buf, n);
    }

    if (ferror(pk->f) || EVP_DigestFinal_ex(md, sum, NULL) != 1) {
        EVP_MD_CTX_free(md);
        return djass_git_fail(pk, "Cannot hash the git pack.");
    }

    EVP_MD_CTX_free(md);

    if (fseek(pk->f, 0, SEEK_END) != 0 || fwrite(sum, 1, 20, pk->f) != 20
        || fflush(pk->f) != 0 || fsync(fileno(pk->f)) != 0)
    {
        return djass_git_io_fail(pk, "Cannot write the git pack");
    }

    return 0;
}


/* the index, version 2: fan-out, names, CRCs, offsets, checksums */
static int
djass_git_index(djass_git_pack_t *pk, const char *path,
    const unsigned char *sum)
{
    int              rc;
    FILE            *f;
    size_t           i, nbig;
    uint32_t         fan[256];
    EVP_MD_CTX      *md;
    unsigned char    b[20], digest[20];

    qsort(pk->objs, pk->n, sizeof(djass_git_obj_t), djass_git_obj_cmp);

    for (i = 1; i < pk->n; i++) {
        if (memcmp(pk->objs[i - 1].sha, pk->objs[i].sha, 20) == 0) {
            return djass_git_fail(pk, "The git pack holds an object "
                                  "twice.");
        }
    }

    memset(fan, 0, sizeof(fan));
    for (i = 0; i < pk->n; i++) {
        fan[pk->objs[i].sha[0]]++;
    }
    for (i = 1; i < 256; i++) {
        fan[i] += fan[i - 1];
    }

    f = fopen(path, "w+be");
    md = EVP_MD_CTX_new();

    if (f == NULL || md == NULL
        || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1)
    {
        rc = djass_git_io_fail(pk, "Cannot write the git index");
        if (f) {
            fclose(f);
        }
        EVP_MD_CTX_free(md);
        return rc;
    }

#define djass_git_out(p, n)                                                  \
    do {                                                                      \
        if (fwrite(p, 1, n, f) != (n)) {                                      \
            goto failed;                                                      \
        }                                                                     \
        EVP_DigestUpdate(md, p, n);                                           \
    } while (0)

    djass_git_out("\377tOc\0\0\0\2", 8);

    for (i = 0; i < 256; i++) {
        djass_git_put32(b, fan[i]);
        djass_git_out(b, 4);
    }

    for (i = 0; i < pk->n; i++) {
        djass_git_out(pk->objs[i].sha, 20);
    }

    for (i = 0; i < pk->n; i++) {
        djass_git_put32(b, pk->objs[i].crc);
        djass_git_out(b, 4);
    }

    nbig = 0;
    for (i = 0; i < pk->n; i++) {
        if (pk->objs[i].off < 0x80000000) {
            djass_git_put32(b, (uint32_t) pk->objs[i].off);

        } else {
            djass_git_put32(b, (uint32_t) (0x80000000 | nbig++));
        }
        djass_git_out(b, 4);
    }

    for (i = 0; i < pk->n; i++) {
        if (pk->objs[i].off >= 0x80000000) {
            djass_git_put32(b, (uint32_t) (pk->objs[i].off >> 32));
            djass_git_put32(b + 4, (uint32_t) pk->objs[i].off);
            djass_git_out(b, 8);
        }
    }

    djass_git_out(sum, 20);

#undef djass_git_out

    if (EVP_DigestFinal_ex(md, digest, NULL) != 1
        || fwrite(digest, 1, 20, f) != 20 || fflush(f) != 0
        || fsync(fileno(f)) != 0)
    {
        goto failed;
    }

    rc = fclose(f) == 0 ? 0 : djass_git_io_fail(pk, "Cannot write the git "
                                                    "index");
    EVP_MD_CTX_free(md);
    return rc;

failed:

    rc = djass_git_io_fail(pk, "Cannot write the git index");
    fclose(f);
    EVP_MD_CTX_free(md);
    return rc;
}


int
djass_git_write(const char *zip, const char *pack, const char *idx,
    const djass_git_in_t *in, djass_git_out_t *out, char *err, size_t len)
{
    int                rc;
    char              *commit, tree[41];
    size_t             n;
    djass_git_node_t  *root;
    djass_git_pack_t   pk;
    unsigned char      sha[20], sum[20];

    memset(&pk, 0, sizeof(djass_git_pack_t));
    pk.err = err;
    pk.len = len;

    if (in->parent && !djass_git_is_sha(in->parent)) {
        snprintf(err, len, "The parent commit is not a git object id.");
        return -1;
    }

    root = calloc(1, sizeof(djass_git_node_t));
    commit = malloc(1024 + strlen(in->slug) + strlen(in->template_version));
    pk.f = fopen(pack, "w+be");
    rc = -1;

    if (root == NULL || commit == NULL || pk.f == NULL) {
        djass_git_io_fail(&pk, "Cannot write the git pack");
        goto done;
    }

    root->mode = 040000;

    if (djass_git_emit(&pk, "PACK\0\0\0\2\0\0\0\0", 12) != 0
        || (in->parent_pack && djass_git_inherit(&pk, in) != 0)
        || djass_git_read_zip(&pk, zip, root) != 0
        || djass_git_tree(&pk, root) != 0)
    {
        goto done;
    }

    djass_git_tohex(root->sha, tree);

    n = sprintf(commit, "tree %s\n", tree);

    if (in->parent) {
        n += sprintf(commit + n, "parent %s\n", in->parent);
    }

    n += sprintf(commit + n,
                 "author " DJASS_GIT_IDENT " %lld +0000\n"
                 "committer " DJASS_GIT_IDENT " %lld +0000\n"
                 "\n"
                 "Generate %s from template %s\n",
                 in->created_at, in->created_at, in->slug,
                 in->template_version);

    if (djass_git_object(&pk, DJASS_GIT_COMMIT, commit, n, sha) != 0
        || djass_git_seal(&pk, sum) != 0
        || djass_git_index(&pk, idx, sum) != 0)
    {
        goto done;
    }

    djass_git_tohex(sha, out->commit);
    djass_git_tohex(sum, out->pack);
    rc = 0;

done:

    if (pk.f && fclose(pk.f) != 0 && rc == 0) {
        rc = djass_git_io_fail(&pk, "Cannot write the git pack");
    }

    if (root) {
        djass_git_free(root);
    }

    free(commit);
    free(pk.objs);
    return rc;
}
