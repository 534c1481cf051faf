"""A generated project followed by its own README, as a new user would (t/420).

    readme_walk.py static            for every flag set of tplcheck.py: the
                                     README's make targets exist, .env.example
                                     and the code agree on the variables
    readme_walk.py walk NAME         defaults | all-y | all-n | random-02 |
                                     random-03: render, then the README's
                                     "From zero" block line by line, the site
                                     used over HTTP (runserver, then the
                                     Dockerfile's gunicorn command)
    readme_walk.py walk defaults --browser --make
                                     also the sign-up in headless chromium and
                                     every make target the README lists

Output is TAP-like, as tplcheck.py's ("ok - ", "not ok - ", "skip - ", "# ");
"skip (optional) - " is a skip that CI=true accepts (Node.js and the npm
registry are optional, the README says): any other skip fails there.
"""
import argparse
import concurrent.futures
import hashlib
import hmac
import html
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tplcheck  # noqa: E402  (same folder)
from tplcheck import BUILD, REPO, flag_sets, free_port, render_cookiecutter, report  # noqa: E402

WALKS = ["defaults", "all-y", "all-n", "random-02", "random-03"]
OUT = BUILD / "tpl-readme"          # screenshots and server logs of failures
UV_CACHE = BUILD / "uv-cache"        # shared by every walk: warm runs are offline-fast
STRIPE_TEST_SECRET = "whsec_t420_" + "0" * 24
PASSWORD = "Corr3ct-Horse-Battery"
NETWORK_ENV = {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}


# ------------------------------------------------------------------ static

def readme_make_targets(readme: str) -> list[str]:
    """The make targets the README's tables and text tell the user to run."""
    targets = []
    for match in re.finditer(r"`make ([a-z][a-z-]*)", readme):
        targets.append(match.group(1))
    return sorted(set(targets))


def makefile_targets(makefile: str) -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))


ENV_READ = [
    r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"",
    r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"",
    r"os\.environ\[\s*\"([A-Z][A-Z0-9_]*)\"\s*\]",
    r"os\.getenv\(\s*\"([A-Z][A-Z0-9_]*)\"",
]
# read by the frameworks, not by the project's code
ENV_NOT_PROJECT = {"DJANGO_SETTINGS_MODULE", "PYTEST_VERSION"}


def env_both_ways(project: Path) -> list[str]:
    """Every variable any .py file of the project reads is in .env.example,
    and every variable of .env.example is read somewhere."""
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (project / ".env.example").read_text(), re.M))
    read: dict[str, str] = {}
    for path in sorted(project.rglob("*.py")):
        rel = str(path.relative_to(project))
        if rel.startswith("tests/"):
            continue
        text = path.read_text()
        for rx in ENV_READ:
            for name in re.findall(rx, text):
                read.setdefault(name, rel)
    read = {k: v for k, v in read.items() if k not in ENV_NOT_PROJECT}
    problems = [f"{name} is read in {rel} but missing from .env.example" for name, rel in sorted(read.items())
                if name not in listed]
    problems += [f"{name} is in .env.example but no code reads it" for name in sorted(listed - set(read))]
    return problems


def cmd_static(args) -> int:
    failures = 0
    work = Path(tempfile.mkdtemp(prefix="djass-readme-static-", dir=args.tmp))
    try:
        for name, identity, flags in flag_sets():
            project = render_cookiecutter(work / re.sub(r"[^A-Za-z0-9_.-]", "_", name), identity, flags)
            readme = (project / "README.md").read_text()
            listed = readme_make_targets(readme)
            missing = sorted(set(listed) - makefile_targets((project / "Makefile").read_text()))
            ok = report(listed and not missing, f"{name}: the README's make targets ({' '.join(listed)}) "
                        "are in the Makefile", [f"make {t}: no such target" for t in missing])
            envs = env_both_ways(project)
            ok &= report(not envs, f"{name}: every variable the code reads is in .env.example and back", envs)
            failures += not ok
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


# ------------------------------------------------------------------ HTTP

