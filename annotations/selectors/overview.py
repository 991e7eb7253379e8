"""A dataset at a glance: metric distributions per caption origin, aggregated in SQL.

Three stages of caption are compared side by side: ``import`` (imported captions), ``model``
(model suggestions) and ``human_final`` (the current caption of a done item, written by
annotators, their consensus, or a lead). Each metric is counted into fixed bins with Postgres's
``width_bucket``, so the work is one grouped query per stage and metric whatever the dataset's
size, and no caption row reaches Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, FloatField, Func, IntegerField, Q, QuerySet, Value

from annotations.models import Caption, Dataset, Fact, Item

HUMAN_ORIGINS = (Caption.Origin.ANNOTATOR, Caption.Origin.CONSENSUS, Caption.Origin.ADJUDICATION)


@dataclass(frozen=True)
class Binning:
    """``bins`` equal bins over [low, high); values at or above ``high`` fall in the last."""

    low: float
    high: float
    bins: int

    def edges(self) -> list[float]:
        step = (self.high - self.low) / self.bins
        return [round(self.low + step * i, 10) for i in range(self.bins + 1)]


METRICS: dict[str, Binning] = {
    "facts": Binning(0, 20, 20),
    "density": Binning(0, 50, 10),
    "coverage": Binning(0, 1, 10),
    "vqa_support": Binning(0, 1, 10),
}
COLUMN = {
    "facts": "fact_count",
    "density": "density",
    "coverage": "coverage",
    "vqa_support": "vqa_support",
}


class WidthBucket(Func):
    function = "width_bucket"
    output_field = IntegerField()


def stage_captions(dataset: Dataset) -> dict[str, QuerySet[Caption]]:
    captions = Caption.objects.filter(item__dataset=dataset)
    return {
        "import": captions.filter(origin=Caption.Origin.IMPORT),
        "model": captions.filter(origin=Caption.Origin.MODEL),
        "human_final": Caption.objects.filter(
            pk__in=Item.objects.filter(
                dataset=dataset,
                status=Item.Status.DONE,
                current_caption__origin__in=HUMAN_ORIGINS,
            ).values("current_caption_id")
        ),
    }


def histogram(captions: QuerySet[Caption], metric: str) -> dict[str, Any]:
    """Counts per bin of one metric (captions without the metric are counted apart)."""
    binning = METRICS[metric]
    column = COLUMN[metric]
    rows = (
        captions.filter(**{f"{column}__isnull": False})
        .annotate(
            bucket=WidthBucket(
                F(column),
                Value(binning.low, output_field=FloatField()),
                Value(binning.high, output_field=FloatField()),
                Value(binning.bins),
            )
        )
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    )
    counts = [0] * binning.bins
    for row in rows:
        # width_bucket: 0 below low, bins + 1 at or above high.
        index = min(max(int(row["bucket"]) - 1, 0), binning.bins - 1)
        counts[index] += int(row["n"])
    missing = captions.filter(**{f"{column}__isnull": True}).count()
    return {"edges": binning.edges(), "counts": counts, "missing": missing}


def dataset_overview(dataset: Dataset) -> dict[str, Any]:
    stages = stage_captions(dataset)
    result: dict[str, Any] = {"stages": {}, "lift": {}}
    means: dict[str, dict[str, float | None]] = {}
    for stage, captions in stages.items():
        summary = captions.aggregate(
            captions=Count("pk"),
            facts=Avg("fact_count"),
            density=Avg("density"),
            coverage=Avg("coverage"),
            vqa_support=Avg("vqa_support"),
        )
        means[stage] = {metric: summary[metric] for metric in METRICS}
        result["stages"][stage] = {
            "captions": summary["captions"],
            "means": means[stage],
            "histograms": {metric: histogram(captions, metric) for metric in METRICS},
        }
    for before, after in (("import", "model"), ("model", "human_final"), ("import", "human_final")):
        result["lift"][f"{before}_to_{after}"] = {
            metric: (
                None
                if means[before][metric] is None or means[after][metric] is None
                else means[after][metric] - means[before][metric]  # type: ignore[operator]
            )
            for metric in METRICS
        }
    current = Fact.objects.filter(
        caption_id__in=Item.objects.filter(dataset=dataset).values("current_caption_id")
    )
    result["facts_by_kind"] = dict(
        current.values("kind").annotate(n=Count("pk")).order_by("kind").values_list("kind", "n")
    )
    result["items"] = Item.objects.filter(dataset=dataset).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=Item.Status.DONE)),
        with_caption=Count("pk", filter=Q(current_caption__isnull=False)),
    )
    return result
