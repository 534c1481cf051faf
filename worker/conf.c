/*
 * djass-worker --redis ADDR --template DIR --artifacts DIR [options]
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "djass_parse.h"
#include "upload.h"

#ifndef DJASS_VERSION
#error "DJASS_VERSION is set by the Makefile, from the file VERSION"
#endif


static void
djass_conf_usage(FILE *f)
{
    fprintf(f,
"usage: djass-worker --redis ADDR --template DIR --artifacts DIR [options]\n"
"\n"
"Turns queued projects into ZIP files in the artifact store.\n"
"\n"
"  --redis ADDR               Redis: host:port, host, [::1]:port,\n"
"                             unix:/path or\n"
"                             sentinel://HOST:PORT[,HOST:PORT...]/NAME\n"
"                             (required)\n"
"  --template DIR             the cookiecutter template (required)\n"
"  --artifacts DIR|URL        the artifact store nginx serves: a folder,\n"
"                             http(s)://... to upload with PUT, or\n"
"                             s3://BUCKET[/PREFIX] (required)\n"
"  --s3-endpoint URL          an S3-compatible store's endpoint, path-style\n"
"                             (default: AWS, https://s3.REGION.amazonaws.com,\n"
"                             virtual-hosted style)\n"
"  --s3-region REGION         the bucket's region (required with s3://)\n"
"  --s3-credentials FILE      AWS_ACCESS_KEY_ID=, AWS_SECRET_ACCESS_KEY=,\n"
"                             optional AWS_SESSION_TOKEN= lines (default:\n"
"                             those environment variables); re-read on\n"
"                             SIGHUP; never logged\n"
"  --artifacts-header H       'Name: value' sent with each upload (or\n"
"                             DJASS_ARTIFACTS_HEADER); never logged\n"
"  --work-dir DIR             where projects are rendered (in DIR/.tmp/)\n"
"                             and, with an HTTP or S3 store, ZIPs built\n"
"                             (default /dev/shm/djass-UID when /dev/shm is\n"
"                             writable; else the store's .tmp/, or $TMPDIR\n"
"                             or /tmp with an HTTP or S3 store)\n"

"  --concurrency N            N worker processes under a supervisor\n"
"                             (default %d)\n"
"  --visibility-timeout SEC   a job whose worker went silent this long is\n"
"                             taken over by another worker (default %d)\n"
"  --max-attempts N           a job interrupted N times ends failed\n"
"                             (default %d)\n"
"  --hook-timeout SEC         a template hook running longer fails the job\n"
"                             (default %d)\n"
"  --redis-timeout MS         connect and command timeout (default %d)\n"
"  --redis-wait N             each record is confirmed by N replicas\n"
"                             (WAIT) before it counts (default 0: off)\n"
"  --redis-wait-timeout MS    how long WAIT waits for them, below\n"
"                             --redis-timeout (default %d)\n"
"  --webhook-timeout SEC      a webhook delivery's connect and answer\n"
"                             must take less (default %d)\n"
"  --webhook-schedule-scale F the webhook retry schedule (5 s, 5 min, 30\n"
"                             min, 2 h, 5 h, 10 h, 10 h) times F, for\n"
"                             tests (default 1)\n"
"  --webhook-concurrency N    webhook messages in flight at once, at most\n"
"                             (default %d)\n"
"  --webhook-per-endpoint N   ... to one endpoint (default %d: each\n"
"                             endpoint gets its messages one by one, in\n"
"                             order)\n"
"  --retention DURATION       finished (ready or failed) projects are\n"
"                             deleted once this old: 90s, 12h, 30d\n"
"                             (default: off, kept forever)\n",
        DJASS_DEFAULT_CONCURRENCY, DJASS_DEFAULT_VISIBILITY,
        DJASS_DEFAULT_MAX_ATTEMPTS, DJASS_HOOK_TIMEOUT,
        DJASS_DEFAULT_REDIS_TIMEOUT, DJASS_DEFAULT_REDIS_WAIT_TIMEOUT,
        DJASS_DEFAULT_WEBHOOK_TIMEOUT, DJASS_DEFAULT_WEBHOOK_CONCURRENCY,
        DJASS_DEFAULT_WEBHOOK_PER_ENDPOINT);

    djass_limits_usage(f);

    fprintf(f,
"  --password P               Redis AUTH (or DJASS_REDIS_PASSWORD)\n"
"  --no-hook-server           run each .py hook in a fresh interpreter,\n"
"                             not through the per-process hook server\n"
"  -v, --verbose              more log lines\n"
"  -h, --help                 this text\n"
"  --version                  print the version\n");
}


int
djass_conf_int(const char *opt, const char *s, int min, int max, int *v)
{
    long long  n;

    if (djass_parse_int(s, min, max, &n) != 0) {
        fprintf(stderr, "djass-worker: %s wants a number from %d to %d, "
                "not \"%s\"\n", opt, min, max, s);
        return -1;
    }

    *v = (int) n;
    return 0;
}


/* a factor in [0.00001, 100] */
static int
djass_conf_scale(const char *opt, const char *s, double *v)
{
    char    *end;
    double   d;

    errno = 0;
    d = strtod(s, &end);

    if (end == s || *end != '\0' || errno != 0 || !(d >= 0.00001)
        || !(d <= 100))
    {
        fprintf(stderr, "djass-worker: %s wants a number from 0.00001 to "
                "100, not \"%s\"\n", opt, s);
        return -1;
    }

    *v = d;
    return 0;
}


