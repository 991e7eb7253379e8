"""Production settings: nothing is filled in for you, and unsafe values stop the process."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from kdapp.env import env_bool, env_int, env_list
from kdapp.settings.base import *
from kdapp.settings.base import SECRET_KEY

DEBUG = env_bool("KD_DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("KD_DEBUG must be off with the production settings.")

if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "KD_SECRET_KEY is too weak: use at least 50 random characters, for example "
        '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
    )

CSRF_TRUSTED_ORIGINS = env_list("KD_CSRF_TRUSTED_ORIGINS", [])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("KD_SECURE_SSL_REDIRECT", True)
# Health probes come from the orchestrator over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("KD_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
