/*
 * The hook server: one pre-started Python interpreter per worker process
 * that forks a child per .py hook (as multiprocessing's forkserver does),
 * so that a project does not pay an interpreter's start.  The child gets
 * what a freshly started `python3 hook.py` gets from hook.c: the project
 * folder as its working folder, the same allow-listed environment, stdin
 * from /dev/null, stdout and stderr where hook.c sends them, the
 * renderer's resource limits and ignored signals, a process group of its
 * own, the same time limit (its group killed at the deadline) and death
 * with the renderer.
 *
 * Started lazily by the process that runs jobs (before it forks each
 * renderer), restarted when it died; a renderer whose server is gone
 * runs the hook the old way.  `--no-hook-server` turns it off.
 */

#ifndef DJASS_HOOK_SERVER_H
#define DJASS_HOOK_SERVER_H

#include <sys/types.h>


#define DJASS_HOOK_SERVER_GONE  -2


/* the interpreter .py hooks run with: $DJASS_PYTHON or python3 */
const char *djass_hook_python(void);

/* 1 when the template has a .py hook (hooks/pre_gen_project.py or
 * hooks/post_gen_project.py) */
int djass_hook_server_wanted(const char *template_dir);

/* starts the server when it is not running (or died); 0, or -1 when it
 * could not be started (hooks then run the old way) */
int djass_hook_server_ensure(const char *python);

/* this process's server: its socket, or -1 when there is none */
int djass_hook_server_fd(const char *python);

/* stops the server of this process, if any */
void djass_hook_server_stop(void);

/*
 * Runs script (an absolute path) in cwd through the server fd, with env,
 * stdout to out: 0 with *status its wait status; 1 when timeout_ms passed
 * (its process group is killed); -1 when the server could not start it;
 * DJASS_HOOK_SERVER_GONE when the request did not reach a server (then
 * nothing ran).
 */
int djass_hook_server_run(int fd, const char *cwd, const char *script,
    char **env, int out, int timeout_ms, int *status);

#endif /* DJASS_HOOK_SERVER_H */
