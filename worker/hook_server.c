/*
 * The hook server (see hook_server.h).
 *
 * Protocol: the worker process holds one end of a SOCK_SEQPACKET pair;
 * the server reads it as its fd 3.  A renderer sends one message per hook,
 * a JSON object (cwd, script, env, rl: [resource, soft, hard], ign: the
 * signals it ignores, umask) with three descriptors (SCM_RIGHTS): its end
 * of a fresh SOCK_SEQPACKET pair for the answer, the hook's stdout and
 * its stderr.  The server forks; the child sets itself up as the exec'd
 * interpreter would be and runs the script as __main__; the server
 * answers "pid N", waits for the child's exit (a pidfd) and answers
 * "status N" (the wait status).  A renderer that goes away (killed at
 * its own time limit) closes the answer socket: the server then kills
 * the hook's process group.  The server dies with the worker process
 * (PR_SET_PDEATHSIG) or when every copy of the worker's end is closed;
 * a hook dies with the server.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hook.h"
#include "hook_server.h"


extern char  **environ;


static const char  djass_hook_server_code[] =
    "import os, sys, json, socket, select, signal, resource, ctypes, atexit\n"
    "import traceback, types, builtins, shutil, gc\n"
    "from importlib.machinery import SourceFileLoader\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "SIGS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,\n"
    "        signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGXFSZ)\n"
    "def child(req, out, err, server):\n"
    "    os.setpgid(0, 0)\n"
    "    libc.prctl(1, signal.SIGKILL)\n"
    "    if os.getppid() != server:\n"
    "        os._exit(127)\n"
    "    for s in SIGS:\n"
    "        if s in req['ign']:\n"
    "            signal.signal(s, signal.SIG_IGN)\n"
    "        elif s == signal.SIGINT:\n"
    "            signal.signal(s, signal.default_int_handler)\n"
    "        else:\n"
    "            signal.signal(s, signal.SIG_DFL)\n"
    "    null = os.open('/dev/null', os.O_RDONLY)\n"
    "    os.dup2(null, 0)\n"
    "    os.dup2(out, 1)\n"
    "    os.dup2(err, 2)\n"
    "    os.closerange(3, 1 << 16)\n"
    "    os.umask(req['umask'])\n"
    "    os.environ.clear()\n"
    "    for kv in req['env']:\n"
    "        k, _, v = kv.partition('=')\n"
    "        os.environ[k] = v\n"
    "    for r, soft, hard in req['rl']:\n"
    "        inf = resource.RLIM_INFINITY\n"
    "        try:\n"
    "            resource.setrlimit(r, (inf if soft is None else soft,\n"
    "                                   inf if hard is None else hard))\n"
    "        except (OSError, ValueError):\n"
    "            pass\n"
    "    os.chdir(req['cwd'])\n"
    "    script = req['script']\n"
    "    sys.argv = [script]\n"
    "    sys.path[0] = os.path.dirname(script)\n"
    "    atexit._clear()\n"
    "    main = types.ModuleType('__main__')\n"
    "    main.__file__ = script\n"
    "    main.__builtins__ = builtins\n"
    "    main.__cached__ = None\n"
    "    main.__loader__ = SourceFileLoader('__main__', script)\n"
    "    sys.modules['__main__'] = main\n"
    "    code = 1\n"
    "    try:\n"
    "        with open(script, 'rb') as f:\n"
    "            src = f.read()\n"
    "        exec(compile(src, script, 'exec'), main.__dict__)\n"
    "        code = 0\n"
    "    except SystemExit as e:\n"
    "        if e.code is None:\n"
    "            code = 0\n"
    "        elif isinstance(e.code, int):\n"
    "            code = e.code & 255\n"
    "        else:\n"
    "            try:\n"
    "                print(e.code, file=sys.stderr)\n"
    "            except Exception:\n"
    "                pass\n"
    "    except BaseException as e:\n"
    "        tb = e.__traceback__\n"
    "        try:\n"
    "            traceback.print_exception(type(e), e, tb and tb.tb_next)\n"
    "        except BaseException:\n"
    "            pass\n"
    "    try:\n"
    "        atexit._run_exitfuncs()\n"
    "    except BaseException:\n"
    "        pass\n"
    "    for f in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            f.flush()\n"
    "        except BaseException:\n"
    "            code = code or 120\n"
    "    os._exit(code)\n"
    "def reap(rep, pid):\n"
    "    try:\n"
    "        pfd = os.pidfd_open(pid)\n"
    "    except OSError:\n"
    "        return os.waitpid(pid, 0)[1]\n"
    "    p = select.poll()\n"
    "    p.register(pfd, select.POLLIN)\n"
    "    p.register(rep, select.POLLIN)\n"
    "    done = False\n"
    "    while not done:\n"
    "        for fd, ev in p.poll():\n"
    "            if fd == pfd:\n"
    "                done = True\n"
    "                continue\n"
    "            p.unregister(rep)\n"
    "            for k in (os.killpg, os.kill):\n"
    "                try:\n"
    "                    k(pid, signal.SIGKILL)\n"
    "                except OSError:\n"
    "                    pass\n"
    "    os.close(pfd)\n"
    "    return os.waitpid(pid, 0)[1]\n"
    "def serve():\n"
    "    libc.prctl(1, signal.SIGKILL)\n"
    "    if os.getppid() != int(sys.argv[1]):\n"
    "        os._exit(0)\n"
    "    ctl = socket.socket(fileno=3)\n"
    "    me = os.getpid()\n"
    "    gc.freeze()\n"
    "    while True:\n"
    "        msg, fds, _, _ = socket.recv_fds(ctl, 1 << 16, 4)\n"
    "        if not msg and not fds:\n"
    "            os._exit(0)\n"
    "        if len(fds) != 3:\n"
    "            for f in fds:\n"
    "                os.close(f)\n"
    "            continue\n"
    "        rep = socket.socket(fileno=fds[0])\n"
    "        try:\n"
    "            req = json.loads(msg)\n"
    "            pid = os.fork()\n"
    "        except Exception:\n"
    "            pid = -1\n"
    "        if pid == 0:\n"
    "            try:\n"
    "                child(req, fds[1], fds[2], me)\n"
    "            finally:\n"
    "                os._exit(127)\n"
    "        os.close(fds[1])\n"
    "        os.close(fds[2])\n"
    "        try:\n"
    "            if pid < 0:\n"
    "                rep.send(b'error')\n"
    "            else:\n"
    "                try:\n"
    "                    os.setpgid(pid, pid)\n"
    "                except OSError:\n"
    "                    pass\n"
    "                rep.send(b'pid %d' % pid)\n"
    "        except OSError:\n"
    "            pass\n"
    "        if pid > 0:\n"
    "            status = reap(rep, pid)\n"
    "            try:\n"
    "                rep.send(b'status %d' % status)\n"
    "            except OSError:\n"
    "                pass\n"
    "        rep.close()\n"
    "serve()\n";


static pid_t  djass_hs_pid = -1;
static int    djass_hs_fd = -1;
static char   djass_hs_python[PATH_MAX];


const char *
djass_hook_python(void)
{
    const char  *p;

    p = getenv("DJASS_PYTHON");

    return p && p[0] ? p : "python3";
}


int
djass_hook_server_wanted(const char *template_dir)
{
    DIR            *d;
    int             found;
    char            path[PATH_MAX];
    struct dirent  *de;

    if (snprintf(path, sizeof(path), "%s/hooks", template_dir)
        >= (int) sizeof(path))
    {
        return 0;
    }

    d = opendir(path);
    if (d == NULL) {
        return 0;
    }

    found = 0;
    while (!found && (de = readdir(d)) != NULL) {
        found = strcmp(de->d_name, "pre_gen_project.py") == 0
                || strcmp(de->d_name, "post_gen_project.py") == 0;
    }

    closedir(d);
    return found;
}


void
djass_hook_server_stop(void)
{
    if (djass_hs_fd >= 0) {
        close(djass_hs_fd);
        djass_hs_fd = -1;
    }

    if (djass_hs_pid > 0) {
        kill(djass_hs_pid, SIGKILL);
        while (waitpid(djass_hs_pid, NULL, 0) < 0 && errno == EINTR) {
            /* void */
        }
        djass_hs_pid = -1;
    }
}


