/*
 * Rendering a template tree (see djass_render.h).  The order of the work
 * follows cookiecutter's generate_files(): the project folder, the
 * pre_gen_project hook, then a top-down walk where each folder's
 * copy-only subfolders are copied, its other subfolders created and its
 * files rendered or copied, then the post_gen_project hook.
 *
 * The project is built in a hidden staging folder inside the output
 * folder and renamed into place at the end, so a failure leaves nothing.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "djass_buf.h"
#include "djass_cookiecutter.h"
#include "djass_render.h"
#include "djass_utf8.h"


#define DJASS_HOOK_TIMEOUT_MS  60000
#define DJASS_BINARY_CHUNK     512
#define DJASS_NEWLINE_CHUNK    8192


typedef struct djass_include_s  djass_include_t;

/* the templates {% include %} loaded, compiled once per render */
struct djass_include_s {
    djass_include_t  *next;
    char             *name;
    djass_tmpl_t     *tmpl;
};


typedef struct {
    char                        root[PATH_MAX];     /* {{cookiecutter.x}} */
    char                        repo[PATH_MAX];     /* the template dir */
    char                        project[PATH_MAX];  /* staging/<name> */
    char                        project_real[PATH_MAX];
    char                        checked[PATH_MAX];  /* a parent known inside */
    json_t                     *ctx;
    json_t                     *vars;
    json_t                     *copy_globs;
    const char                 *newline;           /* _new_lines, or NULL */
    const char                 *python;            /* runs .py hooks */
    int                         flags;             /* _jinja2_env_vars */
    djass_include_t            *includes;
    const djass_render_opts_t  *opts;
    djass_err_t                *err;
} djass_render_t;


static int djass_render_walk(djass_render_t *r, const char *rel);


/* errno text for a template-relative name: never a host path */
static int
djass_sys_err(djass_render_t *r, const char *rel, const char *what)
{
    return djass_err_set(r->err, rel, 0, "%s: %s", what, strerror(errno));
}


static int
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


static char *
djass_read_file(const char *path, size_t *len)
{
    int          fd;
    char        *p;
    size_t       got;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }

    p = malloc((size_t) st.st_size + 1);
    if (p == NULL) {
        close(fd);
        return NULL;
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

    close(fd);
    p[got] = '\0';
    *len = got;
    return p;
}


