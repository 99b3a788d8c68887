"""Settings, all read from the environment so that one image serves development and production.

Defaults are the embedded ones (SQLite file, artifacts on the local disk, DEBUG off); production
(`PODIUM_ENV=production`) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("PODIUM_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if PRODUCTION:
    missing = [
        name
        for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"PODIUM_ENV=production needs {' and '.join(missing)} in the environment; "
            "set them (ALLOWED_HOSTS is comma-separated) and start again."
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when PODIUM_ENV=production.")
else:
    SECRET_KEY = SECRET_KEY or "podium-development-only-not-secret"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",
    "competitions",
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
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "podium.urls"
WSGI_APPLICATION = "podium.wsgi.application"

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
            ],
        },
    },
]

# Database: an SQLite file by default, PostgreSQL (psycopg 3) when DATABASE_URL is set.
VAR_DIR = Path(os.environ.get("PODIUM_VAR_DIR", BASE_DIR / "var"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'podium.sqlite3'}",
        # Seconds a web or worker process keeps its connection (docker/compose.yaml: 60 for the
        # web); each reused connection is checked first, so a restarted database costs no error.
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so that worker processes started by the tests see the test database.
    # One per test process, so that concurrent test runs in one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-podium-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("PODIUM_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production the site serves static files straight from static/ (no collectstatic step).
WHITENOISE_USE_FINDERS = not PRODUCTION

# Artifacts (image tarballs, code archives, hidden-split bundles) go through the storage API, so a
# worker on another host reads them from the same store as the web. PODIUM_ARTIFACT_STORAGE names
# any Django storage backend (e.g. storages.backends.s3.S3Storage) with JSON options.
ARTIFACT_ROOT = Path(os.environ.get("PODIUM_ARTIFACT_ROOT", VAR_DIR / "artifacts"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "PODIUM_ARTIFACT_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("PODIUM_ARTIFACT_STORAGE_OPTIONS", "{}"))
        or {"location": str(ARTIFACT_ROOT)},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads stream to temporary files past 2.5 MB; the request is refused above the size limit.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = os.environ.get("PODIUM_UPLOAD_TMP") or None
PODIUM_MAX_UPLOAD_BYTES = int(os.environ.get("PODIUM_MAX_UPLOAD_BYTES", str(20 * 1024**3)))
# An uploaded image archive is checked (tar, one linux/amd64 image, no escaping members, unpacked
# size) before it is stored, so a broken upload is refused at once and never costs an attempt.
PODIUM_CHECK_UPLOADED_ARCHIVES = env_bool("PODIUM_CHECK_UPLOADED_ARCHIVES", True)
# The request that uploads an archive checks it for at most this many seconds: a bomb or a broken
# archive is answered at once, and a check that needs longer goes on off the request workers (the
# run waits in "checking" until a worker has read the whole archive; docs/security.md).
PODIUM_UPLOAD_CHECK_INLINE_S = float(os.environ.get("PODIUM_UPLOAD_CHECK_INLINE_S", "1.0"))
# The Celery queue those longer checks go to; empty: the run's own hardware queue.
PODIUM_CHECK_QUEUE = os.environ.get("PODIUM_CHECK_QUEUE", "")
PODIUM_MAX_IMAGE_UNPACKED_BYTES = int(
    os.environ.get("PODIUM_MAX_IMAGE_UNPACKED_BYTES", str(64 * 1024**3))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2
# Registry hosts (with their port, e.g. "registry.example.org,ghcr.io") a team's image reference
# may name; the worker's dockerd pulls only from these. Empty: references are refused, teams
# upload archives (a reference to any host would let a team make dockerd connect anywhere).
PODIUM_ALLOWED_REGISTRIES = [
    host.strip()
    for host in os.environ.get("PODIUM_ALLOWED_REGISTRIES", "").split(",")
    if host.strip()
]

# Login throttling (django-axes): after PODIUM_LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused for PODIUM_LOGIN_LOCKOUT_MINUTES (429 and the
# login page saying so). A pair, not the username alone, so nobody can lock a team member out.
AUTHENTICATION_BACKENDS = [
    "podium.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("PODIUM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("PODIUM_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "podium.security.client_ip"
AXES_VERBOSE = False
# How many proxies of ours append to X-Forwarded-For in front of the site (docker/compose.yaml
# has one, nginx); 0 trusts only the socket's address. Login lockout and API throttles use it.
PODIUM_TRUSTED_PROXY_HOPS = int(
    os.environ.get("PODIUM_TRUSTED_PROXY_HOPS", "1" if PRODUCTION else "0")
)

# Mail: invitations (import_teams), "forgot password" links, and notifications of runs ending,
# re-runs, disqualifications and published boards (competitions/services/notifications.py). The
# console backend prints them to the log (development, the demo); set
# EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST... to send them.
# PODIUM_SITE_URL is the site's address written into the links of every email.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "podium@localhost")
PODIUM_SITE_URL = os.environ.get("PODIUM_SITE_URL", "http://localhost:8000").rstrip("/")
# The site's own address is a trusted origin for the CSRF check, port included: behind a proxy
# that rewrites Host, a login form posted from it would otherwise be refused (403).
_site = urlsplit(PODIUM_SITE_URL)
if _site.scheme and _site.netloc:
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, f"{_site.scheme}://{_site.netloc}"]
# How long an invitation or reset link works (Django's PASSWORD_RESET_TIMEOUT, in seconds).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PODIUM_INVITE_VALID_S", str(7 * 24 * 3600)))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Rates: PODIUM_API_ANON_RATE, PODIUM_API_USER_RATE and, for submissions (the expensive
    # requests), PODIUM_API_UPLOAD_RATE; each like "120/minute". Counted in the cache (CACHES).
    "DEFAULT_THROTTLE_CLASSES": [
        "competitions.api.throttles.AnonThrottle",
        "competitions.api.throttles.UserThrottle",
    ],
    "NUM_PROXIES": PODIUM_TRUSTED_PROXY_HOPS,
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Podium API",
    "DESCRIPTION": "Submit model containers, follow runs and read leaderboards.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Deep links would put a link inside each operation's expand button (a control within a
    # control, which screen readers and keyboards cannot use apart); the page works without them.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

PODIUM_API_ANON_RATE = os.environ.get("PODIUM_API_ANON_RATE", "300/minute")
PODIUM_API_USER_RATE = os.environ.get("PODIUM_API_USER_RATE", "1200/minute")
PODIUM_API_UPLOAD_RATE = os.environ.get("PODIUM_API_UPLOAD_RATE", "30/hour")

# Content-Security-Policy (django-csp): everything from this site only. Chart.js, htmx and Swagger
# UI are vendored under static/; templates carry no inline script or style (htmx is told not to
# inject its indicator style, see base.html). PODIUM_CSP_REPORT_ONLY=1 reports without blocking.
_CSP_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        # Swagger UI draws its icons as data: images.
        "img-src": [_CSP_SELF, "data:"],
        "connect-src": [_CSP_SELF],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": [_CSP_SELF],
    }
}
if env_bool("PODIUM_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, None

# Celery: Redis is the broker; the database is the source of truth for runs.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# "celery": runs go to the workers through Redis; "poll": no broker, `manage.py evaluate --pending
# --watch` takes queued runs straight from the database (the demo, machines without Redis).
PODIUM_DISPATCH = os.environ.get("PODIUM_DISPATCH", "celery")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("PODIUM_DEFAULT_QUEUE", "gpu-default")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message not acknowledged within this time is delivered again; runs are idempotent.
    "visibility_timeout": int(os.environ.get("PODIUM_BROKER_VISIBILITY_S", "7200")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True


def _crontab(text: str):
    from celery.schedules import crontab

    minute, hour, day_of_week = text.split()
    return crontab(minute=minute, hour=hour, day_of_week=day_of_week)


CELERY_BEAT_SCHEDULE = {
    "reconcile-runs": {
        "task": "competitions.tasks.reconcile_runs",
        "schedule": float(os.environ.get("PODIUM_RECONCILE_EVERY_S", "60")),
    },
    # The board's history: a snapshot of each board that changed (each change takes one too).
    "take-board-snapshots": {
        "task": "competitions.tasks.take_snapshots",
        "schedule": float(os.environ.get("PODIUM_SNAPSHOT_EVERY_S", "3600")),
    },
    # The weekly digests, before the huddle (a crontab: minute hour day-of-week, UTC).
    "send-digests": {
        "task": "competitions.tasks.send_digests",
        "schedule": _crontab(os.environ.get("PODIUM_DIGEST_CRON", "0 7 1")),
    },
    # Retention of stored image archives (competitions/services/retention.py), daily at 03:30.
    "prune-archives": {
        "task": "competitions.tasks.prune_archives",
        "schedule": _crontab(os.environ.get("PODIUM_RETENTION_CRON", "30 3 *")),
    },
}
# Days a cancelled or given-back attempt's archive, and after a competition ended the archives of
# runs that do not count, stay in the store before retention removes them (docs/operations.md).
PODIUM_RETENTION_GRACE_DAYS = float(os.environ.get("PODIUM_RETENTION_GRACE_DAYS", "7"))

# Worker side: where this worker keeps its own files, which GPU and cores it owns, how it runs.
PODIUM_WORK_DIR = Path(os.environ.get("PODIUM_WORK_DIR", VAR_DIR / "worker"))
PODIUM_GPU = os.environ.get("PODIUM_GPU") or None
PODIUM_CPUSET = os.environ.get("PODIUM_CPUSET") or None
# A worker's stable place on its Docker engine ("gpu0"): its Docker objects carry it, and the next
# worker in the slot removes a killed one's leftovers whatever either is named. Unset: gpuN@host
# with PODIUM_GPU, else the worker's name (competitions/worker/context.py::default_slot).
PODIUM_WORKER_SLOT = os.environ.get("PODIUM_WORKER_SLOT", "")
PODIUM_RUNNER = os.environ.get("PODIUM_RUNNER", "docker")
PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = env_bool("PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS", False)
# Disk a worker slot may keep loaded team images in, so a second run of the same archive is not
# fetched or loaded again (evaluator/runner/image_cache.py); least recently used go first. 0: none.
PODIUM_IMAGE_CACHE_BYTES = int(os.environ.get("PODIUM_IMAGE_CACHE_BYTES", str(40 * 1024**3)))
# Off where no worker has Docker (the demo without an engine): pages say image runs wait queued.
PODIUM_DOCKER_WORKERS = env_bool("PODIUM_DOCKER_WORKERS", True)
PODIUM_PLATFORM_RETRIES = int(os.environ.get("PODIUM_PLATFORM_RETRIES", "3"))
# Energy (codecarbon): estimated for every run when set, else where a competition ranks by it.
PODIUM_MEASURE_ENERGY = env_bool("PODIUM_MEASURE_ENERGY", False)
PODIUM_STARTUP_PROBE_IMAGE = os.environ.get("PODIUM_STARTUP_PROBE_IMAGE", "podium/base:bookworm")
# Timing self-check at Docker worker start (0 = skip; ~3 s per repeat) and the spread it must meet.
PODIUM_TIMING_CHECK_REPEATS = int(os.environ.get("PODIUM_TIMING_CHECK_REPEATS", "5"))
PODIUM_TIMING_GOAL_CV_PERCENT = float(os.environ.get("PODIUM_TIMING_GOAL_CV_PERCENT", "2.0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login attempt at INFO; failures and lockouts are WARNING.
    "loggers": {"axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")}},
}

if PRODUCTION:
    # The site is served over HTTPS only (TLS ends at the proxy or a terminator in front of it,
    # which sets X-Forwarded-Proto): cookies never travel in clear, http:// is redirected, and
    # browsers are told to stay on https (HSTS; start low, raise once HTTPS is known to work).
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Monitoring probes /healthz on the internal address, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(30 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)

# How stale a leaderboard may be (seconds) before a process checks the database for a change.
PODIUM_BOARD_FRESHNESS_S = float(os.environ.get("PODIUM_BOARD_FRESHNESS_S", "1.0"))

# Reconcile: re-send queued runs whose message may be lost; recover runs whose worker went quiet.
PODIUM_HEARTBEAT_S = float(os.environ.get("PODIUM_HEARTBEAT_S", "10"))
PODIUM_REQUEUE_AFTER_S = int(os.environ.get("PODIUM_REQUEUE_AFTER_S", "600"))
PODIUM_STALE_AFTER_S = int(os.environ.get("PODIUM_STALE_AFTER_S", "120"))
# How long a worker keeps retrying its bookkeeping while the database is unreachable.
PODIUM_DB_RETRY_S = float(os.environ.get("PODIUM_DB_RETRY_S", "60"))
