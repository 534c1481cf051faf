"""The page's Upgrade button in Debian's chromium: prints TAP lines that
t/502-web-upgrade.t relays.  Environment: as t/web/page_test.py's, plus
DJASS_OLD_ID (a ready project made on the previous template version)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_test as P  # noqa: E402
from page_test import (ok, api, css, wait, settle, fresh,  # noqa: E402
                       visible_text, set_value, By, KEY)

OLD = int(os.environ["DJASS_OLD_ID"])
ROW = '#list-body tr[data-id="%d"]'


def flow(d):
    P.load(d)
    set_value(d, "api_key", KEY)
    P.load(d)
    settle(d, lambda d: css(d, ROW % OLD), 20, "the list")
    ok(css(d, (ROW + ' button[name="upgrade"]') % OLD),
       "the project made on the old template has an Upgrade button")
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, (ROW + ' button[name="upgrade"]') % OLD)
        .click())
    settle(d, lambda d: css(d, "#result-download a[download]")
           or visible_text(d, "#result-error")
           or visible_text(d, "#list-error"), 120, "the new project")
    ok(css(d, "#result-download a[download]"),
       "Upgrade makes a new project that the page follows to ready",
       visible_text(d, "#result-error") + visible_text(d, "#list-error"))
    note = visible_text(d, "#result-note")
    new = json.loads(api("GET", "projects?limit=1")[2])["projects"][0]
    ok("#%d" % OLD in note and "#%d" % new["id"] in note,
       "the result says which project it upgraded into which", note)
    ok(not css(d, "#result-download button[name=upgrade]"),
       "the new project, on the current template, has no Upgrade")
    fresh(lambda: d.find_element(
        By.CSS_SELECTOR, '#result-download button[name="explore"]')
        .click())
    settle(d, lambda d: css(d, '#explore-tree [role="treeitem"]'), 30,
           "the tree")
    paths = P.attrs(d, '#explore-tree [role="treeitem"]', "data-path")
    ok(any(p.endswith("/UPGRADED.md") for p in paths),
       "Explore shows the new template's file in the upgraded project")
    wait(d, lambda d: css(d, (ROW + ' .badge') % new["id"]), 20,
         "the new row")
    ok(not css(d, (ROW + ' button[name="upgrade"]') % new["id"]),
       "the list shows no Upgrade for the new project")
    no_events = P.events_missing(OLD)
    errors = [e["message"] for e in d.get_log("browser")
              if e["level"] == "SEVERE" and not (
                  no_events and "/events - " in e["message"]
                  and "status of 404" in e["message"])]
    ok(not errors, "no errors in the browser console", "\n".join(errors))


def main():
    return P.run(flow)


if __name__ == "__main__":
    sys.exit(main())
