/*
 * The template engine on small strings: each case is checked against the
 * output Jinja2 (as cookiecutter configures it) gives for the same
 * template and context; malformed templates fail with a line number and
 * no crash or leak (run under ASan and valgrind by t/010-unit.t).
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "djass_cookiecutter.h"
#include "djass_tmpl.h"
#include "tap.h"


/* the cookiecutter values every case sees */
static const char  *ctx_json =
    "{\"name\": \"Cr\\u00e8me Br\\u00fbl\\u00e9e\", \"x\": \"y\", \"n\""
    ": \"3\", \"lst\": [\"a\", \"b\"], \"d\": {\"k\": \"v\", \"j\": \"w"
    "\"}, \"b\": true, \"nul\": null, \"f\": 1.5, \"e\": \"\"}";


/* what, template, Jinja2's output (generated once with the pinned Jinja2) */
static const struct {
    const char  *what;
    const char  *src;
    const char  *want;
} cases[] = {
    { "plain text, no syntax",
      "just text\n",
      "just text\n" },
    { "variable",
      "{{ cookiecutter.name }}",
      "Cr\303\250me Br\303\273l\303\251e" },
    { "subscript",
      "{{ cookiecutter['x'] }}{{ cookiecutter.lst[1] }}{{ cookiecutter.lst[-1"
      "] }}{{ cookiecutter.lst.0 }}",
      "ybba" },
    { "python str of values",
      "{{ cookiecutter.b }} {{ cookiecutter.nul }} {{ cookiecutter.f }} {{ co"
      "okiecutter.lst }} {{ cookiecutter.d }}",
      "True None 1.5 ['a', 'b'] {'k': 'v', 'j': 'w'}" },
    { "literals",
      "{{ 'single' }} {{ \"double\" }} {{ 42 }} {{ -7 }} {{ 1.25 }} {{ [1, 'a"
      "', none, true] }} {{ {'k': 1} }}",
      "single double 42 -7 1.25 [1, 'a', None, True] {'k': 1}" },
    { "string escapes",
      "{{ 'it\\'s' }}|{{ \"q\\\"q\" }}|{{ 'a\\nb' }}|{{ '\\t' }}|{{ '\\x41\\u"
      "00e9\\101' }}|{{ '\\q' }}|{{ 'a' 'b' }}",
      "it's|q\"q|a\nb|\t|A\303\251A|\\q|ab" },
    { "arithmetic",
      "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 "
      "}} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 0.1 + 0.2 }} "
      "{{ 1e20 }} {{ 1.5e-7 }} {{ 2 * 'ab' }}",
      "7 9 3 -4 1 2 1024 3.5 2.0 0.30000000000000004 1e+20 1.5e-07 abab" },
    { "comparisons",
      "{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'ab"
      "c' < 'abd' }} {{ 2 >= 2 }} {{ 2 <= 1 }}",
      "True True True False True True False" },
    { "in and not in",
      "{{ 'a' in cookiecutter.lst }} {{ 'z' not in cookiecutter.lst }} {{ 'r"
      "\303\250' in cookiecutter.name }} {{ 'k' in cookiecutter.d }}",
      "True True True True" },
    { "and or not",
      "{{ true and false }} {{ false or 'x' }} {{ '' or 'dflt' }} {{ not cook"
      "iecutter.e }} {{ 1 and 2 }} {{ not 1 == 2 }}",
      "False x dflt True 2 True" },
    { "concat",
      "{{ 'a' ~ 1 ~ none ~ true }}",
      "a1NoneTrue" },
    { "inline if",
      "{{ 'yes' if cookiecutter.x == 'y' else 'no' }} {{ 'a' if false else 'b"
      "' if true else 'c' }}",
      "yes b" },
    { "string methods",
      "{{ cookiecutter.name.lower() }}|{{ cookiecutter.name.upper() }}|{{ 'he"
      "llo world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ '  s  '.strip() }}"
      "|{{ 'xxsxx'.strip('x') }}|{{ '  s'.lstrip() }}|{{ 's  '.rstrip() }}|{{"
      " 'a-b-c'.replace('-', '') }}|{{ 'a-b-c'.replace('-', '+', 1) }}",
      "cr\303\250me br\303\273l\303\251e|CR\303\210ME BR\303\233L\303\211E|He"
      "llo World|Hello|s|s|s|s|abc|a+b-c" },
    { "startswith endswith split",
      "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.start"
      "swith(('x', 'a')) }} {{ 'a b  c'.split() }} {{ 'a,b'.split(',') }} {{ "
      "'a,b,c'.split(',', 1) }}",
      "True True True ['a', 'b', 'c'] ['a', 'b'] ['a', 'b,c']" },
    { "filters lower upper title capitalize",
      "{{ 'MiXeD'|lower }} {{ 'stra\303\237e'|upper }} {{ 'they-were (here) o"
      "k'|title }} {{ '\303\211COLE'|capitalize }}",
      "mixed STRASSE They-Were (Here) Ok \303\211cole" },
    { "filters trim replace",
      "[{{ '  t  '|trim }}] {{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a"
      "', 'b', 2) }} {{ 123|replace('2', 'x') }}",
      "[t] bbb bba 1x3" },
    { "filter default",
      "{{ cookiecutter.missing|default('d1') }} {{ cookiecutter.e|default('d2"
      "') }} {{ cookiecutter.e|default('d3', true) }} {{ cookiecutter.missing"
      "|d }}",
      "d1  d3 " },
    { "filters length join first last",
      "{{ cookiecutter.lst|length }} {{ 'h\303\251llo'|length }} {{ cookiecut"
      "ter.d|length }} {{ cookiecutter.lst|join(', ') }} {{ [1, 2]|join }} {{"
      " cookiecutter.lst|first }} {{ 'xyz'|last }}",
      "2 5 2 a, b 12 a z" },
    { "filters int string",
      "{{ '42'|int + 1 }} {{ ' 7 '|int }} {{ '3.9'|int }} {{ 'x'|int }} {{ 'x"
      "'|int(5) }} {{ 2.7|int }} {{ 5|string ~ '!' }} {{ none|string }}",
      "43 7 3 0 5 2 5! None" },
    { "slugify",
      "{{ cookiecutter.name|slugify }} {{ 'Hello, World!'|slugify }} {{ \"it'"
      "s\"|slugify }}",
      "creme-brulee hello-world it-s" },
    { "jsonify",
      "{{ cookiecutter.d|jsonify }} {{ [1, '\303\251', none, true, 2.5]|jsoni"
      "fy }} {{ {}|jsonify }} {{ 'q\"'|jsonify }} {{ cookiecutter.lst|jsonify"
      "(None) }}",
      "{\n    \"j\": \"w\",\n    \"k\": \"v\"\n} [\n    1,\n    \"\\u00e9\","
      "\n    null,\n    true,\n    2.5\n] {} \"q\\\"\" [\"a\", \"b\"]" },
    { "if elif else",
      "{% if cookiecutter.x == 'n' %}A{% elif cookiecutter.x == 'y' %}B{% els"
      "e %}C{% endif %}{% if false %}D{% else %}E{% endif %}{% if 0 %}F{% end"
      "if %}",
      "BE" },
    { "for with loop vars",
      "{% for i in cookiecutter.lst %}{{ loop.index }}{{ loop.index0 }}{{ loo"
      "p.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ i }};{"
      "% endfor %}",
      "10TrueFalse22a;21FalseTrue21b;" },
    { "for else and filter",
      "{% for i in [] %}x{% else %}empty{% endfor %}|{% for i in range(6) if "
      "i is even %}{{ i }}{{ loop.last }}{% endfor %}",
      "empty|0False2False4True" },
    { "for over dict, items and string",
      "{% for k in cookiecutter.d %}{{ k }}{% endfor %}|{% for k, v in cookie"
      "cutter.d.items() %}{{ k }}={{ v }},{% endfor %}|{% for c in 'ab' %}[{{"
      " c }}]{% endfor %}",
      "kj|k=v,j=w,|[a][b]" },
    { "set and scoping",
      "{% set a = 'top' %}{% for i in [1, 2] %}{% set a = i %}{{ a }}{% endfo"
      "r %}{{ a }}{% set p, q = 1, 2 %}{{ p }}{{ q }}",
      "12top12" },
    { "set block",
      "{% set v %}in {{ 1 + 1 }}{% endset %}[{{ v }}]{% set w | upper %}shout"
      "{% endset %}{{ w }}",
      "[in 2]SHOUT" },
    { "tests",
      "{{ cookiecutter.missing is defined }} {{ cookiecutter.x is defined }} "
      "{{ cookiecutter.missing is undefined }} {{ cookiecutter.nul is none }}"
      " {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 'a' is string }} {{ 1 is n"
      "umber }} {{ cookiecutter.x is not none }}",
      "False True True True True True True True True" },
    { "slices",
      "{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[-2:] }} {{ 'abcde"
      "f'[:-4] }} {{ [1, 2, 3, 4][1::2] }} {{ 'h\303\251llo'[1:3] }}",
      "bc fedcba ef ab [2, 4] \303\251l" },
    { "comments",
      "a{# comment #}b{# multi\nline #}c",
      "abc" },
    { "raw",
      "{% raw %}{{ x }}{% if %}{# c #}{% endraw %}",
      "{{ x }}{% if %}{# c #}" },
    { "whitespace control",
      "a  {{- 'b' -}}  c\n  {%- if true -%}\n  d\n  {%- endif %}\n{#- x -#}  "
      "e",
      "abcde" },
    { "whitespace control on raw",
      "x   {%- raw -%}  r  {%- endraw -%}   y",
      "xry" },
    { "whitespace control strips unicode spaces",
      "a\302\240\342\200\203 {{- 'b' }}",
      "ab" },
    { "trailing newline kept",
      "line\n{% if true %}x{% endif %}\n",
      "line\nx\n" },
    { "crlf normalised",
      "a\r\nb{{ 'c' }}\r\n",
      "a\nbc\n" },
    { "braces inside expressions",
      "{{ {'a': {'b': 1}}['a']['b'] }} {{ [[1], [2]][1][0] }}",
      "1 2" },
    { "globals",
      "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ random_ascii_string(8"
      ")|length }} {{ uuid4()|length }} {{ dict(a=1) }}",
      "[0, 1, 2] [1, 3, 5] 8 36 {'a': 1}" },
    { "dict get keys values",
      "{{ cookiecutter.d.get('k') }} {{ cookiecutter.d.get('zz', 'none') }} {"
      "{ cookiecutter.d.keys()|list }} {{ cookiecutter.d.values()|list }}",
      "v none ['k', 'j'] ['v', 'w']" },
    { "repr of quotes in lists",
      "{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}",
      "[\"it's\", 'say \"hi\"', 'both \\' \"']" },
    { "wordcount center indent",
      "{{ 'one two  three-four'|wordcount }} [{{ 'ab'|center(7) }}] {{ 'a\nb"
      "\n\nc'|indent(2, true) }}|{{ 'a\n\nc\n'|indent(2, blank=true) }}",
      "4 [   ab  ]   a\n  b\n\n  c|a\n  \n  c\n  " },
    { "round sort unique min max sum",
      "{{ 2.5|round }} {{ 2.675|round(2) }} {{ 1.25|round(1, 'floor') }} {{ ["
      "'b', 'A', 'c']|sort }} {{ ['a', 'A', 'b']|unique|list }} {{ ['b', 'A']"
      "|min }} {{ [4, 9]|max }} {{ [1, 2.5]|sum }}",
      "2.0 2.67 1.2 ['A', 'b', 'c'] ['a', 'b'] A 9 3.5" },
    { "urlencode",
      "{{ 'a b/c?d=\303\251'|urlencode }} {{ {'k': 'v w', 'x': '&'}|urlencode"
      " }}",
      "a%20b/c%3Fd%3D%C3%A9 k=v+w&x=%26" },
    { "percent formatting and format",
      "{{ '%s-%s'|format('a', 1) }} {{ '%(n)s!'|format(n='x') }} {{ '%05.2f|%"
      "d|%x|%r|%%' % (3.14159, 42.9, 255, 'q') }} {{ '{} and {}'.format('a', "
      "'b') }} {{ '{1}{0}'.format('a', 'b') }} {{ '{n}{{x}}'.format(n=1) }}",
      "a-1 x! 03.14|42|ff|'q'|% a and b ba 1{x}" },
    { "with, filter blocks, previtem nextitem",
      "{% set a = 'o' %}{% with a = 'i', b = a %}{{ a }}{{ b }}{% endwith %}{"
      "{ a }} {% filter upper %}up {{ cookiecutter.x }}{% endfilter %} {% for"
      " i in [1, 2] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|defaul"
      "t('-') }}{% endfor %}",
      "ioo UP Y -21-" },
    { "unicode case",
      "{{ '\316\243\316\212\316\243\316\245\316\246\316\237\316\243'|lower }}"
      " {{ '\320\277\321\200\320\270\320\262\320\265\321\202 \320\274\320\270"
      "\321\200'|upper }} {{ '\303\277'|upper }}",
      "\317\203\316\257\317\203\317\205\317\206\316\277\317\202 \320\237\320"
      "\240\320\230\320\222\320\225\320\242 \320\234\320\230\320\240 "
      "\305\270" },
};


