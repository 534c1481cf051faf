"""Checks of the shipped template (template/), driven by t/4xx-*.t.

    tplcheck.py renders --worker PATH    render every flag set with cookiecutter
                                         and djass-worker, compare, inspect
    tplcheck.py project NAME             defaults | all-y | all-n: install the
                                         generated project and run its checks

Output is TAP-like: "ok - name" / "not ok - name" lines, "# ..." diagnostics;
the .t files turn each line into one assertion.
"""
import argparse
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import yaml
from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Path(os.environ.get("DJASS_TEMPLATE", REPO / "template"))
BUILD = REPO / "build"
CATALOG = json.loads((TEMPLATE / "cookiecutter.json").read_text())
FLAGS = [key for key, value in CATALOG.items() if value in ("y", "n")]
DEFAULTS = {key: CATALOG[key] for key in FLAGS}
RANDOM_COMBOS = 24
# DJASS_TEMPLATE=another/template: only the generic checks apply to it
SHIPPED = TEMPLATE.resolve() == (REPO / "template").resolve()

# Files that exist exactly when their flag is "y".
FILES_WHEN_ON = {
    "use_posthog": ["apps/core/analytics.py", "templates/partials/posthog.html", "tests/test_posthog.py"],
    "use_chatwoot": ["apps/core/chatwoot.py", "templates/partials/chatwoot.html", "tests/test_chatwoot.py"],
    "use_s3": ["tests/test_s3.py"],
    "use_stripe": [
        "apps/billing/views.py", "apps/billing/services.py", "apps/billing/urls.py",
        "templates/billing/pricing.html", "tests/test_billing.py",
    ],
    "use_sentry": ["config/sentry_setup.py", "tests/test_sentry.py"],
    "generate_blog": [
        "apps/blog/models.py", "apps/blog/migrations/0001_initial.py", "apps/blog/feeds.py",
        "apps/blog/sitemaps.py", "apps/blog/admin.py", "templates/blog/post_list.html",
        "templates/blog/post_detail.html", "tests/test_blog.py",
    ],
    "generate_docs": [
        "apps/docs/pages.py", "apps/docs/views.py", "content/docs/01-introduction.md",
        "templates/docs/page.html", "tests/test_docs.py",
    ],
    "use_mjml": ["templates/emails/base.mjml", "templates/emails/welcome.mjml", "tests/test_mjml.py"],
    "use_ai": ["apps/ai/service.py", "apps/ai/views.py", "templates/ai/summarize.html", "tests/test_ai.py"],
    "use_logfire": ["config/logfire_setup.py", "tests/test_logfire.py"],
    "use_healthchecks": ["apps/core/healthchecks.py", "tests/test_healthchecks.py"],
    "use_apprise": ["apps/core/notifications.py", "tests/test_apprise.py"],
    "use_mcp": ["mcp_server/server.py", "mcp_server/__main__.py", "tests/test_mcp.py"],
    "use_ci": [".github/workflows/ci.yml"],
    "use_digitalocean": [".do/app.yaml", ".github/workflows/deploy-digitalocean.yml"],
}

