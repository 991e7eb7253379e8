"""Settings for the test suite: development settings with a fast password hasher."""

from __future__ import annotations

from kdapp.settings.development import *
from kdapp.settings.development import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test runner empties tables with TRUNCATE between transactional tests; the immutability
# triggers let a session through only when it sets this (see annotations migration 0002).
DATABASES["default"]["OPTIONS"]["options"] = "-c kd.test_truncate=on"
