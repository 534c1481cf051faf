/*
 * The worker's command line: every option, its default and its check live
 * here, in one place.
 */

#ifndef DJASS_CONF_H
#define DJASS_CONF_H

#include "djass_redis.h"
#include "djass_s3.h"
#include "hook.h"        /* DJASS_HOOK_TIMEOUT: --hook-timeout's default */
#include "render_limits.h"


#define DJASS_DEFAULT_CONCURRENCY       1
#define DJASS_DEFAULT_VISIBILITY        60      /* seconds */
#define DJASS_DEFAULT_MAX_ATTEMPTS      3
#define DJASS_DEFAULT_REDIS_TIMEOUT     5000    /* milliseconds */
#define DJASS_DEFAULT_REDIS_WAIT_TIMEOUT 500    /* milliseconds */
#define DJASS_REDIS_WAIT_MAX            64      /* replicas, as nginx's */
#define DJASS_DEFAULT_WEBHOOK_TIMEOUT   15      /* seconds */
#define DJASS_DEFAULT_WEBHOOK_CONCURRENCY 16    /* messages in flight */
#define DJASS_DEFAULT_WEBHOOK_PER_ENDPOINT 1    /* ... to one endpoint */
#define DJASS_WEBHOOK_CONCURRENCY_MAX   1000


/* the default work folder, when it is a writable folder (tmpfs) */
#define DJASS_SHM_DIR  "/dev/shm"


typedef struct {
    const char    *redis;            /* ADDR as given, for log lines */
    const char    *password;         /* --password or DJASS_REDIS_PASSWORD */
    const char    *template_dir;     /* absolute */
    const char    *artifacts_dir;    /* absolute; with an HTTP store, the
                                        local work folder (--work-dir) */
    const char    *artifacts_url;    /* --artifacts http(s)://.../ */
    const char    *work_dir;         /* --work-dir, absolute: projects are
                                        rendered in its .tmp/; NULL: in
                                        the store's */
    const char    *artifacts_header; /* "Name: value" sent with each PUT */
    djass_s3_t    *s3;               /* --artifacts s3://BUCKET[/PREFIX]:
                                        the bucket, --s3-endpoint,
                                        --s3-region; NULL otherwise */
    const char    *s3_credentials;   /* --s3-credentials FILE, or NULL:
                                        the AWS_* environment */
    djass_addr_t   addr;
    int            concurrency;
    int            visibility_ms;    /* a pending job idle this long is
                                        reclaimed by another worker */
    int            max_attempts;
    int            hook_timeout_ms;
    djass_limits_t limits;           /* --render-timeout, -memory, -output */
    int            redis_timeout_ms;
    int            redis_wait;       /* WAIT for this many replicas after
                                        each record script; 0: off */
    int            redis_wait_timeout_ms;
    int            webhook_timeout_ms;  /* connect and answer of one
                                           webhook delivery */
    double         webhook_scale;    /* the retry schedule times this */
    int            webhook_concurrency;  /* messages in flight, at most */
    int            webhook_per_endpoint; /* ... to one endpoint */
    long long      retention;        /* --retention in seconds: finished
                                        projects older are deleted; 0: off */
    char           retention_arg[24]; /* the same, as digits ("" when off),
                                         for the record scripts */
    int            verbose;
    int            no_hook_server;  /* .py hooks in a fresh interpreter */
} djass_conf_t;


/* 0: conf is filled; 1: --help was printed; -1: an error was printed */
int djass_conf_parse(int argc, char **argv, djass_conf_t *conf);

/* an option's number in [min, max]; -1 after saying on stderr what is
 * wrong (also for `djass-worker render`) */
int djass_conf_int(const char *opt, const char *s, int min, int max, int *v);

/* a --retention DURATION: digits and one unit, s, m, h or d ("90s",
 * "12h", "30d"); seconds in *sec, or -1 after saying what is wrong */
int djass_conf_duration(const char *opt, const char *s, long long *sec);

/* releases what djass_conf_parse allocated */
void djass_conf_free(djass_conf_t *conf);

#endif /* DJASS_CONF_H */
