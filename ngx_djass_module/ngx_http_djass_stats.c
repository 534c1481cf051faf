/*
 * The fleet's figures of a djass_metrics scrape: one asynchronous call of
 * redis/stats.lua per scrape (the job stream's backlog, and the counts the
 * create, the worker's record scripts and the webhook deliveries keep in
 * the hash djass:stats), parsed and written in the Prometheus text format
 * after the local figures of ngx_http_djass_metrics.c.  Redis down, late
 * or answering nonsense: the scrape goes on without them, and says so
 * with djass_redis_up 0.
 *
 * Labels stay bounded: a status, an outcome, a consumer group of the job
 * stream (16 at most); never a project, a key or a profile.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "djass_scripts.h"


/* the names worker/queue.h gives the job stream and its workers' group */
#define NGX_HTTP_DJASS_JOBS_STREAM  "djass:jobs"
#define NGX_HTTP_DJASS_JOBS_GROUP   "djass-workers"

#define NGX_HTTP_DJASS_MAX_GROUPS   16
#define NGX_HTTP_DJASS_MAX_BUCKETS  32


/* a field of djass:stats (redis/lib/stats.lua) and its series */
typedef struct {
    ngx_str_t                    field;
    const char                  *series;
} ngx_http_djass_stat_t;

/* a metric family: its HELP and TYPE, and its fields in the table */
typedef struct {
    const char                  *head;
    ngx_uint_t                   first;
    ngx_uint_t                   n;
} ngx_http_djass_family_t;

typedef struct {
    ngx_str_t                    waiting;
    ngx_uint_t                   age_ms;
    ngx_str_t                   *groups;     /* name, pending, ... */
    ngx_uint_t                   ngroups;
    ngx_str_t                   *buckets;    /* le (ms), cumulative, ... */
    ngx_uint_t                   nbuckets;
    ngx_str_t                   *values;     /* one per stat, in order */
} ngx_http_djass_fleet_t;


static ngx_uint_t ngx_http_djass_stats_uint(ngx_str_t *s);
static ngx_uint_t ngx_http_djass_stats_int(ngx_str_t *s);
static u_char *ngx_http_djass_stats_label(u_char *p, u_char *last,
    ngx_str_t *s);
static u_char *ngx_http_djass_stats_le(u_char *p, u_char *last,
    ngx_str_t *ms);


static ngx_http_djass_lua_t  ngx_http_djass_stats_lua = {
    { DJASS_SCRIPT_STATS_LEN, (u_char *) djass_script_stats }, ""
};


#define NGX_HTTP_DJASS_STAT_SUM    17
#define NGX_HTTP_DJASS_STAT_COUNT  18
#define NGX_HTTP_DJASS_STATS       19

static ngx_http_djass_stat_t  ngx_http_djass_stats[NGX_HTTP_DJASS_STATS] = {
    { ngx_string("projects:queued"), "djass_projects{status=\"queued\"}" },
    { ngx_string("projects:generating"),
      "djass_projects{status=\"generating\"}" },
    { ngx_string("projects:ready"), "djass_projects{status=\"ready\"}" },
    { ngx_string("projects:failed"), "djass_projects{status=\"failed\"}" },
    { ngx_string("finished:ready"),
      "djass_jobs_finished_total{outcome=\"ready\"}" },
    { ngx_string("finished:failed"),
      "djass_jobs_finished_total{outcome=\"failed\"}" },
    { ngx_string("finished:exhausted"),
      "djass_jobs_finished_total{outcome=\"exhausted\"}" },
    { ngx_string("attempts"), "djass_job_attempts_total" },
    { ngx_string("reclaims"), "djass_job_reclaims_total" },
    { ngx_string("webhooks:delivered"),
      "djass_webhook_deliveries_total{outcome=\"delivered\"}" },
    { ngx_string("webhooks:retrying"),
      "djass_webhook_deliveries_total{outcome=\"retrying\"}" },
    { ngx_string("webhooks:dropped"),
      "djass_webhook_deliveries_total{outcome=\"dropped\"}" },
    { ngx_string("webhooks:disabled"),
      "djass_webhook_deliveries_total{outcome=\"disabled\"}" },
    { ngx_string("webhooks:skipped"),
      "djass_webhook_deliveries_total{outcome=\"skipped\"}" },
    { ngx_string("deleted:api"),
      "djass_projects_deleted_total{reason=\"api\"}" },
    { ngx_string("deleted:retention"),
      "djass_projects_deleted_total{reason=\"retention\"}" },
    /* not in djass:stats: stats.lua works it out (seconds) */
    { ngx_string("sweep:lag"), "djass_retention_sweeper_lag_seconds" },
    { ngx_string("render:sum_ms"), NULL },
    { ngx_string("render:count"), NULL }
};

