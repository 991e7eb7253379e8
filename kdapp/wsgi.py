"""WSGI entry point for gunicorn. The environment must already be complete (see kd_up)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kdapp.settings.development")

application = get_wsgi_application()