static int
djass_hook_server_alive(const char *python)
{
    if (djass_hs_pid <= 0 || strcmp(python, djass_hs_python) != 0) {
        return 0;
    }

    return waitpid(djass_hs_pid, NULL, WNOHANG) == 0;
}


int
djass_hook_server_ensure(const char *python)
{
    int     sv[2], fd;
    char    arg[32], *env[DJASS_HOOK_ENV_MAX];
    pid_t   pid, parent;

    if (djass_hook_server_alive(python)) {
        return 0;
    }

    djass_hook_server_stop();

    if (strlen(python) >= sizeof(djass_hs_python)
        || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    {
        return -1;
    }

    djass_hook_env(env);
    parent = getpid();
    snprintf(arg, sizeof(arg), "%d", (int) parent);

    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }

    if (pid == 0) {
        /* its own group: a signal to the worker's is not for it */
        setpgid(0, 0);
        if (sv[1] == 3) {
            fcntl(3, F_SETFD, 0);
        } else if (dup2(sv[1], 3) != 3) {
            _exit(127);
        }
        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
        }
        environ = env;
        execlp(python, python, "-c", djass_hook_server_code, arg,
               (char *) NULL);
        _exit(127);
    }

    close(sv[1]);
    djass_hs_pid = pid;
    djass_hs_fd = sv[0];
    snprintf(djass_hs_python, sizeof(djass_hs_python), "%s", python);

    return 0;
}


int
djass_hook_server_fd(const char *python)
{
    return djass_hs_fd >= 0 && strcmp(python, djass_hs_python) == 0
           ? djass_hs_fd : -1;
}


