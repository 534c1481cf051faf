/*
 * The supervisor.  It holds no Redis connection and does no job: it only
 * forks consumers (and, after them, the one webhook delivery process,
 * worker/webhook.c), waits, and restarts.  A consumer that dies quickly
 * again and again is restarted with a growing delay, so a broken setup
 * does not spin.  If the supervisor itself is killed, its consumers get
 * SIGTERM (PR_SET_PDEATHSIG): they finish their job and exit.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consumer.h"
#include "log.h"
#include "redis_util.h"
#include "signals.h"
#include "supervise.h"
#include "webhook.h"


#define DJASS_QUICK_DEATH_MS     5000
#define DJASS_RESTART_MAX_MS     30000
#define DJASS_SUPERVISE_TICK     200


typedef struct {
    pid_t      pid;              /* 0: not running */
    long long  started;          /* ms */
    long long  restart_at;       /* ms: when to start it again */
    int        delay;            /* ms: the next restart delay */
} djass_child_t;


static pid_t
djass_supervise_fork(const djass_conf_t *conf, int n)
{
    return djass_signals_fork(conf, n == conf->concurrency
                                    ? djass_webhook_run : djass_consumer_run);
}


static const char *
djass_supervise_what(const djass_conf_t *conf, int n)
{
    return n == conf->concurrency ? "webhook delivery process" : "consumer";
}


static void
djass_supervise_start(const djass_conf_t *conf, djass_child_t *c, int n)
{
    c->pid = djass_supervise_fork(conf, n);

    if (c->pid < 0) {
        djass_log("supervisor: cannot start %s %d: %s",
                  djass_supervise_what(conf, n), n + 1, strerror(errno));
        c->pid = 0;
        c->restart_at = djass_now_ms() + DJASS_RESTART_MAX_MS;
        return;
    }

    c->started = djass_now_ms();

    if (n == conf->concurrency) {
        djass_log("supervisor: webhook delivery process started, pid %d",
                  (int) c->pid);
        return;
    }

    djass_log("supervisor: consumer %d started, pid %d", n + 1,
              (int) c->pid);
}


/* a consumer ended without being asked to: log it, plan the restart */
static void
djass_supervise_died(const djass_conf_t *conf, djass_child_t *c, int n,
    int status)
{
    long long  now;

    now = djass_now_ms();

    if (WIFSIGNALED(status)) {
        djass_log("supervisor: %s %d (pid %d) killed by signal %d; "
                  "restarting it", djass_supervise_what(conf, n), n + 1,
                  (int) c->pid, WTERMSIG(status));
    } else {
        djass_log("supervisor: %s %d (pid %d) exited with status %d; "
                  "restarting it", djass_supervise_what(conf, n), n + 1,
                  (int) c->pid, WEXITSTATUS(status));
    }

    if (now - c->started < DJASS_QUICK_DEATH_MS) {
        c->delay = c->delay ? c->delay * 2 : 500;
        if (c->delay > DJASS_RESTART_MAX_MS) {
            c->delay = DJASS_RESTART_MAX_MS;
        }
    } else {
        c->delay = 0;
    }

    c->pid = 0;
    c->restart_at = now + c->delay;
}


static djass_child_t *
djass_supervise_find(djass_child_t *kids, int n, pid_t pid, int *i)
{
    for (*i = 0; *i < n; (*i)++) {
        if (kids[*i].pid == pid) {
            return &kids[*i];
        }
    }

    return NULL;
}


static void
djass_supervise_signal(djass_child_t *kids, int n, int signo)
{
    int  i;

    for (i = 0; i < n; i++) {
        if (kids[i].pid > 0) {
            kill(kids[i].pid, signo);
        }
    }
}


/* after a stop signal: pass it on, and each further one, then reap all */
static int
djass_supervise_stop(djass_child_t *kids, int n)
{
    int             i, rc, status, running, sent;
    pid_t           pid;
    djass_child_t  *c;

    djass_log("supervisor: stopping %d consumer(s) and the webhook "
              "delivery process", n - 1);

    rc = 0;
    sent = 0;

    for ( ;; ) {
        for (running = 0, i = 0; i < n; i++) {
            running += kids[i].pid > 0;
        }

        if (running == 0) {
            return rc;
        }

        if (sent < djass_stop) {
            sent = djass_stop;
            djass_supervise_signal(kids, n, SIGTERM);
        }

        pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 1;
        }

        c = djass_supervise_find(kids, n, pid, &i);
        if (c == NULL) {
            continue;
        }

        c->pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            djass_log("supervisor: process %d did not stop cleanly "
                      "(status %d)", i + 1, status);
            rc = 1;
        }
    }
}


int
djass_supervise(const djass_conf_t *conf)
{
    int             i, n, status;
    pid_t           pid;
    long long       now;
    djass_child_t  *kids, *c;

    /* the consumers, then the webhook delivery process */
    n = conf->concurrency + 1;
    kids = calloc(n, sizeof(djass_child_t));
    if (kids == NULL) {
        djass_log("supervisor: out of memory");
        return 1;
    }

    for (i = 0; i < n; i++) {
        djass_supervise_start(conf, &kids[i], i);
    }

    while (!djass_stop) {
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            c = djass_supervise_find(kids, n, pid, &i);
            if (c) {
                djass_supervise_died(conf, c, i, status);
            }
        }

        now = djass_now_ms();
        for (i = 0; i < n; i++) {
            if (kids[i].pid == 0 && now >= kids[i].restart_at) {
                djass_supervise_start(conf, &kids[i], i);
            }
        }

        if (djass_reload) {
            /* the consumers re-read their S3 credentials */
            djass_reload = 0;
            djass_supervise_signal(kids, n, SIGHUP);
        }

        djass_redis_sleep(DJASS_SUPERVISE_TICK, 1);
    }

    i = djass_supervise_stop(kids, n);
    free(kids);
    return i;
}