class Response:
    def __init__(self, status: int, url: str, body: bytes, headers):
        self.status, self.url, self.body, self.headers = status, url, body, headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def csrf(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        if not match:
            raise AssertionError(f"no CSRF token in the form at {self.url} ({self.status})")
        return match.group(1)


class BehindTLSProxy(http.cookiejar.DefaultCookiePolicy):
    """The TLS proxy in front of gunicorn: secure cookies travel on its plain-http hop."""

    def return_ok_secure(self, cookie, request):
        return True


# A loaded machine makes runserver and gunicorn drop a connection now and then
# (RemoteDisconnected, reset, refused while a worker restarts).  A browser tries
# again: so does Client, a few times with backoff.  A GET (idempotent) is retried
# on any connection-level failure, time-outs included; any other method only when
# the server sent no response at all (so it cannot have been answered twice).
# An HTTP status, 5xx included, is an answer: never retried, the checks see it.
RETRIES = 4                 # attempts after the first
RETRY_BACKOFF = 0.5         # seconds, doubled after each attempt


def no_response(err: BaseException) -> bool:
    """The request failed before the server sent a status line."""
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    return isinstance(reason, (ConnectionError, http.client.BadStatusLine))


def retryable(method: str, err: BaseException) -> bool:
    if isinstance(err, urllib.error.HTTPError):
        return False
    if method in ("GET", "HEAD", "OPTIONS"):
        return isinstance(err, (OSError, http.client.HTTPException))
    return no_response(err)


class Client:
    """A person's browser without JavaScript: one cookie jar, redirects followed,
    forms posted with their CSRF token and an Origin header, connection failures
    retried as a browser would (see RETRIES)."""

    def __init__(self, base: str, tls_proxy: bool = False):
        self.base = base.rstrip("/")
        self.tls_proxy = tls_proxy
        policy = BehindTLSProxy() if tls_proxy else http.cookiejar.DefaultCookiePolicy()
        self.jar = http.cookiejar.CookieJar(policy)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, method: str, path: str, data: dict | bytes | None = None, headers: dict | None = None,
                follow: bool = True) -> Response:
        url = path if path.startswith("http") else self.base + path
        for _ in range(10):
            hdrs = {"User-Agent": "t420-readme-walk", **(headers or {})}
            if self.tls_proxy:
                hdrs["X-Forwarded-Proto"] = "https"
            body = None
            if data is not None:
                body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
                hdrs.setdefault("Origin", ("https://" if self.tls_proxy else "http://") + self.base.split("://")[1])
            req = urllib.request.Request(url, data=body, headers=hdrs, method=method)
            res = self.send(req, method)
            if follow and res.status in (301, 302, 303, 307, 308) and res.headers.get("Location"):
                location = urllib.parse.urljoin(url, res.headers["Location"])
                if self.tls_proxy:  # the proxy's https URLs are our http ones
                    location = re.sub(r"^https://", "http://", location)
                if res.status in (301, 302, 303):
                    method, data = "GET", None
                url = location
                continue
            return res
        raise AssertionError(f"too many redirects from {path}")

    def send(self, req: urllib.request.Request, method: str) -> Response:
        delay = RETRY_BACKOFF
        for attempt in range(RETRIES + 1):
            try:
                with self.opener.open(req, timeout=60) as resp:
                    return Response(resp.status, req.full_url, resp.read(), resp.headers)
            except urllib.error.HTTPError as err:
                return Response(err.code, req.full_url, err.read(), err.headers)
            except (OSError, http.client.HTTPException) as err:
                if attempt == RETRIES or not retryable(method, err):
                    raise
                print(f"# {method} {req.full_url}: {err!r}; trying again in {delay:.1f}s", flush=True)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def submit(self, path: str, fields: dict, form_page: str | None = None) -> Response:
        """GET the page with the form (its CSRF token), then POST the form."""
        page = self.get(form_page or path)
        try:
            token = page.csrf()
        except AssertionError:
            # no form on that page (log out when already logged out): the CSRF cookie's value
            token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **fields})


# ------------------------------------------------------------------ processes

