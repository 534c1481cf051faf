"""The generator page's share link, terminal command, favourites, history,
Explore (with its ZIP reader) and events progress in Debian's chromium
(headless) through chromium-driver: prints TAP lines that
t/501-web-features.t relays.  Environment: as t/web/page_test.py's
(DJASS_WEB_URL, DJASS_API_KEY, DJASS_OUT, DJASS_SHOTS), plus
DJASS_FIXTURES (the ZIPs of t/web/fixtures.py, served under
/fixtures/) and DJASS_HAS_EVENTS (1 when the server has the events
stream).  Writes DJASS_OUT/result.json: the page's download and the
#command texts, for the .t file to run with curl."""

import base64
import json
import os
import sys
import time
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_test as P  # noqa: E402  (its helpers; its main() is not run)
from page_test import (ok, api, css, wait, settle, fresh,  # noqa: E402
                       visible_text, set_value, set_flag, wait_download,
                       tab_to, keys, Keys, By, URL, ORIGIN, API, KEY, OUT,
                       SHOTS)

FIX = os.environ["DJASS_FIXTURES"]
HAS_EVENTS = os.environ.get("DJASS_HAS_EVENTS") == "1"

# every option control's value, by name, read in one script
FORM_STATE = """
    var out = {};
    Array.prototype.forEach.call(document.getElementById('generator')
        .elements, function (c) {
        if (!c.name || c.name === 'api_key') { return; }
        if (c.tagName !== 'INPUT' && c.tagName !== 'SELECT') { return; }
        out[c.name] = c.type === 'checkbox' ? (c.checked ? 'y' : 'n')
                                            : c.value;
    });
    return out;
"""


def form_state(d):
    return d.execute_script(FORM_STATE)


def load(d, url=URL):
    d.get(url)
    wait(d, lambda d: css(d, "#groups fieldset[data-group]")
         and not css(d, "#create[disabled]"), what="the catalog")


def flags_of(cat):
    return [(o["key"], o["default"]) for g in cat["groups"]
            for o in g["options"] if o["default"] in ("y", "n")]


def fragment_of(url):
    frag = url.split("#", 1)[1] if "#" in url else ""
    if not frag.startswith("!"):
        return None
    return dict(urllib.parse.parse_qsl(frag[1:], keep_blank_values=True))


def check_share(d, cat):
    set_value(d, "api_key", KEY)
    flags = flags_of(cat)[:3]
    want = {"project_name": "Shared Shop & Co",
            "project_description": "Ünïcödé, spaces + 100% “quotes”"}
    set_value(d, "project_name", want["project_name"])
    set_value(d, "project_description", want["project_description"])
    for k, dflt in flags:
        want[k] = "n" if dflt == "y" else "y"
        set_flag(d, k, want[k])
    before = form_state(d)
    d.find_element(By.NAME, "share").click()
    settle(d, lambda d: visible_text(d, "#share-url"), 10, "#share-url")
    link = visible_text(d, "#share-url")
    ok(link.startswith(URL + "#!"), "Share shows the page's URL with a #! "
       "fragment in #share-url", link)
    ok(KEY not in link and "api_key" not in link,
       "the share link holds no key")
    ok(fragment_of(link) == want, "the fragment holds exactly the 5 "
       "options set, URL-encoded", fragment_of(link))
    ok(d.current_url == link, "the address bar holds the same link",
       d.current_url)
    status = visible_text(d, "#share-status")
    ok("cop" in status.lower(), "the page says whether it copied the link",
       status)
    main = d.current_window_handle
    d.switch_to.new_window("window")
    load(d, link)
    after = form_state(d)
    ok(after == before, "the link opened in a new window gives the same "
       "form state", {k: (before.get(k), after.get(k))
                      for k in set(before) | set(after)
                      if before.get(k) != after.get(k)})
    ok(not css(d, "#share-note:not([hidden])"),
       "and no note: every value was taken")
    d.close()
    d.switch_to.window(main)
    return want


