/*
 * The project object as the module writes it, in plain C: the same field
 * order and the same rules, value by value (see ngx_http_djass_project.c):
 * an id is its digits verbatim when nginx's ngx_atoof() takes them, else
 * 0; a time is RFC 3339 UTC with a Z when it is 1 to 12 digits, else
 * null; a string is escaped as ngx_escape_json() does (", \ and control
 * characters only: other bytes pass as they are); artifact_ready is the
 * status being "ready"; input_payload is the stored JSON verbatim when it
 * starts with '{', else {}.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "djass_buf.h"
#include "webhook_body.h"


enum {
    DJASS_WH_INTEGER = 0,
    DJASS_WH_STRING,
    DJASS_WH_TIME,
    DJASS_WH_READY,
    DJASS_WH_OBJECT,
    DJASS_WH_STRING_NULL,            /* a string, null when it is empty */
    DJASS_WH_INTEGER_NULL            /* an integer, null when it is empty */
};


typedef struct {
    const char  *key;
    int          type;
    int          value;
} djass_wh_field_t;


/* ngx_http_djass_project_fields, in its order */
static const djass_wh_field_t  djass_wh_fields[] = {
    { "id", DJASS_WH_INTEGER, DJASS_WH_ID },
    { "name", DJASS_WH_STRING, DJASS_WH_NAME },
    { "slug", DJASS_WH_STRING, DJASS_WH_SLUG },
    { "status", DJASS_WH_STRING, DJASS_WH_STATUS },
    { "error_message", DJASS_WH_STRING, DJASS_WH_ERROR },
    { "created_at", DJASS_WH_TIME, DJASS_WH_CREATED },
    { "updated_at", DJASS_WH_TIME, DJASS_WH_UPDATED },
    { "started_at", DJASS_WH_TIME, DJASS_WH_STARTED },
    { "finished_at", DJASS_WH_TIME, DJASS_WH_FINISHED },
    { "artifact_ready", DJASS_WH_READY, DJASS_WH_STATUS },
    { "input_payload", DJASS_WH_OBJECT, DJASS_WH_PAYLOAD },
    { "expires_at", DJASS_WH_TIME, DJASS_WH_EXPIRES },
    { "template_version", DJASS_WH_STRING, DJASS_WH_TEMPLATE },
    { "git_commit", DJASS_WH_STRING_NULL, DJASS_WH_GIT_COMMIT },
    { "upgraded_from", DJASS_WH_INTEGER_NULL, DJASS_WH_UPGRADED_FROM },
};


/* digits only, and no more than off_t holds: what ngx_atoof() accepts */
static int
djass_wh_digits(const char *s, size_t max_len, unsigned long long max)
{
    size_t              i, len;
    unsigned long long  v;

    len = strlen(s);
    if (len == 0 || len > max_len) {
        return 0;
    }

    for (v = 0, i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        if (v > (max - (unsigned) (s[i] - '0')) / 10) {
            return 0;
        }

        v = v * 10 + (unsigned) (s[i] - '0');
    }

    return 1;
}


static void
djass_wh_integer(djass_buf_t *b, const char *v)
{
    /* NGX_INT64_LEN digits at most, and not past NGX_MAX_OFF_T_VALUE */
    if (djass_wh_digits(v, 20, 9223372036854775807ULL)) {
        djass_buf_adds(b, v);
    } else {
        djass_buf_addc(b, '0');
    }
}


static void
djass_wh_width(djass_buf_t *b, unsigned long n, int width)
{
    int   i;
    char  d[8];

    for (i = width; i; i--) {
        d[i - 1] = (char) ('0' + n % 10);
        n /= 10;
    }

    djass_buf_add(b, d, width);
}


