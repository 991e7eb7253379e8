"""A dataset at a glance: metric distributions per caption stage, aggregated in SQL.

Four stages of caption are compared side by side: ``import`` (imported captions), ``model``
(model suggestions), ``human_final`` (the current caption of a done item, written by
annotators, their consensus, or a lead) and ``current`` (the items' current captions, what the
item list shows and filters by). Every stage is one scan: each row's metric is put into its bin
with Postgres's ``width_bucket`` over the bins' inner edges, and one aggregate with a
``FILTER`` per bin counts them all, so no caption row reaches Python and the number of queries
does not grow with the dataset.

A bin is ``[edge, next edge)``; the last one also holds every value at or above its lower edge.
The item list's ``<metric>_min`` / ``<metric>_below`` filters select exactly a bin's items.

Every figure is over the items that pass the item-list filters (``selectors.items``).

The SQL here is assembled from constants of this module (stage names, fact kinds, bin counts)
and the filters' SQL as Django compiles it, with every value passed as a parameter; hence the
``noqa: S608`` marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from annotations.models import Caption, Dataset, Fact, Item
from annotations.selectors.items import ItemFilters, filtered_items
from annotations.selectors.stats import (
    Figures,
    dataset_figures,
    model_review_rows,
    progress_rows,
    review_row,
)

HUMAN_ORIGINS = Caption.FINAL_ORIGINS
STAGES = ("import", "model", "human_final", "current")
KINDS = tuple(Fact.Kind.values)


@dataclass(frozen=True)
class Binning:
    """``bins`` equal bins from ``low``; the last one is open above ``high - step``."""

    low: float
    high: float
    bins: int

    def edges(self) -> list[float]:
        step = (self.high - self.low) / self.bins
        return [round(self.low + step * i, 10) for i in range(self.bins + 1)]

    def thresholds(self) -> list[float]:
        """The inner edges: ``width_bucket(x, thresholds)`` is then x's bin, 0 to bins - 1."""
        return self.edges()[1:-1]


METRICS: dict[str, Binning] = {
    "facts": Binning(0, 20, 20),
    "density": Binning(0, 50, 10),
    "coverage": Binning(0, 1, 10),
    "vqa_support": Binning(0, 1, 10),
}
# The column (and item-list filter) of each metric.
COLUMN = {
    "facts": "fact_count",
    "density": "density",
    "coverage": "coverage",
    "vqa_support": "vqa_support",
}


def item_ids_sql(dataset: Dataset, filters: ItemFilters) -> tuple[str, tuple[Any, ...]]:
    """``SELECT id FROM annotations_item WHERE <filters>``, to nest in raw aggregate SQL."""
    query = filtered_items(dataset=dataset, filters=filters).values("pk").query
    # elide_empty=False: a filter that can match nothing compiles to "WHERE 0 = 1" rather than
    # raising EmptyResultSet.
    sql, params = query.get_compiler(using="default", elide_empty=False).as_sql()
    return sql, tuple(params)


def _stage_rows(stage: str, ids_sql: str) -> str:
    """SQL of one stage's rows: columns fact_count, density, coverage, vqa_support, kind_counts."""
    human = ", ".join(f"'{origin}'" for origin in HUMAN_ORIGINS)
    if stage in ("import", "model"):
        return (
            "SELECT c.fact_count, c.density, c.coverage, c.vqa_support, NULL::jsonb AS kind_counts"  # noqa: S608
            f" FROM annotations_caption c WHERE c.origin = '{stage}' AND c.item_id IN ({ids_sql})"
        )
    if stage == "human_final":
        return (
            "SELECT i.fact_count, i.density, i.coverage, i.vqa_support, i.kind_counts"  # noqa: S608
            " FROM annotations_item i JOIN annotations_caption c ON c.id = i.current_caption_id"
            f" WHERE i.status = 'done' AND c.origin IN ({human}) AND i.id IN ({ids_sql})"
        )
    return (
        "SELECT i.fact_count, i.density, i.coverage, i.vqa_support, i.kind_counts"  # noqa: S608
        " FROM annotations_item i"
        f" WHERE i.current_caption_id IS NOT NULL AND i.id IN ({ids_sql})"
    )


