"""Import or update a knowledge base from a JSONL file of entities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from annotations.services.audit import Actor
from annotations.services.knowledge import MAX_LINE_ERRORS_REPORTED, knowledge_base_import


class Command(BaseCommand):
    help = (
        "Import a knowledge base: one JSON object per line with key, label, aliases, "
        "description and facts ([{subject, predicate, value}]). Re-importing the same file "
        "changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kb", required=True, help="knowledge base name (a slug)")
        parser.add_argument("--description", default="")
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        name = slugify(options["kb"])
        if not name:
            raise CommandError("--kb must contain letters or digits")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        summary = knowledge_base_import(
            name=name,
            path=path,
            actor=Actor.system("kd_kb_import"),
            description=options["description"],
        )
        for line, reason in summary.rejected[:MAX_LINE_ERRORS_REPORTED]:
            self.stderr.write(f"{path.name}:{line}: rejected: {reason}")
        self.stdout.write(
            f"Knowledge base {name} version {summary.knowledge_base.version[:12]}: "
            f"{summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {len(summary.rejected)} rejected"
        )
