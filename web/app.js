/*
 * The Djass generator page: plain JavaScript, no build step, no inline
 * code (the page runs under a Content-Security-Policy without
 * 'unsafe-inline').  Everything it knows about the template comes from
 * GET /project-options; the server's answers are the truth, the checks
 * here only preview them.
 */
(function () {
    'use strict';

    var doc = document;
    var root = doc.documentElement;
    var KEY_STORE = 'djass.api_key';
    var POLL_FIRST = 500;
    var POLL_MAX = 5000;

    /* the API base: <html data-api-base="...">, relative to the page */
    var apiBase = new URL(root.getAttribute('data-api-base') || 'api/v1/',
                          doc.baseURI);
    if (apiBase.pathname.slice(-1) !== '/') {
        apiBase.pathname += '/';
    }

    function $(id) { return doc.getElementById(id); }

    function el(tag, attrs, text) {
        var e = doc.createElement(tag);
        var k;
        for (k in attrs || {}) {
            if (Object.prototype.hasOwnProperty.call(attrs, k)) {
                e.setAttribute(k, attrs[k]);
            }
        }
        if (text !== undefined && text !== null) {
            e.textContent = text;
        }
        return e;
    }

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

    /* --- the API ------------------------------------------------------- */

    function apiKey() { return $('f-api_key').value.trim(); }

    function request(method, path, body, binary) {
        var headers = { 'Accept': binary ? 'application/zip'
                                         : 'application/json' };
        var key = apiKey();
        var init = { method: method, headers: headers, cache: 'no-store',
                     credentials: 'same-origin', redirect: 'error' };
        if (key) { headers['X-API-Key'] = key; }
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        return fetch(new URL(path, apiBase).href, init).then(function (res) {
            var type = res.headers.get('Content-Type') || '';
            if (res.ok && binary) {
                return res.blob().then(function (b) {
                    return { ok: true, status: res.status, blob: b,
                             headers: res.headers };
                });
            }
            if (type.indexOf('application/json') !== 0) {
                return { ok: false, status: res.status, error: {
                    message: 'The server answered HTTP ' + res.status
                             + ' without an explanation.', details: {} } };
            }
            return res.json().then(function (data) {
                if (res.ok) {
                    return { ok: true, status: res.status, data: data };
                }
                var e = (data && data.error) || {};
                return { ok: false, status: res.status, error: {
                    code: e.code, retryable: !!e.retryable,
                    message: e.message || 'HTTP ' + res.status,
                    details: e.details || {} } };
            });
        }, function () {
            return { ok: false, status: 0, error: { retryable: true,
                message: 'The server could not be reached.', details: {} } };
        });
    }

    /* --- messages ------------------------------------------------------ */

    function showBanner(node, text) {
        node.textContent = text;
        node.hidden = !text;
    }

    function clearFieldErrors() {
        var nodes = doc.querySelectorAll('#generator .field-error');
        var i, c;
        for (i = 0; i < nodes.length; i++) {
            nodes[i].textContent = '';
            nodes[i].hidden = true;
        }
        nodes = doc.querySelectorAll('#generator [aria-invalid]');
        for (i = 0; i < nodes.length; i++) {
            nodes[i].removeAttribute('aria-invalid');
        }
        showBanner($('top-error'), '');
        c = $('result-error');
        showBanner(c, '');
    }

    function fieldError(name, text) {
        var form = $('generator');
        var control = form.elements.namedItem(name);
        var msg = $('err-' + name);
        if (!control || !msg || control.length) { return null; }
        msg.textContent = text;
        msg.hidden = false;
        control.setAttribute('aria-invalid', 'true');
        return control;
    }

    /* an error envelope: next to details.field when there is such a
       control, else at the top */
    function showError(err) {
        var d = err.details || {};
        var control = d.field ? fieldError(d.field, err.message) : null;
        var marked = [];
        if (!control) {
            (d.invalid_flags || []).concat(d.unknown || [],
                                           d.invalid_choices || [])
                .forEach(function (k) {
                    var c = fieldError(k, 'Refused by the server: '
                                          + err.message);
                    if (c) { marked.push(c); }
                });
            showBanner($('top-error'), err.message);
            if (err.code === 'auth_required'
                || err.code === 'insufficient_scope')
            {
                $('f-api_key').setAttribute('aria-invalid', 'true');
                control = $('f-api_key');
            } else {
                control = marked[0] || null;
            }
        }
        if (control) { control.focus(); }
    }

    /* --- the catalog ---------------------------------------------------- */

    var LABELS = {
        project_name: 'Project name',
        project_slug: 'Slug',
        caprover_app_name: 'CapRover app name',
        project_description: 'Description',
        repo_url: 'Repository URL',
        author_name: 'Author name',
        author_email: 'Author email',
        author_url: 'Author URL',
        project_main_color: 'Main colour'
    };

    function humanize(key) {
        var s = key.replace(/_/g, ' ');
        return s.charAt(0).toUpperCase() + s.slice(1);
    }

    function isTemplate(v) {
        return typeof v === 'string' && v.indexOf('{') !== -1
               && /\{\{|\{%/.test(v);
    }

    /* one labelled control for an option; flags are checkboxes */
    function control(key, def, label, description) {
        var wrap = el('div', { 'class': 'field' });
        var id = 'f-' + key;
        var describedBy = [];
        var input, i;
        if (def === 'y' || def === 'n') {
            wrap.className = 'field check';
            input = el('input', { type: 'checkbox', id: id, name: key,
                                  value: 'y' });
            input.checked = def === 'y';
            input.defaultChecked = input.checked;
            wrap.appendChild(input);
            wrap.appendChild(el('label', { 'for': id }, label));
        } else if (Array.isArray(def)) {
            wrap.appendChild(el('label', { 'for': id }, label));
            input = el('select', { id: id, name: key });
            for (i = 0; i < def.length; i++) {
                input.appendChild(el('option', {}, String(def[i])));
            }
            wrap.appendChild(input);
        } else {
            wrap.appendChild(el('label', { 'for': id }, label));
            input = el('input', { id: id, name: key, spellcheck: 'false',
                                  type: /_email$/.test(key) ? 'email'
                                        : /_url$/.test(key) ? 'url'
                                        : 'text' });
            if (isTemplate(def)) {
                input.placeholder = 'derived by the server';
            } else if (def !== undefined && def !== null) {
                input.value = String(def);
                input.defaultValue = input.value;
                if (def === '') {
                    input.placeholder = 'filled in by the server';
                }
            }
            wrap.appendChild(input);
        }
        if (description) {
            wrap.appendChild(el('p', { 'class': 'hint', id: 'h-' + key },
                                description));
            describedBy.push('h-' + key);
        }
        if (key === 'project_slug') {
            wrap.appendChild(el('p', { 'class': 'hint preview',
                                       id: 'slug-preview',
                                       'aria-live': 'polite' }));
            describedBy.push('slug-preview');
        }
        wrap.appendChild(el('p', { 'class': 'field-error', id: 'err-' + key,
                                   hidden: '' }));
        describedBy.push('err-' + key);
        input.setAttribute('aria-describedby', describedBy.join(' '));
        return wrap;
    }

    function buildForm(catalog) {
        var defaults = catalog.defaults || {};
        var groups = catalog.groups || [];
        var inGroups = {};
        var ident = $('identity-fields');
        var box = $('groups');
        groups.forEach(function (g) {
            (g.options || []).forEach(function (o) { inGroups[o.key] = 1; });
        });
        ident.textContent = '';
        Object.keys(defaults).forEach(function (k) {
            if (inGroups[k] || k.charAt(0) === '_') { return; }
            ident.appendChild(control(k, defaults[k], LABELS[k] || humanize(k),
                                      k === 'project_slug'
                                      ? 'Leave empty to derive it from the'
                                        + ' project name.' : null));
        });
        box.textContent = '';
        groups.forEach(function (g) {
            var fs = el('fieldset', { 'class': 'card group',
                                      'data-group': g.key });
            var list = el('div', { 'class': 'fields' });
            fs.appendChild(el('legend', {}, g.label || humanize(g.key)));
            (g.options || []).forEach(function (o) {
                var def = o.default !== undefined ? o.default
                          : defaults[o.key];
                if (o.choices) { def = o.choices; }
                list.appendChild(control(o.key, def,
                                         o.label || humanize(o.key),
                                         o.description));
            });
            fs.appendChild(list);
            box.appendChild(fs);
        });
        box.removeAttribute('aria-busy');
        $('create').disabled = false;
        updatePreview();
    }

    function updatePreview() {
        var p = $('slug-preview');
        var form = $('generator');
        var slug = form.elements.namedItem('project_slug');
        var name = form.elements.namedItem('project_name');
        var src, s;
        if (!p) { return; }
        src = slug && slug.value !== '' ? slug.value
              : name ? name.value : '';
        s = projectSlug(src);
        p.textContent = s
            ? 'The server will use the slug: ' + s
            : 'No letters or numbers: the server will refuse this slug.';
        p.classList.toggle('warn', !s);
    }

    function loadCatalog() {
        request('GET', 'project-options').then(function (res) {
            if (!res.ok) {
                $('groups').textContent = '';
                showBanner($('top-error'), 'The options could not be loaded: '
                           + res.error.message);
                return;
            }
            buildForm(res.data);
        });
    }

    /* --- create and follow a project ---------------------------------- */

    var tracking = 0;
    var blobUrls = [];

    function payload() {
        var form = $('generator');
        var body = {};
        var i, c;
        for (i = 0; i < form.elements.length; i++) {
            c = form.elements[i];
            if (!c.name || c.name === 'api_key' || c.disabled) { continue; }
            if (c.type === 'checkbox') {
                body[c.name] = c.checked ? 'y' : 'n';
            } else if (c.value !== '') {
                body[c.name] = c.value;
            }
        }
        return body;
    }

    function filenameOf(headers, fallback) {
        var cd = headers.get('Content-Disposition') || '';
        var m = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
        if (m) {
            try { return decodeURIComponent(m[1]); } catch (e) { /* next */ }
        }
        m = /filename\s*=\s*"([^"]*)"/i.exec(cd)
            || /filename\s*=\s*([^;]+)/i.exec(cd);
        return m ? m[1].trim() : fallback;
    }

    function sizeText(n) {
        return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB'
               : Math.max(1, Math.round(n / 1024)) + ' KB';
    }

    /* the ZIP through an authenticated fetch, as an a[download] */
    function downloadLink(id, slug) {
        return request('GET', 'projects/' + encodeURIComponent(id)
                       + '/download', undefined, true).then(function (res) {
            var a, url, name;
            if (!res.ok) { return res; }
            url = URL.createObjectURL(res.blob);
            blobUrls.push(url);
            name = filenameOf(res.headers, (slug || 'project-' + id) + '.zip');
            a = el('a', { href: url, download: name, 'class': 'button' },
                   'Download ' + name);
            a.appendChild(el('span', { 'class': 'size' },
                             ' (' + sizeText(res.blob.size) + ')'));
            return { ok: true, link: a };
        });
    }

    function showSteps(status) {
        var order = ['queued', 'generating', 'ready'];
        var at = order.indexOf(status);
        var items = doc.querySelectorAll('#steps li');
        var i, step;
        for (i = 0; i < items.length; i++) {
            step = order.indexOf(items[i].getAttribute('data-step'));
            items[i].className = status === 'failed' && step === at + 1
                                 ? 'failed'
                                 : step < at || status === 'ready'
                                 && step === at ? 'done'
                                 : step === at ? 'current' : '';
            if (step === at && status !== 'ready') {
                items[i].setAttribute('aria-current', 'step');
            } else {
                items[i].removeAttribute('aria-current');
            }
        }
        $('steps').classList.toggle('is-failed', status === 'failed');
    }

    var STATUS_TEXT = {
        queued: 'is queued',
        generating: 'is being generated…',
        ready: 'is ready.',
        failed: 'failed.'
    };

    function follow(project) {
        var token = ++tracking;
        var delay = POLL_FIRST;
        var last = '';
        var label = 'Project “' + project.name + '” (' + project.slug + ')';
        var box = $('result-download');

        box.textContent = '';
        box.hidden = true;

        function update(st) {
            if (st.status === last) { return; }
            last = st.status;
            showSteps(st.status);
            $('status-text').textContent = label + ' '
                + (STATUS_TEXT[st.status] || st.status);
            if (st.status === 'failed') {
                showBanner($('result-error'), 'Generation failed: '
                           + (st.error_message || 'no reason given'));
            }
        }

        function done(st) {
            loadList();
            if (st.status !== 'ready') { return; }
            downloadLink(project.id, project.slug).then(function (res) {
                if (token !== tracking) { return; }
                if (!res.ok) {
                    showBanner($('result-error'), 'The download failed: '
                               + res.error.message);
                    return;
                }
                box.appendChild(res.link);
                box.hidden = false;
            });
        }

        function poll() {
            request('GET', 'projects/' + encodeURIComponent(project.id)
                    + '/status').then(function (res) {
                if (token !== tracking) { return; }
                if (!res.ok && !res.error.retryable) {
                    showBanner($('result-error'), res.error.message);
                    return;
                }
                if (res.ok) {
                    update(res.data);
                    if (res.data.status === 'ready'
                        || res.data.status === 'failed')
                    {
                        done(res.data);
                        return;
                    }
                }
                setTimeout(poll, delay);
                delay = Math.min(delay * 2, POLL_MAX);
            });
        }

        update(project);
        if (project.status === 'ready' || project.status === 'failed') {
            done(project);
        } else {
            setTimeout(poll, delay);
            delay = Math.min(delay * 2, POLL_MAX);
        }
    }

    function onSubmit(ev) {
        var button = $('create');
        ev.preventDefault();
        clearFieldErrors();
        if (button.disabled) { return; }
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        request('POST', 'projects', payload()).then(function (res) {
            button.disabled = false;
            button.removeAttribute('aria-busy');
            if (!res.ok) {
                showError(res.error);
                return;
            }
            $('result').hidden = false;
            $('result-title').focus();
            follow(res.data.project);
            loadList();
        });
    }

    /* --- your projects -------------------------------------------------- */

    var list = { offset: 0, seq: 0 };

    function when(t) {
        return t ? String(t).replace('T', ' ').replace(/:\d\dZ$/, ' UTC')
                 : '';
    }

    function listRow(p) {
        var tr = el('tr', { 'data-id': String(p.id) });
        var name = el('td');
        var st = el('td');
        var dl = el('td');
        var b;
        name.appendChild(el('span', { 'class': 'name' }, p.name));
        name.appendChild(el('span', { 'class': 'hint' },
                            ' #' + p.id + ' · ' + p.slug));
        st.appendChild(el('span', { 'class': 'badge ' + p.status },
                          p.status));
        if (p.status === 'failed' && p.error_message) {
            st.appendChild(el('span', { 'class': 'hint reason' },
                              ' ' + p.error_message));
        }
        tr.appendChild(name);
        tr.appendChild(st);
        tr.appendChild(el('td', {}).appendChild(
            el('time', { datetime: p.created_at }, when(p.created_at)))
            .parentNode);
        if (p.status === 'ready') {
            b = el('button', { type: 'button', 'class': 'small',
                               'aria-label': 'Download ' + p.name
                                             + ' (#' + p.id + ')' },
                   'Download');
            b.addEventListener('click', function () {
                b.disabled = true;
                downloadLink(p.id, p.slug).then(function (res) {
                    if (!res.ok) {
                        b.disabled = false;
                        showBanner($('list-error'), res.error.message);
                        return;
                    }
                    dl.replaceChild(res.link, b);
                    res.link.focus();
                });
            });
            dl.appendChild(b);
        }
        tr.appendChild(dl);
        return tr;
    }

    function loadList() {
        var status = $('l-status').value;
        var limit = parseInt($('l-limit').value, 10) || 10;
        var seq = ++list.seq;
        var q = 'projects?limit=' + limit + '&offset=' + list.offset
                + (status ? '&status=' + encodeURIComponent(status) : '');
        if (!apiKey()) {
            $('list-table').hidden = true;
            $('list-summary').textContent
                = 'Enter your API key to see your projects.';
            return;
        }
        request('GET', q).then(function (res) {
            var body = $('list-body');
            var d, first;
            if (seq !== list.seq) { return; }
            if (!res.ok) {
                showBanner($('list-error'), res.error.message);
                $('list-table').hidden = true;
                $('list-summary').textContent = '';
                $('l-prev').disabled = $('l-next').disabled = true;
                return;
            }
            showBanner($('list-error'), '');
            d = res.data;
            body.textContent = '';
            d.projects.forEach(function (p) { body.appendChild(listRow(p)); });
            $('list-table').hidden = d.projects.length === 0;
            first = d.projects.length ? d.offset + 1 : 0;
            $('list-summary').textContent = d.total === 0
                ? 'No projects' + (status ? ' ' + status : '') + ' yet.'
                : 'Projects ' + first + '–' + (d.offset + d.projects.length)
                  + ' of ' + d.total + (status ? ' (' + status + ')' : '')
                  + ', newest first.';
            $('l-page').textContent = d.total
                ? 'Page ' + (Math.floor(d.offset / d.limit) + 1) + ' of '
                  + Math.max(1, Math.ceil(d.total / d.limit)) : '';
            $('l-prev').disabled = d.offset === 0;
            $('l-next').disabled = !d.has_next;
        });
    }

    function page(dir) {
        var limit = parseInt($('l-limit').value, 10) || 10;
        var focusId = dir > 0 ? 'l-next' : 'l-prev';
        list.offset = Math.max(0, list.offset + dir * limit);
        loadList();
        /* keep keyboard focus on a usable pager button */
        setTimeout(function () {
            if ($(focusId).disabled) {
                $(dir > 0 ? 'l-prev' : 'l-next').focus();
            }
        }, 300);
    }

    /* --- start ---------------------------------------------------------- */

    function start() {
        var key = $('f-api_key');
        var stored = null;
        var form = $('generator');
        $('api-base').textContent = apiBase.href;
        root.setAttribute('data-page-size', root.getAttribute('data-page-size')
                                            || '10');
        if ($('l-limit').querySelector('option[value="'
                + root.getAttribute('data-page-size') + '"]'))
        {
            $('l-limit').value = root.getAttribute('data-page-size');
        }
        try { stored = sessionStorage.getItem(KEY_STORE); } catch (e) { }
        if (stored) { key.value = stored; }
        key.addEventListener('input', function () {
            try {
                if (key.value) {
                    sessionStorage.setItem(KEY_STORE, key.value);
                } else {
                    sessionStorage.removeItem(KEY_STORE);
                }
            } catch (e) { /* storage off: the key lives in the field */ }
        });
        key.addEventListener('change', function () {
            list.offset = 0;
            loadList();
        });
        form.addEventListener('input', function (ev) {
            var n = ev.target.name;
            if (n === 'project_name' || n === 'project_slug') {
                updatePreview();
            }
            if (ev.target.getAttribute('aria-invalid')) {
                ev.target.removeAttribute('aria-invalid');
            }
        });
        form.addEventListener('submit', onSubmit);
        $('list-form').addEventListener('submit', function (ev) {
            ev.preventDefault();
            loadList();
        });
        $('l-status').addEventListener('change', function () {
            list.offset = 0;
            loadList();
        });
        $('l-limit').addEventListener('change', function () {
            list.offset = 0;
            loadList();
        });
        $('l-prev').addEventListener('click', function () { page(-1); });
        $('l-next').addEventListener('click', function () { page(1); });
        window.addEventListener('pagehide', function () {
            blobUrls.forEach(function (u) { URL.revokeObjectURL(u); });
        });
        loadCatalog();
        loadList();
    }

    if (doc.readyState === 'loading') {
        doc.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
}());
