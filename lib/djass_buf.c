/*
 * A growable byte buffer (see djass_buf.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_buf.h"


int
djass_buf_reserve(djass_buf_t *b, size_t more)
{
    char    *p;
    size_t   cap, max;

    if (b->failed) {
        return -1;
    }

    max = (b->max != 0 && b->max < DJASS_BUF_MAX) ? b->max : DJASS_BUF_MAX;
    if (more > max || b->len > max - more) {
        b->failed = DJASS_BUF_TOO_LONG;
        return -1;
    }

    if (b->len + more + 1 <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1) {
        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }

    b->data = p;
    b->cap = cap;
    return 0;
}


void
djass_buf_add(djass_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || djass_buf_reserve(b, n) != 0) {
        return;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
}


void
djass_buf_addc(djass_buf_t *b, char c)
{
    if (djass_buf_reserve(b, 1) != 0) {
        return;
    }

    b->data[b->len++] = c;
}


void
djass_buf_adds(djass_buf_t *b, const char *s)
{
    djass_buf_add(b, s, strlen(s));
}


void
djass_buf_printf(djass_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0 || djass_buf_reserve(b, (size_t) n) != 0) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
}


char *
djass_buf_detach(djass_buf_t *b, size_t *len)
{
    char  *p;

    if (djass_buf_reserve(b, 0) != 0) {
        djass_buf_free(b);
        return NULL;
    }

    b->data[b->len] = '\0';
    p = b->data;
    if (len) {
        *len = b->len;
    }

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}


void
djass_buf_free(djass_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}