static int
djass_write_all(int fd, const char *p, size_t len)
{
    ssize_t  n;

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


/* creates or truncates dst (never through a symlink) and sets its mode */
static int
djass_write_file(const char *dst, const char *p, size_t len, mode_t mode)
{
    int  fd;

    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              0666);
    if (fd < 0) {
        return -1;
    }

    if (djass_write_all(fd, p, len) != 0 || fchmod(fd, mode & 07777) != 0) {
        close(fd);
        return -1;
    }

    return close(fd);
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


/* binaryornot's answer, approximated: known binary extensions, then the
 * first 512 bytes: a NUL, invalid UTF-8 or many control characters */

static int
djass_binary_ext(const char *name)
{
    const char   *dot;
    char          ext[16];
    size_t        i;
    static const char  exts[] =
        " png jpg jpeg gif bmp ico icns tif tiff webp psd xcf heic avif"
        " pdf zip gz tgz bz2 xz 7z rar tar zst lz lzma jar war whl egg"
        " exe dll so dylib o a lib obj class pyc pyo pyd bin db sqlite"
        " sqlite3 woff woff2 ttf otf eot mp3 mp4 m4a wav ogg oga flac aac"
        " avi mov mkv webm wmv flv mpg mpeg doc docx xls xlsx ppt pptx odt"
        " ods odp swf dmg iso img deb rpm apk msi ";

    dot = strrchr(name, '.');
    if (dot == NULL || dot == name || strlen(dot + 1) >= sizeof(ext) - 2) {
        return 0;
    }

    ext[0] = ' ';
    for (i = 0; dot[i + 1]; i++) {
        ext[i + 1] = (dot[i + 1] >= 'A' && dot[i + 1] <= 'Z')
                     ? (char) (dot[i + 1] + 32) : dot[i + 1];
    }
    ext[i + 1] = ' ';
    ext[i + 2] = '\0';

    return strstr(exts, ext) != NULL;
}


static int
djass_is_binary(const char *name, const char *p, size_t len)
{
    size_t  i, n, ctrl;

    if (djass_binary_ext(name)) {
        return 1;
    }

    n = len < DJASS_BINARY_CHUNK ? len : DJASS_BINARY_CHUNK;
    if (n == 0) {
        return 0;
    }

    ctrl = 0;
    for (i = 0; i < n; i++) {
        if (p[i] == '\0') {
            return 1;
        }
        if ((unsigned char) p[i] < 0x20 && p[i] != '\n' && p[i] != '\r'
            && p[i] != '\t' && p[i] != '\f' && p[i] != '\v' && p[i] != 0x1b)
        {
            ctrl++;
        }
    }

    if (ctrl * 10 > n) {
        return 1;
    }

    return !djass_utf8_valid(p, n, n < len);
}


/*
 * The newline cookiecutter writes: Python's universal-newline reader,
 * after reading the first line, knows the kinds seen in the chunks read so
 * far; the first of "\r", "\n", "\r\n" among them wins; none: "\n".
 */
static const char *
djass_detect_newline(const char *p, size_t len)
{
    int     cr, lf, crlf;
    size_t  i, end;

    for (i = 0; i < len && p[i] != '\n' && p[i] != '\r'; i++) {
        /* void */
    }

    if (i == len) {
        return "\n";
    }

    end = (i / DJASS_NEWLINE_CHUNK + 1) * DJASS_NEWLINE_CHUNK;
    if (end > len) {
        end = len;
    }

    cr = lf = crlf = 0;
    for (i = 0; i < end; i++) {
        if (p[i] == '\r') {
            if (i + 1 < len && p[i + 1] == '\n') {
                crlf = 1;
                i++;
            } else {
                cr = 1;
            }
        } else if (p[i] == '\n') {
            lf = 1;
        }
    }

    return cr ? "\r" : lf ? "\n" : crlf ? "\r\n" : "\n";
}


/* Jinja2's split_template_path(): "/"-separated pieces, "." and empty
 * ones dropped, ".." not found; 0 or -1 */
static int
djass_include_path(const char *name, char *out, size_t size)
{
    size_t       n, k;
    const char  *p, *e;

    n = 0;
    out[0] = '\0';
    for (p = name; *p; p = e) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }
        k = (size_t) (e - p);
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            return -1;
        }
        if (k > 0 && !(k == 1 && p[0] == '.')) {
            if (n + k + 2 > size) {
                return -1;
            }
            if (n > 0) {
                out[n++] = '/';
            }
            memcpy(out + n, p, k);
            n += k;
            out[n] = '\0';
        }
        while (*e == '/') {
            e++;
        }
    }

    return n > 0 ? 0 : -1;
}


/* the {% include %} loader: the template folder, then <template>/templates
 * (cookiecutter's FileSystemLoader(['.', '../templates'])) */
static djass_tmpl_t *
djass_render_load(void *data, const char *name, djass_err_t *err)
{
    char              rel[PATH_MAX], path[PATH_MAX], real[PATH_MAX], *text;
    size_t            len, n;
    struct stat       st;
    djass_render_t   *r;
    djass_include_t  *inc;
    int               k;

    r = data;
    if (djass_include_path(name, rel, sizeof(rel)) != 0) {
        return NULL;
    }

    for (inc = r->includes; inc; inc = inc->next) {
        if (strcmp(inc->name, rel) == 0) {
            return inc->tmpl;
        }
    }

    for (k = 0; k < 2; k++) {
        if (snprintf(path, sizeof(path), "%s/%s%s", k ? r->repo : r->root,
                     k ? "templates/" : "", rel) >= (int) sizeof(path))
        {
            return NULL;
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            break;
        }
    }

    n = strlen(r->repo);
    if (k == 2 || realpath(path, real) == NULL
        || strncmp(real, r->repo, n) != 0 || real[n] != '/')
    {
        return NULL;
    }

    text = djass_read_file(path, &len);
    if (text == NULL) {
        djass_err_set(err, rel, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }

    inc = calloc(1, sizeof(djass_include_t));
    if (inc == NULL || (inc->name = strdup(rel)) == NULL) {
        free(inc);
        free(text);
        djass_err_set(err, rel, 0, "out of memory");
        return NULL;
    }

    inc->tmpl = djass_tmpl_compile_flags(text, len, rel, r->flags, err);
    free(text);
    if (inc->tmpl == NULL) {
        free(inc->name);
        free(inc);
        return NULL;
    }

    inc->next = r->includes;
    r->includes = inc;
    return inc->tmpl;
}


static void
djass_includes_free(djass_render_t *r)
{
    djass_include_t  *inc, *next;

    for (inc = r->includes; inc; inc = next) {
        next = inc->next;
        djass_tmpl_free(inc->tmpl);
        free(inc->name);
        free(inc);
    }
    r->includes = NULL;
}


/* renders a template-relative path; NULL with err set */
static char *
djass_render_name(djass_render_t *r, const char *rel)
{
    char          *out;
    size_t         len;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile_flags(rel, strlen(rel), rel, r->flags, r->err);
    if (t == NULL) {
        return NULL;
    }

    out = djass_tmpl_render(t, r->vars, &len, r->err);
    djass_tmpl_free(t);

    if (out != NULL && memchr(out, '\0', len) != NULL) {
        free(out);
        djass_err_set(r->err, rel, 0, "the rendered name holds a NUL byte");
        return NULL;
    }

    return out;
}


/* a rendered relative path may not leave the project folder */
static int
djass_confined(djass_render_t *r, const char *rel, const char *rendered)
{
    const char  *p, *e;

    if (rendered[0] == '/') {
        return djass_err_set(r->err, rel, 0, "the rendered path '%s' is "
                             "absolute", rendered);
    }

    for (p = rendered; *p; p = e) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }
        if (e - p == 2 && p[0] == '.' && p[1] == '.') {
            return djass_err_set(r->err, rel, 0, "the rendered path '%s' "
                                 "leaves the project folder", rendered);
        }
        while (*e == '/') {
            e++;
        }
    }

    return 0;
}