def check_bad_share(d, cat):
    k, dflt = flags_of(cat)[0]
    d.get("about:blank")
    load(d, URL + "#!" + k + "=maybe&no_such_option=1"
         "&project_name=Good%20Name&broken=%E0%A4")
    note = visible_text(d, "#share-note")
    ok(note and k in note and "no_such_option" in note,
       "a hand-written link with a bad value and an unknown key shows a "
       "note naming them", note)
    st = form_state(d)
    ok(st["project_name"] == "Good Name" and st[k] == dflt,
       "the good value is taken, the bad one ignored (%s stays %s)"
       % (k, dflt), st)
    ok(fragment_of(d.current_url) == {"project_name": "Good Name"},
       "the address bar keeps only what was taken", d.current_url)
    d.get("about:blank")
    load(d)


def commands(d):
    return d.execute_script(
        "return [document.getElementById('command-oneshot').textContent,"
        " document.getElementById('command-post').textContent]")


def check_command(d, cat):
    one, post = commands(d)
    ok("$DJASS_API_KEY" in one and "$DJASS_API_KEY" in post
       and KEY not in one + post,
       "#command shows both curl forms with $DJASS_API_KEY, never the key")
    ok(one.startswith("curl ") and API + "projects.zip?" in one
       and "project_name=Shared%20Shop%20%26%20Co" in one,
       "the one-shot form: GET projects.zip with the options", one)
    ok(post.startswith("curl ") and '"project_name":"Shared Shop & Co"'
       in post and API + "projects'" in post,
       "the POST form: the JSON body and the URL", post)
    k, _ = flags_of(cat)[4]
    before = set_flag(d, k, "n") and commands(d)
    set_flag(d, k, "y")
    ok(commands(d) != before, "the command follows a changed option")
    set_flag(d, k, "n" if before else "y")


def check_favourites(d, cat):
    set_value(d, "project_name", "Shared Shop & Co")
    for k, dflt in flags_of(cat)[1:3]:
        set_flag(d, k, "n" if dflt == "y" else "y")
    saved = form_state(d)
    name = d.find_element(By.ID, "favourite-name")
    name.clear()
    name.send_keys("Shop setup")
    d.find_element(By.NAME, "save-favourite").click()
    settle(d, lambda d: "Shop setup" in visible_text(d, "#favourites"), 10,
           "the favourite")
    ok("Shop setup" in visible_text(d, "#favourites"),
       "save-favourite lists the favourite in #favourites")
    d.get("about:blank")
    load(d)
    ok("Shop setup" in visible_text(d, "#favourites"),
       "the favourite survives a reload")
    ok(form_state(d) != saved, "a reload without the link starts from "
       "the defaults")
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#favourites button[data-action="restore"]').click())
    ok(form_state(d) == saved, "Restore puts the favourite's options back",
       form_state(d))
    store = d.execute_script(
        "var o = {}; for (var i = 0; i < localStorage.length; i++) {"
        " var k = localStorage.key(i); o[k] = localStorage.getItem(k); }"
        " return o;")
    ok(store and not any(KEY in v for v in store.values())
       and "api_key" not in json.dumps(store),
       "nothing with the API key is in localStorage", store)
    # a second one, deleted again
    name = d.find_element(By.ID, "favourite-name")
    name.send_keys("Throwaway", Keys.ENTER)
    settle(d, lambda d: "Throwaway" in visible_text(d, "#favourites"), 10,
           "the second favourite")
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#favourites button[aria-label*="Throwaway"]'
        '[data-action="delete"]').click())
    settle(d, lambda d: "Throwaway" not in visible_text(d, "#favourites"),
           10, "the deletion")
    d.refresh()
    load(d)
    fav = visible_text(d, "#favourites")
    ok("Throwaway" not in fav and "Shop setup" in fav,
       "Delete removes a favourite, for good", fav)


RESULT_LINK = "#result-download a[download]"


def restore_favourite(d):
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#favourites button[data-action="restore"]').click())


