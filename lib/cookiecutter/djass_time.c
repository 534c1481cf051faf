/*
 * {% now %}: the tag of jinja2_time's TimeExtension, one of cookiecutter's
 * default extensions.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "djass_tmpl_eval.h"
#include "djass_time.h"


/*
 * {% now tz [+|- 'unit=n, ...'] [, fmt] %}: arrow.now(tz).shift(...)
 * .strftime(fmt).  Time zones: utc, local, or any name of the system's
 * zone database.
 */

static int
djass_shift(struct tm *tm, time_t *t, int utc, int sign, const char *spec,
    size_t len, djass_eval_t *ev)
{
    char        unit[32], buf[256], *p, *q, *eq;
    double      v, secs;
    int         months, mday, mlen;
    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };

    if (len >= sizeof(buf)) {
        return djass_eval_fail(ev, "now: offset too long");
    }
    memcpy(buf, spec, len);
    buf[len] = '\0';

    secs = 0;
    months = 0;

    for (p = buf; p != NULL; p = q) {
        q = strchr(p, ',');
        if (q) {
            *q++ = '\0';
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            return djass_eval_fail(ev, "now: bad offset '%s'", p);
        }
        *eq = '\0';
        if (sscanf(p, " %31[a-z] ", unit) != 1) {
            return djass_eval_fail(ev, "now: bad offset unit '%s'", p);
        }
        v = strtod(eq + 1, NULL) * sign;

        /* Python's datetime ends at year 9999: bounds keep the casts
         * below and time_t defined */
        if (!(v > -1e12 && v < 1e12)) {
            return djass_eval_fail(ev, "now: offset out of range");
        }

        if ((strcmp(unit, "years") == 0 || strcmp(unit, "quarters") == 0
             || strcmp(unit, "months") == 0) && !(v > -1e5 && v < 1e5))
        {
            return djass_eval_fail(ev, "now: offset out of range");
        }

        if (strcmp(unit, "years") == 0) {
            months += (int) v * 12;
        } else if (strcmp(unit, "quarters") == 0) {
            months += (int) v * 3;
        } else if (strcmp(unit, "months") == 0) {
            months += (int) v;
        } else if (strcmp(unit, "weeks") == 0) {
            secs += v * 604800;
        } else if (strcmp(unit, "days") == 0) {
            secs += v * 86400;
        } else if (strcmp(unit, "hours") == 0) {
            secs += v * 3600;
        } else if (strcmp(unit, "minutes") == 0) {
            secs += v * 60;
        } else if (strcmp(unit, "seconds") == 0) {
            secs += v;
        } else if (strcmp(unit, "microseconds") == 0) {
            secs += v / 1e6;
        } else {
            return djass_eval_fail(ev, "now: unknown offset unit '%s'", unit);
        }
    }

    if (!(secs > -1e12 && secs < 1e12)) {
        return djass_eval_fail(ev, "now: offset out of range");
    }

    if (months != 0) {
        months += tm->tm_mon;
        tm->tm_year += months / 12;
        tm->tm_mon = months % 12;
        if (tm->tm_mon < 0) {
            tm->tm_mon += 12;
            tm->tm_year--;
        }
        /* relativedelta keeps the day inside the month */
        mday = tm->tm_mday;
        mlen = days[tm->tm_mon];
        if (tm->tm_mon == 1 && ((tm->tm_year + 1900) % 4 == 0
                                && ((tm->tm_year + 1900) % 100 != 0
                                    || (tm->tm_year + 1900) % 400 == 0)))
        {
            mlen = 29;
        }
        tm->tm_mday = mday > mlen ? mlen : mday;
        tm->tm_isdst = -1;
        *t = utc ? timegm(tm) : mktime(tm);
    }

    *t += (time_t) secs;
    if (utc) {
        gmtime_r(t, tm);
    } else {
        localtime_r(t, tm);
    }

    return 0;
}


int
djass_time_now(djass_eval_t *ev, djass_buf_t *out, json_t *tz, int op,
    json_t *offset, json_t *fmt)
{
    int          utc, rc;
    char        *old, *buf, fmtz[512];
    size_t       n, cap;
    time_t       t;
    struct tm    tm;
    const char  *zone;

    if (!json_is_string(tz) || (offset && !json_is_string(offset))
        || (fmt && !json_is_null(fmt) && !json_is_string(fmt)))
    {
        return djass_eval_fail(ev, "now: the time zone, offset and format "
                               "must be strings");
    }

    zone = json_string_value(tz);
    utc = strcasecmp(zone, "utc") == 0;
    old = NULL;

    t = time(NULL);
    if (utc) {
        gmtime_r(&t, &tm);
    } else {
        if (strcasecmp(zone, "local") != 0) {
            old = getenv("TZ") ? strdup(getenv("TZ")) : strdup("");
            setenv("TZ", zone, 1);
            tzset();
        }
        localtime_r(&t, &tm);
    }

    rc = 0;
    if (offset != NULL) {
        rc = djass_shift(&tm, &t, utc, op == DJASS_OP_SUB ? -1 : 1,
                         json_string_value(offset),
                         json_string_length(offset), ev);
    }

    if (fmt != NULL && json_is_string(fmt)) {
        snprintf(fmtz, sizeof(fmtz), "%s", json_string_value(fmt));
    } else {
        snprintf(fmtz, sizeof(fmtz), "%%Y-%%m-%%d");
    }

    for (cap = 256; rc == 0 && fmtz[0] != '\0' && cap <= 65536; cap *= 4) {
        buf = malloc(cap);
        if (buf == NULL) {
            rc = djass_eval_fail(ev, "out of memory");
            break;
        }
        n = strftime(buf, cap, fmtz, &tm);
        if (n > 0) {
            djass_buf_add(out, buf, n);
            free(buf);
            break;
        }
        free(buf);
    }

    if (old != NULL) {
        if (old[0] != '\0') {
            setenv("TZ", old, 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
        free(old);
    }

    return rc;
}
