"""Settings for the test suite: development settings with a fast password hasher."""

from __future__ import annotations

from kdapp.settings.development import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