/* template, the line the error is on, a piece of the message */
static const struct {
    const char  *src;
    int          line;
    const char  *msg;
} errors[] = {
    { "{{ cookiecutter.nope }}", 1, "has no attribute 'nope'" },
    { "a\nb\n{{ cookiecutter.nope.deeper }}", 3, "no attribute 'nope'" },
    { "{{ undefined_name }}", 1, "'undefined_name' is undefined" },
    { "\n{{ x|no_such_filter }}", 2, "No filter named 'no_such_filter'" },
    { "{{ cookiecutter.x|no_such_filter }}", 1, "no_such_filter" },
    { "{% if true %}\nopen", 2, "'elif' or 'else' or 'endif'" },
    { "{% for x in [1] %}\n\nopen", 3, "endfor" },
    { "{% endif %}", 1, "unknown tag 'endif'" },
    { "{% macro m() %}{% endmacro %}", 1, "unknown tag 'macro'" },
    { "{{ x", 1, "unexpected end of template" },
    { "{%", 1, "unexpected end of template" },
    { "{# open", 1, "Missing end of comment tag" },
    { "{% raw %} open", 1, "Missing end of raw directive" },
    { "{{ 1 + }}", 1, "expected an expression" },
    { "{{ }}", 1, "expected an expression" },
    { "{{ (1 }}", 1, "unexpected '}'" },
    { "{{ [1, }}", 1, "unexpected '}'" },
    { "{{ 'open }}", 1, "unexpected char" },
    { "{{ '\\x4' }}", 1, "truncated" },
    { "{{ x|}}", 1, "expected a name" },
    { "{% set %}", 1, "expected a name" },
    { "{% set x = %}", 1, "expected an expression" },
    { "{% for in x %}{% endfor %}", 1, "expected 'in'" },
    { "{% if %}{% endif %}", 1, "expected an expression" },
    { "{{ 'a' + 1 }}", 1, "unsupported operand" },
    { "{{ 1 / 0 }}", 1, "division by zero" },
    { "{{ 1 < 'a' }}", 1, "not supported" },
    { "{{ cookiecutter.lst|first|first|first + 1 }}", 1, "unsupported" },
    { "{{ [][0] }}", 1, "no attribute" },
    { "{{ false if false }}", 1, "no else section" },
    { "{{ 5 in 5 }}", 1, "not iterable" },
    { "{% for x in 5 %}{% endfor %}", 1, "not iterable" },
    { "{{ cookiecutter.x() }}", 1, "not callable" },
    { "{{ nothing() }}", 1, "'nothing' is undefined" },
    { "{% if false %}{{ 1|no_such_filter }}{% endif %}", 1,
      "No filter named 'no_such_filter'" },
    { "{{ 1 is no_such_test }}", 1, "No test named 'no_such_test'" },
    { "{{ 'a'.nope() }}", 1, "has no attribute 'nope'" },
    { "{{ ) }}", 1, "unexpected ')'" },
    { "a\n{% include 'nowhere.txt' %}", 2, "TemplateNotFound: nowhere.txt" },
    { "{% include %}", 1, "expected an expression" },
};


