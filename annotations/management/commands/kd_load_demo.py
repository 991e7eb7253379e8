"""Load the demo dataset and its knowledge base (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from annotations.services.audit import Actor
from annotations.services.demo import DEMO_SLUG, demo_load


class Command(BaseCommand):
    help = "Load the demo dataset (real CC0/public-domain photos) and its knowledge base."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_load(actor=Actor.system("kd_load_demo"))
        self.stdout.write(
            f"Demo dataset '{DEMO_SLUG}': {summary.imported} imported, "
            f"{summary.already_present} already present, {len(summary.rejected)} rejected"
        )
        for rejection in summary.rejected:
            self.stderr.write(f"  {rejection.source}: {rejection.code}: {rejection.message}")
