/*
 * Newlines as cookiecutter writes them (see newline.h).
 */

#include <stdlib.h>
#include <string.h>

#include "djass_buf.h"
#include "newline.h"


#define DJASS_NEWLINE_CHUNK    8192


/*
 * The newline cookiecutter writes: Python's universal-newline reader,
 * after reading the first line, knows the kinds seen in the chunks read so
 * far; the first of "\r", "\n", "\r\n" among them wins; none: "\n".
 */
const char *
djass_detect_newline(const char *p, size_t len)
{
    int     cr, lf, crlf;
    size_t  i, end;

    for (i = 0; i < len && p[i] != '\n' && p[i] != '\r'; i++) {
        /* void */
    }

    if (i == len) {
        return "\n";
    }

    end = (i / DJASS_NEWLINE_CHUNK + 1) * DJASS_NEWLINE_CHUNK;
    if (end > len) {
        end = len;
    }

    cr = lf = crlf = 0;
    for (i = 0; i < end; i++) {
        if (p[i] == '\r') {
            if (i + 1 < len && p[i + 1] == '\n') {
                crlf = 1;
                i++;
            } else {
                cr = 1;
            }
        } else if (p[i] == '\n') {
            lf = 1;
        }
    }

    return cr ? "\r" : lf ? "\n" : crlf ? "\r\n" : "\n";
}


char *
djass_translate_newlines(char *p, size_t *len, const char *nl)
{
    size_t       i;
    djass_buf_t  b;

    if (strcmp(nl, "\n") == 0 || memchr(p, '\n', *len) == NULL) {
        return p;
    }

    memset(&b, 0, sizeof(b));
    for (i = 0; i < *len; i++) {
        if (p[i] == '\n') {
            djass_buf_adds(&b, nl);
        } else {
            djass_buf_addc(&b, p[i]);
        }
    }

    free(p);
    return djass_buf_detach(&b, len);
}