/* the real parent of path must be inside the project (no symlink out) */
static int
djass_parent_inside(djass_render_t *r, const char *rel, const char *path)
{
    char    dir[PATH_MAX], real[PATH_MAX], *slash;
    size_t  n;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }

    /* files come folder by folder: one realpath() per folder */
    if (strcmp(dir, r->checked) == 0) {
        return 0;
    }

    if (realpath(dir, real) == NULL) {
        return djass_sys_err(r, rel, "cannot write the rendered file");
    }

    n = strlen(r->project_real);
    if (strncmp(real, r->project_real, n) != 0
        || (real[n] != '\0' && real[n] != '/'))
    {
        return djass_err_set(r->err, rel, 0, "the rendered path leaves the "
                             "project folder");
    }

    snprintf(r->checked, sizeof(r->checked), "%s", dir);
    return 0;
}


static int
djass_copy_only(djass_render_t *r, const char *rel)
{
    size_t   i;
    json_t  *g;

    for (i = 0; i < json_array_size(r->copy_globs); i++) {
        g = json_array_get(r->copy_globs, i);
        if (json_is_string(g)
            && fnmatch(json_string_value(g), rel, FNM_NOESCAPE) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a symlink in the template must point inside the template */
static int
djass_check_link(djass_render_t *r, const char *rel, const char *src)
{
    char         real[PATH_MAX];
    size_t       n;
    struct stat  st;

    if (lstat(src, &st) != 0) {
        return djass_sys_err(r, rel, "cannot read");
    }

    if (!S_ISLNK(st.st_mode)) {
        return 0;
    }

    n = strlen(r->repo);
    if (realpath(src, real) == NULL || strncmp(real, r->repo, n) != 0
        || (real[n] != '\0' && real[n] != '/'))
    {
        return djass_err_set(r->err, rel, 0, "a symbolic link that points "
                             "outside the template");
    }

    return 0;
}


static int
djass_copy_file(djass_render_t *r, const char *rel, const char *src,
    const char *dst)
{
    int          rc;
    char        *p;
    size_t       len;
    struct stat  st;

    if (djass_check_link(r, rel, src) != 0) {
        return -1;
    }

    p = djass_read_file(src, &len);
    if (p == NULL || stat(src, &st) != 0) {
        free(p);
        return djass_sys_err(r, rel, "cannot read");
    }

    rc = djass_write_file(dst, p, len, st.st_mode);
    free(p);

    return rc == 0 ? 0 : djass_sys_err(r, rel, "cannot write");
}


/* shutil.copytree(): folders keep their modes */
static int
djass_copy_tree(djass_render_t *r, const char *rel, const char *src,
    const char *dst)
{
    DIR            *d;
    char            s2[PATH_MAX], d2[PATH_MAX], r2[PATH_MAX];
    struct stat     st;
    struct dirent  *de;
    int             rc;

    if (djass_check_link(r, rel, src) != 0 || stat(src, &st) != 0) {
        return -1;
    }

    if (mkdir(dst, 0777) != 0 && errno != EEXIST) {
        return djass_sys_err(r, rel, "cannot create the folder");
    }

    d = opendir(src);
    if (d == NULL) {
        return djass_sys_err(r, rel, "cannot read the folder");
    }

    rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (djass_path(s2, src, de->d_name) != 0
            || djass_path(d2, dst, de->d_name) != 0
            || djass_path(r2, rel, de->d_name) != 0)
        {
            rc = djass_err_set(r->err, rel, 0, "path too long");
            break;
        }

        struct stat  sub;

        if (stat(s2, &sub) != 0) {
            rc = djass_sys_err(r, r2, "cannot read");
        } else if (S_ISDIR(sub.st_mode)) {
            rc = djass_copy_tree(r, r2, s2, d2);
        } else {
            rc = djass_copy_file(r, r2, s2, d2);
        }
    }

    closedir(d);

    if (rc == 0 && chmod(dst, st.st_mode & 07777) != 0) {
        rc = djass_sys_err(r, rel, "cannot set the folder's mode");
    }

    return rc;
}


/* "\n" -> the file's newline, as Python's text mode writes */
static char *
djass_translate_newlines(char *p, size_t *len, const char *nl)
{
    size_t       i;
    djass_buf_t  b;

    if (strcmp(nl, "\n") == 0 || memchr(p, '\n', *len) == NULL) {
        return p;
    }

    memset(&b, 0, sizeof(b));
    for (i = 0; i < *len; i++) {
        if (p[i] == '\n') {
            djass_buf_adds(&b, nl);
        } else {
            djass_buf_addc(&b, p[i]);
        }
    }

    free(p);
    return djass_buf_detach(&b, len);
}


static int
djass_render_file(djass_render_t *r, const char *rel)
{
    int            rc;
    char           src[PATH_MAX], dst[PATH_MAX], *name, *text, *out;
    size_t         len, olen;
    struct stat    st;
    const char    *nl;
    djass_tmpl_t  *t;

    name = djass_render_name(r, rel);
    if (name == NULL) {
        return -1;
    }

    if (djass_confined(r, rel, name) != 0) {
        free(name);
        return -1;
    }

    if (djass_path(src, r->root, rel) != 0
        || djass_path(dst, r->project, name) != 0)
    {
        free(name);
        return djass_err_set(r->err, rel, 0, "path too long");
    }

    /* a name that renders empty leaves the folder's own path: skipped */
    if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
        free(name);
        return 0;
    }

    if (djass_parent_inside(r, rel, dst) != 0) {
        free(name);
        return -1;
    }

    if (djass_copy_only(r, rel)) {
        free(name);
        return djass_copy_file(r, rel, src, dst);
    }

    if (djass_check_link(r, rel, src) != 0) {
        free(name);
        return -1;
    }

    text = djass_read_file(src, &len);
    if (text == NULL || stat(src, &st) != 0) {
        free(name);
        free(text);
        return djass_sys_err(r, rel, "cannot read");
    }

    if (djass_is_binary(rel, text, len)) {
        rc = djass_write_file(dst, text, len, st.st_mode);
        free(text);
        free(name);
        return rc == 0 ? 0 : djass_sys_err(r, rel, "cannot write");
    }

    free(name);

    t = djass_tmpl_compile_flags(text, len, rel, r->flags, r->err);
    if (t == NULL) {
        free(text);
        return -1;
    }

    nl = r->newline ? r->newline : djass_detect_newline(text, len);
    free(text);

    out = djass_tmpl_render_ex(t, r->vars, djass_render_load, r, &olen,
                               r->err);
    djass_tmpl_free(t);
    if (out == NULL) {
        return -1;
    }

    out = djass_translate_newlines(out, &olen, nl);
    if (out == NULL) {
        return djass_err_set(r->err, rel, 0, "out of memory");
    }

    rc = djass_write_file(dst, out, olen, st.st_mode);
    free(out);

    return rc == 0 ? 0 : djass_sys_err(r, rel, "cannot write");
}


static int
djass_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* the sorted entries of a folder: dirs (stat says so) and files */
static int
djass_list(djass_render_t *r, const char *rel, char ***dirs, size_t *nd,
    char ***files, size_t *nf)
{
    DIR            *d;
    char            path[PATH_MAX], sub[PATH_MAX], **list, *name;
    size_t         *n;
    struct stat     st;
    struct dirent  *de;

    *dirs = *files = NULL;
    *nd = *nf = 0;

    if (djass_path(path, r->root, rel) != 0) {
        return djass_err_set(r->err, rel, 0, "path too long");
    }

    d = opendir(path);
    if (d == NULL) {
        return djass_sys_err(r, rel[0] ? rel : ".", "cannot read the folder");
    }

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (djass_path(sub, path, de->d_name) != 0) {
            closedir(d);
            return djass_err_set(r->err, rel, 0, "path too long");
        }

        /* os.walk: a symlink to a folder counts as a folder */
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            n = nd;
            list = realloc(*dirs, (*n + 1) * sizeof(char *));
            if (list) {
                *dirs = list;
            }
        } else {
            n = nf;
            list = realloc(*files, (*n + 1) * sizeof(char *));
            if (list) {
                *files = list;
            }
        }

        name = list ? strdup(de->d_name) : NULL;
        if (name == NULL) {
            closedir(d);
            return djass_err_set(r->err, rel, 0, "out of memory");
        }
        list[(*n)++] = name;
    }

    closedir(d);
    if (*nd > 1) {
        qsort(*dirs, *nd, sizeof(char *), djass_name_cmp);
    }
    if (*nf > 1) {
        qsort(*files, *nf, sizeof(char *), djass_name_cmp);
    }
    return 0;
}


