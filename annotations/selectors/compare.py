"""Compare two caption sources item by item: did a model configuration, or the annotators,
add knowledge or lose it?

A side is a caption origin (``import``, ``model``: the latest model caption, ``human_final``,
``current``), one caption job (``job:<id>``: one model configuration's run) or one model
(``model:<name>``: its latest caption per item). Only items with a caption on both sides are
compared; ``delta = b - a`` of the captions' stored metrics (``Caption.fact_count``,
``density``, ``coverage``, ``vqa_support``, as measured when each caption was made). Items
that lost facts come first: ordered by the fact-count delta, then item id, keyset-paginated.
The summary and each page are one SQL statement each.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Q

from annotations.models import Caption, Dataset, Item, Job
from annotations.selectors.items import ItemFilters, cursor_text
from annotations.selectors.overview import HUMAN_ORIGINS, item_ids_sql

ORIGIN_SIDES = {
    "import": "Imported captions",
    "model": "Model suggestions (latest)",
    "human_final": "Final human captions",
    "current": "Current captions",
}
SIDE = re.compile(
    r"^(?:(?P<origin>import|model|human_final|current)|job:(?P<job>\d{1,18})|model:(?P<model>.{1,300}))$"
)
DELTAS = ("fact_count", "density", "coverage", "vqa_support")
CAPTION_COLUMNS = "c.id, c.item_id, c.fact_count, c.density, c.coverage, c.vqa_support"


@dataclass(frozen=True)
class Side:
    side: str
    label: str
    sql: str
    params: tuple[Any, ...]


class UnknownSide(ValueError):
    pass


def side_of(dataset: Dataset, value: str, ids: tuple[str, tuple[Any, ...]]) -> Side:
    """The SQL of one side's captions (one per item) among the selected items."""
    match = SIDE.match(value)
    if match is None:
        raise UnknownSide(
            "A side is import, model, human_final, current, job:<id> or model:<model name>."
        )
    ids_sql, ids_params = ids
    latest = "ORDER BY c.item_id, c.created_at DESC, c.id DESC"
    if match["origin"] in ("import", "model"):
        sql = (
            f"SELECT DISTINCT ON (c.item_id) {CAPTION_COLUMNS} FROM annotations_caption c"  # noqa: S608
            f" WHERE c.origin = %s AND c.item_id IN ({ids_sql}) {latest}"
        )
        return Side(value, ORIGIN_SIDES[value], sql, (value, *ids_params))
    if match["origin"] in ("human_final", "current"):
        where = "TRUE"
        params: tuple[Any, ...] = ()
        if match["origin"] == "human_final":
            where = "i.status = 'done' AND c.origin = ANY(%s)"
            params = (list(HUMAN_ORIGINS),)
        sql = (
            f"SELECT {CAPTION_COLUMNS} FROM annotations_item i"  # noqa: S608
            " JOIN annotations_caption c ON c.id = i.current_caption_id"
            f" WHERE {where} AND i.id IN ({ids_sql})"
        )
        return Side(value, ORIGIN_SIDES[value], sql, (*params, *ids_params))
    if match["job"] is not None:
        job = Job.objects.filter(pk=int(match["job"]), dataset=dataset).first()
        if job is None:
            raise UnknownSide(f"No caption job {match['job']} in this dataset.")
        sql = (
            f"SELECT {CAPTION_COLUMNS} FROM annotations_caption c"  # noqa: S608
            f" WHERE c.job_id = %s AND c.item_id IN ({ids_sql})"
        )
        return Side(value, job_label(job), sql, (job.pk, *ids_params))
    sql = (
        f"SELECT DISTINCT ON (c.item_id) {CAPTION_COLUMNS} FROM annotations_caption c"  # noqa: S608
        f" WHERE c.origin = 'model' AND c.model_name = %s AND c.item_id IN ({ids_sql}) {latest}"
    )
    return Side(value, f"Model {match['model']}", sql, (match["model"], *ids_params))


def job_label(job: Job) -> str:
    captioner = job.params.get("captioner") if isinstance(job.params, dict) else None
    parts = [f"Job {job.pk}"]
    if isinstance(captioner, dict):
        if captioner.get("model"):
            parts.append(str(captioner["model"]))
        if captioner.get("prompt"):
            prompt = str(captioner["prompt"])
            parts.append(f"prompt “{prompt[:60]}{'…' if len(prompt) > 60 else ''}”")
    return " · ".join(parts)


def _pairs_sql(a: Side, b: Side) -> tuple[str, tuple[Any, ...]]:
    deltas = ", ".join(f"b.{d} - a.{d} AS d_{d}" for d in DELTAS)
    sql = (
        f"SELECT a.item_id, a.id AS a_id, b.id AS b_id, {deltas}"  # noqa: S608
        f" FROM ({a.sql}) a JOIN ({b.sql}) b ON b.item_id = a.item_id"
    )
    return sql, (*a.params, *b.params)


