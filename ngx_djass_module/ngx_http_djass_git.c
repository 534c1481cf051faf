/*
 * Issue 25: GET /projects/{id}.git/<path>, the project's git repository
 * over git's dumb HTTP protocol.  The path is checked first (anything but
 * the dumb protocol's files is 404); then one call of the script ("git":
 * the download's key, scope, owner and readiness) and the answer:
 * info/refs, HEAD and objects/info/packs are made from the record
 * (git_commit, git_pack); the pack and its index are the store's files
 * beside the ZIP, served as the download is.  Loose objects are never
 * stored (the pack holds them all): 404, after which git reads the pack.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


typedef enum {
    NGX_HTTP_DJASS_GIT_NONE = 0,
    NGX_HTTP_DJASS_GIT_REFS,
    NGX_HTTP_DJASS_GIT_HEAD,
    NGX_HTTP_DJASS_GIT_PACKS,
    NGX_HTTP_DJASS_GIT_PACK,
    NGX_HTTP_DJASS_GIT_IDX,
    NGX_HTTP_DJASS_GIT_LOOSE
} ngx_http_djass_git_e;


static ngx_http_djass_git_e ngx_http_djass_git_path(ngx_http_request_t *r,
    ngx_str_t *tail, ngx_str_t *hex);
static ngx_int_t ngx_http_djass_git_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_git_text(ngx_http_request_t *r,
    ngx_str_t *body);


#define ngx_http_djass_git_hex(c)                                            \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'f'))


ngx_int_t
ngx_http_djass_git_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    ngx_str_t  hex;

    if (ngx_http_djass_git_path(r, &ctx->tail, &hex)
        == NGX_HTTP_DJASS_GIT_NONE)
    {
        return ngx_http_djass_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         "No such file in a project's git "
                                         "repository.", NULL);
    }

    return ngx_http_djass_call_project(r, ctx, "git",
                                       ngx_http_djass_git_done);
}


/* n hex digits (lowercase) at p, exactly */

static ngx_uint_t
ngx_http_djass_git_is_hex(u_char *p, size_t len, size_t n)
{
    size_t  i;

    if (len != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!ngx_http_djass_git_hex(p[i])) {
            return 0;
        }
    }

    return 1;
}


/*
 * The path after "{id}.git/", byte for byte: the dumb protocol's names and
 * nothing else.  The URI as sent must hold no escape ('%'): nginx has
 * decoded the one the router saw, and an encoded slash or dot is refused
 * rather than trusted.  hex: the pack's name, for a pack or an index.
 */

static ngx_http_djass_git_e
ngx_http_djass_git_path(ngx_http_request_t *r, ngx_str_t *tail,
    ngx_str_t *hex)
{
    u_char  *p, *last, *q, *u, *end;
    size_t   len;

    /* as sent: no escape, and nothing nginx normalised (".", "..", "//") */
    u = r->unparsed_uri.data;
    end = u + r->unparsed_uri.len;
    q = ngx_strlchr(u, end, '?');

    if (q) {
        end = q;
    }

    if (ngx_strlchr(u, end, '%') || (size_t) (end - u) != r->uri.len
        || ngx_strncmp(u, r->uri.data, r->uri.len) != 0)
    {
        return NGX_HTTP_DJASS_GIT_NONE;
    }

    last = tail->data + tail->len;
    p = ngx_strlchr(tail->data, last, '/');                /* projects/ */
    p = p ? ngx_strlchr(p + 1, last, '/') : NULL;          /* {id}.git/ */

    if (p == NULL) {
        return NGX_HTTP_DJASS_GIT_NONE;
    }

    p++;
    len = last - p;

#define ngx_http_djass_git_is(s)                                             \
    (len == sizeof(s) - 1 && ngx_strncmp(p, s, sizeof(s) - 1) == 0)

    if (ngx_http_djass_git_is("info/refs")) {
        return NGX_HTTP_DJASS_GIT_REFS;
    }

    if (r->args.len) {
        /* only info/refs takes a query (?service=git-upload-pack) */
        return NGX_HTTP_DJASS_GIT_NONE;
    }

    if (ngx_http_djass_git_is("HEAD")) {
        return NGX_HTTP_DJASS_GIT_HEAD;
    }

    if (ngx_http_djass_git_is("objects/info/packs")) {
        return NGX_HTTP_DJASS_GIT_PACKS;
    }

#undef ngx_http_djass_git_is

    if (len == sizeof("objects/pack/pack-.pack") - 1 + 40
        && ngx_strncmp(p, "objects/pack/pack-",
                       sizeof("objects/pack/pack-") - 1) == 0)
    {
        q = p + sizeof("objects/pack/pack-") - 1;

        if (!ngx_http_djass_git_is_hex(q, 40, 40)) {
            return NGX_HTTP_DJASS_GIT_NONE;
        }

        if (ngx_strncmp(q + 40, ".pack", 5) != 0) {
            return NGX_HTTP_DJASS_GIT_NONE;
        }

        hex->data = q;
        hex->len = 40;
        return NGX_HTTP_DJASS_GIT_PACK;
    }

    if (len == sizeof("objects/pack/pack-.idx") - 1 + 40
        && ngx_strncmp(p, "objects/pack/pack-",
                       sizeof("objects/pack/pack-") - 1) == 0)
    {
        q = p + sizeof("objects/pack/pack-") - 1;

        if (!ngx_http_djass_git_is_hex(q, 40, 40)
            || ngx_strncmp(q + 40, ".idx", 4) != 0)
        {
            return NGX_HTTP_DJASS_GIT_NONE;
        }

        hex->data = q;
        hex->len = 40;
        return NGX_HTTP_DJASS_GIT_IDX;
    }

    /* objects/<2 hex>/<38 hex> */
    if (len == sizeof("objects//") - 1 + 40
        && ngx_strncmp(p, "objects/", sizeof("objects/") - 1) == 0
        && p[10] == '/'
        && ngx_http_djass_git_is_hex(p + 8, 2, 2)
        && ngx_http_djass_git_is_hex(p + 11, 38, 38))
    {
        return NGX_HTTP_DJASS_GIT_LOOSE;
    }

    return NGX_HTTP_DJASS_GIT_NONE;
}


