/*
 * The two S3 XML replies Djass reads (see djass_s3.h): ListObjectsV2's
 * ListBucketResult (Contents/Key, Size, LastModified; IsTruncated;
 * NextContinuationToken) and Error (Code, Message).  Not a general XML
 * parser: elements are found by name, without attributes' meaning, and
 * text is unescaped (the five named entities and numeric references).
 * Input is the store's, so anything may come: every read is bounded by
 * the reply's length.
 */

#include <stdlib.h>
#include <string.h>

#include "djass_s3.h"


#define DJASS_S3_XML_MAX_OBJECTS   100000


/*
 * The next element <tag> in [p, end): its text in [*in, *in_end), and
 * *after past its end tag.  A self-closing <tag/> has empty text.  0, or
 * -1 when there is none (or it is not closed).
 */
static int
djass_s3_xml_find(const char *p, const char *end, const char *tag,
    const char **in, const char **in_end, const char **after)
{
    size_t       n;
    const char  *q, *gt;

    n = strlen(tag);

    for ( ;; ) {
        q = memchr(p, '<', end - p);
        if (q == NULL || (size_t) (end - q) < n + 2) {
            return -1;
        }

        p = q + 1;

        if (memcmp(p, tag, n) != 0
            || (p[n] != '>' && p[n] != ' ' && p[n] != '/' && p[n] != '\t'
                && p[n] != '\r' && p[n] != '\n'))
        {
            continue;
        }

        gt = memchr(p + n, '>', end - (p + n));
        if (gt == NULL) {
            return -1;
        }

        if (gt[-1] == '/') {
            *in = gt + 1;
            *in_end = gt + 1;
            *after = gt + 1;
            return 0;
        }

        *in = gt + 1;

        /* the end tag: the first "</tag>" after the start */
        for (q = gt + 1; q < end; q++) {
            q = memchr(q, '<', end - q);
            if (q == NULL) {
                return -1;
            }

            if ((size_t) (end - q) >= n + 3 && q[1] == '/'
                && memcmp(q + 2, tag, n) == 0 && q[n + 2] == '>')
            {
                *in_end = q;
                *after = q + n + 3;
                return 0;
            }
        }

        return -1;
    }
}


static size_t
djass_s3_xml_utf8(unsigned long c, char *out)
{
    if (c < 0x80) {
        out[0] = (char) c;
        return 1;
    }

    if (c < 0x800) {
        out[0] = (char) (0xc0 | (c >> 6));
        out[1] = (char) (0x80 | (c & 0x3f));
        return 2;
    }

    if (c < 0x10000) {
        out[0] = (char) (0xe0 | (c >> 12));
        out[1] = (char) (0x80 | ((c >> 6) & 0x3f));
        out[2] = (char) (0x80 | (c & 0x3f));
        return 3;
    }

    out[0] = (char) (0xf0 | (c >> 18));
    out[1] = (char) (0x80 | ((c >> 12) & 0x3f));
    out[2] = (char) (0x80 | ((c >> 6) & 0x3f));
    out[3] = (char) (0x80 | (c & 0x3f));
    return 4;
}


/* the unescaped text of [p, end) into out (at most len - 1 bytes and a
 * NUL); -1 when it does not fit or holds a NUL */
static int
djass_s3_xml_text(const char *p, const char *end, char *out, size_t len)
{
    int            hex;
    char           u[4];
    size_t         k, n;
    const char    *semi;
    unsigned long  c;

    for (k = 0; p < end; ) {
        if (*p == '\0') {
            return -1;
        }

        if (*p != '&') {
            if (k + 1 >= len) {
                return -1;
            }
            out[k++] = *p++;
            continue;
        }

        semi = memchr(p, ';', end - p > 12 ? 12 : end - p);
        if (semi == NULL) {
            return -1;
        }

        n = semi - p + 1;

        if (n == 5 && memcmp(p, "&amp;", 5) == 0) {
            u[0] = '&';
            n = 1;
        } else if (n == 4 && memcmp(p, "&lt;", 4) == 0) {
            u[0] = '<';
            n = 1;
        } else if (n == 4 && memcmp(p, "&gt;", 4) == 0) {
            u[0] = '>';
            n = 1;
        } else if (n == 6 && memcmp(p, "&quot;", 6) == 0) {
            u[0] = '"';
            n = 1;
        } else if (n == 6 && memcmp(p, "&apos;", 6) == 0) {
            u[0] = '\'';
            n = 1;
        } else if (n > 3 && p[1] == '#') {
            hex = (p[2] == 'x' || p[2] == 'X');
            c = 0;
            for (p += hex ? 3 : 2; p < semi; p++) {
                if (*p >= '0' && *p <= '9') {
                    c = c * (hex ? 16 : 10) + (*p - '0');
                } else if (hex && *p >= 'a' && *p <= 'f') {
                    c = c * 16 + (*p - 'a' + 10);
                } else if (hex && *p >= 'A' && *p <= 'F') {
                    c = c * 16 + (*p - 'A' + 10);
                } else {
                    return -1;
                }

                if (c > 0x10ffff) {
                    return -1;
                }
            }

            if (c == 0 || (c >= 0xd800 && c <= 0xdfff)) {
                return -1;
            }

            n = djass_s3_xml_utf8(c, u);

        } else {
            return -1;
        }

        if (k + n >= len) {
            return -1;
        }

        memcpy(out + k, u, n);
        k += n;
        p = semi + 1;
    }

    out[k] = '\0';
    return 0;
}


