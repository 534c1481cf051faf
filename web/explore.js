/*
 * Explore: a project's ZIP opened in the page (web/zip.js reads it), shown
 * as a file tree that follows the WAI-ARIA tree view pattern (role="tree",
 * role="treeitem" items named by their path, one tab stop, arrows, Home,
 * End, Enter) and the selected file's text in <pre id="explore-file">.
 *
 * window.DjassExplore.show(blob, title) -> Promise (resolves when the tree
 * is shown, or the error is)
 */
(function () {
    'use strict';

    var doc = document;
    var SHOW_MAX = 2 * 1048576;     /* bytes of text shown at most */
    var current = null;             /* { zip, byPath } */
    var seq = 0;

    var TYPES = {
        png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
        gif: 'image/gif', webp: 'image/webp', ico: 'image/vnd.microsoft.icon',
        svg: 'image/svg+xml', pdf: 'application/pdf', zip: 'application/zip',
        gz: 'application/gzip', woff: 'font/woff', woff2: 'font/woff2',
        ttf: 'font/ttf', otf: 'font/otf', mo: 'application/x-gettext-mo',
        sqlite3: 'application/vnd.sqlite3', db: 'application/vnd.sqlite3'
    };

    function $(id) { return doc.getElementById(id); }

    function el(tag, attrs, text) {
        var e = doc.createElement(tag);
        Object.keys(attrs || {}).forEach(function (k) {
            e.setAttribute(k, attrs[k]);
        });
        if (text !== undefined && text !== null) { e.textContent = text; }
        return e;
    }

    function sizeText(n) {
        return n < 1024 ? n + ' bytes'
               : n < 1048576 ? (n / 1024).toFixed(1) + ' KB'
               : (n / 1048576).toFixed(1) + ' MB';
    }

    function typeOf(path) {
        var m = /\.([A-Za-z0-9]+)$/.exec(path);
        return (m && TYPES[m[1].toLowerCase()]) || 'application/octet-stream';
    }

    function setError(text) {
        var e = $('explore-error');
        e.textContent = text;
        e.hidden = !text;
    }

    /* --- the tree ------------------------------------------------------ */

    function tree() { return $('explore-tree'); }

    function visibleItems() {
        return Array.prototype.filter.call(
            tree().querySelectorAll('[role="treeitem"]'), function (i) {
                var g = i.parentNode.closest('[role="group"][hidden]');
                return !g || !tree().contains(g);
            });
    }

    function isDir(item) { return item.hasAttribute('aria-expanded'); }

    function groupOf(item) {
        return item.querySelector(':scope > [role="group"]');
    }

    function expand(item, open) {
        if (!isDir(item)) { return; }
        item.setAttribute('aria-expanded', open ? 'true' : 'false');
        groupOf(item).hidden = !open;
    }

    function focusItem(item) {
        var old = tree().querySelectorAll('[role="treeitem"][tabindex="0"]');
        Array.prototype.forEach.call(old, function (o) {
            o.setAttribute('tabindex', '-1');
        });
        item.setAttribute('tabindex', '0');
        item.focus();
    }

    function parentItem(item) {
        var g = item.parentNode;
        return g && g.getAttribute('role') === 'group'
               ? g.parentNode : null;
    }

    function activate(item) {
        if (isDir(item)) {
            expand(item, item.getAttribute('aria-expanded') !== 'true');
        } else {
            openFile(item);
        }
    }

    function onKey(ev) {
        var item = ev.target.closest('[role="treeitem"]');
        var items, at, next = null;
        if (!item || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
        items = visibleItems();
        at = items.indexOf(item);
        switch (ev.key) {
        case 'ArrowDown': next = items[at + 1]; break;
        case 'ArrowUp': next = items[at - 1]; break;
        case 'Home': next = items[0]; break;
        case 'End': next = items[items.length - 1]; break;
        case 'ArrowRight':
            if (isDir(item)) {
                if (item.getAttribute('aria-expanded') !== 'true') {
                    expand(item, true);
                } else {
                    next = groupOf(item).querySelector('[role="treeitem"]');
                }
            }
            break;
        case 'ArrowLeft':
            if (isDir(item) && item.getAttribute('aria-expanded') === 'true') {
                expand(item, false);
            } else {
                next = parentItem(item);
            }
            break;
        case 'Enter':
        case ' ':
            activate(item);
            break;
        default:
            return;
        }
        ev.preventDefault();
        ev.stopPropagation();
        if (next) { focusItem(next); }
    }

    function onClick(ev) {
        var item = ev.target.closest('[role="treeitem"]');
        if (!item) { return; }
        ev.stopPropagation();
        focusItem(item);
        activate(item);
    }

    /* path -> nested nodes: { dirs: {name: node}, files: [entry] } */
    function nest(entries) {
        var top = { dirs: {}, files: [], path: '' };
        entries.forEach(function (e) {
            var parts = e.name.replace(/\/+$/, '').split('/');
            var node = top;
            var i;
            var last = e.dir ? parts.length : parts.length - 1;
            for (i = 0; i < last; i++) {
                if (!node.dirs[parts[i]]) {
                    node.dirs[parts[i]] = {
                        dirs: {}, files: [],
                        path: node.path + parts[i] + '/' };
                }
                node = node.dirs[parts[i]];
            }
            if (!e.dir) { node.files.push({ name: parts[last], entry: e }); }
        });
        return top;
    }

    function byName(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

    function render(node, box, depth) {
        Object.keys(node.dirs).sort(byName).forEach(function (name) {
            var d = node.dirs[name];
            var li = el('li', { role: 'treeitem', tabindex: '-1',
                                'aria-label': d.path, 'data-path': d.path,
                                'aria-expanded': depth === 0 ? 'true'
                                                             : 'false',
                                'class': 'dir' });
            var group = el('ul', { role: 'group' });
            li.appendChild(el('span', { 'class': 'label' }, name + '/'));
            group.hidden = depth !== 0;
            render(d, group, depth + 1);
            li.appendChild(group);
            box.appendChild(li);
        });
        node.files.sort(function (a, b) { return byName(a.name, b.name); })
            .forEach(function (f) {
                var li = el('li', { role: 'treeitem', tabindex: '-1',
                                    'aria-label': f.entry.name,
                                    'data-path': f.entry.name,
                                    'aria-selected': 'false',
                                    'class': 'file' });
                li.appendChild(el('span', { 'class': 'label' }, f.name));
                li.appendChild(el('span', { 'class': 'size' },
                                  ' ' + sizeText(f.entry.size)));
                box.appendChild(li);
            });
    }

    /* --- the selected file --------------------------------------------- */

    function openFile(item) {
        var path = item.getAttribute('data-path');
        var e = current && current.byPath[path];
        var pre = $('explore-file');
        var mine = ++seq;
        if (!e) { return Promise.resolve(); }
        Array.prototype.forEach.call(
            tree().querySelectorAll('[aria-selected="true"]'), function (o) {
                o.setAttribute('aria-selected', 'false');
            });
        item.setAttribute('aria-selected', 'true');
        $('explore-path').textContent = path + ' · ' + sizeText(e.size);
        pre.textContent = 'Reading…';
        pre.removeAttribute('data-path');
        return window.DjassZip.bytes(current.zip, e).then(function (b) {
            var text = null;
            if (mine !== seq) { return; }
            setError('');
            if (b.subarray(0, 8000).indexOf(0) === -1) {
                try {
                    text = new TextDecoder('utf-8', { fatal: true })
                        .decode(b.subarray(0, SHOW_MAX));
                } catch (err) {
                    /* a cut in the middle of a character is still text */
                    if (b.length > SHOW_MAX) {
                        text = new TextDecoder('utf-8').decode(
                            b.subarray(0, SHOW_MAX));
                    }
                }
            }
            pre.setAttribute('data-path', path);
            if (text === null) {
                pre.className = 'binary';
                pre.textContent = 'Binary file: ' + sizeText(e.size)
                                  + ', ' + typeOf(path) + ' (not shown).';
                return;
            }
            pre.className = '';
            pre.textContent = b.length > SHOW_MAX
                ? text + '\n… (the first ' + sizeText(SHOW_MAX)
                  + ' of ' + sizeText(b.length) + ')'
                : text;
        }, function (err) {
            if (mine !== seq) { return; }
            pre.textContent = '';
            setError(err.message);
        });
    }

    /* --- the panel ----------------------------------------------------- */

    function show(blob, title) {
        var box = $('explore');
        var mine = ++seq;
        box.hidden = false;
        box.setAttribute('aria-busy', 'true');
        $('explore-title').textContent = 'Explore ' + title;
        $('explore-path').textContent = '';
        $('explore-file').textContent = '';
        $('explore-file').removeAttribute('data-path');
        $('explore-summary').textContent = 'Opening the ZIP…';
        tree().textContent = '';
        setError('');
        current = null;
        return Promise.resolve().then(function () {
            if (blob.size > window.DjassZip.limits.archive) {
                throw new Error('Not a readable ZIP: it is larger than '
                    + window.DjassZip.limits.archive / 1048576 + ' MB');
            }
            return blob.arrayBuffer();
        }).then(function (buf) {
            var zip = window.DjassZip.read(buf);
            var byPath = {};
            var files = 0;
            var total = 0;
            var first;
            if (mine !== seq) { return; }
            zip.entries.forEach(function (e) {
                byPath[e.name] = e;
                if (!e.dir) { files++; total += e.size; }
            });
            current = { zip: zip, byPath: byPath };
            tree().setAttribute('aria-label', 'Files of ' + title);
            render(nest(zip.entries), tree(), 0);
            first = tree().querySelector('[role="treeitem"]');
            if (first) { first.setAttribute('tabindex', '0'); }
            $('explore-summary').textContent = files + ' files, '
                + sizeText(total) + ' unpacked. Arrow keys move in the '
                + 'tree, Enter opens a file.';
        }).catch(function (err) {
            if (mine !== seq) { return; }
            $('explore-summary').textContent = '';
            setError(err.message);
        }).then(function () {
            if (mine !== seq) { return; }
            box.removeAttribute('aria-busy');
            $('explore-title').focus();
        });
    }

    function start() {
        tree().addEventListener('keydown', onKey);
        tree().addEventListener('click', onClick);
        $('explore-close').addEventListener('click', function () {
            ++seq;
            current = null;
            tree().textContent = '';
            $('explore-file').textContent = '';
            $('explore').hidden = true;
        });
    }

    window.DjassExplore = { show: show };
    if (doc.readyState === 'loading') {
        doc.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
}());