def check_create(d, result):
    restore_favourite(d)
    set_value(d, "api_key", KEY)
    # ten earlier projects in the history (and one stored wrongly)
    d.execute_script(
        "var h = [];"
        "for (var i = 1; i <= 10; i++) {"
        " h.push({id: 9000 + i, name: 'Earlier ' + i, slug: 'e' + i,"
        "         sel: {use_ai: 'y'}, at: '2026-01-01T00:00:00Z'}); }"
        "h.splice(3, 0, {id: 1, sel: 'not an object'});"
        "localStorage.setItem('djass.history', JSON.stringify(h));")
    result["oneshot"], result["post"] = commands(d)
    d.find_element(By.ID, "create").click()
    settle(d, lambda d: css(d, RESULT_LINK)
           or visible_text(d, "#result-error"), 120, "ready")
    if not ok(css(d, RESULT_LINK), "the project is made and becomes ready",
              visible_text(d, "#result-error")):
        return None
    pid = json.loads(api("GET", "projects?limit=1")[2])["projects"][0]["id"]
    name = fresh(lambda: d.find_element(By.CSS_SELECTOR, RESULT_LINK)
                 .get_attribute("download"))
    fresh(lambda: d.find_element(By.CSS_SELECTOR, RESULT_LINK).click())
    path = wait_download(name)
    if ok(path, "the page's download is saved"):
        os.rename(path, os.path.join(OUT, "page.zip"))
        result["file"] = "page.zip"
        result["id"] = pid
    hist = P.texts(d, "#history > li")
    ok(len(hist) == 10 and "#%d" % pid in hist[0]
       and "Earlier 9 #9009" in hist[-1],
       "#history lists the new project first, and the last 10 only", hist)
    return pid


def request_log(d):
    """(url, headers) of the requests made since the last call."""
    out = []
    for e in d.get_log("performance"):
        msg = json.loads(e["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            r = msg["params"]["request"]
            out.append((r["url"], r["headers"]))
    return out


def check_progress(d, pid):
    seen = request_log(d)
    urls = [u for u, _ in seen]
    ev = [u for u in urls if u.endswith("/projects/%d/events" % pid)]
    st = [u for u in urls if u.endswith("/projects/%d/status" % pid)]
    ok(len(ev) == 1, "the page asked for the events stream once", urls)
    if HAS_EVENTS:
        ok(not st, "the server streams events: the page did not poll", st)
    else:
        ok(st, "no events stream on this server: the page polled the "
           "status instead", urls)
        print("# the events stream was not there: the stream's own path "
              "is untested here (issue 24 part 1)", flush=True)
    return seen


ITEMS = """
    return Array.prototype.map.call(document.querySelectorAll(
        '#explore-tree [role="treeitem"]'), function (i) {
        return [i.getAttribute('data-path'), i.classList.contains('dir'),
                i.getAttribute('aria-label')];
    });
"""


def tree_items(d):
    return d.execute_script(ITEMS)


def shown_file(d):
    return d.execute_script(
        "var p = document.getElementById('explore-file');"
        "return [p.getAttribute('data-path'), p.textContent];")


def open_item(d, path):
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#explore-tree [data-path="%s"] > .label'
        % path.replace('"', '\\"')).click())
    settle(d, lambda d: shown_file(d)[0] == path
           or visible_text(d, "#explore-error"), 15, path)
    return shown_file(d)


def shot(d, name, dark, box="explore"):
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme",
         "value": "dark" if dark else "light"}]})
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 960, "height": 700, "deviceScaleFactor": 1,
        "mobile": False})
    wait(d, lambda d: d.execute_script("return window.innerWidth") == 960,
         what="the 960 px layout")
    d.execute_async_script(
        "var done = arguments[0];"
        "requestAnimationFrame(function () {"
        " requestAnimationFrame(function () { done(true); }); });")
    r = d.execute_script(
        "var r = document.getElementById(arguments[0])"
        ".getBoundingClientRect();"
        "return [r.left + scrollX, r.top + scrollY, r.width,"
        " Math.min(r.height, 640)];", box)
    data = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": r[0], "y": r[1], "width": r[2], "height": r[3],
                 "scale": 1}})["data"]
    path = os.path.join(SHOTS, name)
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    return path