static void
djass_list_free(char **list, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}


static int
djass_render_dir(djass_render_t *r, const char *rel, int copy)
{
    int          rc;
    char         src[PATH_MAX], dst[PATH_MAX], *name;
    struct stat  st;

    name = djass_render_name(r, rel);
    if (name == NULL) {
        return -1;
    }

    if (djass_confined(r, rel, name) != 0
        || djass_path(src, r->root, rel) != 0
        || djass_path(dst, r->project, name) != 0)
    {
        free(name);
        return -1;
    }

    free(name);

    if (djass_parent_inside(r, rel, dst) != 0
        || djass_check_link(r, rel, src) != 0)
    {
        return -1;
    }

    if (copy) {
        if (lstat(dst, &st) == 0 && djass_rm_rf(dst) != 0) {
            return djass_sys_err(r, rel, "cannot replace the folder");
        }
        return djass_copy_tree(r, rel, src, dst);
    }

    /* render_and_create_dir(): an existing folder is an error */
    if (lstat(dst, &st) == 0) {
        return djass_err_set(r->err, rel, 0, "the rendered folder already "
                             "exists");
    }

    rc = mkdir(dst, 0777);
    return rc == 0 ? 0 : djass_sys_err(r, rel, "cannot create the folder");
}


static int
djass_render_walk(djass_render_t *r, const char *rel)
{
    int          rc;
    char         sub[PATH_MAX], src[PATH_MAX], **dirs, **files;
    size_t       nd, nf, i;
    struct stat  st;

    if (djass_list(r, rel, &dirs, &nd, &files, &nf) != 0) {
        return -1;
    }

    rc = 0;

    /* copy-only folders first, then the others, then the files */
    for (i = 0; rc == 0 && i < nd; i++) {
        djass_path(sub, rel, dirs[i]);
        if (djass_copy_only(r, sub)) {
            rc = djass_render_dir(r, sub, 1);
            free(dirs[i]);
            dirs[i] = NULL;
        }
    }

    for (i = 0; rc == 0 && i < nd; i++) {
        if (dirs[i] != NULL) {
            djass_path(sub, rel, dirs[i]);
            rc = djass_render_dir(r, sub, 0);
        }
    }

    for (i = 0; rc == 0 && i < nf; i++) {
        djass_path(sub, rel, files[i]);
        rc = djass_render_file(r, sub);
    }

    /* os.walk does not go into symlinked folders */
    for (i = 0; rc == 0 && i < nd; i++) {
        if (dirs[i] != NULL) {
            djass_path(sub, rel, dirs[i]);
            if (djass_path(src, r->root, sub) == 0 && lstat(src, &st) == 0
                && !S_ISLNK(st.st_mode))
            {
                rc = djass_render_walk(r, sub);
            }
        }
    }

    djass_list_free(dirs, nd);
    djass_list_free(files, nf);
    return rc;
}