int
djass_conf_duration(const char *opt, const char *s, long long *sec)
{
    size_t     len;
    long long  n, unit;
    char       digits[24];

    len = strlen(s);
    unit = 0;

    if (len >= 2 && len < sizeof(digits)) {
        switch (s[len - 1]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        }
    }

    if (unit) {
        memcpy(digits, s, len - 1);
        digits[len - 1] = '\0';
    }

    /* up to ten years: far from any overflow of Unix seconds */
    if (unit == 0 || djass_parse_int(digits, 1, 3650LL * 86400, &n) != 0
        || n * unit > 3650LL * 86400)
    {
        fprintf(stderr, "djass-worker: %s wants a duration such as 90s, "
                "30m, 12h or 30d (up to 3650d), not \"%s\"\n", opt, s);
        return -1;
    }

    *sec = n * unit;
    return 0;
}


/* resolves DIR to an absolute path and checks that it is a folder */
static int
djass_conf_dir(const char *opt, const char *s, const char **out)
{
    char         *p;
    struct stat   st;

    p = realpath(s, NULL);
    if (p == NULL || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "djass-worker: %s %s: %s\n", opt, s,
                p ? "not a folder" : strerror(errno));
        free(p);
        return -1;
    }

    free((char *) *out);
    *out = p;
    return 0;
}


/* DJASS_SHM_DIR/djass-<uid>, ours alone (0700), made when missing; -1
 * when there is no tmpfs to use */
static int
djass_conf_shm(char *dir, size_t len)
{
    struct stat  st;

    if (stat(DJASS_SHM_DIR, &st) != 0 || !S_ISDIR(st.st_mode)
        || access(DJASS_SHM_DIR, W_OK | X_OK) != 0
        || snprintf(dir, len, "%s/djass-%u", DJASS_SHM_DIR,
                    (unsigned) geteuid()) >= (int) len)
    {
        return -1;
    }

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return -1;
    }

    /* one made by someone else is not ours to use */
    return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)
           && st.st_uid == geteuid() && (st.st_mode & 077) == 0 ? 0 : -1;
}


/* http(s)://host[:port]/path, kept with a trailing slash */

static int
djass_conf_url(djass_conf_t *conf, const char *v)
{
    char    *url;
    size_t   n;

    n = strlen(v);

    url = malloc(n + 2);
    if (url == NULL) {
        fprintf(stderr, "djass-worker: out of memory\n");
        return -1;
    }

    memcpy(url, v, n + 1);
    if (url[n - 1] != '/') {
        url[n] = '/';
        url[n + 1] = '\0';
    }

    free((char *) conf->artifacts_url);
    conf->artifacts_url = url;
    return 0;
}


static int
djass_conf_check(djass_conf_t *conf)
{
    if (conf->redis == NULL || conf->template_dir == NULL
        || conf->artifacts_dir == NULL)
    {
        fprintf(stderr, "djass-worker: --redis, --template and --artifacts "
                "are required\n");
        djass_conf_usage(stderr);
        return -1;
    }

    if (djass_addr_parse(conf->redis, strlen(conf->redis), &conf->addr)
        != 0)
    {
        fprintf(stderr, "djass-worker: --redis %s: not host:port, host, "
                "unix:/path or sentinel://HOST:PORT[,HOST:PORT...]/NAME\n",
                conf->redis);
        return -1;
    }

    return 0;
}