@dataclass(frozen=True)
class CompareCursor:
    fact_delta: int
    item_id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"cmp:{self.fact_delta}:{self.item_id}".encode()).decode()

    @classmethod
    def decode(cls, value: str) -> CompareCursor:
        match = re.fullmatch(r"cmp:(-?\d{1,9}):(\d{1,18})", cursor_text(value))
        if match is None:
            raise ValueError("not a cursor")
        return cls(int(match[1]), int(match[2]))


def compare(
    *,
    dataset: Dataset,
    a: str,
    b: str,
    filters: ItemFilters,
    after: CompareCursor | None,
    limit: int,
) -> dict[str, Any]:
    ids = item_ids_sql(dataset, filters)
    side_a, side_b = side_of(dataset, a, ids), side_of(dataset, b, ids)
    pairs_sql, params = _pairs_sql(side_a, side_b)
    means = ", ".join(f"avg(p.d_{d})" for d in DELTAS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE p.d_fact_count < 0),"  # noqa: S608
            " count(*) FILTER (WHERE p.d_fact_count > 0),"
            f" count(*) FILTER (WHERE p.d_fact_count = 0), {means} FROM ({pairs_sql}) p",
            params,
        )
        items, lost, gained, unchanged, *mean_deltas = cursor.fetchone()
        keyset, keyset_params = "", cast(tuple[Any, ...], ())
        if after is not None:
            keyset, keyset_params = (
                " WHERE (p.d_fact_count, p.item_id) > (%s, %s)",
                (
                    after.fact_delta,
                    after.item_id,
                ),
            )
        cursor.execute(
            f"SELECT p.item_id, p.a_id, p.b_id FROM ({pairs_sql}) p{keyset}"  # noqa: S608
            " ORDER BY p.d_fact_count, p.item_id LIMIT %s",
            (*params, *keyset_params, limit + 1),
        )
        rows = cursor.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    captions = Caption.objects.in_bulk([r[1] for r in rows] + [r[2] for r in rows])
    item_rows = Item.objects.in_bulk([r[0] for r in rows])
    results: list[dict[str, Any]] = []
    for item_id, a_id, b_id in rows:
        caption_a, caption_b = captions[a_id], captions[b_id]
        results.append(
            {
                "item": item_rows[item_id],
                "a": caption_a,
                "b": caption_b,
                "delta": {d: _delta(getattr(caption_a, d), getattr(caption_b, d)) for d in DELTAS},
            }
        )
    next_cursor = None
    if more:
        last = results[-1]
        next_cursor = CompareCursor(last["delta"]["fact_count"], last["item"].pk).encode()
    return {
        "a": {"side": side_a.side, "label": side_a.label},
        "b": {"side": side_b.side, "label": side_b.label},
        "summary": {
            "items": items,
            "lost": lost,
            "gained": gained,
            "unchanged": unchanged,
            "mean_delta": {
                d: None if v is None else float(v) for d, v in zip(DELTAS, mean_deltas, strict=True)
            },
        },
        "results": results,
        "next_cursor": next_cursor,
    }


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def caption_sources(dataset: Dataset) -> list[dict[str, Any]]:
    """The sides one can compare in this dataset, with how many captions each has."""
    by_origin = dict(
        Caption.objects.filter(item__dataset=dataset)
        .values("origin")
        .annotate(n=Count("pk"))
        .values_list("origin", "n")
    )
    items = Item.objects.filter(dataset=dataset).aggregate(
        current=Count("pk", filter=Q(current_caption__isnull=False)),
        human_final=Count(
            "pk",
            filter=Q(status=Item.Status.DONE, current_caption__origin__in=HUMAN_ORIGINS),
        ),
    )
    counts = {
        "import": by_origin.get(Caption.Origin.IMPORT, 0),
        "model": by_origin.get(Caption.Origin.MODEL, 0),
        "human_final": items["human_final"],
        "current": items["current"],
    }
    sources = [
        {"side": side, "label": label, "captions": counts[side]}
        for side, label in ORIGIN_SIDES.items()
    ]
    jobs = (
        Job.objects.filter(dataset=dataset, kind=Job.Kind.CAPTION)
        .annotate(n=Count("captions"))
        .filter(n__gt=0)
        .order_by("-pk")
    )
    sources += [
        {"side": f"job:{job.pk}", "label": job_label(job), "captions": job.n} for job in jobs
    ]
    models = (
        Caption.objects.filter(item__dataset=dataset, origin=Caption.Origin.MODEL)
        .exclude(model_name="")
        .values("model_name")
        .annotate(n=Count("pk"))
        .order_by("model_name")
    )
    sources += [
        {
            "side": f"model:{row['model_name']}",
            "label": f"Model {row['model_name']}",
            "captions": row["n"],
        }
        for row in models
    ]
    return sources
