/*
 * Bounds of one render (see limits.h).
 */

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "conf.h"
#include "files.h"
#include "render_limits.h"


#if defined(__SANITIZE_ADDRESS__)
#define DJASS_ASAN  1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DJASS_ASAN  1
#endif
#endif


void
djass_limits_init(djass_limits_t *l)
{
    l->timeout_s = DJASS_RENDER_TIMEOUT;
    l->memory_mb = DJASS_RENDER_MEMORY;
    l->output_mb = DJASS_RENDER_OUTPUT;
}


int
djass_limits_option(djass_limits_t *l, const char *opt, const char *v)
{
    if (strcmp(opt, "--render-timeout") == 0) {
        return djass_conf_int(opt, v, 1, 86400, &l->timeout_s);
    }

    /* less than 64 MiB would not leave room for the worker's own
     * libraries, which the child shares */
    if (strcmp(opt, "--render-memory") == 0) {
        return djass_conf_int(opt, v, 64, 1048576, &l->memory_mb);
    }

    if (strcmp(opt, "--render-output") == 0) {
        return djass_conf_int(opt, v, 1, 1048576, &l->output_mb);
    }

    return 1;
}


void
djass_limits_usage(FILE *f)
{
    fprintf(f,
"  --render-timeout SEC       a render (hooks and ZIP included) running\n"
"                             longer fails (default %d)\n"
"  --render-memory MB         address space of a render (default %d)\n"
"  --render-output MB         bytes a render may write: its files in all,\n"
"                             and any one file (default %d)\n",
        DJASS_RENDER_TIMEOUT, DJASS_RENDER_MEMORY, DJASS_RENDER_OUTPUT);
}


int
djass_limits_memory_enforced(void)
{
#ifdef DJASS_ASAN
    return 0;
#else
    return 1;
#endif
}


void
djass_limits_apply(const djass_limits_t *l)
{
    struct rlimit  rl;

    /* a file grown past the bound fails the write with EFBIG instead of
     * killing the process: the render then says which bound it hit */
    signal(SIGXFSZ, SIG_IGN);

    /* a render allocates and frees the same buffers file after file (the
     * ZIP's deflate state is made anew per entry): the heap is kept
     * rather than given back and faulted in again each time; the process
     * is short-lived */
    (void) mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    (void) mallopt(M_TOP_PAD, 16 * 1024 * 1024);

    rl.rlim_cur = (rlim_t) l->output_mb * 1024 * 1024;
    rl.rlim_max = rl.rlim_cur;
    (void) setrlimit(RLIMIT_FSIZE, &rl);

    djass_file_out_max = (long long) l->output_mb * 1024 * 1024;

    if (djass_limits_memory_enforced()) {
        rl.rlim_cur = (rlim_t) l->memory_mb * 1024 * 1024;
        rl.rlim_max = rl.rlim_cur;
        (void) setrlimit(RLIMIT_AS, &rl);
    }
}


int
djass_limits_hit(const djass_limits_t *l, const char *err_msg, char *msg,
    size_t len)
{
    if (djass_file_errno == EFBIG) {
        snprintf(msg, len, "Generation exceeded its output limit of %d MB.",
                 l->output_mb);
        return 1;
    }

    if (djass_limits_memory_enforced()
        && (djass_file_errno == ENOMEM
            || strstr(err_msg, "out of memory") != NULL
            || strstr(err_msg, strerror(ENOMEM)) != NULL))
    {
        snprintf(msg, len, "Generation exceeded its memory limit of %d MB.",
                 l->memory_mb);
        return 1;
    }

    return 0;
}


void
djass_limits_timeout(const djass_limits_t *l, char *msg, size_t len)
{
    snprintf(msg, len, "Generation exceeded its time limit of %d s.",
             l->timeout_s);
}
