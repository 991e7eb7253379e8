"""Check the audit log's hash chain from the first event to the last."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.services.audit import audit_verify


class Command(BaseCommand):
    help = (
        "Recompute every audit event's hash in order. Exits 0 when the chain verifies; "
        "otherwise names the first event that does not and exits 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.problem is not None:
            raise CommandError(
                f"audit event {report.problem.event_id} does not verify: {report.problem.reason} "
                f"({report.verified} event(s) before it verified)"
            )
        self.stdout.write(f"{report.verified} audit event(s) verified; head {report.head_hash}")