def _stage_summary(stage: str, ids: tuple[str, tuple[Any, ...]], kinds: bool) -> dict[str, Any]:
    """Captions, means, histograms (and, with ``kinds``, facts per kind)."""
    ids_sql, ids_params = ids
    bucket_columns = ", ".join(
        f"width_bucket(r.{COLUMN[m]}::float8, %s::float8[]) AS b_{m}" for m in METRICS
    )
    aggregates = ["count(*)"]
    aggregates += [f"avg(s.{COLUMN[m]})" for m in METRICS]
    for metric, binning in METRICS.items():
        aggregates += [f"count(*) FILTER (WHERE s.b_{metric} = {i})" for i in range(binning.bins)]
        aggregates.append(f"count(*) FILTER (WHERE s.b_{metric} IS NULL)")
    if kinds:
        for kind in KINDS:
            aggregates.append(f"coalesce(sum((s.kind_counts ->> '{kind}')::bigint), 0)")
    sql = (
        f"SELECT {', '.join(aggregates)} FROM ("  # noqa: S608
        f"SELECT r.*, {bucket_columns} FROM ({_stage_rows(stage, ids_sql)}) r) s"
    )
    params = (*[METRICS[m].thresholds() for m in METRICS], *ids_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = list(cursor.fetchone())
    captions = int(row.pop(0))
    means = {m: (None if (v := row.pop(0)) is None else float(v)) for m in METRICS}
    histograms = {}
    for metric, binning in METRICS.items():
        counts = [int(row.pop(0)) for _ in range(binning.bins)]
        histograms[metric] = {
            "param": COLUMN[metric],
            "edges": binning.edges(),
            "counts": counts,
            "missing": int(row.pop(0)),
        }
    summary: dict[str, Any] = {"captions": captions, "means": means, "histograms": histograms}
    if kinds:
        summary["facts_by_kind"] = {kind: int(row.pop(0)) for kind in KINDS}
    return summary


def _lift(means: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float | None]]:
    lift: dict[str, dict[str, float | None]] = {}
    for before, after in (("import", "model"), ("model", "human_final"), ("import", "human_final")):
        lift[f"{before}_to_{after}"] = {}
        for metric in METRICS:
            low, high = means[before][metric], means[after][metric]
            lift[f"{before}_to_{after}"][metric] = (
                None if low is None or high is None else high - low
            )
    return lift


MODEL_REVIEW_SQL = """
SELECT c.model_name, j.params #>> '{{captioner,prompt}}' AS prompt,
       count(DISTINCT a.id) AS annotations, count(*) AS facts,
       count(*) FILTER (WHERE d.value ->> 'verdict' = 'accepted') AS accepted,
       count(*) FILTER (WHERE d.value ->> 'verdict' = 'edited') AS edited,
       count(*) FILTER (WHERE d.value ->> 'verdict' = 'rejected') AS rejected
FROM annotations_annotation a
CROSS JOIN LATERAL jsonb_each(a.decisions) AS d
JOIN annotations_fact f ON f.id = d.key::bigint AND f.source = 'model'
JOIN annotations_caption c ON c.id = f.caption_id
LEFT JOIN annotations_job j ON j.id = c.job_id
WHERE a.status = 'submitted' AND jsonb_typeof(a.decisions) = 'object'
  AND a.item_id IN ({ids})
GROUP BY 1, 2
ORDER BY 1, 2 NULLS FIRST
"""


