"""Recompute the stored metrics of a dataset's items (after the metric definitions change, or a
knowledge base's facts did), and the dataset's running totals from its rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import Dataset
from annotations.selectors.stats import rebuild
from annotations.services.metrics import refresh_dataset_metrics


class Command(BaseCommand):
    help = (
        "Recompute fact count, density, coverage, VQA support, facts per kind and entity gaps "
        "of every item of the given datasets (all datasets when none is named), the VQA "
        "pairs' support flags, and the datasets' running totals for the overview."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", default=[], metavar="SLUG")

    def handle(self, *args: Any, **options: Any) -> None:
        slugs: list[str] = options["dataset"]
        datasets = Dataset.objects.order_by("slug")
        if slugs:
            datasets = datasets.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(datasets.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"no dataset with slug {', '.join(missing)}")
        for dataset in datasets:
            changed = refresh_dataset_metrics(dataset.pk)
            rebuild(dataset.pk)
            self.stdout.write(f"{dataset.slug}: {changed} item(s) changed")
