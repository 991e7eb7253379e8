"""KD Studio's wiring: settings, URLs, the Celery app, the embedded runtime and the launcher."""

from kdapp.celery import app as celery_app

__all__ = ["celery_app"]