class Walk:
    def __init__(self, name: str, project: Path, uv: str | None, venv_bin: Path | None):
        self.name, self.project = name, project
        self.uv = uv                   # None: uv did not work here, same pins with pip
        self.venv_bin = venv_bin
        self.failures = 0
        self.servers: list[subprocess.Popen] = []
        self.env = {
            "PATH": ":".join(p for p in [str(venv_bin) if venv_bin else "",
                                         str(Path(uv).parent) if uv else "", "/usr/bin", "/bin"] if p),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # uv: the machine's python3 (Debian's), never a download; one shared cache
            "UV_PYTHON": tplcheck.base_python(),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_CACHE_DIR": str(UV_CACHE),
            "UV_NO_PROGRESS": "1",
        }
        # the machine's own network settings (CA bundle, proxies, pip's): uv and npm need them
        for key, value in os.environ.items():
            if key in NETWORK_ENV or key.startswith("PIP_") or key.lower().endswith("_proxy"):
                self.env.setdefault(key, value)

    def check(self, ok: bool, label: str, details: list[str] | str = ()) -> bool:
        if isinstance(details, str):
            details = details.splitlines()[-30:]
        self.failures += not ok
        return report(ok, f"{self.name}: {label}", [] if ok else details)

    def shell(self, line: str, extra: dict | None = None, timeout: int = 600) -> tuple[bool, str]:
        proc = subprocess.run(["bash", "-c", line], cwd=self.project, env={**self.env, **(extra or {})},
                              capture_output=True, text=True, timeout=timeout)
        return proc.returncode == 0, (proc.stdout + proc.stderr).strip()

    def start(self, line: str, log: Path, extra: dict | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(["sh", "-c", line], cwd=self.project,
                                env={**self.env, **(extra or {})}, stdout=open(log, "wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.servers.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # runserver's reloader child is in its group
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc in self.servers:
            self.servers.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.servers):
            self.stop(proc)


def wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: int = 180) -> str:
    """Poll url until the server answers (any HTTP status); "" then, else why not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited {proc.returncode}: " + log.read_text(errors="replace")[-1500:]
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return ""
        except urllib.error.HTTPError:
            return ""  # it answers
        except (OSError, http.client.HTTPException):
            time.sleep(0.25)
    return f"no answer within {seconds}s: " + log.read_text(errors="replace")[-1500:]


# ------------------------------------------------------------------ README

def from_zero_block(readme: str) -> list[str]:
    """The command lines of the README's 'From zero' bash block."""
    section = readme.split("## From zero", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = []
    for raw in block.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def install_with_uv(walk: Walk, line: str) -> tuple[bool, str]:
    return walk.shell(line, timeout=900)


def dockerfile_cmd(project: Path) -> tuple[str, str]:
    """The Dockerfile's collectstatic RUN line and its CMD's shell command."""
    text = (project / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    assert cmd[:2] == ["sh", "-c"], cmd
    run = re.search(r"^RUN (DJANGO_SECRET_KEY=\S+ python manage.py collectstatic --noinput)", text, re.M).group(1)
    return run, cmd[2]


# ------------------------------------------------------------------ the site

def mails(log: Path, since: int) -> str:
    return log.read_text(errors="replace")[since:]


def use_the_site(walk: Walk, base: str, flags: dict, identity: dict, log: Path | None, mandatory: bool,
                 tls_proxy: bool, tag: str) -> dict:
    """A person's visit; returns what later steps need (the user's email and id)."""
    name = identity.get("project_name", tplcheck.CATALOG["project_name"])
    c = Client(base, tls_proxy=tls_proxy)
    chk = lambda ok, label, details=(): walk.check(ok, f"{tag}: {label}", details)  # noqa: E731

    home = c.get("/")
    chk(home.status == 200 and html.escape(name) in home.text,
        f"the landing page is 200 and shows the project's name {name!r}", f"{home.status}: {home.text[:300]}")

    email = f"ada-{secrets.token_hex(4)}@example.com"
    mark = len(log.read_text(errors="replace")) if log else 0
    signup = c.submit("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    if mandatory:
        chk(signup.status == 200 and "/accounts/confirm-email/" in signup.url,
            "sign-up asks to confirm the address (ACCOUNT_EMAIL_VERIFICATION=mandatory)",
            f"{signup.status} {signup.url}")
    else:
        chk(signup.status == 200 and signup.url.endswith("/dashboard/"),
            "sign-up lands on the dashboard", f"{signup.status} {signup.url}: {signup.text[:300]}")
    if log is not None:
        # the console backend's print reaches the log file a moment after the answer
        confirm = r"https?://[^\s\"<>]+/accounts/confirm-email/[^\s\"<>]+/"
        deadline = time.monotonic() + 30
        printed = mails(log, mark)
        while not (re.search(confirm, printed) and email in printed) and time.monotonic() < deadline:
            time.sleep(0.1)
            printed = mails(log, mark)
        link = re.search(confirm, printed)
        chk(link is not None and email in printed,
            "the confirmation mail is printed by the console email backend", printed[-800:])
        if link and mandatory:
            confirm_path = urllib.parse.urlparse(link.group(0)).path
            page = c.get(confirm_path)
            done = c.request("POST", confirm_path, {"csrfmiddlewaretoken": page.csrf()}) if page.status == 200 \
                else page
            chk(done.status == 200, "the mail's confirmation link confirms the address",
                f"{done.status} {done.url}: {done.text[:300]}")
    out = c.submit("/accounts/logout/", {})
    chk(out.status == 200, "log out", f"{out.status} {out.url}")
    login = c.submit("/accounts/login/", {"login": email, "password": PASSWORD})
    chk(login.status == 200 and login.url.endswith("/dashboard/"), "log in with email and password",
        f"{login.status} {login.url}: {login.text[:300]}")
    dash = c.get("/dashboard/")
    chk(dash.status == 200 and "/dashboard/" in dash.url, "the dashboard is 200", f"{dash.status} {dash.url}")

    made = c.submit("/settings/api-keys/", {"name": "t420"}, form_page="/settings/")
    key = re.search(r'id="new-api-key">(sk_[A-Za-z0-9_\-]+)<', made.text)
    chk(made.status == 200 and key is not None, "an API key is created on the settings page and shown once",
        f"{made.status} {made.url}")
    key = key.group(1) if key else "sk_none"
    me = c.get("/api/me", headers={"X-API-Key": key})
    me_json = me.json() if me.status == 200 else {}
    chk(me.status == 200 and me_json.get("email") == email, "GET /api/me with the key (X-API-Key) is 200",
        f"{me.status}: {me.text[:300]}")
    bearer = Client(base, tls_proxy).get("/api/me", headers={"Authorization": f"Bearer {key}"})
    chk(bearer.status == 200, "GET /api/me with Authorization: Bearer is 200", f"{bearer.status}")
    anon = Client(base, tls_proxy).get("/api/me")
    chk(anon.status == 401, "GET /api/me without a key is 401", f"{anon.status}: {anon.text[:200]}")
    docs = c.get("/api/docs")
    chk(docs.status == 200, "/api/docs is 200", f"{docs.status}")
    health = c.get("/api/health")
    chk(health.status == 200 and health.json() == {"status": "ok"}, "the health check /api/health is 200",
        f"{health.status}: {health.text[:200]}")

    admin = Client(base, tls_proxy)
    logged = admin.submit("/admin/login/?next=/admin/", {"username": "root@example.com", "password": PASSWORD,
                                                         "next": "/admin/"})
    chk(logged.status == 200 and logged.url.endswith("/admin/") and "logout" in logged.text.lower(),
        "the superuser logs in to the admin", f"{logged.status} {logged.url}")

    on = {f for f, v in flags.items() if v == "y"}
    if "generate_blog" in on:
        slug = f"hello-{secrets.token_hex(3)}"
        added = admin.submit("/admin/blog/post/add/", {
            "title": "Hello from t420", "slug": slug, "author": "", "summary": "A first post",
            "body": "Some **bold** words.", "status": "published", "published_at_0": "", "published_at_1": "",
            "_save": "Save"})
        chk(added.status == 200 and added.url.endswith("/admin/blog/post/"), "a post is published in the admin",
            f"{added.status} {added.url}: {re.findall(r'errorlist.*', added.text)[:3]}")
        lst = c.get("/blog/")
        chk(lst.status == 200 and "Hello from t420" in lst.text, "the blog list shows the post", f"{lst.status}")
        one = c.get(f"/blog/{slug}/")
        chk(one.status == 200 and "<strong>bold</strong>" in one.text, "the post's page renders its Markdown",
            f"{one.status}")
        feed = c.get("/blog/feed/")
        chk(feed.status == 200 and slug in feed.text, "the RSS feed lists the post", f"{feed.status}")
        api_posts = c.get("/api/posts", headers={"X-API-Key": key})
        chk(api_posts.status == 200 and any(p["slug"] == slug for p in api_posts.json()),
            "GET /api/posts lists the post", f"{api_posts.status}")
    sitemap = c.get("/sitemap.xml")
    chk(sitemap.status == 200 and "<urlset" in sitemap.text
        and ("generate_blog" not in on or "/blog/hello-" in sitemap.text),
        "sitemap.xml is 200" + (" and lists the post" if "generate_blog" in on else ""), f"{sitemap.status}")
    if "generate_docs" in on:
        index = c.get("/docs/")
        pages = sorted(set(re.findall(r'href="(/docs/[a-z0-9-]+/)"', index.text)))
        chk(index.status == 200 and len(pages) >= 3, f"the docs index is 200 and links {len(pages)} pages",
            f"{index.status}: {pages}")
        bad = [(p, c.get(p).status) for p in pages]
        chk(all(s == 200 for _, s in bad), "every docs page is 200", [f"{p}: {s}" for p, s in bad if s != 200])
    if "use_stripe" in on:
        pricing = c.get("/billing/pricing/")
        chk(pricing.status == 200, "the pricing page is 200", f"{pricing.status}")
        stripe_webhook(walk, c, chk, me_json.get("id"), key)
    if "use_ai" in on:
        page = c.get("/ai/summarize/")
        chk(page.status == 200, "the AI summarize page is 200", f"{page.status}")
        api = c.request("POST", "/api/ai/summarize", json.dumps({"text": "Some text."}).encode(),
                        headers={"X-API-Key": key, "Content-Type": "application/json"})
        chk(api.status == 503 and "AI_API_KEY" in api.text,
            "POST /api/ai/summarize says 503 'not configured' while AI_API_KEY is empty", f"{api.status}: {api.text}")

    off = {f for f, v in flags.items() if v != "y"}
    gone = {
        "generate_blog": ["/blog/", "/blog/feed/", "/api/posts"],
        "generate_docs": ["/docs/", "/docs/introduction/"],
        "use_stripe": ["/billing/pricing/", "/billing/webhook/"],
        "use_ai": ["/ai/summarize/", "/api/ai/summarize"],
    }
    for flag, paths in gone.items():
        if flag in off:
            codes = [(p, c.get(p, headers={"X-API-Key": key}).status) for p in paths]
            chk(all(s == 404 for _, s in codes), f"{flag}=n: its URLs are 404 ({', '.join(paths)})",
                [f"{p}: {s}" for p, s in codes if s != 404])
    return {"email": email}


def stripe_webhook(walk, c: Client, chk, user_id, key: str) -> None:
    payload = json.dumps({"id": "evt_t420", "type": "checkout.session.completed",
                          "data": {"object": {"id": "cs_t420", "client_reference_id": str(user_id),
                                              "customer": "cus_t420", "subscription": "sub_t420",
                                              "amount_total": 900}}}).encode()
    headers = {"Content-Type": "application/json"}
    stamp = str(int(time.time()))
    forged = hmac.new(b"whsec_not_the_secret", f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    bad = c.request("POST", "/billing/webhook/", payload, headers={**headers,
                                                                   "Stripe-Signature": f"t={stamp},v1={forged}"})
    chk(bad.status == 400, "the Stripe webhook rejects a bad signature (400)", f"{bad.status}: {bad.text[:200]}")
    # Stripe's scheme: v1 = HMAC-SHA256(secret, "<t>.<payload>"), hex
    good_sig = hmac.new(STRIPE_TEST_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    good = c.request("POST", "/billing/webhook/", payload, headers={**headers,
                                                                    "Stripe-Signature": f"t={stamp},v1={good_sig}"})
    chk(good.status == 200, "the Stripe webhook accepts an event signed with the webhook secret",
        f"{good.status}: {good.text[:200]}")
    me = c.get("/api/me", headers={"X-API-Key": key})
    status = me.json().get("subscription_status") if me.status == 200 else None
    chk(status == "active", "the signed checkout.session.completed event made the subscription active",
        f"subscription_status={status!r}")


# ------------------------------------------------------------------ browser

def browser_signup(walk: Walk, base: str) -> None:
    """The sign-up -> dashboard flow in Debian's headless chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, driver_bin = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_bin):
        print(f"skip - {walk.name}: sign-up in headless chromium: Debian's chromium and chromium-driver "
              "are not installed (scripts/setup installs them)")
        return
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--no-first-run"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ["SE_OFFLINE"] = "true"  # never let selenium-manager download a browser
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_bin))
    console: list[str] = []
    unreachable: set[str] = set()
    origin = base.rstrip("/")

    def collect():
        for entry in driver.get_log("browser"):
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            urls = re.findall(r"https?://[^\s\"')]+", message)
            if urls and not any(u.startswith(origin) for u in urls):
                # a third-party resource (Tailwind's browser build from its CDN) this machine cannot reach
                unreachable.update(urllib.parse.urlparse(u).netloc for u in urls)
                continue
            console.append(message)

    try:
        driver.set_page_load_timeout(60)
        driver.get(base + "/")
        collect()
        driver.find_element(By.CSS_SELECTOR, 'a[href="/accounts/signup/"]').click()
        WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.NAME, "email")))
        collect()
        email = f"chromium-{secrets.token_hex(4)}@example.com"
        driver.find_element(By.NAME, "email").send_keys(email)
        driver.find_element(By.NAME, "password1").send_keys(PASSWORD)
        driver.find_element(By.NAME, "password2").send_keys(PASSWORD)
        driver.find_element(By.NAME, "password2").submit()
        WebDriverWait(driver, 30).until(EC.url_contains("/dashboard/"))
        collect()
        OUT.mkdir(parents=True, exist_ok=True)
        shot = OUT / f"{walk.name}-dashboard.png"
        driver.save_screenshot(str(shot))
        walk.check("/dashboard/" in driver.current_url and email in driver.page_source,
                   f"chromium: sign-up lands on the dashboard showing {email} (screenshot {shot.relative_to(REPO)})",
                   driver.current_url)
        walk.check(not console, "chromium: no console errors from the site", console)
        if unreachable:
            print(f"# {walk.name}: chromium could not load third-party resources from "
                  f"{', '.join(sorted(unreachable))} (no route from this machine); not counted")
    except Exception as exc:  # noqa: BLE001 - a failed browser step is a finding
        walk.check(False, "chromium: sign-up lands on the dashboard", [repr(exc)[:500]])
    finally:
        driver.quit()


# ------------------------------------------------------------------ make targets

def make_targets(walk: Walk, base_port: int) -> None:
    """Every make target the README lists, run the way the README says."""
    readme = (walk.project / "README.md").read_text()
    # ruff format may rewrite files: last, so that the others see the project as shipped
    targets = sorted(readme_make_targets(readme), key=lambda t: t == "format")
    special = {"dev", "worker", "css", "css-watch", "format"}
    # the plain commands (test, check, lint, migrate: pytest twice, on in-memory
    # test databases) run two at a time, beside the servers below; reported in order
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)

    def plain(target: str) -> tuple[bool, str, float]:
        started = time.monotonic()
        ok, out = walk.shell(f"make {target}", timeout=900)
        return ok, out, time.monotonic() - started

    running = {t: pool.submit(plain, t) for t in targets if t not in special}
    try:
        for target in targets:
            if target == "format":
                continue
            if target == "dev":
                port = free_port()
                log = walk.project / "make-dev.log"
                proc = walk.start(f"make dev PORT={port}", log)
                err = wait_http(f"http://127.0.0.1:{port}/", proc, log)
                walk.stop(proc)
                walk.check(not err, f"make dev PORT={port} serves the site", err)
            elif target == "worker":
                worker_with_redis(walk)
            elif target in ("css", "css-watch"):
                make_css(walk, target)
    finally:
        pool.shutdown(wait=True)
    for target, future in running.items():
        ok, out, took = future.result()
        walk.check(ok, f"make {target} ({took:.0f}s)", out)
    if "format" in targets:
        started = time.monotonic()
        ok, out = walk.shell("make format", timeout=900)
        walk.check(ok, f"make format ({time.monotonic() - started:.0f}s)", out)


def worker_with_redis(walk: Walk) -> None:
    redis = shutil.which("redis-server")
    if not redis:
        print(f"skip - {walk.name}: make worker: no redis-server (scripts/setup installs it)")
        return
    port = free_port()
    rdir = Path(tempfile.mkdtemp(prefix="djass-redis-"))
    server = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(rdir)], stdout=subprocess.DEVNULL)
    log = walk.project / "make-worker.log"
    try:
        env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        proc = walk.start("make worker", log, env)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None and " ready." not in log.read_text(errors="replace"):
            time.sleep(0.3)
        text = log.read_text(errors="replace")
        walk.stop(proc)
        walk.check(" ready." in text and "beat: Starting" in text,
                   "make worker: the Celery worker and its beat scheduler start on Redis", text[-1500:])
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(rdir, ignore_errors=True)


def make_css(walk: Walk, target: str) -> None:
    """npm fetches Tailwind from the npm registry: run it where that registry answers."""
    if target == "css-watch":
        if (walk.project / "node_modules" / ".bin" / "tailwindcss").exists():
            proc = walk.start("make css-watch", walk.project / "make-css-watch.log")
            time.sleep(5)
            alive = proc.poll() is None
            walk.stop(proc)
            walk.check(alive, "make css-watch keeps watching")
        else:
            print(f"skip (optional) - {walk.name}: make css-watch: needs make css's node_modules")
        return
    if not shutil.which("npm"):
        print(f"skip (optional) - {walk.name}: make css: no npm (Node.js is optional, the README says)")
        return
    started = time.monotonic()
    # fail fast where the npm registry cannot be reached (npm's own settings)
    ok, out = walk.shell("make css", {"npm_config_fetch_retries": "0", "npm_config_fetch_timeout": "15000"},
                         timeout=300)
    if not ok and re.search(r"E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)|network|403", out):
        print(f"skip (optional) - {walk.name}: make css: the npm registry is not reachable from this machine "
              f"({time.monotonic() - started:.0f}s)")
        return
    built = (walk.project / "static/css/app.css").is_file()
    walk.check(ok and built, "make css builds static/css/app.css", out)


# ------------------------------------------------------------------ walk

def cmd_walk(args) -> int:
    sets = {name: (identity, flags) for name, identity, flags in flag_sets()}
    identity, flags = sets[args.name]
    work = Path(tempfile.mkdtemp(prefix=f"djass-readme-{args.name}-", dir=args.tmp))
    walk = None
    begun = time.monotonic()
    for stale in OUT.glob(f"{args.name}-*"):
        stale.unlink()
    try:
        project = render_cookiecutter(work, identity, flags)
        print(f"# {args.name}: {' '.join(f for f, v in flags.items() if v == 'y') or 'no option'} on")
        uv = str(Path(sys.executable).parent / "uv")
        walk = Walk(args.name, project, uv if os.access(uv, os.X_OK) else None, None)
        lines = from_zero_block((project / "README.md").read_text())
        mandatory = args.name not in ("defaults", "all-n")
        run_port = free_port()
        runserver = None
        log = project / "runserver.log"
        for line in lines:
            started = time.monotonic()
            if line == "cp .env.example .env":
                ok, out = walk.shell(line)
                walk.check(ok, f"README: {line}", out)
                # what a user fills in: the webhook secret from Stripe's dashboard, and
                # (all but the defaults and all-n) address confirmation made mandatory
                extra = []
                if flags.get("use_stripe") == "y":
                    extra.append(f"STRIPE_WEBHOOK_SECRET={STRIPE_TEST_SECRET}")
                if mandatory:
                    extra.append("ACCOUNT_EMAIL_VERIFICATION=mandatory")
                env_file = project / ".env"
                text = env_file.read_text()
                for setting in extra:
                    key = setting.split("=", 1)[0]
                    text = re.sub(rf"^{key}=.*$", setting, text, flags=re.M)
                env_file.write_text(text)
            elif line == "uv sync":
                how = "from the uv cache"
                if not walk.uv:
                    ok, out = False, "uv is not installed in the test venv"
                else:
                    # the same command; first without revalidating PyPI's index pages (a warm
                    # build/uv-cache holds every pin), then as is, online
                    ok, out = walk.shell(line, {"UV_OFFLINE": "1"}, timeout=900)
                    if not ok:
                        how = "online"
                        ok, out = walk.shell(line, timeout=900)
                if ok:
                    walk.check(True, f"README: {line} ({how}, {time.monotonic() - started:.0f}s, "
                                     f"uv {uv_version(walk)})")
                    walk.venv_bin = project / ".venv" / "bin"
                else:
                    # uv could not install here: the same pins with pip (tplcheck's wheel cache),
                    # and every later `uv run X` runs X from that venv
                    print(f"# {args.name}: uv sync failed here, installing the same pins with pip: "
                          + " | ".join(out.splitlines()[-3:]))
                    venv, notes = tplcheck.ensure_venv(tplcheck.requirements(project))
                    walk.uv = None
                    walk.venv_bin = venv / "bin"
                    walk.check(True, f"the pinned dependencies, with pip instead of uv ({', '.join(notes)})")
                walk.env["PATH"] = f"{walk.venv_bin}:{walk.env['PATH']}"
            elif line.endswith("manage.py createsuperuser"):
                cmd = as_run(walk, line) + " --noinput"
                ok, out = walk.shell(cmd, {"DJANGO_SUPERUSER_EMAIL": "root@example.com",
                                           "DJANGO_SUPERUSER_PASSWORD": PASSWORD})
                walk.check(ok, f"README: {line} --noinput (DJANGO_SUPERUSER_EMAIL/_PASSWORD)", out)
            elif line.endswith("manage.py runserver"):
                cmd = as_run(walk, line) + f" 127.0.0.1:{run_port}"
                runserver = walk.start(cmd, log)
                err = wait_http(f"http://127.0.0.1:{run_port}/", runserver, log)
                walk.check(not err, f"README: {line} {run_port} serves over plain http", err)
            elif line.startswith("uv run "):
                ok, out = walk.shell(as_run(walk, line))
                walk.check(ok, f"README: {line} ({time.monotonic() - started:.0f}s)", out)
            else:
                walk.check(False, f"README: {line}: a step this test does not know (teach t/template/readme_walk.py)")
        if walk.failures or runserver is None:
            return 1
        base = f"http://127.0.0.1:{run_port}"
        use_the_site(walk, base, flags, identity, log, mandatory, tls_proxy=False, tag="runserver")
        if args.browser:
            browser_signup(walk, base)
        walk.stop(runserver)

        print(f"# {args.name}: README and runserver walk done at {time.monotonic() - begun:.0f}s")
        production(walk, flags, identity)
        print(f"# {args.name}: gunicorn walk done at {time.monotonic() - begun:.0f}s")
        if args.make:
            make_targets(walk, run_port)
            print(f"# {args.name}: make targets done at {time.monotonic() - begun:.0f}s")
        return 1 if walk.failures else 0
    finally:
        if walk is not None:
            walk.stop_all()
            if walk.failures:
                OUT.mkdir(parents=True, exist_ok=True)
                for log in project.glob("*.log"):
                    shutil.copy(log, OUT / f"{args.name}-{log.name}")
                print(f"# {args.name}: server logs kept in {OUT.relative_to(REPO)}/")
        shutil.rmtree(work, ignore_errors=True)


def uv_version(walk: Walk) -> str:
    return subprocess.run([walk.uv, "--version"], capture_output=True, text=True).stdout.split()[1]


def as_run(walk: Walk, line: str) -> str:
    """`uv run X`: as written with uv; X from the venv when pip installed the pins."""
    return line if walk.uv else line.removeprefix("uv run ")


def production(walk: Walk, flags: dict, identity: dict) -> None:
    """The Docker image's way: collectstatic as its RUN line, then its CMD (migrate
    and gunicorn) with production settings (no .env: .dockerignore leaves it out),
    behind a TLS proxy that the test plays (X-Forwarded-Proto: https)."""
    project = walk.project
    run, cmd = dockerfile_cmd(project)
    env_file = project / ".env"
    env_file.rename(project / ".env.local")  # not in the image
    try:
        ok, out = walk.shell(run)
        walk.check(ok, f"Dockerfile: {run}", out)
        port = free_port()
        prod = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "PORT": str(port), "WEB_CONCURRENCY": "2", "SITE_URL": f"https://127.0.0.1:{port}"}
        if flags.get("use_stripe") == "y":
            prod["STRIPE_WEBHOOK_SECRET"] = STRIPE_TEST_SECRET
        log = project / "gunicorn.log"
        proc = walk.start(cmd, log, prod)
        err = wait_http(f"http://127.0.0.1:{port}/api/health", proc, log)
        walk.check(not err, f"Dockerfile CMD (migrate, gunicorn) serves on port {port} with DJANGO_DEBUG off",
                   err)
        if err:
            return
        plain = Client(f"http://127.0.0.1:{port}").get("/", follow=False)
        walk.check(plain.status == 301 and plain.headers.get("Location", "").startswith("https://"),
                   "gunicorn: plain http is redirected to https", f"{plain.status} {plain.headers.get('Location')}")
        use_the_site(walk, f"http://127.0.0.1:{port}", flags, identity, None, False, tls_proxy=True,
                     tag="gunicorn behind TLS")
        static = Client(f"http://127.0.0.1:{port}", tls_proxy=True).get("/")
        css = re.search(r'href="(/static/[^"]+\.svg)"', static.text)
        asset = Client(f"http://127.0.0.1:{port}", tls_proxy=True).get(css.group(1)) if css else None
        walk.check(asset is not None and asset.status == 200 and re.search(r"\.[0-9a-f]{12}\.svg$", css.group(1)),
                   "gunicorn: whitenoise serves the hashed static files collectstatic wrote",
                   f"{css and css.group(1)}: {asset and asset.status}")
        walk.stop(proc)
    finally:
        (project / ".env.local").rename(env_file)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tmp", default=None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("static")
    walk = sub.add_parser("walk")
    walk.add_argument("name", choices=WALKS)
    walk.add_argument("--browser", action="store_true", help="also the sign-up in headless chromium")
    walk.add_argument("--make", action="store_true", help="also every make target the README lists")
    args = parser.parse_args()
    return cmd_static(args) if args.cmd == "static" else cmd_walk(args)


if __name__ == "__main__":
    sys.exit(main())
