/*
 * {% now tz [+|- 'unit=n, ...'] [, fmt] %} (djass_time.c): jinja2_time's
 * TimeExtension, as cookiecutter loads it.
 */

#ifndef DJASS_TIME_H
#define DJASS_TIME_H

#include "djass_tmpl_eval.h"


/* arrow.now(tz).shift(offset).strftime(fmt) appended to out: a
 * djass_now_pt; 0, or -1 with ev failed */
int djass_time_now(djass_eval_t *ev, djass_buf_t *out, json_t *tz, int op,
    json_t *offset, json_t *fmt);

#endif /* DJASS_TIME_H */
