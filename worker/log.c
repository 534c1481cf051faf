/*
 * The worker's log lines: "2026-03-11T12:00:05Z djass-worker[42]: ...".
 * Each line is formatted whole and written with one write(2), so that
 * lines of concurrent processes never mix.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"


int  djass_log_verbose;

static char  djass_log_suffix[160];


static void
djass_log_write(const char *fmt, va_list ap)
{
    int        n, m;
    char       line[2048];
    time_t     now;
    struct tm  tm;

    now = time(NULL);
    gmtime_r(&now, &tm);

    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n += snprintf(line + n, sizeof(line) - n, " djass-worker[%d]: ",
                  (int) getpid());

    m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (m < 0) {
        return;
    }

    n += m;
    if (n > (int) sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }

    if (djass_log_suffix[0]) {
        m = snprintf(line + n, sizeof(line) - n - 1, "%s", djass_log_suffix);
        if (m > 0) {
            n += m;
        }

        if (n > (int) sizeof(line) - 2) {
            n = sizeof(line) - 2;
        }
    }

    line[n++] = '\n';

    /* a short write of a log line is not worth a retry */
    if (write(STDERR_FILENO, line, n) < 0) {
        return;
    }
}


void
djass_log(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    djass_log_write(fmt, ap);
    va_end(ap);
}


void
djass_debug(const char *fmt, ...)
{
    va_list  ap;

    if (!djass_log_verbose) {
        return;
    }

    va_start(ap, fmt);
    djass_log_write(fmt, ap);
    va_end(ap);
}


void
djass_log_context(const char *request_id)
{
    if (request_id == NULL || request_id[0] == '\0') {
        djass_log_suffix[0] = '\0';
        return;
    }

    snprintf(djass_log_suffix, sizeof(djass_log_suffix), " request_id=%s",
             request_id);
}


long long
djass_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
