"""Django settings for {{ cookiecutter.project_name|replace('"', '') }}.

Everything that differs between machines comes from the environment; see
.env.example for the full list of variables.
"""
import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .env import env, env_bool, env_int, env_list, load_dotenv
{%- if cookiecutter.use_logfire == 'y' %}
from .logfire_setup import init_logfire
{%- endif %}
{%- if cookiecutter.use_sentry == 'y' %}
from .sentry_setup import init_sentry
{%- endif %}

BASE_DIR = Path(__file__).resolve().parent.parent

# pytest sets PYTEST_VERSION while it runs: tests are hermetic (no .env, no
# Redis, no object storage, no built stylesheet manifest, no external calls).
TESTING = "PYTEST_VERSION" in os.environ or "test" in sys.argv[1:2]
if not TESTING:
    load_dotenv(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", "django-insecure-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = {{ cookiecutter.project_name|jsonify }}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
{%- if cookiecutter.use_s3 == 'y' %}
    "storages",
{%- endif %}
    "apps.users",
    "apps.core",
    "apps.api",
{%- if cookiecutter.use_stripe == 'y' %}
    "apps.billing",
{%- endif %}
{%- if cookiecutter.generate_blog == 'y' %}
    "apps.blog",
{%- endif %}
{%- if cookiecutter.generate_docs == 'y' %}
    "apps.docs",
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}
    "apps.ai",
{%- endif %}
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL in production (DATABASE_URL), SQLite for a quick start.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache and task broker. Without REDIS_URL the cache lives in memory.
REDIS_URL = env("REDIS_URL")
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # fast hashing keeps the test suite quick; never used outside tests
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-allauth: sign-up and login with an email address, no username.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGOUT_REDIRECT_URL = "core:landing"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
{%- if cookiecutter.use_s3 == 'y' %}

# Media files on S3-compatible object storage (AWS S3, MinIO, Cloudflare R2,
# Spaces...) when a bucket is configured; on the local disk otherwise.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "us-east-1")
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN") or None
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", True)
if AWS_STORAGE_BUCKET_NAME and not TESTING:
    DEFAULT_FILE_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
else:
    DEFAULT_FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"
{%- else %}

DEFAULT_FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"
{%- endif %}
STORAGES = {
    "default": {"BACKEND": DEFAULT_FILE_STORAGE_BACKEND},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console in development, SMTP (EMAIL_URL-style settings) in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Admin", address) for address in env_list("DJANGO_ADMIN_EMAILS", {{ cookiecutter.author_email|jsonify }})]

# Celery: the background task queue. Without REDIS_URL (a quick local start)
# and in tests, tasks run inline in the web process.
CELERY_BROKER_URL = REDIS_URL or "redis://localhost:6379/0"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = TESTING or not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "daily-maintenance": {
        "task": "apps.core.tasks.daily_maintenance",
        "schedule": crontab(hour=3, minute=0),
    },
}

# The project's own API (django-ninja): keys are sent in this header.
API_KEY_HEADER = "X-API-Key"
{%- if cookiecutter.use_posthog == 'y' %}

# PostHog product analytics (browser snippet and server-side events).
POSTHOG_API_KEY = env("POSTHOG_API_KEY")
POSTHOG_HOST = env("POSTHOG_HOST", "https://us.i.posthog.com")
{%- endif %}
{%- if cookiecutter.use_chatwoot == 'y' %}

# Chatwoot live-chat widget.
CHATWOOT_BASE_URL = env("CHATWOOT_BASE_URL").rstrip("/")
CHATWOOT_WEBSITE_TOKEN = env("CHATWOOT_WEBSITE_TOKEN")
CHATWOOT_HMAC_TOKEN = env("CHATWOOT_HMAC_TOKEN")
{%- endif %}
{%- if cookiecutter.use_stripe == 'y' %}

# Stripe subscriptions.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_PRICE_ID = env("STRIPE_PRICE_ID")
{%- endif %}
{%- if cookiecutter.generate_docs == 'y' %}

# Documentation pages: Markdown files in this folder.
DOCS_CONTENT_DIR = BASE_DIR / "content" / "docs"
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}

# AI provider: any OpenAI-compatible chat completions API.
AI_API_KEY = env("AI_API_KEY")
AI_BASE_URL = env("AI_BASE_URL", "https://api.openai.com/v1").rstrip("/")
AI_MODEL = env("AI_MODEL", "gpt-4o-mini")
AI_TIMEOUT = env_int("AI_TIMEOUT", 30)
{%- endif %}
{%- if cookiecutter.use_healthchecks == 'y' %}

# Healthchecks.io: the scheduled tasks ping this URL when they run.
HEALTHCHECKS_PING_URL = env("HEALTHCHECKS_PING_URL").rstrip("/")
{%- endif %}
{%- if cookiecutter.use_apprise == 'y' %}

# Admin notifications: comma-separated Apprise URLs; email to ADMINS otherwise.
APPRISE_URLS = env_list("APPRISE_URLS")
{%- endif %}

# Security settings for production (behind a TLS-terminating proxy).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
{%- if cookiecutter.use_sentry == 'y' %}

# Sentry error and performance monitoring (Django and Celery).
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN and not TESTING:
    init_sentry(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", "production"))
{%- endif %}
{%- if cookiecutter.use_logfire == 'y' %}

# Logfire tracing (Django requests and database queries).
LOGFIRE_TOKEN = env("LOGFIRE_TOKEN")
if LOGFIRE_TOKEN and not TESTING:
    init_logfire(LOGFIRE_TOKEN, environment=env("LOGFIRE_ENVIRONMENT", "production"))
{%- endif %}