static json_t *
load_ctx(void)
{
    json_error_t  je;

    return json_loads(ctx_json, 0, &je);
}


static void
test_cases(json_t *ctx)
{
    char         *out;
    size_t        i, len;
    djass_err_t   err;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        out = djass_render_string(cases[i].src, strlen(cases[i].src), ctx,
                                  "case", &len, &err);
        is_str(out, cases[i].want, "%s: same output as Jinja2",
               cases[i].what);
        if (out == NULL) {
            printf("#     error: %s:%d: %s\n", err.file, err.line, err.msg);
        }
        free(out);
    }
}


static void
test_errors(json_t *ctx)
{
    char         *out;
    size_t        i, len;
    djass_err_t   err;

    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        memset(&err, 0, sizeof(err));
        out = djass_render_string(errors[i].src, strlen(errors[i].src), ctx,
                                  "bad.txt", &len, &err);
        ok(out == NULL && err.line == errors[i].line
           && strstr(err.msg, errors[i].msg) != NULL
           && strcmp(err.file, "bad.txt") == 0,
           "error %zu fails cleanly as bad.txt:%d: ...%s...", i,
           errors[i].line, errors[i].msg);
        if (out != NULL || err.line != errors[i].line
            || strstr(err.msg, errors[i].msg) == NULL)
        {
            printf("#     got: %s:%d: %s\n", err.file, err.line, err.msg);
        }
        free(out);
    }
}