# Words (regular expressions, case-insensitive) that must appear in no file
# content and no path of a project generated with the flag "n".
FORBIDDEN_WHEN_OFF = {
    "use_posthog": [r"posthog"],
    "use_chatwoot": [r"chatwoot"],
    "use_s3": [r"django-storages", r"storages\.backends", r"\"storages\"", r"minio", r"\baws_", r"\bs3\b", r"boto"],
    "use_stripe": [r"stripe", r"billing", r"subscription", r"pricing", r"checkout[._]session", r"billing:checkout"],
    "use_sentry": [r"sentry"],
    "generate_blog": [r"blog", r"PostSitemap", r"LatestPostsFeed"],
    "generate_docs": [r"apps[./]docs", r"DOCS_CONTENT_DIR", r"content/docs", r"docs:(index|page)", r"markdown"],
    "use_mjml": [r"mjml"],
    "use_ai": [r"apps[./]ai\b", r"\bAI_(API_KEY|MODEL|BASE_URL|TIMEOUT)", r"summariz", r"ai:"],
    "use_logfire": [r"logfire", r"opentelemetry"],
    "use_healthchecks": [r"healthchecks", r"hc-ping", r"heartbeat"],
    "use_apprise": [r"apprise", r"notify_admins"],
    "use_mcp": [r"\bmcp", r"model context protocol"],
    "use_ci": [r"ci\.yml", r"setup-uv", r"continuous integration"],
    "use_digitalocean": [r"digitalocean", r"\.do/", r"app platform", r"app_action"],
}
# "markdown" belongs to the blog too: it is forbidden only when both are off.
SHARED_WORDS = {r"markdown": ("generate_blog", "generate_docs")}

# Identity inputs the random combinations draw from (a slug starting with a
# digit, an empty author email, a hex main colour...).
IDENTITIES = [
    {},
    {"project_name": "Acme CRM", "project_slug": "acme_crm", "caprover_app_name": "acme-crm",
     "author_email": "bot@acme.test", "repo_url": "https://github.com/acme/acme-crm",
     "project_main_color": "blue"},
    {"project_name": "2Fast Tracker", "project_slug": "2fast_tracker", "caprover_app_name": "2fast-tracker",
     "author_email": "", "project_main_color": "#ff6600", "author_name": "Zoë Ops"},
    {"project_name": "Bookly", "project_description": "Books, \"quoted\" & <escaped>.",
     "author_email": "me@bookly.test", "project_main_color": "Rose"},
    {"project_name": "Light Ops", "project_main_color": "Light Blue", "author_url": "https://ops.example",
     "repo_url": "https://gitlab.example/ops/light-ops.git"},
]

TEXT_SUFFIXES_DJANGO = (".html", ".mjml", ".txt")
WORKER_PREFIX: list[str] = []  # e.g. valgrind and its options (VALGRIND=1)
DJANGO_TAGS = {
    "autoescape", "endautoescape", "block", "endblock", "comment", "endcomment", "csrf_token", "cycle",
    "extends", "filter", "endfilter", "firstof", "for", "empty", "endfor", "if", "elif", "else", "endif",
    "include", "load", "lorem", "now", "regroup", "spaceless", "endspaceless", "templatetag", "url",
    "verbatim", "endverbatim", "widthratio", "with", "endwith", "static", "get_static_prefix",
}


def flag_sets():
    sets = [("defaults", {}, dict(DEFAULTS))]
    sets.append(("all-y", {}, {f: "y" for f in FLAGS}))
    sets.append(("all-n", {}, {f: "n" for f in FLAGS}))
    for flag in FLAGS:
        flags = dict(DEFAULTS)
        flags[flag] = "n" if DEFAULTS[flag] == "y" else "y"
        sets.append((f"{flag}={flags[flag]}", {}, flags))
    for index in range(RANDOM_COMBOS):
        rng = random.Random(6000 + index)
        flags = {f: rng.choice("yn") for f in FLAGS}
        identity = IDENTITIES[index % len(IDENTITIES)] if SHIPPED else {}
        sets.append((f"random-{index:02d}", identity, flags))
    return sets


def render_cookiecutter(out: Path, identity: dict, flags: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out),
                             extra_context={**identity, **flags}))