int
djass_conf_parse(int argc, char **argv, djass_conf_t *conf)
{
    int          i, sec, rc;
    char         err[256];
    char         shm[64];
    const char  *a, *v, *work, *tmp, *s3_url, *s3_endpoint, *s3_region;

    memset(conf, 0, sizeof(djass_conf_t));
    conf->concurrency = DJASS_DEFAULT_CONCURRENCY;
    conf->visibility_ms = DJASS_DEFAULT_VISIBILITY * 1000;
    conf->max_attempts = DJASS_DEFAULT_MAX_ATTEMPTS;
    conf->hook_timeout_ms = DJASS_HOOK_TIMEOUT * 1000;
    conf->redis_timeout_ms = DJASS_DEFAULT_REDIS_TIMEOUT;
    conf->redis_wait_timeout_ms = DJASS_DEFAULT_REDIS_WAIT_TIMEOUT;
    djass_limits_init(&conf->limits);
    conf->webhook_timeout_ms = DJASS_DEFAULT_WEBHOOK_TIMEOUT * 1000;
    conf->webhook_scale = 1.0;
    conf->webhook_concurrency = DJASS_DEFAULT_WEBHOOK_CONCURRENCY;
    conf->webhook_per_endpoint = DJASS_DEFAULT_WEBHOOK_PER_ENDPOINT;
    conf->password = getenv("DJASS_REDIS_PASSWORD");
    conf->artifacts_header = getenv("DJASS_ARTIFACTS_HEADER");
    work = NULL;
    s3_url = NULL;
    s3_endpoint = NULL;
    s3_region = NULL;

    for (i = 1; i < argc; i++) {
        a = argv[i];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            djass_conf_usage(stdout);
            return 1;
        }

        if (strcmp(a, "--version") == 0) {
            printf("djass-worker %s\n", DJASS_VERSION);
            return 1;
        }

        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            conf->verbose = 1;
            continue;
        }

        if (strcmp(a, "--no-hook-server") == 0) {
            conf->no_hook_server = 1;
            continue;
        }

        if (a[0] != '-' || i + 1 >= argc) {
            fprintf(stderr, "djass-worker: %s: %s\n", a,
                    a[0] == '-' ? "wants a value" : "unexpected argument");
            return -1;
        }

        v = argv[++i];

        rc = djass_limits_option(&conf->limits, a, v);
        if (rc <= 0) {
            if (rc < 0) {
                return -1;
            }
            continue;
        }

        if (strcmp(a, "--redis") == 0) {
            conf->redis = v;

        } else if (strcmp(a, "--password") == 0) {
            conf->password = v;

        } else if (strcmp(a, "--template") == 0) {
            if (djass_conf_dir(a, v, &conf->template_dir) != 0) {
                return -1;
            }

        } else if (strcmp(a, "--artifacts") == 0) {
            if (djass_s3_is_url(v)) {
                s3_url = v;

            } else if (djass_upload_is_url(v)) {
                if (djass_conf_url(conf, v) != 0) {
                    return -1;
                }

            } else if (djass_conf_dir(a, v, &conf->artifacts_dir) != 0) {
                return -1;
            }

        } else if (strcmp(a, "--artifacts-header") == 0) {
            conf->artifacts_header = v;

        } else if (strcmp(a, "--work-dir") == 0) {
            work = v;

        } else if (strcmp(a, "--s3-endpoint") == 0) {
            s3_endpoint = v;

        } else if (strcmp(a, "--s3-region") == 0) {
            s3_region = v;

        } else if (strcmp(a, "--s3-credentials") == 0) {
            conf->s3_credentials = v;


        } else if (strcmp(a, "--concurrency") == 0) {
            if (djass_conf_int(a, v, 1, 256, &conf->concurrency) != 0) {
                return -1;
            }

        } else if (strcmp(a, "--visibility-timeout") == 0) {
            if (djass_conf_int(a, v, 1, 86400, &sec) != 0) {
                return -1;
            }
            conf->visibility_ms = sec * 1000;

        } else if (strcmp(a, "--max-attempts") == 0) {
            if (djass_conf_int(a, v, 1, 1000, &conf->max_attempts) != 0) {
                return -1;
            }

        } else if (strcmp(a, "--hook-timeout") == 0) {
            if (djass_conf_int(a, v, 1, DJASS_HOOK_TIMEOUT_MAX, &sec) != 0) {
                return -1;
            }
            conf->hook_timeout_ms = sec * 1000;

        } else if (strcmp(a, "--redis-timeout") == 0) {
            if (djass_conf_int(a, v, 10, 600000, &conf->redis_timeout_ms)
                != 0)
            {
                return -1;
            }

        } else if (strcmp(a, "--redis-wait") == 0) {
            if (djass_conf_int(a, v, 0, DJASS_REDIS_WAIT_MAX,
                               &conf->redis_wait)
                != 0)
            {
                return -1;
            }

        } else if (strcmp(a, "--redis-wait-timeout") == 0) {
            if (djass_conf_int(a, v, 1, 600000,
                               &conf->redis_wait_timeout_ms)
                != 0)
            {
                return -1;
            }

        } else if (strcmp(a, "--webhook-timeout") == 0) {
            if (djass_conf_int(a, v, 1, 600, &sec) != 0) {
                return -1;
            }
            conf->webhook_timeout_ms = sec * 1000;

        } else if (strcmp(a, "--retention") == 0) {
            if (djass_conf_duration(a, v, &conf->retention) != 0) {
                return -1;
            }
            snprintf(conf->retention_arg, sizeof(conf->retention_arg),
                     "%lld", conf->retention);

        } else if (strcmp(a, "--webhook-schedule-scale") == 0) {
            if (djass_conf_scale(a, v, &conf->webhook_scale) != 0) {
                return -1;
            }

        } else if (strcmp(a, "--webhook-concurrency") == 0) {
            if (djass_conf_int(a, v, 1, DJASS_WEBHOOK_CONCURRENCY_MAX,
                               &conf->webhook_concurrency)
                != 0)
            {
                return -1;
            }

        } else if (strcmp(a, "--webhook-per-endpoint") == 0) {
            if (djass_conf_int(a, v, 1, DJASS_WEBHOOK_CONCURRENCY_MAX,
                               &conf->webhook_per_endpoint)
                != 0)
            {
                return -1;
            }

        } else {
            fprintf(stderr, "djass-worker: unknown option %s\n", a);
            djass_conf_usage(stderr);
            return -1;
        }
    }

    if (s3_url) {
        conf->s3 = malloc(sizeof(djass_s3_t));
        if (conf->s3 == NULL) {
            fprintf(stderr, "djass-worker: out of memory\n");
            return -1;
        }

        if (djass_s3_parse(s3_url, s3_endpoint, s3_region, conf->s3, err,
                           sizeof(err))
            != 0)
        {
            fprintf(stderr, "djass-worker: --artifacts %s: %s\n", s3_url,
                    err);
            return -1;
        }

        free((char *) conf->artifacts_url);
        conf->artifacts_url = strdup(s3_url);
        if (conf->artifacts_url == NULL) {
            fprintf(stderr, "djass-worker: out of memory\n");
            return -1;
        }

    } else if (s3_endpoint || s3_region || conf->s3_credentials) {
        fprintf(stderr, "djass-worker: --s3-endpoint, --s3-region and "
                "--s3-credentials go with --artifacts s3://BUCKET\n");
        return -1;
    }

    /* projects are rendered in the work folder: tmpfs when there is one;
     * with a local store and no tmpfs, in the store's own .tmp/ */
    tmp = getenv("TMPDIR");
    if (work == NULL && djass_conf_shm(shm, sizeof(shm)) == 0) {
        work = shm;

    } else if (work == NULL && conf->artifacts_url) {
        work = tmp && tmp[0] ? tmp : "/tmp";
    }

    if (work != NULL
        && djass_conf_dir("--work-dir", work, &conf->work_dir) != 0)
    {
        return -1;
    }

    if (conf->artifacts_url) {
        /* ZIPs are built in the work folder too, then uploaded */
        free((char *) conf->artifacts_dir);
        conf->artifacts_dir = strdup(conf->work_dir);
        if (conf->artifacts_dir == NULL) {
            fprintf(stderr, "djass-worker: out of memory\n");
            return -1;
        }
    }

    if (conf->artifacts_header
        && (strchr(conf->artifacts_header, ':') == NULL
            || strpbrk(conf->artifacts_header, "\r\n")))
    {
        fprintf(stderr, "djass-worker: --artifacts-header wants "
                "'Name: value' on one line\n");
        return -1;
    }

    /* WAIT blocks the connection: its answer must come before the
     * command timeout gives the connection up */
    if (conf->redis_wait
        && conf->redis_wait_timeout_ms >= conf->redis_timeout_ms)
    {
        fprintf(stderr, "djass-worker: --redis-wait-timeout %d must be "
                "below --redis-timeout %d\n", conf->redis_wait_timeout_ms,
                conf->redis_timeout_ms);
        return -1;
    }

    return djass_conf_check(conf);
}


void
djass_conf_free(djass_conf_t *conf)
{
    free((char *) conf->template_dir);
    free((char *) conf->artifacts_dir);
    free((char *) conf->artifacts_url);
    free((char *) conf->work_dir);
    free(conf->s3);
    conf->s3 = NULL;
    conf->artifacts_url = NULL;
    conf->template_dir = NULL;
    conf->artifacts_dir = NULL;
}
