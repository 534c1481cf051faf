/*
 * Template hooks (see hook.h): hooks/<name>.* of the template, rendered
 * like any template file, written to a temporary file and run in the
 * project folder, each in a process group of its own with a time limit.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "files.h"
#include "hook.h"
#include "hook_server.h"


extern char  **environ;


/*
 * What a hook's process may see of the worker's environment: the variables
 * any program expects (where to find programs, whose home, the language,
 * the time zone, where temporary files go), nothing of ours. The worker
 * holds secrets there (DJASS_REDIS_PASSWORD, the artifact store's header,
 * S3 credentials); a hook is template code and gets none of them.
 */
static const char  *djass_hook_env_names[] = {
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE",
    "TZ", "TMPDIR", "TEMP", "TMP", "TERM", NULL
};

#define DJASS_HOOK_PATH     "PATH=/usr/local/bin:/usr/bin:/bin"


static int
djass_hook_env_allowed(const char *var)
{
    size_t        n;
    const char  **name, *eq;

    eq = strchr(var, '=');
    if (eq == NULL) {
        return 0;
    }
    n = (size_t) (eq - var);

    if (n > 3 && strncmp(var, "LC_", 3) == 0) {
        return 1;
    }

    for (name = djass_hook_env_names; *name; name++) {
        if (strlen(*name) == n && strncmp(var, *name, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* the allow-listed part of environ, built before fork (the child only
 * points environ at it); a PATH is always there, as execlp needs one */
void
djass_hook_env(char **env)
{
    int     n, path;
    char  **e;

    n = 0;
    path = 0;
    for (e = environ; e && *e && n < DJASS_HOOK_ENV_MAX - 2; e++) {
        if (djass_hook_env_allowed(*e)) {
            path |= strncmp(*e, "PATH=", 5) == 0;
            env[n++] = *e;
        }
    }

    if (!path) {
        env[n++] = (char *) DJASS_HOOK_PATH;
    }
    env[n] = NULL;
}


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
djass_hook_timeout(const djass_hooks_t *h)
{
    return h->timeout_ms > 0 ? h->timeout_ms : DJASS_HOOK_TIMEOUT * 1000;
}


static int
djass_hook_timed_out(const djass_hooks_t *h, const char *rel)
{
    return djass_err_set(h->err, rel, 0, "Hook script timed out after %d "
                         "ms", djass_hook_timeout(h));
}


/* what a hook's wait status means */
static int
djass_hook_status(const djass_hooks_t *h, const char *rel, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 126) {
        return djass_err_set(h->err, rel, 0, "Hook script failed, might be "
                             "an empty file or missing a shebang");
    }

    if (WIFEXITED(status)) {
        return djass_err_set(h->err, rel, 0, "Hook script failed (exit "
                             "status: %d)", WEXITSTATUS(status));
    }

    return djass_err_set(h->err, rel, 0, "Hook script killed by signal %d",
                         WTERMSIG(status));
}


static int
djass_wait_hook(const djass_hooks_t *h, const char *rel, pid_t pid)
{
    int  status;

    if (!djass_wait_exit(pid, djass_hook_timeout(h), &status)) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return djass_hook_timed_out(h, rel);
    }

    return djass_hook_status(h, rel, status);
}


/* a .py hook through this process's hook server (hook_server.h):
 * DJASS_HOOK_SERVER_GONE when there is none or it did not take it */
static int
djass_run_served(const djass_hooks_t *h, const char *rel, const char *script,
    char **env, int out)
{
    int   fd, rc, status;
    char  cwd[PATH_MAX], abs[PATH_MAX];

    fd = djass_hook_server_fd(h->python);
    if (fd < 0 || realpath(h->project, cwd) == NULL
        || realpath(script, abs) == NULL)
    {
        return DJASS_HOOK_SERVER_GONE;
    }

    rc = djass_hook_server_run(fd, cwd, abs, env, out, djass_hook_timeout(h),
                               &status);
    if (rc == DJASS_HOOK_SERVER_GONE) {
        return rc;
    }

    if (rc < 0) {
        return djass_file_err(h->err, rel, "cannot start the hook");
    }

    return rc == 1 ? djass_hook_timed_out(h, rel)
                   : djass_hook_status(h, rel, status);
}


static int
djass_run_script(const djass_hooks_t *h, const char *rel, const char *script,
    int python)
{
    int    out, fd, rc;
    char  *env[DJASS_HOOK_ENV_MAX];
    pid_t  pid, parent;

    out = h->stdout_fd > 0 ? h->stdout_fd : 2;
    parent = getpid();
    djass_hook_env(env);

    if (python) {
        rc = djass_run_served(h, rel, script, env, out);
        if (rc != DJASS_HOOK_SERVER_GONE) {
            return rc;
        }
    }

    pid = fork();
    if (pid < 0) {
        return djass_file_err(h->err, rel, "cannot start the hook");
    }

    if (pid == 0) {
        setpgid(0, 0);
        /* a killed renderer takes its hook along: no orphan outlives
         * the time limit */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            _exit(127);
        }
        if (chdir(h->project) != 0) {
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
        environ = env;
        if (python) {
            execlp(h->python, h->python, script, (char *) NULL);
        } else {
            execl(script, script, (char *) NULL);
            if (errno == ENOEXEC) {
                _exit(126);
            }
        }
        _exit(127);
    }

    setpgid(pid, pid);
    return djass_wait_hook(h, rel, pid);
}


/* hooks/<name> rendered with the project's context; NULL with h->err set */
static char *
djass_hook_render(const djass_hooks_t *h, const char *hooks,
    const char *name, const char *rel, size_t *olen)
{
    char          src[PATH_MAX], *text, *out;
    size_t        len;
    djass_tmpl_t  *t;

    if (djass_path(src, hooks, name) != 0) {
        djass_err_set(h->err, rel, 0, "path too long");
        return NULL;
    }

    text = djass_read_file(src, &len);
    if (text == NULL) {
        djass_file_err(h->err, rel, "cannot read the hook");
        return NULL;
    }

    t = djass_tmpl_compile_flags(text, len, rel, h->flags, h->err);
    free(text);
    if (t == NULL) {
        return NULL;
    }

    out = djass_tmpl_render(t, h->vars, olen, h->err);
    djass_tmpl_free(t);

    return out;
}


/* the rendered hook goes to a temporary file of the same extension, which
 * is run and removed */
static int
djass_run_hook_file(const djass_hooks_t *h, const char *hooks,
    const char *name)
{
    int          fd, rc;
    char         rel[PATH_MAX], tmp[PATH_MAX], *out;
    size_t       olen;
    const char  *ext, *tmpdir;

    snprintf(rel, sizeof(rel), "hooks/%s", name);

    out = djass_hook_render(h, hooks, name, rel, &olen);
    if (out == NULL) {
        return -1;
    }

    ext = strrchr(name, '.');
    ext = ext ? ext : "";
    tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmp, sizeof(tmp), "%s/djass-hook-XXXXXX%s", tmpdir, ext);

    fd = mkstemps(tmp, (int) strlen(ext));
    if (fd < 0) {
        rc = djass_file_err(h->err, rel, "cannot write the rendered hook");
        goto done;
    }

    rc = djass_write_all(fd, out, olen);
    if (rc != 0 || fchmod(fd, 0700) != 0) {
        rc = djass_file_err(h->err, rel, "cannot write the rendered hook");
        close(fd);
        goto unlink;
    }

    close(fd);
    rc = djass_run_script(h, rel, tmp, strcmp(ext, ".py") == 0);

unlink:

    unlink(tmp);

done:

    free(out);
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
djass_hooks_open(const djass_hooks_t *h, char *hooks)
{
    if (h->no_hooks || djass_path(hooks, h->repo, "hooks") != 0) {
        return NULL;
    }

    return opendir(hooks);
}


int
djass_hooks_run(const djass_hooks_t *h, const char *hook)
{
    DIR            *d;
    char            hooks[PATH_MAX], path[PATH_MAX];
    struct stat     st;
    struct dirent  *de;
    int             rc;

    d = djass_hooks_open(h, hooks);
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
        rc = djass_run_hook_file(h, hooks, de->d_name);
    }

    closedir(d);
    return rc;
}


int
djass_hooks_has(const djass_hooks_t *h, const char *hook)
{
    DIR            *d;
    char            hooks[PATH_MAX];
    struct dirent  *de;
    int             found;

    d = djass_hooks_open(h, hooks);
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