/* hooks: hooks/<name>.* of the template, rendered, run in the project */

/* waits for the hook's exit or its deadline: a pidfd when the kernel has
 * them, else short sleeps; 1 when it exited, 0 on timeout */
static int
djass_wait_exit(pid_t pid, int timeout, int *status)
{
    int              fd, waited, step;
    pid_t            w;
    struct pollfd    pfd;
    struct timespec  ts;

#ifdef SYS_pidfd_open
    fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        while (poll(&pfd, 1, timeout) < 0 && errno == EINTR) {
            /* void */
        }
        close(fd);
        return waitpid(pid, status, WNOHANG) == pid;
    }
#endif

    for (waited = 0, step = 1; ; waited += step) {
        w = waitpid(pid, status, WNOHANG);
        if (w == pid) {
            return 1;
        }
        if ((w < 0 && errno != EINTR) || waited >= timeout) {
            return 0;
        }
        step = step < 10 ? step + 1 : 10;
        ts.tv_sec = 0;
        ts.tv_nsec = step * 1000000L;
        nanosleep(&ts, NULL);
    }
}


static int
djass_wait_hook(djass_render_t *r, const char *rel, pid_t pid)
{
    int  status, timeout;

    timeout = r->opts->hook_timeout_ms > 0 ? r->opts->hook_timeout_ms
                                           : DJASS_HOOK_TIMEOUT_MS;

    if (!djass_wait_exit(pid, timeout, &status)) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return djass_err_set(r->err, rel, 0, "Hook script timed out "
                             "after %d ms", timeout);
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 126) {
        return djass_err_set(r->err, rel, 0, "Hook script failed, might be "
                             "an empty file or missing a shebang");
    }

    if (WIFEXITED(status)) {
        return djass_err_set(r->err, rel, 0, "Hook script failed (exit "
                             "status: %d)", WEXITSTATUS(status));
    }

    return djass_err_set(r->err, rel, 0, "Hook script killed by signal %d",
                         WTERMSIG(status));
}


