/*
 * The server's slugify (lib/djass_slug.c) for the generator page's live
 * preview of project_slug.
 *
 * window.DjassSlug.slugify(s), window.DjassSlug.projectSlug(s)
 */
(function () {
    'use strict';

    /* --- slugify, as the server's lib/djass_slug.c ------------------- */

    var LATIN = (' |!|C/|PS|$?|Y=|||SS| |(c)|a|<<|!||(r)| |deg|+-|2|3| |m|P|*|'
        + ' |1|o|>>|1/4|1/2|3/4|?|A|A|A|A|A|A|AE|C|E|E|E|E|I|I|I|I|D|N|O|O|O|'
        + 'O|O|x|O|U|U|U|U|Y|Th|ss|a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|'
        + 'o|o|/|o|u|u|u|u|y|th|y|A|a|A|a|A|a|C|c|C|c|C|c|C|c|D|d|D|d|E|e|E|e|'
        + 'E|e|E|e|E|e|G|g|G|g|G|g|G|g|H|h|H|h|I|i|I|i|I|i|I|i|I|i|IJ|ij|J|j|K|'
        + 'k|k|L|l|L|l|L|l|L*|l*|L|l|N|n|N|n|N|n|\'n|NG|ng|O|o|O|o|O|o|OE|oe|R|'
        + 'r|R|r|R|r|S|s|S|s|S|s|S|s|T|t|T|t|T|t|U|u|U|u|U|u|U|u|U|u|U|u|W|w|'
        + 'Y|y|Y|Z|z|Z|z|Z|z|s').split('|');
    var GREEK = ('A| |E|E|I| |O| |U|O|i|A|B|G|D|E|Z|E|Th|I|K|L|M|N|Ks|O|P|R| |'
        + 'S|T|U|Ph|Kh|Ps|O|I|U|a|e|e|i|u|a|b|g|d|e|z|e|th|i|k|l|m|n|x|o|p|r|'
        + 's|s|t|u|ph|kh|ps|o|i|u|o|u|o').split('|');
    var CYRILLIC = ('E|E|Dj|G|E|Dz|I|I|J|Lj|Nj|Tsh|K|I|U|Dzh|A|B|V|G|D|E|Zh|Z|'
        + 'I|I|K|L|M|N|O|P|R|S|T|U|F|Kh|Ts|Ch|Sh|Shch|\'|Y|\'|E|Iu|Ia|a|b|v|g|'
        + 'd|e|zh|z|i|i|k|l|m|n|o|p|r|s|t|u|f|kh|ts|ch|sh|shch|\'|y|\'|e|iu|ia|'
        + 'e|e|dj|g|ie|dz|i|i|j|lj|nj|tsh|k|i|u|dzh').split('|');
    /* U+00A6 is "|" itself: the split above cannot hold it */
    LATIN.splice(6, 2, '|');

    function translit(cp) {
        if (cp >= 0xa0 && cp <= 0x17f) { return LATIN[cp - 0xa0]; }
        if (cp >= 0x386 && cp <= 0x3ce) { return GREEK[cp - 0x386]; }
        if (cp >= 0x400 && cp <= 0x45f) { return CYRILLIC[cp - 0x400]; }
        if (cp >= 0x300 && cp <= 0x36f) { return ''; }
        return ' ';
    }

    var ENTITIES = { amp: 38, lt: 60, gt: 62, quot: 34, nbsp: 0xa0,
                     copy: 0xa9, reg: 0xae };

    function entityAt(s, i) {
        var m = /^&(?:#x([0-9a-fA-F]{1,9})|#([0-9]{1,9})|(amp|lt|gt|quot|nbsp|copy|reg));/
            .exec(s.slice(i, i + 16));
        var cp;
        if (!m) { return null; }
        cp = m[1] ? parseInt(m[1], 16) : m[2] ? parseInt(m[2], 10)
             : ENTITIES[m[3]];
        if (cp > 0x10ffff) { return null; }
        return { cp: cp, len: m[0].length };
    }

    function slugify(input) {
        var a = '';
        var out = '';
        var i, c, ent, ch;
        for (ch of String(input)) {
            var cp = ch.codePointAt(0);
            if (cp < 0x80) {
                a += ch === '\'' ? '-' : ch;
            } else {
                a += translit(cp);
            }
        }
        for (i = 0; i < a.length; i++) {
            c = a[i];
            if (c === '&' && (ent = entityAt(a, i))) {
                i += ent.len - 1;
                c = ent.cp < 0x80 ? String.fromCharCode(ent.cp) : ' ';
            }
            if (c === '\'') { continue; }
            if (c === ',' && /[0-9]$/.test(out) && /[0-9]/.test(a[i + 1] || '')) {
                continue;
            }
            if (!/[A-Za-z0-9]/.test(c)) {
                c = '-';
            } else {
                c = c.toLowerCase();
            }
            if (c === '-' && (out === '' || out.slice(-1) === '-')) {
                continue;
            }
            out += c;
        }
        return out.replace(/-+$/, '');
    }

    /* the server's normalisation of project_slug: slugify, then - -> _ */
    function projectSlug(s) { return slugify(s).replace(/-/g, '_'); }

    window.DjassSlug = { slugify: slugify, projectSlug: projectSlug };
}());
