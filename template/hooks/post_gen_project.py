"""Remove the files of the features that were switched off.

Runs in the generated project's folder (python3, standard library only).
"""
import os
import shutil

FLAGS = {
    "use_posthog": "{{ cookiecutter.use_posthog }}",
    "use_chatwoot": "{{ cookiecutter.use_chatwoot }}",
    "use_s3": "{{ cookiecutter.use_s3 }}",
    "use_stripe": "{{ cookiecutter.use_stripe }}",
    "use_sentry": "{{ cookiecutter.use_sentry }}",
    "generate_blog": "{{ cookiecutter.generate_blog }}",
    "generate_docs": "{{ cookiecutter.generate_docs }}",
    "use_mjml": "{{ cookiecutter.use_mjml }}",
    "use_ai": "{{ cookiecutter.use_ai }}",
    "use_logfire": "{{ cookiecutter.use_logfire }}",
    "use_healthchecks": "{{ cookiecutter.use_healthchecks }}",
    "use_apprise": "{{ cookiecutter.use_apprise }}",
    "use_mcp": "{{ cookiecutter.use_mcp }}",
    "use_ci": "{{ cookiecutter.use_ci }}",
    "use_digitalocean": "{{ cookiecutter.use_digitalocean }}",
}

# Paths that exist only when their flag is "y".
PATHS = {
    "use_posthog": [
        "apps/core/analytics.py",
        "templates/partials/posthog.html",
        "tests/test_posthog.py",
    ],
    "use_chatwoot": [
        "apps/core/chatwoot.py",
        "templates/partials/chatwoot.html",
        "tests/test_chatwoot.py",
    ],
    "use_s3": ["tests/test_s3.py"],
    "use_stripe": ["apps/billing", "templates/billing", "tests/test_billing.py"],
    "use_sentry": ["config/sentry_setup.py", "tests/test_sentry.py"],
    "generate_blog": ["apps/blog", "templates/blog", "tests/test_blog.py"],
    "generate_docs": [
        "apps/docs",
        "content/docs",
        "templates/docs",
        "tests/test_docs.py",
    ],
    "use_mjml": [
        "templates/emails/base.mjml",
        "templates/emails/welcome.mjml",
        "tests/test_mjml.py",
    ],
    "use_ai": ["apps/ai", "templates/ai", "tests/test_ai.py"],
    "use_logfire": ["config/logfire_setup.py", "tests/test_logfire.py"],
    "use_healthchecks": ["apps/core/healthchecks.py", "tests/test_healthchecks.py"],
    "use_apprise": ["apps/core/notifications.py", "tests/test_apprise.py"],
    "use_mcp": ["mcp_server", "tests/test_mcp.py"],
    "use_ci": [".github/workflows/ci.yml"],
    "use_digitalocean": [".do", ".github/workflows/deploy-digitalocean.yml"],
}

# Paths that exist only when their flag is "n" (the plain alternative).
PATHS_WHEN_OFF = {
    "use_mjml": ["templates/emails/welcome.html"],
}


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def main():
    for flag, value in sorted(FLAGS.items()):
        doomed = PATHS.get(flag, []) if value != "y" else PATHS_WHEN_OFF.get(flag, [])
        for path in doomed:
            remove(path)
    # Markdown rendering serves the blog and the docs
    if FLAGS["generate_blog"] != "y" and FLAGS["generate_docs"] != "y":
        remove("apps/core/markdown.py")
    # a folder left empty by the removals goes too
    for folder in ("content", ".do"):
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)


if __name__ == "__main__":
    main()