static ngx_http_djass_family_t  ngx_http_djass_families[] = {

    { "# HELP djass_projects Projects in each status, fleet-wide (those "
      "created since the counts exist).\n"
      "# TYPE djass_projects gauge\n", 0, 4 },

    { "# HELP djass_jobs_finished_total Jobs that ended: ready, failed "
      "(the render failed) or exhausted (interrupted --max-attempts "
      "times).\n"
      "# TYPE djass_jobs_finished_total counter\n", 4, 3 },

    { "# HELP djass_job_attempts_total Generations started by the "
      "workers (a redo after a crash is one more).\n"
      "# TYPE djass_job_attempts_total counter\n", 7, 1 },

    { "# HELP djass_job_reclaims_total Jobs a worker took over from a "
      "worker that went silent for the visibility timeout.\n"
      "# TYPE djass_job_reclaims_total counter\n", 8, 1 },

    { "# HELP djass_webhook_deliveries_total Webhook delivery attempts, "
      "by outcome.\n"
      "# TYPE djass_webhook_deliveries_total counter\n", 9, 5 },

    { "# HELP djass_projects_deleted_total Projects deleted, by reason: "
      "api (DELETE) or retention (djass-worker --retention).\n"
      "# TYPE djass_projects_deleted_total counter\n", 14, 2 },

    { "# HELP djass_retention_sweeper_lag_seconds How long past its "
      "retention the oldest finished project still is (0 when none is, "
      "or no sweeper ever ran).\n"
      "# TYPE djass_retention_sweeper_lag_seconds gauge\n", 16, 1 }
};


/*
 * Sends the stats call for scrape r; handler gets the reply.  NGX_DONE:
 * on its way; NGX_DECLINED: no connection to Redis now; NGX_ERROR.
 */

