"""Import items into a dataset from image folders, JSONL, COCO, LLaVA or VQA v2 files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from annotations.models import Dataset
from annotations.services.audit import Actor
from annotations.services.datasets import dataset_create
from annotations.services.imports import ImportSummary, dataset_import

REJECTIONS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import into --dataset (created if missing) from each SOURCE: a folder of images "
        "(captions from NAME.txt or NAME.json beside each image), a JSONL file, a COCO captions "
        "JSON, a LLaVA conversations JSON, or VQA v2 question and annotation files. Running the "
        "same import again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, help="dataset slug")
        parser.add_argument("--name", help="display name when the dataset is created")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("sources", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        slug = slugify(options["dataset"])
        if not slug:
            raise CommandError("--dataset must contain letters or digits")
        missing = [str(source) for source in options["sources"] if not source.exists()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        actor = Actor.system("kd_import")
        dataset = Dataset.objects.filter(slug=slug).first()
        if dataset is None:
            dataset = dataset_create(slug=slug, name=options["name"] or slug, actor=actor)
            self.stdout.write(f"Created dataset {slug}.")

        show_progress = sys.stderr.isatty()

        def progress(summary: ImportSummary) -> None:
            if show_progress:
                sys.stderr.write(
                    f"\r{summary.records} records: {summary.imported} imported, "
                    f"{summary.already_present} already present, {len(summary.rejected)} "
                    f"rejected ({summary.rate:.0f} records/s)"
                )
                sys.stderr.flush()

        summary = dataset_import(
            dataset=dataset,
            sources=[source.resolve() for source in options["sources"]],
            actor=actor,
            batch_size=options["batch_size"],
            on_progress=progress,
        )
        if show_progress:
            sys.stderr.write("\n")
        self.stdout.write(
            f"Imported {summary.imported} item(s) into {slug} ({summary.captions} captions, "
            f"{summary.facts} facts, {summary.vqa_pairs} VQA pairs) from {summary.records} "
            f"record(s) in {summary.seconds:.1f} s ({summary.rate:.0f} records/s)."
        )
        self.stdout.write(
            f"Already present: {summary.already_present}. Rejected: {len(summary.rejected)}."
        )
        for rejection in summary.rejected[:REJECTIONS_SHOWN]:
            self.stdout.write(f"  {rejection.source}: {rejection.code}: {rejection.message}")
        if len(summary.rejected) > REJECTIONS_SHOWN:
            self.stdout.write(
                f"  ... and {len(summary.rejected) - REJECTIONS_SHOWN} more (job {summary.job_id})"
            )
