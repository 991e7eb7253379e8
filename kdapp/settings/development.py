"""Development settings, used by `make run`: debug on unless KD_DEBUG says otherwise."""

from __future__ import annotations

from kdapp.env import env_bool
from kdapp.settings.base import *

DEBUG = env_bool("KD_DEBUG", True)

# Serve static files straight from the apps, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