/* the unescaped text of the first <tag> in [p, end), malloc(3)ed */
static char *
djass_s3_xml_dup(const char *p, const char *end, const char *tag)
{
    char        *s;
    size_t       n;
    const char  *in, *in_end, *after;

    if (djass_s3_xml_find(p, end, tag, &in, &in_end, &after) != 0) {
        return NULL;
    }

    n = in_end - in + 1;
    s = malloc(n);
    if (s == NULL) {
        return NULL;
    }

    if (djass_s3_xml_text(in, in_end, s, n) != 0) {
        free(s);
        return NULL;
    }

    return s;
}


static void
djass_s3_xml_copy(const char *p, const char *end, const char *tag,
    char *out, size_t len)
{
    char  *s;

    out[0] = '\0';

    s = djass_s3_xml_dup(p, end, tag);
    if (s) {
        if (strlen(s) < len) {
            strcpy(out, s);
        }
        free(s);
    }
}


int
djass_s3_xml_parse(const char *xml, size_t n, djass_s3_list_t *l)
{
    char               *v, *e;
    size_t              cap;
    long long           size;
    const char         *p, *end, *in, *in_end, *after;
    djass_s3_object_t  *o;

    memset(l, 0, sizeof(djass_s3_list_t));
    end = xml + n;

    if (djass_s3_xml_find(xml, end, "Error", &in, &in_end, &after) == 0) {
        djass_s3_xml_copy(in, in_end, "Code", l->code, sizeof(l->code));
        djass_s3_xml_copy(in, in_end, "Message", l->message,
                          sizeof(l->message));
        return l->code[0] ? 0 : -1;
    }

    if (djass_s3_xml_find(xml, end, "ListBucketResult", &in, &in_end,
                          &after)
        != 0)
    {
        return -1;
    }

    end = in_end;
    cap = 0;

    for (p = in;
         djass_s3_xml_find(p, end, "Contents", &in, &in_end, &after) == 0;
         p = after)
    {
        if (l->nobjects == DJASS_S3_XML_MAX_OBJECTS) {
            goto failed;
        }

        if (l->nobjects == cap) {
            cap = cap ? cap * 2 : 16;
            o = realloc(l->objects, cap * sizeof(djass_s3_object_t));
            if (o == NULL) {
                goto failed;
            }
            l->objects = o;
        }

        o = &l->objects[l->nobjects];
        memset(o, 0, sizeof(djass_s3_object_t));

        o->key = djass_s3_xml_dup(in, in_end, "Key");
        if (o->key == NULL || o->key[0] == '\0') {
            free(o->key);
            goto failed;
        }

        l->nobjects++;

        o->size = -1;
        v = djass_s3_xml_dup(in, in_end, "Size");
        if (v) {
            size = strtoll(v, &e, 10);
            if (*v && *e == '\0' && size >= 0) {
                o->size = size;
            }
            free(v);
        }

        djass_s3_xml_copy(in, in_end, "LastModified", o->last_modified,
                          sizeof(o->last_modified));
    }

    /* outside the Contents: a key named IsTruncated cannot fool it */
    p = after = in = xml;
    v = NULL;

    for (p = xml; p < end; p = after) {
        if (djass_s3_xml_find(p, end, "Contents", &in, &in_end, &after)
            != 0)
        {
            in = end;
        }

        /* [p, in) is outside any Contents */
        if (v == NULL) {
            v = djass_s3_xml_dup(p, in, "IsTruncated");
            if (v) {
                l->truncated = strcmp(v, "true") == 0;
            }
        }

        if (l->next_token == NULL) {
            l->next_token = djass_s3_xml_dup(p, in, "NextContinuationToken");
        }

        if (in == end) {
            break;
        }
    }

    free(v);

    if (l->truncated && (l->next_token == NULL || l->next_token[0] == '\0'))
    {
        /* a truncated listing without a way on would loop forever */
        goto failed;
    }

    return 0;

failed:

    djass_s3_list_free(l);
    return -1;
}


void
djass_s3_list_free(djass_s3_list_t *l)
{
    size_t  i;

    for (i = 0; i < l->nobjects; i++) {
        free(l->objects[i].key);
    }

    free(l->objects);
    free(l->next_token);
    memset(l, 0, sizeof(djass_s3_list_t));
}