static json_t *
djass_hook_request(const char *cwd, const char *script, char **env)
{
    int               i;
    mode_t            mask;
    json_t           *req, *a;
    struct rlimit     rl;
    struct sigaction  sa;

    static const int  res[] = {
        RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_CPU, RLIMIT_NOFILE,
        RLIMIT_NPROC, RLIMIT_CORE, RLIMIT_STACK
    };
    static const int  sigs[] = {
        SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ
    };

    mask = umask(0);
    umask(mask);

    req = json_pack("{s:s, s:s, s:i, s:[], s:[], s:[]}", "cwd", cwd,
                    "script", script, "umask", (int) mask, "env", "rl",
                    "ign");
    if (req == NULL) {
        return NULL;
    }

    a = json_object_get(req, "env");
    for (i = 0; env[i]; i++) {
        if (json_array_append_new(a, json_string(env[i])) != 0) {
            goto failed;
        }
    }

    a = json_object_get(req, "rl");
    for (i = 0; i < (int) (sizeof(res) / sizeof(res[0])); i++) {
        if (getrlimit(res[i], &rl) == 0
            && json_array_append_new(a, json_pack("[i, o, o]", res[i],
                   rl.rlim_cur == RLIM_INFINITY
                   ? json_null() : json_integer((json_int_t) rl.rlim_cur),
                   rl.rlim_max == RLIM_INFINITY
                   ? json_null() : json_integer((json_int_t) rl.rlim_max)))
               != 0)
        {
            goto failed;
        }
    }

    a = json_object_get(req, "ign");
    for (i = 0; i < (int) (sizeof(sigs) / sizeof(sigs[0])); i++) {
        if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN
            && json_array_append_new(a, json_integer(sigs[i])) != 0)
        {
            goto failed;
        }
    }

    return req;

failed:

    json_decref(req);
    return NULL;
}


static int
djass_hook_send(int fd, const char *msg, int *fds)
{
    ssize_t          n;
    struct iovec     iov;
    struct msghdr    mh;
    struct cmsghdr  *cm;
    union {
        char            buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr  align;
    } u;

    memset(&mh, 0, sizeof(struct msghdr));
    memset(&u, 0, sizeof(u));
    iov.iov_base = (void *) msg;
    iov.iov_len = strlen(msg);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof(u.buf);

    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));

    do {
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);

    return n == (ssize_t) iov.iov_len ? 0 : -1;
}


static long long
djass_hook_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* one answer ("pid N", "status N"): 0 with *v, 1 at the deadline, -1 on
 * another answer ("error": it could not fork), DJASS_HOOK_SERVER_GONE on
 * the server's end closed */
static int
djass_hook_answer(int fd, const char *word, long long deadline, int *v)
{
    int            left;
    char           buf[64], *end;
    long           n;
    size_t         len;
    ssize_t        got;
    struct pollfd  pfd;

    for ( ;; ) {
        left = (int) (deadline - djass_hook_now_ms());
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (left <= 0) {
            return 1;
        }
        if (poll(&pfd, 1, left) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (pfd.revents) {
            break;
        }
    }

    do {
        got = recv(fd, buf, sizeof(buf) - 1, 0);
    } while (got < 0 && errno == EINTR);

    if (got <= 0) {
        return DJASS_HOOK_SERVER_GONE;
    }

    len = strlen(word);
    if (got <= (ssize_t) len || strncmp(buf, word, len) != 0
        || buf[len] != ' ')
    {
        return -1;
    }

    buf[got] = '\0';
    errno = 0;
    n = strtol(buf + len + 1, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0 || n > INT_MAX) {
        return -1;
    }

    *v = (int) n;
    return 0;
}


int
djass_hook_server_run(int fd, const char *cwd, const char *script,
    char **env, int out, int timeout_ms, int *status)
{
    int         rp[2], fds[3], pid, rc;
    char       *msg;
    json_t     *req;
    long long   deadline;

    req = djass_hook_request(cwd, script, env);
    msg = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);

    if (msg == NULL
        || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rp) != 0)
    {
        free(msg);
        return DJASS_HOOK_SERVER_GONE;
    }

    fds[0] = rp[1];
    fds[1] = out;
    fds[2] = STDERR_FILENO;
    rc = djass_hook_send(fd, msg, fds);
    free(msg);
    close(rp[1]);

    if (rc != 0) {
        close(rp[0]);
        return DJASS_HOOK_SERVER_GONE;
    }

    deadline = djass_hook_now_ms() + timeout_ms;

    /* closed before the pid: the server died before it forked, nothing
     * ran (a child forked just before dies with it) */
    rc = djass_hook_answer(rp[0], "pid", deadline, &pid);
    if (rc == 0) {
        rc = djass_hook_answer(rp[0], "status", deadline, status);

        if (rc == 1) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            /* the server reaps it and answers */
            (void) djass_hook_answer(rp[0], "status",
                                     djass_hook_now_ms() + 5000, status);

        } else if (rc < 0) {
            /* the server died with the hook (PR_SET_PDEATHSIG) */
            *status = SIGKILL;
            rc = 0;
        }
    }

    /* at the deadline before the pid: the server kills the hook's group
     * when it sees this end closed */
    close(rp[0]);
    return rc;
}