def render_worker(worker: str, out: Path, identity: dict, flags: dict) -> tuple[Path | None, str]:
    out.mkdir(parents=True, exist_ok=True)
    args = [*WORKER_PREFIX, worker, "render", str(TEMPLATE), "-o", str(out)]
    args += [f"{key}={value}" for key, value in {**identity, **flags}.items()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {proc.stderr.strip()[:500]}"
    dirs = [p for p in out.iterdir() if p.is_dir()]
    if len(dirs) != 1:
        return None, f"expected one project folder, found {[d.name for d in dirs]}"
    return dirs[0], ""


def tree(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def compare_trees(a: Path, b: Path) -> list[str]:
    ta, tb = tree(a), tree(b)
    problems = []
    for rel in sorted(set(ta) ^ set(tb)):
        problems.append(f"only in {'cookiecutter' if rel in ta else 'djass-worker'}: {rel}")
    for rel in sorted(set(ta) & set(tb)):
        if ta[rel].read_bytes() != tb[rel].read_bytes():
            problems.append(f"content differs: {rel}")
        elif (ta[rel].stat().st_mode & 0o111) != (tb[rel].stat().st_mode & 0o111):
            problems.append(f"executable bit differs: {rel}")
    return problems


def is_django_template(rel: str) -> bool:
    return "templates/" in rel and rel.endswith(TEXT_SUFFIXES_DJANGO)


def leftover_syntax(root: Path) -> list[str]:
    problems = []
    for rel, path in tree(root).items():
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"cookiecutter\.[a-z_]", text) or "cookiecutter." in rel:
            problems.append(f"{rel}: cookiecutter variable left")
        if re.search(r"\{%-|-%\}|\{%\s*(raw|endraw)\b", text):
            problems.append(f"{rel}: Jinja-only syntax left")
        if is_django_template(rel) or rel.endswith("tailwind_theme.css"):
            # Django's own template language lives here: only its tags
            for tag in re.findall(r"\{%\s*(\w+)", text):
                if tag not in DJANGO_TAGS:
                    problems.append(f"{rel}: '{{% {tag}' is not a Django template tag")
            continue
        stripped = re.sub(r"\$\{\{[^}]*\}\}", "", text)  # GitHub Actions expressions
        for token in ("{{", "{%", "{#"):
            if token in stripped:
                problems.append(f"{rel}: '{token}' left")
    return problems


def parse_files(root: Path) -> tuple[list[str], dict[str, int]]:
    problems, counts = [], {"py": 0, "toml": 0, "json": 0, "yaml": 0}
    for rel, path in tree(root).items():
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            if rel.endswith(".py"):
                compile(text, rel, "exec", dont_inherit=True)
                counts["py"] += 1
            elif rel.endswith(".toml"):
                tomllib.loads(text)
                counts["toml"] += 1
            elif rel.endswith(".json") or rel == "captain-definition":
                json.loads(text)
                counts["json"] += 1
            elif rel.endswith((".yml", ".yaml")):
                yaml.safe_load(text)
                counts["yaml"] += 1
        except Exception as exc:  # noqa: BLE001 - every parse error is a finding
            problems.append(f"{rel}: {type(exc).__name__}: {exc}")
    return problems, counts


def forbidden_words(root: Path, flags: dict) -> list[str]:
    off = {f for f, v in flags.items() if v != "y"}
    patterns = []
    for flag in sorted(off):
        for word in FORBIDDEN_WHEN_OFF[flag]:
            owners = SHARED_WORDS.get(word)
            if owners and not all(o in off for o in owners):
                continue
            patterns.append((flag, word, re.compile(word, re.I)))
    problems = []
    for rel, path in tree(root).items():
        text = rel + "\n" + path.read_text(encoding="utf-8", errors="replace")
        for flag, word, rx in patterns:
            match = rx.search(text)
            if match:
                line = text[: match.start()].count("\n")
                problems.append(f"{flag}=n but /{word}/ in {rel}" + (f":{line}" if line else " (path)"))
    return problems


def expected_files(root: Path, flags: dict) -> list[str]:
    problems = []
    for flag, files in FILES_WHEN_ON.items():
        for rel in files:
            exists = (root / rel).is_file()
            if flags[flag] == "y" and not exists:
                problems.append(f"{flag}=y but {rel} is missing")
            if flags[flag] != "y" and exists:
                problems.append(f"{flag}=n but {rel} exists")
    return problems


def env_variables(root: Path) -> list[str]:
    """.env.example lists exactly the variables the project reads."""
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (root / ".env.example").read_text(), re.M))
    read = set()
    for path in [root / "config" / "settings.py", *root.glob("mcp_server/*.py")]:
        text = path.read_text()
        read |= set(re.findall(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        read |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        read |= set(re.findall(r"\benv=\"([A-Z][A-Z0-9_]*)\"", text))
    problems = [f"read but not in .env.example: {v}" for v in sorted(read - listed)]
    problems += [f"in .env.example but never read: {v}" for v in sorted(listed - read)]
    return problems


def report(ok: bool, name: str, problems: list[str] = ()) -> bool:
    print(("ok" if ok else "not ok") + f" - {name}")
    for problem in list(problems)[:40]:
        print(f"#   {problem}")
    sys.stdout.flush()
    return ok


def cmd_renders(args) -> int:
    failures = 0
    work = Path(tempfile.mkdtemp(prefix="djass-tpl-", dir=args.tmp))
    started = time.monotonic()
    try:
        for name, identity, flags in flag_sets():
            case = work / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            try:
                project = render_cookiecutter(case / "cc", identity, flags)
            except Exception as exc:  # noqa: BLE001
                failures += not report(False, f"{name}: cookiecutter renders", [repr(exc)])
                continue
            ok = True
            if args.worker:
                other, error = render_worker(args.worker, case / "worker", identity, flags)
                diffs = [error] if other is None else compare_trees(project, other)
                ok &= report(not diffs, f"{name}: djass-worker render is byte-identical to cookiecutter", diffs)
            left = leftover_syntax(project)
            ok &= report(not left, f"{name}: no template syntax left", left)
            parsed, counts = parse_files(project)
            ok &= report(not parsed and counts["py"] > 0,
                         f"{name}: {counts['py']} .py compile, {counts['toml']} TOML, {counts['json']} JSON, "
                         f"{counts['yaml']} YAML parse", parsed)
            if SHIPPED:
                ok &= shipped_checks(name, project, flags)
                lint = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "--no-cache", "-q", "."],
                                      cwd=project, capture_output=True, text=True)
                ok &= report(lint.returncode == 0, f"{name}: ruff check passes (the generated CI's lint)",
                             (lint.stdout + lint.stderr).splitlines()[-30:])
            if name in ("all-y", "all-n"):
                print(f"# {name}: {len(tree(project))} files generated")
            failures += not ok
            shutil.rmtree(case, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"# {len(flag_sets())} flag sets in {time.monotonic() - started:.1f}s")
    return 1 if failures else 0


