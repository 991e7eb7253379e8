from __future__ import annotations

from django.apps import AppConfig


class KdappConfig(AppConfig):
    name = "kdapp"
    verbose_name = "KD Studio runtime"