/*
 * {"ok", artifact, git_commit, git_pack}: the answer for the path, or 409
 * before the project is ready.
 */

static ngx_int_t
ngx_http_djass_git_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    u_char                *p;
    ngx_str_t              hex, body, file, type;
    ngx_http_djass_ctx_t  *ctx;
    ngx_http_djass_git_e   what;

    ctx = ngx_http_djass_get_ctx(r);

    rc = ngx_http_djass_not_ready(r, rc, v, n);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_djass_call_reply(r, data, NGX_OK, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 4) {
        return ngx_http_djass_internal_error(r);
    }

    ngx_str_null(&hex);
    what = ngx_http_djass_git_path(r, &ctx->tail, &hex);

    if (v[2].len != 40 || v[3].len != 40 || what == NGX_HTTP_DJASS_GIT_LOOSE
        || ((what == NGX_HTTP_DJASS_GIT_PACK || what == NGX_HTTP_DJASS_GIT_IDX)
            && ngx_strncmp(hex.data, v[3].data, 40) != 0))
    {
        /* a project made before repositories were: none of it */
        return ngx_http_djass_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         v[2].len == 40
                                         ? "No such file in the project's "
                                           "git repository."
                                         : "This project has no git "
                                           "repository.", NULL);
    }

    switch (what) {

    case NGX_HTTP_DJASS_GIT_REFS:
        body.len = 40 + sizeof("\trefs/heads/main\n") - 1;
        body.data = ngx_pnalloc(r->pool, body.len);
        if (body.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(ngx_cpymem(body.data, v[2].data, 40),
                   "\trefs/heads/main\n", sizeof("\trefs/heads/main\n") - 1);

        return ngx_http_djass_git_text(r, &body);

    case NGX_HTTP_DJASS_GIT_HEAD:
        ngx_str_set(&body, "ref: refs/heads/main\n");
        return ngx_http_djass_git_text(r, &body);

    case NGX_HTTP_DJASS_GIT_PACKS:
        body.len = sizeof("P pack-.pack\n\n") - 1 + 40;
        body.data = ngx_pnalloc(r->pool, body.len);
        if (body.data == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(body.data, "P pack-%V.pack\n\n", &v[3]);

        return ngx_http_djass_git_text(r, &body);

    default: /* the pack or its index: projects/NNN/<id>.pack, .idx */
        break;
    }

    if (v[1].len < sizeof(".zip") - 1
        || ngx_strncmp(v[1].data + v[1].len - 4, ".zip", 4) != 0
        || ngx_http_djass_artifact_path(&v[1]) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: project %ui is ready but its repository "
                      "cannot be served: its artifact path is unusable",
                      ctx->project_id);
        return ngx_http_djass_internal_error(r);
    }

    file.len = v[1].len;
    file.data = ngx_pnalloc(r->pool, file.len + 1);
    if (file.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(file.data, v[1].data, v[1].len - 3);

    if (what == NGX_HTTP_DJASS_GIT_PACK) {
        p = ngx_cpymem(p, "pack", 4);
        ngx_str_set(&type, "application/x-git-packed-objects");

    } else {
        p = ngx_cpymem(p, "idx", 3);
        ngx_str_set(&type, "application/x-git-packed-objects-toc");
    }

    file.len = p - file.data;

    r->headers_out.content_type = type;
    r->headers_out.content_type_len = type.len;
    r->headers_out.content_type_lowcase = NULL;

    return ngx_http_djass_artifact_redirect(r, ctx, &file);
}


/* a small text file of the repository, never cached (it moves) */

static ngx_int_t
ngx_http_djass_git_text(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t  type, cc;

    ngx_str_set(&cc, "no-cache, max-age=0, must-revalidate");

    if (ngx_http_djass_add_header(r, "Cache-Control", &cc) == NULL) {
        return NGX_ERROR;
    }

    /* info/refs as a dumb server sends it: git then reads the files */
    ngx_str_set(&type, "text/plain; charset=utf-8");

    return ngx_http_djass_send_body(r, NGX_HTTP_OK, &type, body);
}