def shipped_checks(name: str, project: Path, flags: dict) -> bool:
    """The checks that know the shipped template's features."""
    words = forbidden_words(project, flags)
    ok = report(not words, f"{name}: disabled features leave no trace", words)
    files = expected_files(project, flags)
    ok &= report(not files, f"{name}: enabled features have their files", files)
    envs = env_variables(project)
    ok &= report(not envs, f"{name}: .env.example lists exactly the variables read", envs)
    data = tomllib.loads((project / "pyproject.toml").read_text())
    loose = [req for req in requirements(project) if not re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z0-9,_-]+\])?==[0-9][\w.]*", req)]
    if data["project"].get("requires-python") != ">=3.11":
        loose.append(f"requires-python is {data['project'].get('requires-python')!r}")
    ok &= report(not loose, f"{name}: every dependency pinned with ==, Python >= 3.11", loose)
    return ok


# ---------------------------------------------------------------- projects

def base_python() -> str:
    """Debian's python3 (>= 3.11): see t/template/python.sh."""
    return subprocess.run([str(REPO / "t/template/python.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()


def requirements(project: Path) -> list[str]:
    data = tomllib.loads((project / "pyproject.toml").read_text())
    return list(data["project"]["dependencies"]) + list(data["dependency-groups"]["dev"])


def ensure_venv(reqs: list[str]) -> tuple[Path, list[str]]:
    """A venv per distinct dependency set, installed from the shared wheel cache."""
    notes = []
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / "tpl-projects.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time: shared wheel cache
        return _ensure_venv(reqs, notes)


def _ensure_venv(reqs: list[str], notes: list[str]) -> tuple[Path, list[str]]:
    digest = hashlib.sha256("\n".join(sorted(reqs)).encode()).hexdigest()[:16]
    venv = BUILD / "tpl-projects" / digest
    stamp = venv / ".installed"
    if stamp.exists():
        return venv, ["venv reused"]
    wheels = BUILD / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    req_file = venv / "requirements.txt"
    req_file.write_text("\n".join(reqs) + "\n")
    pip = [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    offline = pip + ["install", "--no-index", "--find-links", str(wheels), "-r", str(req_file)]
    if subprocess.run(offline, capture_output=True).returncode != 0:
        started = time.monotonic()
        fetch = pip + ["wheel", "--find-links", str(wheels), "-w", str(wheels), "-r", str(req_file)]
        subprocess.run(fetch, check=True)
        notes.append(f"wheels fetched from PyPI in {time.monotonic() - started:.0f}s")
        subprocess.run(offline, check=True)
    stamp.write_text(digest)
    notes.append("venv created")
    return venv, notes


def run_in(project: Path, venv: Path, argv: list[str], timeout: int = 900,
           extra_env: dict | None = None) -> tuple[bool, str]:
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "VIRTUAL_ENV": str(venv),
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    proc = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    out = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0, out


def postgres_bin() -> Path | None:
    for folder in [os.environ.get("PG_BINDIR", ""), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]:
        if folder and (Path(folder) / "postgres").is_file() and (Path(folder) / "initdb").is_file():
            return Path(folder)
    found = shutil.which("postgres")
    return Path(found).resolve().parent if found and shutil.which("initdb") else None


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_against_postgres(project: Path, venv: Path, label: str) -> tuple[bool | None, str]:
    """The project's suite on a private PostgreSQL server, as its CI runs it.

    Returns (None, reason) when no PostgreSQL server binaries are installed.
    """
    bindir = postgres_bin()
    if bindir is None:
        return None, "no PostgreSQL server binaries (initdb, postgres)"
    data = Path(tempfile.mkdtemp(prefix="djass-pg-"))
    as_user = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(data, "postgres")
        data.chmod(0o700)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    server = None
    try:
        init = subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                                         "-U", "postgres", "--no-sync"], capture_output=True, text=True)
        if init.returncode != 0:
            return False, "initdb failed: " + init.stderr[-2000:]
        server = subprocess.Popen(
            as_user + [str(bindir / "postgres"), "-D", str(data / "db"), "-p", str(port), "-k", str(data),
                       "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True)
            if ready.returncode == 0:
                break
            if server.poll() is not None:
                return False, "postgres exited: " + server.stderr.read()[-2000:]
            time.sleep(0.2)
        else:
            return False, "postgres did not start within 30s"
        env = {"DATABASE_URL": url}
        ok, out = run_in(project, venv, [str(venv / "bin/python"), "manage.py", "migrate", "--noinput"],
                         extra_env=env)
        if not ok:
            return False, out
        return run_in(project, venv, [str(venv / "bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                      extra_env=env)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()  # "smart" shutdown: our own server process, by pid
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data, ignore_errors=True)


def cmd_project(args) -> int:
    sets = {name: (identity, flags) for name, identity, flags in flag_sets()}
    identity, flags = sets[args.name]
    work = Path(tempfile.mkdtemp(prefix=f"djass-proj-{args.name}-", dir=args.tmp))
    failures = 0
    try:
        project = render_cookiecutter(work, identity, flags)
        print(f"# {args.name}: {len(tree(project))} files")
        started = time.monotonic()
        try:
            venv, notes = ensure_venv(requirements(project))
        except subprocess.CalledProcessError as exc:
            report(False, f"{args.name}: pinned dependencies install", [str(exc)])
            return 1
        report(True, f"{args.name}: pinned dependencies install ({', '.join(notes)}, "
                     f"{time.monotonic() - started:.0f}s)")
        py = str(venv / "bin/python")
        production = {"DJANGO_SECRET_KEY": "t410-" + "x" * 60, "DJANGO_DEBUG": "false",
                      "DJANGO_ALLOWED_HOSTS": "example.com"}
        celery_tasks = (
            "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
            "django.setup(); from config.celery import app; app.loader.import_default_modules(); "
            "names = {e['task'] for e in app.conf.beat_schedule.values()}; "
            "missing = names - set(app.tasks); assert names and not missing, missing"
        )
        templates_compile = (
            "import os, pathlib, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
            "django.setup(); from django.template import engines; engine = engines['django']; "
            "names = [str(p.relative_to('templates')) for p in pathlib.Path('templates').rglob('*') "
            "if p.is_file() and p.suffix in ('.html', '.txt', '.mjml')]; "
            "[engine.get_template(n) for n in names]; assert len(names) > 5, names"
        )
        steps = [
            ("every Django template compiles", [py, "-c", templates_compile], None),
            ("manage.py check", [py, "manage.py", "check", "--fail-level", "WARNING"], None),
            ("makemigrations --check --dry-run",
             [py, "manage.py", "makemigrations", "--check", "--dry-run"], None),
            ("migrate on SQLite", [py, "manage.py", "migrate", "--noinput"], None),
            ("check --deploy with production settings",
             [py, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], production),
            ("collectstatic with the production storage",
             [py, "manage.py", "collectstatic", "--noinput"], production),
            ("Celery loads every task of the beat schedule", [py, "-c", celery_tasks], None),
            ("ruff check", [str(venv / "bin/ruff"), "check", "--no-cache", "."], None),
            ("its own pytest suite", [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"], None),
        ]
        if (project / "mcp_server").is_dir():
            steps.append(("MCP server starts (--help)", [py, "-m", "mcp_server", "--help"], None))
        for label, argv, extra_env in steps:
            started = time.monotonic()
            ok, out = run_in(project, venv, argv, extra_env=extra_env)
            tail = out.splitlines()[-40:] if not ok else []
            summary = ""
            if label.startswith("its own pytest"):
                last = out.splitlines()[-1] if out else ""
                summary = f": {last.strip('= ')}"
            failures += not report(ok, f"{args.name}: {label}{summary} ({time.monotonic() - started:.1f}s)", tail)
        if args.name == "all-y":
            started = time.monotonic()
            ok, out = run_against_postgres(project, venv, args.name)
            label = f"{args.name}: migrate and its own pytest suite on PostgreSQL"
            if ok is None:
                print(f"skip - {label}: {out}")
            else:
                last = out.splitlines()[-1].strip("= ") if ok and out else ""
                failures += not report(ok, f"{label}{': ' + last if last else ''} "
                                           f"({time.monotonic() - started:.1f}s)",
                                       [] if ok else out.splitlines()[-40:])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tmp", default=None, help="where to render (default: system temp)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    renders = sub.add_parser("renders")
    renders.add_argument("--worker", default="", help="djass-worker binary; empty: cookiecutter only")
    renders.add_argument("--worker-prefix", default="", help="command the worker runs under (valgrind ...)")
    project = sub.add_parser("project")
    project.add_argument("name", choices=["defaults", "all-y", "all-n"])
    args = parser.parse_args()
    if getattr(args, "worker_prefix", ""):
        import shlex

        WORKER_PREFIX[:] = shlex.split(args.worker_prefix)
    return cmd_renders(args) if args.cmd == "renders" else cmd_project(args)


if __name__ == "__main__":
    sys.exit(main())
