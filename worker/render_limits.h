/*
 * What one render may use: wall time, memory and bytes written.  The
 * worker's generation child and `djass-worker render` take the same
 * options (--render-timeout, --render-memory, --render-output) with the
 * same defaults.  Memory and output are bounded in the rendering process
 * itself (setrlimit and a count of the bytes the renderer writes); time is
 * bounded by whoever waits for it (the worker kills its child, the CLI
 * has an alarm).  A bound hit fails the render with a message that says
 * which bound it was, never with a host path.
 */

#ifndef DJASS_RENDER_LIMITS_H
#define DJASS_RENDER_LIMITS_H

#include <stddef.h>
#include <stdio.h>


#define DJASS_RENDER_TIMEOUT       300     /* seconds */
#define DJASS_RENDER_MEMORY        2048     /* MiB of address space */
#define DJASS_RENDER_OUTPUT        512      /* MiB written */


typedef struct {
    int  timeout_s;
    int  memory_mb;
    int  output_mb;
} djass_limits_t;


/* the defaults */
void djass_limits_init(djass_limits_t *l);

/* opt with its value, if it is one of the three options: 0 when taken, 1
 * when opt is none of them, -1 after saying on stderr what is wrong */
int djass_limits_option(djass_limits_t *l, const char *opt, const char *v);

/* the options' lines of a usage text */
void djass_limits_usage(FILE *f);

/* in the process that renders: bounds its memory and what it writes */
void djass_limits_apply(const djass_limits_t *l);

/* after a failed render in that process: 1 and msg set when a bound of
 * memory or output was hit (err_msg is the renderer's message) */
int djass_limits_hit(const djass_limits_t *l, const char *err_msg,
    char *msg, size_t len);

/* the message of a render that ran out of time */
void djass_limits_timeout(const djass_limits_t *l, char *msg, size_t len);

/* 1 when the memory bound can be enforced in this build (not under
 * AddressSanitizer, which needs terabytes of address space) */
int djass_limits_memory_enforced(void);

#endif /* DJASS_RENDER_LIMITS_H */