static void
test_include_missing(json_t *ctx)
{
    char         *out;
    size_t        len;
    djass_err_t   err;
    const char   *src = "a{% include 'x.txt' ignore missing %}b";

    out = djass_render_string(src, strlen(src), ctx, "inc", &len, &err);
    is_str(out, "ab", "{%% include ... ignore missing %%} of a missing "
           "template renders nothing");
    free(out);
}


static void
test_now(json_t *ctx)
{
    char        *out, want[64];
    size_t       len;
    time_t       t;
    struct tm    tm;
    djass_err_t  err;
    const char  *src = "{% now 'utc', '%Y' %}|{% now 'utc' %}";

    t = time(NULL);
    gmtime_r(&t, &tm);
    strftime(want, sizeof(want), "%Y|%Y-%m-%d", &tm);

    out = djass_render_string(src, strlen(src), ctx, "now", &len, &err);
    is_str(out, want, "{%% now 'utc' %%} gives the UTC date, default "
           "format %%Y-%%m-%%d");
    free(out);
}


/* deep nesting is refused, not a stack overflow */
static void
test_depth(json_t *ctx)
{
    int          i;
    char        *out;
    size_t       len;
    char         src[8192 + 64];
    djass_err_t  err;

    strcpy(src, "{{ ");
    for (i = 0; i < 2000; i++) {
        strcat(src, "(");
    }
    strcat(src, "1");
    for (i = 0; i < 2000; i++) {
        strcat(src, ")");
    }
    strcat(src, " }}");
    out = djass_render_string(src, strlen(src), ctx, "deep", &len, &err);
    ok(out == NULL && strstr(err.msg, "too deeply") != NULL,
       "2000 nested parentheses fail cleanly (%s)", err.msg);
    free(out);

    src[0] = '\0';
    for (i = 0; i < 200; i++) {
        strcat(src, "{% if 1 %}");
    }
    out = djass_render_string(src, strlen(src), ctx, "deep", &len, &err);
    ok(out == NULL, "200 nested if blocks fail cleanly (%s)", err.msg);
    free(out);
}