def check_explore(d, pid):
    zpath = os.path.join(OUT, "page.zip")
    z = zipfile.ZipFile(zpath)
    names = z.namelist()
    files = sorted(n for n in names if not n.endswith("/"))
    dirs = set(n for n in names if n.endswith("/"))
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#result-download button[name="explore"]').click())
    settle(d, lambda d: css(d, '#explore-tree [role="treeitem"]')
           or visible_text(d, "#explore-error"), 30, "the tree")
    items = tree_items(d)
    got = sorted(p for p, isdir, _ in items if not isdir)
    ok(got == files, "Explore lists exactly the ZIP's %d files (as Python's "
       "zipfile reads them)" % len(files),
       "missing %s, extra %s" % (sorted(set(files) - set(got))[:10],
                                 sorted(set(got) - set(files))[:10]))
    ok(dirs <= set(p for p, isdir, _ in items if isdir),
       "and the ZIP's folders as folders")
    ok(all(p == label for p, _, label in items),
       "each tree item is named by its path")
    ok(css(d, '#explore-tree[role="tree"]')
       and len(css(d, '#explore-tree [role="treeitem"][tabindex="0"]')) == 1,
       "a role=tree with one tab stop among its items")
    readme = [n for n in files if n.count("/") == 1
              and n.endswith("/README.md")]
    if ok(readme, "the project has a README.md at its top", files[:5]):
        path, text = open_item(d, readme[0])
        want = z.read(readme[0]).decode()
        ok(path == readme[0] and text == want,
           "a click on README.md shows its text in pre#explore-file",
           text[:200])
    for dark, name in ((False, "explore-light.png"),
                       (True, "explore-dark.png")):
        p = shot(d, name, dark)
        ok(os.path.getsize(p) > 5000, "a screenshot of Explore (%s) in %s"
           % ("dark" if dark else "light", p))
    p = shot(d, "share-save.png", False, "keep")
    ok(os.path.getsize(p) > 5000, "a screenshot of share, command, "
       "favourites and history in " + p)
    return readme[0] if readme else None


def check_keyboard(d, pid, readme):
    d.get("about:blank")
    load(d)
    settle(d, lambda d: css(d, '#list-body tr[data-id="%d"] '
                            'button[name="explore"]' % pid), 20, "the list")
    ok(tab_to(d, lambda e: e.get_attribute("name") == "share"),
       "Tab reaches the share button")
    keys(d, Keys.ENTER)
    settle(d, lambda d: visible_text(d, "#share-url"), 10, "#share-url")
    ok(visible_text(d, "#share-url").startswith(URL),
       "Enter on it shows the link")
    ok(tab_to(d, lambda e: e.get_attribute("id") == "favourite-name"),
       "Tab reaches the favourite's name")
    keys(d, "By keyboard")
    ok(tab_to(d, lambda e: e.get_attribute("name") == "save-favourite",
              limit=3), "Tab reaches save-favourite")
    keys(d, Keys.ENTER)
    settle(d, lambda d: "By keyboard" in visible_text(d, "#favourites"), 10,
           "the favourite")
    ok("By keyboard" in visible_text(d, "#favourites"),
       "Enter saves the favourite")
    ok(tab_to(d, lambda e: e.get_attribute("name") == "explore"
              and "#%d" % pid in (e.get_attribute("aria-label") or ""),
              limit=150),
       "Tab reaches the list's Explore button of #%d" % pid)
    keys(d, Keys.ENTER)
    settle(d, lambda d: css(d, '#explore-tree [role="treeitem"]'), 30,
           "the tree")
    ok(tab_to(d, lambda e: e.get_attribute("role") == "treeitem", limit=5),
       "a few Tabs reach the file tree")
    top = P.active_attr(d, "data-path")
    keys(d, Keys.LEFT)
    ok(d.execute_script("return document.activeElement.getAttribute("
                        "'aria-expanded')") == "false",
       "Left closes the open folder %s" % top)
    keys(d, Keys.RIGHT)
    ok(d.execute_script("return document.activeElement.getAttribute("
                        "'aria-expanded')") == "true",
       "Right opens it again")
    reached = False
    for _ in range(300):
        keys(d, Keys.DOWN)
        if P.active_attr(d, "data-path") == readme:
            reached = True
            break
    ok(reached, "Down arrows walk the tree to %s" % readme)
    keys(d, Keys.ENTER)
    settle(d, lambda d: shown_file(d)[0] == readme, 15, "README")
    ok(shown_file(d)[0] == readme, "Enter on the item shows the file")
    keys(d, Keys.HOME)
    ok(P.active_attr(d, "data-path") == top, "Home goes to the first item")
    keys(d, Keys.LEFT, Keys.END)
    ok(P.active_attr(d, "data-path") == top,
       "End after closing the only top folder stays on it")
    ok(tab_to(d, lambda e: e.get_attribute("id") == "explore-file",
              limit=3), "Tab leaves the tree for the file's text: one tab "
       "stop, no trap")