def model_fact_review(ids: tuple[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Per model configuration (model and prompt), how annotators judged its facts: the
    verdicts of submitted annotations on base facts that a model proposed (``source`` model),
    as in the agreement figures. Leads' figures: the API leaves them out for annotators, whose
    work must stay independent until an item is done."""
    ids_sql, ids_params = ids
    with connection.cursor() as cursor:
        cursor.execute(MODEL_REVIEW_SQL.format(ids=ids_sql), ids_params)
        rows = cursor.fetchall()
    return [review_row(*row) for row in rows]


PROGRESS_SQL = """
SELECT day, sum(submitted)::bigint, sum(finalised)::bigint FROM (
    SELECT (a.submitted_at AT TIME ZONE 'UTC')::date AS day, 1 AS submitted, 0 AS finalised
    FROM annotations_annotation a
    WHERE a.status = 'submitted' AND a.submitted_at IS NOT NULL AND a.item_id IN ({ids})
    UNION ALL
    SELECT (c.created_at AT TIME ZONE 'UTC')::date, 0, 1
    FROM annotations_item i JOIN annotations_caption c ON c.id = i.current_caption_id
    WHERE i.status = 'done' AND c.origin IN ({human}) AND i.id IN ({ids})
) AS events
GROUP BY day ORDER BY day
"""


def progress(ids: tuple[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Per UTC day: annotations submitted, and items whose final caption was written."""
    ids_sql, ids_params = ids
    human = ", ".join(f"'{origin}'" for origin in HUMAN_ORIGINS)
    with connection.cursor() as cursor:
        cursor.execute(PROGRESS_SQL.format(ids=ids_sql, human=human), ids_params + ids_params)
        rows = cursor.fetchall()
    return [
        {"day": day.isoformat(), "annotations_submitted": submitted, "items_finalised": finalised}
        for day, submitted, finalised in rows
    ]


def dataset_overview(dataset: Dataset, filters: ItemFilters | None = None) -> dict[str, Any]:
    """The overview of the items passing ``filters``; of a whole dataset (no filter), read
    from its running totals (``selectors.stats``) rather than its rows."""
    if filters is None or filters == ItemFilters():
        return overview_from_figures(dataset_figures(dataset))
    return live_overview(dataset, filters)


def live_overview(dataset: Dataset, filters: ItemFilters) -> dict[str, Any]:
    """The overview aggregated from the rows of the items passing ``filters``."""
    ids = item_ids_sql(dataset, filters)
    stages = {stage: _stage_summary(stage, ids, kinds=stage == "current") for stage in STAGES}
    current = stages["current"]
    facts_by_kind = {k: n for k, n in current.pop("facts_by_kind").items() if n}
    counts = filtered_items(dataset=dataset, filters=filters).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=Item.Status.DONE))
    )
    return {
        "items": {**counts, "with_caption": current["captions"]},
        "stages": stages,
        "lift": _lift({stage: summary["means"] for stage, summary in stages.items()}),
        "facts_by_kind": facts_by_kind,
        "model_fact_review": model_fact_review(ids),
        "progress": progress(ids),
    }


def _stage_from_figures(figures: Figures, stage: str) -> dict[str, Any]:
    means: dict[str, float | None] = {}
    histograms = {}
    for metric, binning in METRICS.items():
        valued = figures.n(stage, f"{metric}:sum")
        means[metric] = figures.total(stage, f"{metric}:sum") / valued if valued else None
        histograms[metric] = {
            "param": COLUMN[metric],
            "edges": binning.edges(),
            "counts": [figures.n(stage, f"{metric}:{i}") for i in range(binning.bins)],
            "missing": figures.n(stage, f"{metric}:none"),
        }
    return {"captions": figures.n(stage, "captions"), "means": means, "histograms": histograms}


def overview_from_figures(figures: Figures) -> dict[str, Any]:
    stages = {stage: _stage_from_figures(figures, stage) for stage in STAGES}
    return {
        "items": {
            "total": figures.n("items", "total"),
            "done": figures.n("items", "done"),
            "with_caption": figures.n("current", "captions"),
        },
        "stages": stages,
        "lift": _lift({stage: summary["means"] for stage, summary in stages.items()}),
        "facts_by_kind": {
            kind: figures.n("current", f"kind:{kind}")
            for kind in KINDS
            if figures.n("current", f"kind:{kind}")
        },
        "model_fact_review": model_review_rows(figures),
        "progress": progress_rows(figures),
    }


def typical_kinds(dataset: Dataset) -> tuple[str, int, dict[str, int]]:
    """What "the dataset's typical item" has: the captions compared (``final``: done items'
    final captions; ``current``: every current caption, while no item is done), their number,
    and how many of them have each fact kind. Whole dataset, whatever the filters: read from
    its running totals."""
    figures = dataset_figures(dataset)
    for basis, stage in (("final", "human_final"), ("current", "current")):
        total = figures.n(stage, "captions")
        if total or basis == "current":
            return basis, total, {kind: figures.n(stage, f"has:{kind}") for kind in KINDS}
    raise AssertionError("unreachable")
