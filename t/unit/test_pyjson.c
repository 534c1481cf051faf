/*
 * djass_pyjson_dump against Python's json.dumps(value, indent=2,
 * sort_keys=True): each expected text is what Python 3 writes for the
 * input (t/392 checks the manifests against Python itself).
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "djass_buf.h"
#include "djass_pyjson.h"
#include "tap.h"


static const struct {
    const char  *in;             /* JSON text */
    const char  *want;           /* Python's */
    const char  *what;
} cases[] = {
    { "{\"b\": 1, \"a\": [true, false, null], \"Z\": {}, \"\\u00e9\": [], \"c\": {\"y\": \"x\", \"x\": -5}}",
      "{\n"
      "  \"Z\": {},\n"
      "  \"a\": [\n"
      "    true,\n"
      "    false,\n"
      "    null\n"
      "  ],\n"
      "  \"b\": 1,\n"
      "  \"c\": {\n"
      "    \"x\": -5,\n"
      "    \"y\": \"x\"\n"
      "  },\n"
      "  \"\\u00e9\": []\n"
      "}",
      "nested values, keys sorted, empty ones" },
    { "{\"s\": \"caf\\u00e9 \\ud83d\\ude00 \\u007f\\u0001\\t\\n\\r\\b\\f\\\"\\\\/ end\", \"\\u00e9\": 1, \"z\": 2, \"\\ud83d\\ude00\": 3, \"\\uffff\": 4}",
      "{\n"
      "  \"s\": \"caf\\u00e9 \\ud83d\\ude00 \\u007f\\u0001\\t\\n\\r\\b\\f\\\"\\\\/ end\",\n"
      "  \"z\": 2,\n"
      "  \"\\u00e9\": 1,\n"
      "  \"\\uffff\": 4,\n"
      "  \"\\ud83d\\ude00\": 3\n"
      "}",
      "escapes as ensure_ascii, keys by code point" },
    { "[]",
      "[]",
      "an empty list" },
    { "{}",
      "{}",
      "an empty object" },
    { "\"plain\"",
      "\"plain\"",
      "a string alone" },
};


int
main(void)
{
    char          *text;
    size_t         i, len;
    json_t        *v;
    djass_buf_t    b;
    json_error_t   jerr;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = json_loads(cases[i].in, JSON_DECODE_ANY, &jerr);
        ok(v != NULL, "%s: the input parses", cases[i].what);

        memset(&b, 0, sizeof(djass_buf_t));
        djass_pyjson_dump(v, &b);
        ok(!djass_buf_failed(&b), "%s: written", cases[i].what);

        text = djass_buf_detach(&b, &len);
        is_str(text, cases[i].want, "%s: as Python writes it",
               cases[i].what);
        ok(len == strlen(cases[i].want), "%s: its length", cases[i].what);

        free(text);
        json_decref(v);
    }

    /* bytes that are no UTF-8 (a name jansson did not check) */
    v = json_stringn_nocheck("a\xff" "b\xc3", 4);
    memset(&b, 0, sizeof(djass_buf_t));
    djass_pyjson_dump(v, &b);
    text = djass_buf_detach(&b, &len);
    is_str(text, "\"a\\ufffdb\\ufffd\"",
           "a byte that starts no character is U+FFFD");
    free(text);
    json_decref(v);

    return done_testing();
}