static int
djass_run_script(djass_render_t *r, const char *rel, const char *script,
    int python)
{
    int    out, fd;
    pid_t  pid, parent;

    out = r->opts->hook_stdout_fd > 0 ? r->opts->hook_stdout_fd : 2;
    parent = getpid();

    pid = fork();
    if (pid < 0) {
        return djass_sys_err(r, rel, "cannot start the hook");
    }

    if (pid == 0) {
        setpgid(0, 0);
        /* a killed renderer takes its hook along: no orphan outlives
         * the time limit */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            _exit(127);
        }
        if (chdir(r->project) != 0) {
            _exit(127);
        }
        if (out != 1) {
            dup2(out, 1);
        }
        /* a hook that asks for input must not hang the worker */
        fd = open("/dev/null", O_RDONLY);
        if (fd > 0) {
            dup2(fd, 0);
            close(fd);
        }
        if (python) {
            execlp(r->python, r->python, script, (char *) NULL);
        } else {
            execl(script, script, (char *) NULL);
            if (errno == ENOEXEC) {
                _exit(126);
            }
        }
        _exit(127);
    }

    setpgid(pid, pid);
    return djass_wait_hook(r, rel, pid);
}


static int
djass_run_hook_file(djass_render_t *r, const char *hooks, const char *name)
{
    int            fd, rc;
    char           src[PATH_MAX], rel[PATH_MAX], tmp[PATH_MAX], *text, *out;
    size_t         len, olen;
    const char    *ext, *tmpdir;
    djass_tmpl_t  *t;

    snprintf(rel, sizeof(rel), "hooks/%s", name);
    if (djass_path(src, hooks, name) != 0) {
        return djass_err_set(r->err, rel, 0, "path too long");
    }

    text = djass_read_file(src, &len);
    if (text == NULL) {
        return djass_sys_err(r, rel, "cannot read the hook");
    }

    t = djass_tmpl_compile_flags(text, len, rel, r->flags, r->err);
    free(text);
    if (t == NULL) {
        return -1;
    }

    out = djass_tmpl_render(t, r->vars, &olen, r->err);
    djass_tmpl_free(t);
    if (out == NULL) {
        return -1;
    }

    ext = strrchr(name, '.');
    ext = ext ? ext : "";
    tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmp, sizeof(tmp), "%s/djass-hook-XXXXXX%s", tmpdir, ext);

    fd = mkstemps(tmp, (int) strlen(ext));
    if (fd < 0) {
        free(out);
        return djass_sys_err(r, rel, "cannot write the rendered hook");
    }

    rc = djass_write_all(fd, out, olen);
    free(out);
    if (fchmod(fd, 0700) != 0 || rc != 0) {
        rc = -1;
    }
    close(fd);

    if (rc != 0) {
        unlink(tmp);
        return djass_sys_err(r, rel, "cannot write the rendered hook");
    }

    rc = djass_run_script(r, rel, tmp, strcmp(ext, ".py") == 0);
    unlink(tmp);

    /* a hook may have replaced folders by symlinks: check again */
    r->checked[0] = '\0';
    return rc;
}