static void
djass_wh_time(djass_buf_t *b, const char *v)
{
    time_t     t;
    struct tm  tm;

    if (!djass_wh_digits(v, 12, 9223372036854775807ULL)) {
        djass_buf_adds(b, "null");
        return;
    }

    t = (time_t) strtoll(v, NULL, 10);
    gmtime_r(&t, &tm);

    djass_buf_addc(b, '"');
    djass_wh_width(b, (unsigned long) tm.tm_year + 1900, 4);
    djass_buf_addc(b, '-');
    djass_wh_width(b, (unsigned long) tm.tm_mon + 1, 2);
    djass_buf_addc(b, '-');
    djass_wh_width(b, (unsigned long) tm.tm_mday, 2);
    djass_buf_addc(b, 'T');
    djass_wh_width(b, (unsigned long) tm.tm_hour, 2);
    djass_buf_addc(b, ':');
    djass_wh_width(b, (unsigned long) tm.tm_min, 2);
    djass_buf_addc(b, ':');
    djass_wh_width(b, (unsigned long) tm.tm_sec, 2);
    djass_buf_adds(b, "Z\"");
}


/* ngx_escape_json(): \" \\ \n \r \t \b \f, \u00XX for other controls */
static void
djass_wh_string(djass_buf_t *b, const char *v)
{
    unsigned char  ch;
    static const char  hex[] = "0123456789ABCDEF";

    djass_buf_addc(b, '"');

    for ( ; *v; v++) {
        ch = (unsigned char) *v;

        if (ch > 0x1f) {
            if (ch == '\\' || ch == '"') {
                djass_buf_addc(b, '\\');
            }
            djass_buf_addc(b, (char) ch);
            continue;
        }

        djass_buf_addc(b, '\\');

        switch (ch) {
        case '\n':
            djass_buf_addc(b, 'n');
            break;
        case '\r':
            djass_buf_addc(b, 'r');
            break;
        case '\t':
            djass_buf_addc(b, 't');
            break;
        case '\b':
            djass_buf_addc(b, 'b');
            break;
        case '\f':
            djass_buf_addc(b, 'f');
            break;
        default:
            djass_buf_adds(b, "u00");
            djass_buf_addc(b, hex[ch >> 4]);
            djass_buf_addc(b, hex[ch & 0xf]);
        }
    }

    djass_buf_addc(b, '"');
}


char *
djass_webhook_body(const char *type, const char *timestamp,
    const char *const *fields, size_t *len)
{
    size_t        i;
    const char   *v;
    djass_buf_t   b;

    memset(&b, 0, sizeof(djass_buf_t));

    djass_buf_adds(&b, "{\"type\":");
    djass_wh_string(&b, type);
    djass_buf_adds(&b, ",\"timestamp\":");
    djass_wh_time(&b, timestamp);
    djass_buf_adds(&b, ",\"data\":");

    for (i = 0; i < sizeof(djass_wh_fields) / sizeof(djass_wh_fields[0]);
         i++)
    {
        djass_buf_addc(&b, i == 0 ? '{' : ',');
        djass_buf_addc(&b, '"');
        djass_buf_adds(&b, djass_wh_fields[i].key);
        djass_buf_adds(&b, "\":");

        v = fields[djass_wh_fields[i].value];

        switch (djass_wh_fields[i].type) {

        case DJASS_WH_STRING_NULL:
        case DJASS_WH_INTEGER_NULL:
            if (*v == '\0') {
                djass_buf_adds(&b, "null");
            } else if (djass_wh_fields[i].type == DJASS_WH_STRING_NULL) {
                djass_wh_string(&b, v);
            } else {
                djass_wh_integer(&b, v);
            }
            break;

        case DJASS_WH_INTEGER:
            djass_wh_integer(&b, v);
            break;

        case DJASS_WH_STRING:
            djass_wh_string(&b, v);
            break;

        case DJASS_WH_TIME:
            djass_wh_time(&b, v);
            break;

        case DJASS_WH_READY:
            djass_buf_adds(&b, strcmp(v, "ready") == 0 ? "true" : "false");
            break;

        default: /* DJASS_WH_OBJECT */
            djass_buf_adds(&b, v[0] == '{' ? v : "{}");
        }
    }

    djass_buf_adds(&b, "}}");

    if (djass_buf_failed(&b)) {
        djass_buf_free(&b);
        return NULL;
    }

    return djass_buf_detach(&b, len);
}
