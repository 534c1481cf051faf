/*
 * The generation child.  Running the renderer in a process of its own
 * buys three things: the parent keeps the job's heartbeat going however
 * long the hooks take, a crash or leak in rendering never takes the worker
 * down, and the child dies with the worker (PR_SET_PDEATHSIG), so a killed
 * worker leaves nothing running.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "djass_tmpl.h"
#include "files.h"
#include "render.h"
#include "zip.h"
#include "generate.h"
#include "hook_server.h"
#include "log.h"
#include "signals.h"


static void
djass_generate_error(djass_generate_t *res, const char *what,
    const djass_err_t *err)
{
    if (err->file[0] && err->line > 0) {
        snprintf(res->error, sizeof(res->error), "%s: %s, line %d: %s",
                 what, err->file, err->line, err->msg);

    } else if (err->file[0]) {
        snprintf(res->error, sizeof(res->error), "%s: %s: %s", what,
                 err->file, err->msg);

    } else {
        snprintf(res->error, sizeof(res->error), "%s: %s", what, err->msg);
    }
}


/* render + zip + digest, in the child */
static void
djass_generate_child(const djass_conf_t *conf, const char *payload,
    const djass_publish_t *p, djass_generate_t *res)
{
    char                *project;
    json_t              *given;
    djass_err_t          err;
    json_error_t         jerr;
    djass_render_opts_t  opts;

    memset(&err, 0, sizeof(djass_err_t));

    given = json_loads(payload, 0, &jerr);
    if (given == NULL || !json_is_object(given)) {
        snprintf(res->error, sizeof(res->error),
                 "The project's input_payload is not a JSON object.");
        json_decref(given);
        return;
    }

    memset(&opts, 0, sizeof(djass_render_opts_t));
    opts.no_hooks = 0;
    opts.hook_timeout_ms = conf->hook_timeout_ms;

    /* what hooks print is for -v; their stderr always reaches the log */
    opts.hook_stdout_fd = conf->verbose ? STDERR_FILENO
                                        : open("/dev/null", O_WRONLY);
    if (opts.hook_stdout_fd < 0) {
        opts.hook_stdout_fd = STDERR_FILENO;
    }

    project = NULL;

    if (djass_render_project(conf->template_dir, p->dir, given, &opts,
                             &project, &err)
        != 0)
    {
        djass_generate_error(res, "Rendering the template failed", &err);
        goto done;
    }

    if (djass_zip_write(project, p->zip, &err) != 0) {
        djass_generate_error(res, "Writing the ZIP failed", &err);
        goto done;
    }

    if (djass_file_digest(p->zip, &res->size, res->sha256) != 0) {
        djass_file_note(errno);
        snprintf(res->error, sizeof(res->error), "Reading the ZIP back "
                 "failed (%s).", strerror(errno));
        goto done;
    }

    res->ok = 1;

done:

    if (!res->ok) {
        if (djass_limits_hit(&conf->limits, err.msg, res->error,
                             sizeof(res->error)))
        {
            res->bound = 1;

        } else if (djass_store_transient(djass_file_errno)) {
            res->store_errno = djass_file_errno;
        }
    }

    free(project);
    json_decref(given);
}


static void
djass_generate_run_child(const djass_conf_t *conf, const char *payload,
    const djass_publish_t *p, int fd, pid_t parent)
{
    ssize_t           n;
    djass_generate_t  res;

    /* a worker killed with SIGKILL takes its generation along */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(1);
    }

    /* SIGTERM and Ctrl-C are for the worker: it lets this job finish */
    djass_signals_ignore();
    signal(SIGPIPE, SIG_DFL);

    /* hooks' temporary files go to the work folder, which the next
     * attempt removes if this one is killed */
    setenv("TMPDIR", p->dir, 1);

    djass_limits_apply(&conf->limits);

    memset(&res, 0, sizeof(djass_generate_t));
    djass_generate_child(conf, payload, p, &res);

    /* one write of less than PIPE_BUF bytes: all or nothing */
    n = write(fd, &res, sizeof(djass_generate_t));
    close(fd);

    exit(n == (ssize_t) sizeof(djass_generate_t) ? 0 : 1);
}


/* 0: res is read; 1: the deadline came first; -1: the child died */
static int
djass_generate_read(int fd, djass_generate_t *res, long long deadline,
    int tick_ms, djass_tick_pt tick, void *data)
{
    int            rc;
    size_t         got;
    ssize_t        n;
    long long      next, now, wait;
    struct pollfd  pfd;

    got = 0;
    next = djass_now_ms() + tick_ms;

    for ( ;; ) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;

        now = djass_now_ms();
        if (now >= deadline) {
            return 1;
        }

        wait = (next < deadline ? next : deadline) - now;
        rc = poll(&pfd, 1, (int) (wait > 0 ? wait : 0));

        if (djass_now_ms() >= next) {
            tick(data);
            next = djass_now_ms() + tick_ms;
        }

        if (rc < 0 && errno != EINTR) {
            return -1;
        }

        if (rc <= 0) {
            continue;
        }

        n = read(fd, (char *) res + got, sizeof(djass_generate_t) - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return -1;
        }

        got += n;
        if (got == sizeof(djass_generate_t)) {
            return 0;
        }
    }
}


static void
djass_generate_died(djass_generate_t *res, int status)
{
    /* what a half-written result said does not count */
    memset(res, 0, sizeof(djass_generate_t));

    if (WIFSIGNALED(status)) {
        snprintf(res->error, sizeof(res->error), "Internal error: the "
                 "generator process was killed by signal %d.",
                 WTERMSIG(status));

    } else {
        snprintf(res->error, sizeof(res->error), "Internal error: the "
                 "generator process exited with status %d.",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}


int
djass_generate(const djass_conf_t *conf, const char *payload,
    const djass_publish_t *p, djass_generate_t *res, int tick_ms,
    djass_tick_pt tick, void *data)
{
    int    fds[2], rc, status;
    pid_t  pid, parent;

    memset(res, 0, sizeof(djass_generate_t));

    /* started here, in the process that outlives the renderers */
    if (!conf->no_hook_server
        && djass_hook_server_wanted(conf->template_dir))
    {
        (void) djass_hook_server_ensure(djass_hook_python());
    }

    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(res->error, sizeof(res->error), "Internal error: no pipe "
                 "(%s).", strerror(errno));
        return -1;
    }

    parent = getpid();
    pid = fork();

    if (pid < 0) {
        snprintf(res->error, sizeof(res->error), "Internal error: cannot "
                 "start the generator process (%s).", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }

    if (pid == 0) {
        close(fds[0]);
        djass_generate_run_child(conf, payload, p, fds[1], parent);
    }

    close(fds[1]);
    rc = djass_generate_read(fds[0], res,
                             djass_now_ms()
                             + conf->limits.timeout_s * 1000LL,
                             tick_ms, tick, data);
    close(fds[0]);

    if (rc == 1) {
        /* its hooks die with it (PR_SET_PDEATHSIG) */
        kill(pid, SIGKILL);
    }

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = 0;
            break;
        }
    }

    if (rc == 1) {
        memset(res, 0, sizeof(djass_generate_t));
        res->bound = 1;
        djass_limits_timeout(&conf->limits, res->error, sizeof(res->error));
        return 0;
    }

    /* a result counts only from a child that also exited cleanly: under
     * ASan or valgrind a leak in rendering shows up as a failed job */
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        djass_generate_died(res, status);
    }

    return 0;
}