/* cookiecutter's valid_hook(): name.ext, name without dots, not a backup */
static int
djass_hook_matches(const char *file, const char *hook)
{
    size_t       n;
    const char  *dot;

    n = strlen(file);
    if (n == 0 || file[n - 1] == '~') {
        return 0;
    }

    dot = strrchr(file, '.');
    if (dot == file) {
        dot = NULL;
    }
    n = dot ? (size_t) (dot - file) : n;

    return n == strlen(hook) && strncmp(file, hook, n) == 0;
}


/* the template's hooks folder (its path into hooks, PATH_MAX bytes), or NULL
 * where hooks are off or there is no such folder */
static DIR *
djass_hooks_open(djass_render_t *r, char *hooks)
{
    if (r->opts->no_hooks || djass_path(hooks, r->repo, "hooks") != 0) {
        return NULL;
    }

    return opendir(hooks);
}


static int
djass_run_hooks(djass_render_t *r, const char *hook)
{
    DIR            *d;
    char            hooks[PATH_MAX], path[PATH_MAX];
    struct stat     st;
    struct dirent  *de;
    int             rc;

    d = djass_hooks_open(r, hooks);
    if (d == NULL) {
        return 0;
    }

    rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!djass_hook_matches(de->d_name, hook)
            || djass_path(path, hooks, de->d_name) != 0
            || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        {
            continue;
        }
        rc = djass_run_hook_file(r, hooks, de->d_name);
    }

    closedir(d);
    return rc;
}


static int
djass_has_hook(djass_render_t *r, const char *hook)
{
    DIR            *d;
    char            hooks[PATH_MAX];
    struct dirent  *de;
    int             found;

    d = djass_hooks_open(r, hooks);
    if (d == NULL) {
        return 0;
    }

    found = 0;
    while (!found && (de = readdir(d)) != NULL) {
        found = djass_hook_matches(de->d_name, hook);
    }

    closedir(d);
    return found;
}


/* the context: cookiecutter.json + given, plus the keys cookiecutter adds */
static int
djass_render_context(djass_render_t *r, const char *template_dir,
    const char *output_dir, json_t *given)
{
    char          path[PATH_MAX], abs_out[PATH_MAX];
    json_t       *cj, *v;
    json_error_t  je;

    if (djass_path(path, r->repo, "cookiecutter.json") != 0) {
        return djass_err_set(r->err, "cookiecutter.json", 0, "path too long");
    }

    cj = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (cj == NULL) {
        return djass_err_set(r->err, "cookiecutter.json", je.line,
                             "JSON decoding error: %s", je.text);
    }

    r->ctx = djass_context_build(cj, given, r->err);
    json_decref(cj);
    if (r->ctx == NULL) {
        return -1;
    }

    v = json_object_get(r->ctx, "_extensions");
    if (json_array_size(v) > 0) {
        return djass_err_set(r->err, "cookiecutter.json", 0, "_extensions "
                             "(Jinja2 extensions in Python) are not "
                             "supported");
    }

    if (djass_tmpl_env_flags(json_object_get(r->ctx, "_jinja2_env_vars"),
                             &r->flags, r->err) != 0)
    {
        return -1;
    }

    v = json_object_get(r->ctx, "_new_lines");
    if (json_is_string(v) && json_string_length(v) > 0) {
        r->newline = json_string_value(v);
    }

    r->copy_globs = json_object_get(r->ctx, "_copy_without_render");

    if (realpath(output_dir, abs_out) == NULL) {
        snprintf(abs_out, sizeof(abs_out), "%s", output_dir);
    }

    json_object_set_new(r->ctx, "_template", json_string(template_dir));
    json_object_set_new(r->ctx, "_output_dir", json_string(abs_out));
    json_object_set_new(r->ctx, "_repo_dir", json_string(template_dir));
    json_object_set_new(r->ctx, "_checkout", json_null());

    r->vars = json_pack("{sO}", "cookiecutter", r->ctx);
    if (r->vars == NULL) {
        return djass_err_set(r->err, "cookiecutter.json", 0,
                             "out of memory");
    }

    return 0;
}


