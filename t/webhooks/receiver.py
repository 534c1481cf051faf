"""A webhook receiver for t/375-webhooks.t: a real HTTP server on loopback
that verifies every request with the standardwebhooks package (the
reference implementation of Standard Webhooks) and logs it.

    receiver.py PORT CONFIG LOG [ARRIVALS]

CONFIG (JSON, read again at each request, so the test can change it):
{"/path": {"secret": "whsec_...", "answers": [500, 500, 200],
           "sleep": [5, 0]}}
The n-th request to a path is answered answers[n] (the last one once the
list runs out; 200 without a list) after sleeping sleep[n] seconds.  LOG
gets one JSON line per request: path, headers, the raw body, whether the
signature verified (and why not), the answer, and "inflight": how many
requests to that path were being answered when it came, itself included
("inflight_all": to any path).  ARRIVALS, if given, gets a line as each
request comes, before any sleep: path, webhook-id, the project's id, the
time and the same two counts (t/376 checks the limits with them).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

PORT, CONFIG, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ARRIVALS = sys.argv[4] if len(sys.argv) > 4 else None
counts = {}
inflight = {}
lock = threading.Lock()


def pick(lst, n, default):
    if not lst:
        return default
    return lst[n] if n < len(lst) else lst[-1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(CONFIG) as f:
            conf = json.load(f).get(self.path, {})
        with lock:
            n = counts.get(self.path, 0)
            counts[self.path] = n + 1
            inflight[self.path] = inflight.get(self.path, 0) + 1
            now_in = inflight[self.path]
            now_all = sum(inflight.values())
            if ARRIVALS:
                try:
                    project = json.loads(body)["data"]["id"]
                except Exception:  # noqa: BLE001: not our JSON: no id
                    project = None
                with open(ARRIVALS, "a") as f:
                    f.write(json.dumps({
                        "path": self.path, "n": n, "time": time.time(),
                        "id": self.headers.get("webhook-id"),
                        "project": project, "inflight": now_in,
                        "inflight_all": now_all}) + "\n")
        try:
            status = self.answer(body, conf, n, now_in, now_all)
        finally:
            # no longer in flight before the answer goes: the next request
            # it lets in must not find this one still counted
            with lock:
                inflight[self.path] -= 1

        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def answer(self, body, conf, n, now_in, now_all):

        verified, why = False, ""
        try:
            Webhook(conf.get("secret", "")).verify(body, dict(self.headers))
            verified = True
        except Exception as e:  # noqa: BLE001: the reason goes to the log
            why = "%s: %s" % (type(e).__name__, e)

        time.sleep(pick(conf.get("sleep"), n, 0))
        status = pick(conf.get("answers"), n, 200)
        entry = {
            "path": self.path,
            "n": n,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "verified": verified,
            "why": why,
            "status": status,
            "time": time.time(),
            "inflight": now_in,
            "inflight_all": now_all,
        }
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
        return status

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
