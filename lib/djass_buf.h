/*
 * A growable byte buffer: the renderer's output and scratch strings.
 * Out of memory (or past its max) is sticky: appends after a failure do
 * nothing and djass_buf_failed() says so, so callers check once at the
 * end.
 */

#ifndef DJASS_BUF_H
#define DJASS_BUF_H

#include <stddef.h>


typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    int      failed;    /* 1 out of memory, DJASS_BUF_TOO_LONG */
    size_t   max;       /* bytes it may hold: 0 is DJASS_BUF_MAX */
} djass_buf_t;


/* no buffer grows past this, whatever its max (a backstop: the template
 * engine's own limits are far lower) */
#define DJASS_BUF_MAX        ((size_t) 1 << 30)
/* failed: an append would have taken it past its max */
#define DJASS_BUF_TOO_LONG   2

#define djass_buf_failed(b)  ((b)->failed)

int  djass_buf_reserve(djass_buf_t *b, size_t more);
void djass_buf_add(djass_buf_t *b, const void *p, size_t n);
void djass_buf_addc(djass_buf_t *b, char c);
void djass_buf_adds(djass_buf_t *b, const char *s);
void djass_buf_printf(djass_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminates and hands the bytes over; the buffer is empty after */
char *djass_buf_detach(djass_buf_t *b, size_t *len);
void djass_buf_free(djass_buf_t *b);

#endif /* DJASS_BUF_H */