/* find_template(): the first entry named like {{cookiecutter.x}} */
static int
djass_find_root(djass_render_t *r, char *name, size_t size)
{
    DIR            *d;
    struct dirent  *de;

    d = opendir(r->repo);
    if (d == NULL) {
        return djass_err_set(r->err, ".", 0, "cannot read the template "
                             "folder: %s", strerror(errno));
    }

    while ((de = readdir(d)) != NULL) {
        if (strstr(de->d_name, "cookiecutter") && strstr(de->d_name, "{{")
            && strstr(de->d_name, "}}"))
        {
            snprintf(name, size, "%s", de->d_name);
            closedir(d);
            return djass_path(r->root, r->repo, name);
        }
    }

    closedir(d);
    return djass_err_set(r->err, ".", 0, "The repository is not a "
                         "template: no folder named like "
                         "{{cookiecutter.project_slug}}");
}


static int
djass_render_tree(djass_render_t *r, const char *output_dir, char *staging,
    char *final)
{
    char         rootname[NAME_MAX + 1], *name;
    struct stat  st;

    if (djass_find_root(r, rootname, sizeof(rootname)) != 0) {
        return -1;
    }

    name = djass_render_name(r, rootname);
    if (name == NULL) {
        return -1;
    }

    if (name[0] == '\0' || strchr(name, '/') || strcmp(name, ".") == 0
        || strcmp(name, "..") == 0)
    {
        djass_err_set(r->err, rootname, 0, "the project folder's name '%s' "
                      "is not a folder name", name);
        free(name);
        return -1;
    }

    if (djass_path(final, output_dir, name) != 0
        || djass_path(r->project, staging, name) != 0)
    {
        free(name);
        return djass_err_set(r->err, rootname, 0, "path too long");
    }

    if (lstat(final, &st) == 0) {
        djass_err_set(r->err, rootname, 0, "Error: \"%s\" directory already "
                      "exists", name);
        free(name);
        return -1;
    }
    free(name);

    if (mkdir(r->project, 0777) != 0
        || realpath(r->project, r->project_real) == NULL)
    {
        return djass_sys_err(r, rootname, "cannot create the project folder");
    }

    if (djass_has_hook(r, "pre_prompt")) {
        return djass_err_set(r->err, "hooks/pre_prompt", 0, "pre_prompt "
                             "hooks are not supported (--no-hooks skips "
                             "all hooks)");
    }

    if (djass_run_hooks(r, "pre_gen_project") != 0
        || djass_render_walk(r, "") != 0
        || djass_run_hooks(r, "post_gen_project") != 0)
    {
        return -1;
    }

    return 0;
}


int
djass_render_project(const char *template_dir, const char *output_dir,
    json_t *given, const djass_render_opts_t *opts, char **project_dir,
    djass_err_t *err)
{
    int                   rc;
    char                  staging[PATH_MAX], final[PATH_MAX];
    djass_render_t       *r;
    djass_render_opts_t   defaults;

    memset(err, 0, sizeof(*err));
    *project_dir = NULL;

    if (opts == NULL) {
        memset(&defaults, 0, sizeof(defaults));
        opts = &defaults;
    }

    r = calloc(1, sizeof(djass_render_t));
    if (r == NULL) {
        return djass_err_set(err, ".", 0, "out of memory");
    }

    r->opts = opts;
    r->err = err;
    r->python = opts->python ? opts->python
                : getenv("DJASS_PYTHON") ? getenv("DJASS_PYTHON") : "python3";

    if (realpath(template_dir, r->repo) == NULL) {
        free(r);
        return djass_err_set(err, ".", 0, "cannot open the template "
                             "folder: %s", strerror(errno));
    }

    if (djass_path(staging, output_dir, ".djass-render-XXXXXX") != 0
        || mkdtemp(staging) == NULL)
    {
        free(r);
        return djass_err_set(err, ".", 0, "cannot write into the output "
                             "folder: %s", strerror(errno));
    }

    rc = djass_render_context(r, template_dir, output_dir, given);
    if (rc == 0) {
        rc = djass_render_tree(r, output_dir, staging, final);
    }

    /* into place only if nothing is there yet */
    if (rc == 0 && renameat2(AT_FDCWD, r->project, AT_FDCWD, final,
                             RENAME_NOREPLACE) != 0)
    {
        rc = djass_err_set(err, ".", 0, "cannot move the project into the "
                           "output folder: %s", strerror(errno));
    }

    djass_rm_rf(staging);

    if (rc == 0) {
        *project_dir = realpath(final, NULL);
        if (*project_dir == NULL) {
            *project_dir = strdup(final);
        }
    }

    djass_includes_free(r);
    json_decref(r->vars);
    json_decref(r->ctx);
    free(r);
    return rc;
}