ngx_int_t
ngx_http_djass_stats_fetch(ngx_http_request_t *r,
    ngx_http_djass_redis_pt handler)
{
    ngx_int_t              rc;
    ngx_str_t             *args;
    ngx_uint_t             i, nargs;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_ctx_t));
        if (ctx == NULL || ngx_http_djass_set_ctx(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ctx->scrape = 1;

    nargs = DJASS_SCRIPT_STATS_NARGS + NGX_HTTP_DJASS_STATS;

    args = ngx_palloc(r->pool, nargs * sizeof(ngx_str_t));
    if (args == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&args[DJASS_SCRIPT_STATS_KEY_STREAM],
                NGX_HTTP_DJASS_JOBS_STREAM);
    ngx_str_set(&args[DJASS_SCRIPT_STATS_ARGV_GROUP],
                NGX_HTTP_DJASS_JOBS_GROUP);

    for (i = 0; i < NGX_HTTP_DJASS_STATS; i++) {
        args[DJASS_SCRIPT_STATS_ARGV_FIELDS + i] =
                                                ngx_http_djass_stats[i].field;
    }

    rc = ngx_http_djass_redis_call(r, &ngx_http_djass_stats_lua, args,
                                   DJASS_SCRIPT_STATS_NKEYS, nargs, 0,
                                   handler, NULL);

    if (rc == NGX_HTTP_DJASS_NO_REDIS) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass scrape: no Redis connection, local figures");
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass scrape: stats call sent");

    if (!r->discard_body) {
        /* notice a client that leaves while Redis answers */
        r->read_event_handler = ngx_http_test_reading;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * The script's reply (redis/stats.lua): {ok, waiting, age, G, G pairs,
 * B, B pairs, one value per stat}.  NULL when it is not that (logged).
 */

void *
ngx_http_djass_stats_parse(ngx_http_request_t *r, ngx_str_t *v,
    ngx_uint_t n)
{
    ngx_int_t                g, b, age;
    ngx_uint_t               i, k;
    ngx_http_djass_fleet_t  *f;

    if (n < 5 || v[0].len != 2 || ngx_strncmp(v[0].data, "ok", 2) != 0
        || !ngx_http_djass_stats_uint(&v[1]))
    {
        goto bad;
    }

    age = ngx_atoi(v[2].data, v[2].len);
    g = ngx_atoi(v[3].data, v[3].len);

    if (age == NGX_ERROR || g == NGX_ERROR || g > NGX_HTTP_DJASS_MAX_GROUPS
        || 4 + 2 * (ngx_uint_t) g + 1 > n)
    {
        goto bad;
    }

    i = 4 + 2 * g;

    b = ngx_atoi(v[i].data, v[i].len);

    if (b == NGX_ERROR || b < 1 || b > NGX_HTTP_DJASS_MAX_BUCKETS
        || i + 1 + 2 * (ngx_uint_t) b + NGX_HTTP_DJASS_STATS != n)
    {
        goto bad;
    }

    for (k = 0; k < (ngx_uint_t) g; k++) {
        if (!ngx_http_djass_stats_uint(&v[4 + 2 * k + 1])) {
            goto bad;
        }
    }

    for (k = 0; k < (ngx_uint_t) b; k++) {
        if (!ngx_http_djass_stats_uint(&v[i + 1 + 2 * k + 1])
            || !(ngx_http_djass_stats_uint(&v[i + 1 + 2 * k])
                 || (k == (ngx_uint_t) b - 1 && v[i + 1 + 2 * k].len == 4
                     && ngx_strncmp(v[i + 1 + 2 * k].data, "+Inf", 4) == 0)))
        {
            goto bad;
        }
    }

    for (k = i + 1 + 2 * b; k < n; k++) {
        if (!ngx_http_djass_stats_int(&v[k])) {
            goto bad;
        }
    }

    f = ngx_palloc(r->pool, sizeof(ngx_http_djass_fleet_t));
    if (f == NULL) {
        return NULL;
    }

    f->waiting = v[1];
    f->age_ms = age;
    f->groups = &v[4];
    f->ngroups = g;
    f->buckets = &v[i + 1];
    f->nbuckets = b;
    f->values = &v[i + 1 + 2 * b];

    return f;

bad:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "djass: unexpected reply of the stats script (%ui "
                  "values): the scrape goes on without the fleet's "
                  "figures", n);

    return NULL;
}


/* bytes the fleet's figures take at most */

size_t
ngx_http_djass_stats_size(void *data)
{
    ngx_http_djass_fleet_t  *f = data;

    size_t      size;
    ngx_uint_t  i;

    size = 4096 + NGX_HTTP_DJASS_STATS * 128
           + f->nbuckets * (128 + NGX_INT64_LEN);

    for (i = 0; i < f->ngroups; i++) {
        size += 64 + 2 * f->groups[2 * i].len + f->groups[2 * i + 1].len;
    }

    return size;
}


u_char *
ngx_http_djass_stats_write(u_char *p, u_char *last, void *data)
{
    ngx_http_djass_fleet_t  *f = data;

    ngx_str_t                 *v;
    ngx_uint_t                 i, k, sum;
    ngx_http_djass_family_t   *fam;

    p = ngx_slprintf(p, last,
            "# HELP djass_jobs_waiting Jobs queued that no worker has "
            "taken yet.\n"
            "# TYPE djass_jobs_waiting gauge\n"
            "djass_jobs_waiting %V\n"
            "# HELP djass_queue_lag_seconds How long the oldest job no "
            "worker has taken yet has waited (0 when none waits).\n"
            "# TYPE djass_queue_lag_seconds gauge\n"
            "djass_queue_lag_seconds %ui.%03ui\n",
            &f->waiting, f->age_ms / 1000, f->age_ms % 1000);

    if (f->ngroups) {
        p = ngx_slprintf(p, last,
                "# HELP djass_jobs_pending Jobs taken by a worker and not "
                "finished yet, by consumer group of the job stream.\n"
                "# TYPE djass_jobs_pending gauge\n");

        for (i = 0; i < f->ngroups; i++) {
            p = ngx_slprintf(p, last, "djass_jobs_pending{group=\"");
            p = ngx_http_djass_stats_label(p, last, &f->groups[2 * i]);
            p = ngx_slprintf(p, last, "\"} %V\n", &f->groups[2 * i + 1]);
        }
    }

    for (i = 0; i < sizeof(ngx_http_djass_families)
                    / sizeof(ngx_http_djass_family_t); i++)
    {
        fam = &ngx_http_djass_families[i];

        p = ngx_slprintf(p, last, "%s", fam->head);

        for (k = fam->first; k < fam->first + fam->n; k++) {
            p = ngx_slprintf(p, last, "%s %V\n",
                             ngx_http_djass_stats[k].series, &f->values[k]);
        }
    }

    p = ngx_slprintf(p, last,
            "# HELP djass_render_duration_seconds Renders that finished "
            "(ready or failed), by how long their last try took: render, "
            "ZIP, publish.\n"
            "# TYPE djass_render_duration_seconds histogram\n");

    for (i = 0; i < f->nbuckets; i++) {
        p = ngx_slprintf(p, last, "djass_render_duration_seconds_bucket"
                         "{le=\"");
        p = ngx_http_djass_stats_le(p, last, &f->buckets[2 * i]);
        p = ngx_slprintf(p, last, "\"} %V\n", &f->buckets[2 * i + 1]);
    }

    v = &f->values[NGX_HTTP_DJASS_STAT_SUM];
    sum = ngx_http_djass_stats_uint(v) ? (ngx_uint_t) ngx_atoi(v->data, v->len)
                                       : 0;

    p = ngx_slprintf(p, last,
            "djass_render_duration_seconds_sum %ui.%03ui\n"
            "djass_render_duration_seconds_count %V\n",
            sum / 1000, sum % 1000, &f->values[NGX_HTTP_DJASS_STAT_COUNT]);

    return p;
}


/* digits, a number ngx_atoi takes */

static ngx_uint_t
ngx_http_djass_stats_uint(ngx_str_t *s)
{
    return s->len > 0 && s->len <= NGX_INT64_LEN - 1
           && ngx_atoi(s->data, s->len) != NGX_ERROR;
}


/* the same, or its negative: a gauge may be below 0 after a hand edit */

static ngx_uint_t
ngx_http_djass_stats_int(ngx_str_t *s)
{
    ngx_str_t  d;

    if (s->len > 1 && s->data[0] == '-') {
        d.data = s->data + 1;
        d.len = s->len - 1;
        return ngx_http_djass_stats_uint(&d);
    }

    return ngx_http_djass_stats_uint(s);
}


/* a label value: backslash, double quote and newline escaped */

static u_char *
ngx_http_djass_stats_label(u_char *p, u_char *last, ngx_str_t *s)
{
    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < s->len && p + 2 <= last; i++) {
        c = s->data[i];

        if (c == '\\' || c == '"') {
            *p++ = '\\';
            *p++ = c;

        } else if (c == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = c;
        }
    }

    return p;
}


/* a bucket's bound in ms as seconds: 100 -> 0.1, 2500 -> 2.5, 60000 -> 60 */

static u_char *
ngx_http_djass_stats_le(u_char *p, u_char *last, ngx_str_t *ms)
{
    ngx_int_t  n, frac, width;

    n = ngx_atoi(ms->data, ms->len);

    if (n == NGX_ERROR) {
        /* "+Inf" */
        return ngx_slprintf(p, last, "%V", ms);
    }

    frac = n % 1000;

    if (frac == 0) {
        return ngx_slprintf(p, last, "%i", n / 1000);
    }

    for (width = 3; frac % 10 == 0; width--) {
        frac /= 10;
    }

    switch (width) {

    case 1:
        return ngx_slprintf(p, last, "%i.%i", n / 1000, frac);

    case 2:
        return ngx_slprintf(p, last, "%i.%02i", n / 1000, frac);

    default:
        return ngx_slprintf(p, last, "%i.%03i", n / 1000, frac);
    }
}