/* random token soup: every template either renders or fails cleanly */
static void
test_fuzz(json_t *ctx)
{
    int           i, k, n, fails;
    char          src[512], *out;
    size_t        len;
    unsigned int  seed;
    djass_err_t   err;
    static const char  *pieces[] = {
        "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", " ", "\n", "if", "for",
        "endif", "endfor", "else", "elif", "in", "x", "cookiecutter", ".",
        "lst", "name", "|", "upper", "(", ")", "[", "]", "'s'", "\"", "'",
        "1", "2.5", ",", "=", "set", "raw", "endraw", "not", "and", "~",
        "loop", "index", ":", "{", "}", "\\", "is", "defined", "default",
        "now", "'utc'", "slugify", "jsonify", "replace", "join", "*", "/",
        "sum", "sort", "indent", "round", "format", "wordcount", "center",
        "unique", "min", "max", "items", "urlencode", "%", "with", "endwith",
        "filter", "endfilter", "include", "ignore", "missing", "'%s'",
        "cycle", "previtem", "[1, 'a']", "{'k': 2}", "range(3)", "-3",
    };

    seed = 12345;
    fails = 0;
    for (i = 0; i < 6000; i++) {
        src[0] = '\0';
        n = 1 + (int) ((seed = seed * 1103515245 + 12345) >> 16) % 24;
        for (k = 0; k < n; k++) {
            seed = seed * 1103515245 + 12345;
            strcat(src, pieces[(seed >> 16)
                               % (sizeof(pieces) / sizeof(pieces[0]))]);
        }
        memset(&err, 0, sizeof(err));
        out = djass_render_string(src, strlen(src), ctx, "fuzz", &len, &err);
        if (out == NULL && err.msg[0] == '\0') {
            fails++;
        }
        free(out);
    }

    ok(fails == 0, "6000 random templates render or fail with a message");
}


int
main(void)
{
    json_t  *ctx;

    ctx = load_ctx();
    ok(ctx != NULL, "the test context parses");

    test_cases(ctx);
    test_errors(ctx);
    test_now(ctx);
    test_include_missing(ctx);
    test_depth(ctx);
    test_fuzz(ctx);

    json_decref(ctx);
    return done_testing();
}
