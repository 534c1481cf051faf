/*
 * GET /projects/{id}/download: one call of the script, then the answer
 * is the artifact itself, served by nginx from the djass_artifacts
 * location after an internal redirect (or from an S3 store:
 * ngx_http_djass_s3.c), or 409 while it is not ready.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


#define ngx_http_djass_isalnum(c)                                            \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z')                 \
     || ((c) >= 'A' && (c) <= 'Z'))


static ngx_int_t ngx_http_djass_download_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_artifact_path(ngx_str_t *path);


ngx_int_t
ngx_http_djass_download_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_call_project(r, ctx, "download",
                                       ngx_http_djass_download_done);
}


/*
 * Ready and owned: the headers of the download, then an internal redirect
 * to djass_artifacts + the artifact's path, where nginx serves the file
 * itself.  Not ready: 409 with the status to poll for.
 */

static ngx_int_t
ngx_http_djass_download_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    u_char                *p;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    if (rc == NGX_OK && n == 3
        && v[0].len == 1 && v[1].len == sizeof("notready") - 1
        && ngx_strcmp(v[1].data, "notready") == 0)
    {
        p = ngx_http_djass_not_ready_details(r->pool, ctx->project_id,
                                             &v[2]);
        if (p == NULL) {
            return NGX_ERROR;
        }

        return ngx_http_djass_send_error(r, NGX_HTTP_CONFLICT,
                                         "artifact_not_ready",
                                         "Project artifact is not ready yet.",
                                         (char *) p);
    }

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 3) {
        return ngx_http_djass_internal_error(r);
    }

    return ngx_http_djass_serve_artifact(r, ctx, &v[1], &v[2]);
}


/*
 * The answer of a ready project's download, for GET /download and the
 * one-shot (GET /projects.zip): Content-Disposition from the slug, then
 * the artifact from the folder or HTTP store behind djass_artifacts, or
 * from S3.  What the request is finalized with.
 */

ngx_int_t
ngx_http_djass_serve_artifact(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_str_t *slug, ngx_str_t *artifact)
{
    u_char                     *p, *last;
    ngx_tm_t                    tm;
    ngx_str_t                   uri, disposition;
    ngx_uint_t                  n;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    if (dlcf->artifacts.len == 0
        || ngx_http_djass_artifact_path(artifact) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: project %ui is ready but cannot be served: "
                      "%s", ctx->project_id,
                      dlcf->artifacts.len ? "its artifact path is unusable"
                                          : "no djass_artifacts here");
        return ngx_http_djass_internal_error(r);
    }

    /* attachment; filename="<slug>-YYYYMMDD.zip" */

    p = ngx_pnalloc(r->pool, sizeof("attachment; filename=\"-YYYYMMDD.zip\"")
                             + slug->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, "attachment; filename=\"",
                      sizeof("attachment; filename=\"") - 1);

    for (n = 0; n < slug->len; n++) {
        *last++ = (ngx_http_djass_isalnum(slug->data[n]) || slug->data[n] == '-'
                   || slug->data[n] == '.')
                  ? slug->data[n] : '_';
    }

    ngx_gmtime(ngx_time(), &tm);

    last = ngx_sprintf(last, "-%4d%02d%02d.zip\"",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday);

    disposition.data = p;
    disposition.len = last - p;

    if (ngx_http_djass_add_header(r, "Content-Disposition", &disposition)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&r->headers_out.content_type, "application/zip");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (dlcf->s3) {
        /* an S3 store: streamed from it, or a redirect to it */
        ctx->download = 1;
        return ngx_http_djass_s3_download(r, ctx, artifact);
    }

    uri.len = dlcf->artifacts.len + artifact->len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(uri.data, dlcf->artifacts.data,
                          dlcf->artifacts.len),
               artifact->data, artifact->len);

    ctx->download = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass redirect to the artifact \"%V\"", &uri);

    (void) ngx_http_internal_redirect(r, &uri, NULL);

    return NGX_DONE;
}


/* a relative path of plain names: no "..", no leading "/", no oddities */

static ngx_int_t
ngx_http_djass_artifact_path(ngx_str_t *path)
{
    u_char  *p, *last, c;

    p = path->data;
    last = p + path->len;

    if (path->len == 0 || *p == '/') {
        return NGX_ERROR;
    }

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if (!(ngx_http_djass_isalnum(c) || c == '.' || c == '-' || c == '_'
              || c == '/'))
        {
            return NGX_ERROR;
        }

        if (c == '.' && (p == path->data || p[-1] == '/')
            && (p + 1 == last || p[1] == '.' || p[1] == '/'))
        {
            return NGX_ERROR;
        }

        if (c == '/' && p + 1 < last && p[1] == '/') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the details of 409 artifact_not_ready, a C string in pool */

u_char *
ngx_http_djass_not_ready_details(ngx_pool_t *pool, ngx_uint_t project_id,
    ngx_str_t *status)
{
    u_char  *p, *last;

    p = ngx_pnalloc(pool, sizeof("{\"project_id\":,\"status\":,"
                                 "\"retry_guidance\":\"Poll the "
                                 "status endpoint until "
                                 "artifact_ready is true.\"}")
                          + NGX_INT_T_LEN
                          + ngx_http_djass_json_str_len(status->data,
                                                        status->len));
    if (p == NULL) {
        return NULL;
    }

    last = ngx_sprintf(p, "{\"project_id\":%ui,\"status\":", project_id);
    last = ngx_http_djass_json_str(last, status->data, status->len);
    (void) ngx_sprintf(last, ",\"retry_guidance\":\"Poll the status "
                       "endpoint until artifact_ready is true.\"}%Z");

    return p;
}