def show_fixture(d, name):
    t0 = time.monotonic()
    d.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch('/fixtures/' + arguments[0]).then(function (r) {
            return r.blob();
        }).then(function (b) {
            return window.DjassExplore.show(b, arguments[0]);
        }).then(function () { done(true); }, function (e) { done(false); });
    """, name)
    return time.monotonic() - t0


# the Python-made ZIP with 1 to 4 bytes changed (half of them in its last
# 600 bytes: the central directory), 1 in 10 also cut short, read whole:
# every outcome is the entries or an Error the page can show
FUZZ = """
    var done = arguments[arguments.length - 1];
    var seed = 12345, out = {read: 0, refused: 0, entries: 0,
                             entry_refused: 0, other: []};
    function rnd(n) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
    }
    function note(e, where) {
        if (/^Not a readable ZIP/.test(e.message)) { return true; }
        out.other.push(where + ': ' + e.name + ': ' + e.message);
        return false;
    }
    fetch('/fixtures/python.zip').then(function (r) {
        return r.arrayBuffer();
    }).then(async function (good) {
        var t0 = Date.now(), i, f, at, z, e, copy;
        for (i = 0; i < 400; i++) {
            copy = new Uint8Array(good.slice(0));
            for (f = 1 + rnd(4); f > 0; f--) {
                at = rnd(2) ? copy.length - 1 - rnd(600) : rnd(copy.length);
                copy[at] = rnd(256);
            }
            try {
                z = DjassZip.read(rnd(10) ? copy.buffer
                                  : copy.buffer.slice(0, rnd(copy.length)));
                out.read++;
            } catch (err) {
                if (note(err, 'read')) { out.refused++; }
                continue;
            }
            for (e of z.entries) {
                try {
                    await DjassZip.bytes(z, e);
                    out.entries++;
                } catch (err) {
                    if (note(err, 'bytes')) { out.entry_refused++; }
                }
            }
        }
        out.ms = Date.now() - t0;
        done(out);
    });
"""


def check_zip_reader(d):
    z = zipfile.ZipFile(os.path.join(FIX, "python.zip"))
    show_fixture(d, "python.zip")
    items = tree_items(d)
    got = sorted(p for p, isdir, _ in items if not isdir)
    want = sorted(n for n in z.namelist() if not n.endswith("/"))
    ok(got == want, "Python's zipfile ZIP (stored, deflated, UTF-8 names, a "
       "comment): the tree lists its files", got)
    ok(set(n for n in z.namelist() if n.endswith("/"))
       <= set(p for p, isdir, _ in items if isdir),
       "and its folder entries, the empty one included")
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#explore-tree [data-path="top/ünïcödé/"] > .label')
        .click())
    for n in ("top/README.txt", "top/stored.txt", "top/ünïcödé/日本語.md",
              "top/big.txt"):
        path, text = open_item(d, n)
        ok(path == n and text == z.read(n).decode(),
           "%s (%s) shows its text" % (n, "stored" if z.getinfo(n)
                                       .compress_type == 0 else "deflated"),
           visible_text(d, "#explore-error") or text[:100])
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#explore-tree [data-path="top/bin/"] > .label')
        .click())
    path, text = open_item(d, "top/bin/logo.png")
    ok(path == "top/bin/logo.png" and "Binary" in text
       and "image/png" in text and "1.0 KB" in text,
       "a binary file shows its size and type only", text)
    for name, why in (("truncated.zip", "no end of central directory"),
                      ("count.zip", "more than 20000 entries"),
                      ("notzip.zip", "no end of central directory")):
        took = show_fixture(d, name)
        err = visible_text(d, "#explore-error")
        ok(why in err and not css(d, '#explore-tree [role="treeitem"]')
           and took < 10, "%s: a visible error (%r) in %.1f s, no tree"
           % (name, err, took))
    r = d.execute_async_script(FUZZ)
    ok(not r["other"] and r["refused"] and r["entry_refused"]
       and r["read"] + r["refused"] == 400 and r["ms"] < 20000,
       "400 damaged copies of it: each read, or refused with a message, "
       "every entry's bytes too, no other exception (%s)"
       % json.dumps({k: v for k, v in r.items() if k != "other"}),
       r["other"][:10])
    for name, item, why in (("crc.zip", "top/stored.txt", "CRC-32"),
                            ("inflate.zip", "top/README.txt", "damaged")):
        show_fixture(d, name)
        fresh(lambda: d.find_element(
            By.CSS_SELECTOR, '#explore-tree [data-path="%s"] > .label'
            % item).click())
        settle(d, lambda d: visible_text(d, "#explore-error"), 10, why)
        err = visible_text(d, "#explore-error")
        ok(why in err, "%s: opening %s shows %r" % (name, item, err))


FOLLOW = """
    var done = arguments[arguments.length - 1];
    var seen = [], t0 = Date.now();
    window.DjassEvents.follow(arguments[0], {'X-API-Key': 'k'},
        function () { return true; },
        function (st) {
            seen.push(st.status);
            if (st.status === 'ready') {
                setTimeout(function () {
                    done({seen: seen, failed: false, ms: Date.now() - t0});
                }, 300);
            }
        },
        function () {
            done({seen: seen, failed: true, ms: Date.now() - t0});
        });
