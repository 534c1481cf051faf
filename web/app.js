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
    var GUARD_POLL = 15000;

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

    var projectSlug = window.DjassSlug.projectSlug;

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
            catalog = res.data;
            if (list.projects) {
                drawRows();
            }
            buildForm(res.data);
            applyFragment();
            updateCommand();
        });
    }

    /* --- create and follow a project ---------------------------------- */

    var tracking = 0;
    var blobUrls = [];
    var catalog = null;

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
        return zipOf(id).then(function (res) {
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
        closeStream();
        var delay = POLL_FIRST;
        var last = '';
        var label = 'Project “' + project.name + '” (' + project.slug + ')';
        var box = $('result-download');

        var finished = false;
        var guard = null;

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
            if (finished) { return; }
            finished = true;
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
                box.appendChild(doc.createTextNode(' '));
                box.appendChild(exploreButton(project, $('result-error')));
                if (needsUpgrade(project)) {
                    box.appendChild(doc.createTextNode(' '));
                    box.appendChild(upgradeButton(project,
                                                  $('result-error')));
                }
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
            return;
        }
        streamStatus(project.id, token, function (st) {
            if (token !== tracking) { return; }
            update(st);
            if (st.status === 'ready' || st.status === 'failed') {
                done(st);
            }
        }, function () {
            if (token !== tracking || finished) { return; }
            clearInterval(guard);
            setTimeout(poll, delay);
            delay = Math.min(delay * 2, POLL_MAX);
        });
        /* a stream that stays open but misses the end must not leave the
           page waiting: one status request every 15 s while it is open */
        guard = setInterval(function () {
            if (token !== tracking || finished) {
                clearInterval(guard);
                return;
            }
            request('GET', 'projects/' + encodeURIComponent(project.id)
                    + '/status').then(function (res) {
                if (token !== tracking || finished || !res.ok) { return; }
                update(res.data);
                if (res.data.status === 'ready'
                    || res.data.status === 'failed')
                {
                    clearInterval(guard);
                    closeStream();
                    done(res.data);
                }
            });
        }, GUARD_POLL);
    }

    function onSubmit(ev) {
        var button = $('create');
        var sel = selection();
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
            $('result-note').textContent = '';
            $('result-title').focus();
            addHistory(res.data.project, sel);
            follow(res.data.project);
            loadList();
        });
    }

    /* --- your projects -------------------------------------------------- */

    /* projects: the rows shown, drawn again when the catalog arrives */
    var list = { offset: 0, seq: 0, projects: null };

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
            dl.appendChild(doc.createTextNode(' '));
            dl.appendChild(exploreButton(p, $('list-error')));
            if (needsUpgrade(p)) {
                dl.appendChild(doc.createTextNode(' '));
                dl.appendChild(upgradeButton(p, $('list-error')));
            }
        }
        tr.appendChild(dl);
        return tr;
    }

    /* the list's rows; Upgrade buttons need the catalog, which may come
       after the list */
    function drawRows() {
        var body = $('list-body');
        body.textContent = '';
        list.projects.forEach(function (p) { body.appendChild(listRow(p)); });
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
            list.projects = d.projects;
            drawRows();
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

    /* --- the selection: share link, command, favourites, history ------- */

    var FAV_STORE = 'djass.favourites';
    var HIST_STORE = 'djass.history';
    var VALUE_MAX = 2000;           /* characters of one shared value */
    var FRAGMENT_MAX = 16384;       /* characters of a share fragment */

    /* the generator's option controls (never the key) */
    function optionControls() {
        return Array.prototype.filter.call($('generator').elements,
            function (c) {
                return c.name && c.name !== 'api_key'
                       && (c.tagName === 'INPUT' || c.tagName === 'SELECT');
            });
    }

    function valueOf(c) {
        return c.type === 'checkbox' ? (c.checked ? 'y' : 'n') : c.value;
    }

    function defaultOf(c) {
        var i;
        if (c.type === 'checkbox') { return c.defaultChecked ? 'y' : 'n'; }
        if (c.tagName === 'SELECT') {
            for (i = 0; i < c.options.length; i++) {
                if (c.options[i].defaultSelected) { return c.options[i].value; }
            }
            return c.options.length ? c.options[0].value : '';
        }
        return c.defaultValue;
    }

    function setControl(c, v) {
        if (c.type === 'checkbox') {
            c.checked = v === 'y';
        } else {
            c.value = v;
        }
        c.removeAttribute('aria-invalid');
    }

    function validFor(c, v) {
        var i;
        if (typeof v !== 'string') { return false; }
        if (c.type === 'checkbox') { return v === 'y' || v === 'n'; }
        if (c.tagName === 'SELECT') {
            for (i = 0; i < c.options.length; i++) {
                if (c.options[i].value === v) { return true; }
            }
            return false;
        }
        return v.length <= VALUE_MAX && !/[\u0000-\u001f\u007f]/.test(v);
    }

    /* the options that differ from the defaults, in the form's order */
    function selection() {
        var s = {};
        optionControls().forEach(function (c) {
            var v = valueOf(c);
            if (v !== defaultOf(c)) { s[c.name] = v; }
        });
        return s;
    }

    /* s's values into the form (after the defaults when reset); answers
       what was refused */
    function applySelection(s, reset) {
        var by = {};
        var refused = [];
        optionControls().forEach(function (c) {
            by[c.name] = c;
            if (reset) { setControl(c, defaultOf(c)); }
        });
        Object.keys(s).forEach(function (k) {
            if (!Object.prototype.hasOwnProperty.call(by, k)) {
                refused.push('unknown option “' + k + '”');
            } else if (!validFor(by[k], s[k])) {
                refused.push('“' + String(s[k]).slice(0, 60) + '” is not a '
                             + 'valid value of ' + k);
            } else {
                setControl(by[k], s[k]);
            }
        });
        updatePreview();
        return refused;
    }

    function enc(s) {
        return encodeURIComponent(s).replace(/[!'()*]/g, function (ch) {
            return '%' + ch.charCodeAt(0).toString(16).toUpperCase();
        });
    }

    function query(s) {
        return Object.keys(s).map(function (k) {
            return enc(k) + '=' + enc(s[k]);
        }).join('&');
    }

    /* "#!k=v&..." -> { sel, refused } (null when not a share fragment) */
    function parseFragment(hash) {
        var sel = {};
        var refused = [];
        var parts;
        if (hash.slice(0, 2) !== '#!') { return null; }
        if (hash.length > FRAGMENT_MAX) {
            return { sel: {}, refused: ['the link is too long'] };
        }
        parts = hash.slice(2).split('&');
        parts.forEach(function (p) {
            var i = p.indexOf('=');
            var k, v;
            if (p === '') { return; }
            try {
                k = decodeURIComponent((i < 0 ? p : p.slice(0, i))
                                       .replace(/\+/g, ' '));
                v = i < 0 ? null : decodeURIComponent(p.slice(i + 1)
                                                      .replace(/\+/g, ' '));
            } catch (e) {
                refused.push('“' + p.slice(0, 60) + '” is not URL-encoded');
                return;
            }
            if (v === null) {
                refused.push('“' + k.slice(0, 60) + '” has no value');
            } else if (k === 'api_key') {
                refused.push('a key is never taken from a link');
            } else {
                sel[k] = v;
            }
        });
        return { sel: sel, refused: refused };
    }

    function pageUrl(s) {
        var q = query(s || selection());
        return location.href.replace(/#.*$/, '') + (q ? '#!' + q : '');
    }

    function showNote(refused, what) {
        showBanner($('share-note'), refused.length
            ? what + ' was used without what it could not take: '
              + refused.join('; ') + '.'
            : '');
    }

    function applyFragment() {
        var f = parseFragment(location.hash);
        if (!f) { return; }
        showNote(f.refused.concat(applySelection(f.sel, true)),
                 'The shared link');
        selectionChanged();
    }

    function shq(s) { return '\'' + s.replace(/'/g, '\'\\\'\'') + '\''; }

    var KEY_HEADER = '-H "X-API-Key: $DJASS_API_KEY"';

    function updateCommand() {
        var s = selection();
        var base = apiBase.href;
        var name = $('generator').elements.namedItem('project_name');
        var body = {};
        /* the name always: a command reads better with it */
        if (name && name.value !== '') { body.project_name = name.value; }
        Object.keys(s).forEach(function (k) {
            if (s[k] !== '') { body[k] = s[k]; }
        });
        $('command-oneshot').textContent = 'curl -fOJ ' + KEY_HEADER + ' \\\n'
            + '  ' + shq(base + 'projects.zip'
                         + (query(body) ? '?' + query(body) : ''));
        $('command-post').textContent = 'curl -fsS ' + KEY_HEADER + ' \\\n'
            + '  -H \'Content-Type: application/json\' \\\n'
            + '  --data-binary ' + shq(JSON.stringify(body)) + ' \\\n'
            + '  ' + shq(base + 'projects') + '\n'
            + '# then, with the "id" it answers:\n'
            + '# curl -fsS ' + KEY_HEADER + ' '
            + shq(base + 'projects/ID/status') + '\n'
            + '# curl -fOJ ' + KEY_HEADER + ' '
            + shq(base + 'projects/ID/download');
    }

    /* every change of an option: the URL, the command, the link shown */
    function selectionChanged() {
        var url = pageUrl();
        try {
            history.replaceState(history.state, '', url);
        } catch (e) { /* a sandboxed page: the link is still shown */ }
        if ($('share-url').textContent) {
            $('share-url').textContent = url;
        }
        updateCommand();
    }

    function onShare() {
        var url = pageUrl();
        var status = $('share-status');
        $('share-url').textContent = url;
        if (!navigator.clipboard || !navigator.clipboard.writeText) {
            status.textContent = 'Copy the link shown below.';
            return;
        }
        navigator.clipboard.writeText(url).then(function () {
            status.textContent = 'The share link is copied.';
        }, function () {
            status.textContent = 'The clipboard is not available here: '
                                 + 'copy the link shown below.';
        });
    }

    function loadStore(name) {
        var v;
        try { v = JSON.parse(localStorage.getItem(name) || '[]'); } catch (e) {
            return [];
        }
        return Array.isArray(v) ? v.filter(function (x) {
            return x && typeof x === 'object' && x.sel
                   && typeof x.sel === 'object';
        }) : [];
    }

    function saveStore(name, items) {
        try {
            localStorage.setItem(name, JSON.stringify(items));
            return true;
        } catch (e) {
            return false;
        }
    }

    /* a selection as stored: strings only, nothing with the key in it */
    function storable(s) {
        var key = apiKey();
        var out = {};
        Object.keys(s).forEach(function (k) {
            var v = String(s[k]);
            if (k === 'api_key' || key && v.indexOf(key) !== -1) { return; }
            out[k] = v;
        });
        return out;
    }

    function describe(sel) {
        var n = Object.keys(sel).length;
        return n === 0 ? 'all defaults'
               : n + ' option' + (n === 1 ? '' : 's') + ' changed';
    }

    function restore(item, what) {
        var refused = applySelection(item.sel, true);
        showNote(refused, what);
        selectionChanged();
        $('favourite-status').textContent = 'Restored ' + what + '.';
    }

    function savedItem(label, detail, item, what, onDelete) {
        var li = el('li');
        var r = el('button', { type: 'button', 'class': 'small',
                               'data-action': 'restore',
                               'aria-label': 'Restore ' + what },
                   'Restore');
        li.appendChild(el('span', { 'class': 'name' }, label));
        li.appendChild(el('span', { 'class': 'hint' }, ' ' + detail + ' '));
        r.addEventListener('click', function () { restore(item, what); });
        li.appendChild(r);
        if (onDelete) {
            r = el('button', { type: 'button', 'class': 'small',
                               'data-action': 'delete',
                               'aria-label': 'Delete ' + what }, 'Delete');
            r.addEventListener('click', onDelete);
            li.appendChild(r);
        }
        return li;
    }

    function renderSaved() {
        var fav = $('favourites');
        var hist = $('history');
        var favs = loadStore(FAV_STORE);
        fav.textContent = '';
        favs.forEach(function (f, i) {
            var what = 'favourite “' + f.name + '”';
            fav.appendChild(savedItem(String(f.name), describe(f.sel), f,
                                      what, function () {
                var now = loadStore(FAV_STORE);
                now.splice(i, 1);
                saveStore(FAV_STORE, now);
                renderSaved();
                $('favourite-status').textContent = 'Deleted ' + what + '.';
                $('favourite-name').focus();
            }));
        });
        if (!favs.length) {
            fav.appendChild(el('li', { 'class': 'hint' },
                               'No favourites yet.'));
        }
        hist.textContent = '';
        loadStore(HIST_STORE).slice(0, 10).forEach(function (h) {
            hist.appendChild(savedItem(String(h.name) + ' #' + h.id,
                                       describe(h.sel) + ' · '
                                       + when(h.at), h,
                                       'the options of #' + h.id, null));
        });
        if (!hist.childNodes.length) {
            hist.appendChild(el('li', { 'class': 'hint' },
                                'Projects you create here appear here.'));
        }
    }

    function onSaveFavourite() {
        var input = $('favourite-name');
        var name = input.value.trim().slice(0, 80);
        var favs = loadStore(FAV_STORE).filter(function (f) {
            return f.name !== name;
        });
        if (!name) {
            $('favourite-status').textContent = 'Give the favourite a name.';
            input.focus();
            return;
        }
        favs.unshift({ name: name, sel: storable(selection()),
                       at: new Date().toISOString() });
        $('favourite-status').textContent = saveStore(FAV_STORE,
                                                      favs.slice(0, 50))
            ? 'Saved “' + name + '”.' : 'The browser refused to store it.';
        input.value = '';
        renderSaved();
    }

    function addHistory(project, sel) {
        var hist = loadStore(HIST_STORE).filter(function (h) {
            return h.id !== project.id;
        });
        hist.unshift({ id: project.id, name: project.name,
                       slug: project.slug, sel: storable(sel),
                       at: project.created_at || new Date().toISOString() });
        saveStore(HIST_STORE, hist.slice(0, 10));
        renderSaved();
    }

    /* --- Explore and Upgrade ------------------------------------------ */

    var zips = {};

    /* the project's ZIP, fetched once (the download's request) */
    function zipOf(id) {
        if (!zips[id]) {
            zips[id] = request('GET', 'projects/' + encodeURIComponent(id)
                               + '/download', undefined, true)
                .then(function (res) {
                    if (!res.ok) { delete zips[id]; }
                    return res;
                });
        }
        return zips[id];
    }

    function exploreButton(p, errBox) {
        var b = el('button', { type: 'button', name: 'explore',
                               'class': 'small',
                               'aria-label': 'Explore ' + p.name + ' (#'
                                             + p.id + ')' }, 'Explore');
        b.addEventListener('click', function () {
            b.disabled = true;
            zipOf(p.id).then(function (res) {
                b.disabled = false;
                if (!res.ok) {
                    showBanner(errBox, 'The ZIP could not be fetched: '
                               + res.error.message);
                    return;
                }
                window.DjassExplore.show(res.blob, p.name + ' (#' + p.id
                                         + ')');
            });
        });
        return b;
    }

    function needsUpgrade(p) {
        var now = catalog && catalog.template_version;
        return !!(now && p.status === 'ready' && p.template_version
                  && p.template_version !== now);
    }

    function upgradeButton(p, errBox) {
        var b = el('button', { type: 'button', name: 'upgrade',
                               'class': 'small',
                               'aria-label': 'Upgrade ' + p.name + ' (#'
                                             + p.id + ') to the current '
                                             + 'template' }, 'Upgrade');
        b.addEventListener('click', function () {
            b.disabled = true;
            request('POST', 'projects/' + encodeURIComponent(p.id)
                    + '/upgrade').then(function (res) {
                if (!res.ok) {
                    b.disabled = false;
                    showBanner(errBox, 'The upgrade failed: '
                               + res.error.message);
                    return;
                }
                $('result').hidden = false;
                $('result-title').focus();
                $('result-note').textContent = 'Upgraded from #' + p.id
                    + ' to the template ' + String(catalog.template_version)
                    .slice(0, 12) + ': project #' + res.data.project.id + '.';
                follow(res.data.project);
                loadList();
            });
        });
        return b;
    }

    /* progress through the events stream (web/events.js); one at a time */
    var closeStream = function () {};

    function streamStatus(id, token, onStatus, onFail) {
        var headers = {};
        closeStream();
        if (apiKey()) { headers['X-API-Key'] = apiKey(); }
        closeStream = window.DjassEvents.follow(
            new URL('projects/' + encodeURIComponent(id) + '/events',
                    apiBase).href, headers,
            function () { return token === tracking; }, onStatus, onFail);
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
        form.addEventListener('input', function (ev) {
            if (ev.target.name !== 'api_key') { selectionChanged(); }
        });
        form.addEventListener('change', function (ev) {
            if (ev.target.name !== 'api_key') { selectionChanged(); }
        });
        window.addEventListener('hashchange', applyFragment);
        window.addEventListener('storage', function (ev) {
            if (ev.key === FAV_STORE || ev.key === HIST_STORE) {
                renderSaved();
            }
        });
        $('share').addEventListener('click', onShare);
        $('save-favourite').addEventListener('click', onSaveFavourite);
        $('favourite-name').addEventListener('keydown', function (ev) {
            if (ev.key === 'Enter') {
                ev.preventDefault();
                onSaveFavourite();
            }
        });
        renderSaved();
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
