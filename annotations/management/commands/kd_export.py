"""Write a dataset in a training format to a folder, with the same code as export snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from annotations.exporters.formats import FORMATS
from annotations.models import AuditAction, Dataset, Item
from annotations.selectors.export import ExportFilters
from annotations.services.audit import Actor, audit_record
from annotations.services.exports import write_snapshot


class Command(BaseCommand):
    help = (
        "Export a dataset's items (by default the done ones, with their final captions) as "
        "jsonl, parquet, webdataset, llava or coco into --out, with a manifest.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, metavar="SLUG")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument(
            "--status", default="done", choices=[*Item.Status.values, "any"], help="item status"
        )
        parser.add_argument("--min-density", type=float)
        parser.add_argument("--min-coverage", type=float)
        parser.add_argument("--reviewed-only", action="store_true")
        parser.add_argument("--caption", default="final", choices=["final", "model"])
        parser.add_argument("--shard-size", type=int, help="webdataset samples per shard")
        parser.add_argument("--rows-per-file", type=int, help="parquet rows per file")
        parser.add_argument("--identities", action="store_true", help="usernames, not ids")

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = Dataset.objects.filter(slug=options["dataset"]).first()
        if dataset is None:
            raise CommandError(f"no dataset with slug {options['dataset']}")
        out: Path = options["out"]
        if out.exists() and any(out.iterdir()):
            raise CommandError(f"{out} is not empty; give a new or empty folder")
        out.mkdir(parents=True, exist_ok=True)
        filters = ExportFilters(
            status=None if options["status"] == "any" else options["status"],
            min_density=options["min_density"],
            min_coverage=options["min_coverage"],
            reviewed_only=options["reviewed_only"],
            caption=options["caption"],
        )
        extra = {
            name: options[name]
            for name in ("shard_size", "rows_per_file")
            if options[name] is not None
        }
        files, count, _ = write_snapshot(
            dataset=dataset,
            format=options["format"],
            filters=filters,
            options=extra,
            identities=options["identities"],
            out=out,
        )
        with transaction.atomic():
            audit_record(
                actor=Actor.system("kd_export"),
                action=AuditAction.DATASET_EXPORT,
                target=dataset,
                dataset_id=dataset.pk,
                after={
                    "format": options["format"],
                    "filters": filters.as_dict(),
                    "records": count,
                    "out": str(out),
                },
            )
        self.stdout.write(
            f"{count} record(s) of {dataset.slug} as {options['format']} in {out}: "
            f"{len(files)} file(s)"
        )