"""


def check_events_reader(d, seen):
    """web/events.js against canned streams (static files): the server's
    own stream is checked by check_progress when it has one.  Adds the
    requests it made to seen."""

    def requests_to(d, path):
        log = request_log(d)
        seen.extend(log)
        return [h for u, h in log if u.endswith(path)]

    seen.extend(request_log(d))
    r = d.execute_async_script(FOLLOW, ORIGIN + "/fixtures/stream.sse")
    ok(r["seen"] == ["queued", "generating", "ready"] and not r["failed"],
       "the SSE reader: status events in order, comments, another event "
       "type, CRLF and two-line data handled, no fallback", r)
    r = d.execute_async_script(FOLLOW, ORIGIN + "/fixtures/cut.sse")
    heads = requests_to(d, "/fixtures/cut.sse")
    ok(r["failed"] and r["seen"] == ["queued"] * 3 and len(heads) == 3
       and all(h.get("Last-Event-ID") == "5" for h in heads[1:])
       and all(h.get("X-API-Key") == "k" for h in heads),
       "a stream that ends early is reopened twice with Last-Event-ID "
       "and the key header, then the page falls back to polling",
       [r, heads])
    r = d.execute_async_script(FOLLOW, ORIGIN + "/fixtures/missing.sse")
    ok(r["failed"] and not r["seen"], "a 404 instead of a stream: "
       "straight to polling", r)
    r = d.execute_async_script(FOLLOW, ORIGIN + "/fixtures/stream.sse")
    ok(r["failed"] and not requests_to(d, "/fixtures/stream.sse"),
       "and the server is not asked for a stream again", r)


def check_logs(d, urls):
    errors = []
    for e in d.get_log("browser"):
        if e["level"] != "SEVERE":
            continue
        m = e["message"]
        if not HAS_EVENTS and "/events - " in m and "status of 404" in m:
            continue    # a server without the stream: the page polls
        if "/fixtures/missing.sse - " in m and "status of 404" in m:
            continue    # check_events_reader's 404, on purpose
        errors.append(m)
    ok(not errors, "no errors in the browser console", "\n".join(errors))
    outside = [u for u in urls if not (u.startswith(ORIGIN + "/")
               or u.startswith("blob:" + ORIGIN + "/")
               or u.startswith("data:") or u == "about:blank")]
    ok(not outside, "no request leaves the page's origin", outside)


def flow(d, result):
    seen = []
    cat = json.loads(api("GET", "project-options", key=None)[2])
    load(d)
    check_share(d, cat)
    check_bad_share(d, cat)
    set_value(d, "api_key", KEY)
    load(d, d.current_url)
    check_favourites(d, cat)
    restore_favourite(d)
    check_command(d, cat)
    pid = check_create(d, result)
    if pid:
        seen += check_progress(d, pid)
        readme = check_explore(d, pid)
        check_keyboard(d, pid, readme)
    check_zip_reader(d)
    seen += request_log(d)
    check_events_reader(d, seen)
    check_logs(d, [u for u, _ in seen])


def main():
    result = {}
    return P.run(lambda d: flow(d, result), result)


if __name__ == "__main__":
    sys.exit(main())
