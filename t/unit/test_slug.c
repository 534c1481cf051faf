/*
 * djass_slugify against python-slugify (the version cookiecutter's
 * `slugify` filter uses, pinned in t/requirements.txt): the expected
 * slugs are what it returns for the same input.
 */

#include <string.h>

#include "djass_slug.h"
#include "tap.h"


static const struct {
    const char  *in;
    const char  *want;
} cases[] = {
    { "Hello World", "hello-world" },
    { "  --Hello__World--  ", "hello-world" },
    { "Crème Brûlée", "creme-brulee" },
    { "Zürich Straße & Co's", "zurich-strasse-co-s" },
    { "It's 1,000 things", "it-s-1000-things" },
    { "Привет, мир!", "privet-mir" },
    { "Ελληνικά Σοφία", "ellenika-sophia" },
    { "Æsir Øre Þór ßtraße", "aesir-ore-thor-sstrasse" },
    { "Łódź Ğüş", "lodz-gus" },
    { "ĳssel Œuvre", "ijssel-oeuvre" },
    { "a&amp;b &lt;c&gt;", "a-b-c" },
    { "x&#65;y", "xay" },
    { "", "" },
    { "---", "" },
    { "100% sure", "100-sure" },
    { "C++ & C#", "c-c" },
    { "don't stop", "don-t-stop" },
    { "½ price ©2024", "1-2-price-c-2024" },
    { "ÀÁÂÃÄÅ àáâãäå ÇçÑñ", "aaaaaa-aaaaaa-ccnn" },
    { "Ђорђе Љубо Џеп", "djordje-ljubo-dzhep" },
    { "ΑΒΓΔΕΖΗΘΙΚΛΜ" "ΝΞΟΠΡΣΤΥΦΧΨΩ",
      "abgdezethiklmnksoprstuphkhpso" },
    { "tab\tand\fform feed", "tab-and-form-feed" },
    { "My Awesome Project", "my-awesome-project" },
};


int
main(void)
{
    char    out[256], small[6];
    size_t  i, n;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = djass_slugify(cases[i].in, strlen(cases[i].in), out, sizeof(out));
        is_str(out, cases[i].want, "slugify('%s') as python-slugify",
               cases[i].in);
        ok(n == strlen(cases[i].want), "slugify('%s') returns its length",
           cases[i].in);
    }

    n = djass_slugify("Hello World", 11, small, sizeof(small));
    ok(n == 5 && strcmp(small, "hello") == 0,
       "a small buffer gets at most outsize-1 bytes and a NUL");

    n = djass_slugify("\xff\xfe broken \xc3", 11, out, sizeof(out));
    ok(strcmp(out, "broken") == 0, "invalid UTF-8 becomes separators");

    return done_testing();
}
