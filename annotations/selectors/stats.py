"""A whole dataset's inspection figures from its running totals (``DatasetStat``).

Triggers keep the totals as rows appended per statement (migration ``0010_dataset_stats``), so
reading them costs one indexed aggregate over a few hundred rows whatever the dataset's size;
the overview and the gap summary of a whole dataset read them instead of scanning captions.
A filtered overview still aggregates the filtered items directly
(``annotations.selectors.overview``), and ``tests/annotations/test_dataset_stats.py`` checks
that both ways give the same figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.db import connection, transaction

from annotations.models import Dataset

# Appended rows a dataset may gather before a read folds them into one per key.
COMPACT_AT = 5000

COMPACT_SQL = """
WITH gone AS (
    DELETE FROM annotations_datasetstat WHERE dataset_id = %s
    RETURNING stage, key, n, total
)
INSERT INTO annotations_datasetstat (dataset_id, stage, key, n, total)
SELECT %s, stage, key, sum(n), sum(total) FROM gone
GROUP BY stage, key
HAVING sum(n) <> 0
"""


# A dataset's totals from its rows as they are, with the triggers' own functions.
REBUILD_SQL = """
WITH gone AS (DELETE FROM annotations_datasetstat WHERE dataset_id = %(dataset)s)
INSERT INTO annotations_datasetstat (dataset_id, stage, key, n, total)
SELECT %(dataset)s, stage, key, sum(n), sum(total) FROM (
    SELECT s.*
    FROM annotations_item i
    LEFT JOIN annotations_caption c ON c.id = i.current_caption_id
    CROSS JOIN LATERAL kd_item_stats(
        i.status, i.current_caption_id IS NOT NULL, c.origin,
        (c.created_at AT TIME ZONE 'UTC')::date,
        i.fact_count, i.density, i.coverage, i.vqa_support, i.kind_counts, i.entity_gaps) s
    WHERE i.dataset_id = %(dataset)s
    UNION ALL
    SELECT s.*
    FROM annotations_caption c
    JOIN annotations_item i ON i.id = c.item_id
    CROSS JOIN LATERAL kd_caption_stats(
        c.origin, c.fact_count, c.density, c.coverage, c.vqa_support) s
    WHERE c.origin IN ('import', 'model') AND i.dataset_id = %(dataset)s
    UNION ALL
    SELECT s.*
    FROM annotations_annotation a
    JOIN annotations_item i ON i.id = a.item_id
    CROSS JOIN LATERAL kd_annotation_stats(a.status, a.submitted_at, a.decisions) s
    WHERE a.status = 'submitted' AND i.dataset_id = %(dataset)s
    UNION ALL
    SELECT 'questions', p.question, 1, 0
    FROM annotations_vqapair p
    JOIN annotations_item i ON i.id = p.item_id
    WHERE p.is_supported = false AND i.dataset_id = %(dataset)s
) AS everything
GROUP BY stage, key
"""


class Figures:
    """A dataset's totals: ``n(stage, key)`` and ``total(stage, key)``, 0 when absent."""

    def __init__(self, rows: list[tuple[str, str, int, float]]) -> None:
        self._n: dict[tuple[str, str], int] = defaultdict(int)
        self._total: dict[tuple[str, str], float] = defaultdict(float)
        for stage, key, n, total in rows:
            self._n[stage, key] += int(n)
            self._total[stage, key] += float(total)

    def n(self, stage: str, key: str) -> int:
        return self._n.get((stage, key), 0)

    def total(self, stage: str, key: str) -> float:
        return self._total.get((stage, key), 0.0)

    def keys(self, stage: str, prefix: str = "") -> list[str]:
        return sorted(
            key for (s, key), n in self._n.items() if s == stage and key.startswith(prefix) and n
        )


def dataset_figures(dataset: Dataset) -> Figures:
    return Figures(_sums(dataset.pk))


def _sums(dataset_id: int) -> list[tuple[str, str, int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stage, key, sum(n), sum(total), count(*) FROM annotations_datasetstat"
            " WHERE dataset_id = %s AND stage <> 'questions' GROUP BY stage, key",
            [dataset_id],
        )
        rows = cursor.fetchall()
    if sum(row[4] for row in rows) > max(COMPACT_AT, 2 * len(rows)):
        compact(dataset_id)
    return [(stage, key, n, total) for stage, key, n, total, _ in rows]


def top_questions(dataset_id: int, limit: int) -> tuple[int, list[tuple[str, int]]]:
    """Unsupported VQA pairs in all, and the questions with the most, from the totals."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, sum(n) AS pairs, sum(sum(n)) OVER () FROM annotations_datasetstat"
            " WHERE dataset_id = %s AND stage = 'questions' GROUP BY key HAVING sum(n) > 0"
            " ORDER BY pairs DESC, key LIMIT %s",
            [dataset_id, limit],
        )
        rows = cursor.fetchall()
    return (int(rows[0][2]) if rows else 0), [(key, int(n)) for key, n, _ in rows]


def rebuild(dataset_id: int) -> None:
    """Recompute a dataset's totals from its rows (after rows were written with the triggers
    off or out of order, e.g. a bulk load); readers see the old or the new totals."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD_SQL, {"dataset": dataset_id})


def compact(dataset_id: int) -> None:
    """Fold a dataset's rows into one per key (one statement: readers see either state)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPACT_SQL, [dataset_id, dataset_id])


def compact_all() -> int:
    """Compact every dataset with more rows than keys warrant; how many were compacted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT dataset_id FROM annotations_datasetstat GROUP BY dataset_id"
            " HAVING count(*) > 2 * count(DISTINCT (stage, key))"
        )
        ids = [row[0] for row in cursor.fetchall()]
    for dataset_id in ids:
        compact(dataset_id)
    return len(ids)


def review_row(
    model_name: str,
    prompt: str | None,
    annotations: int,
    facts: int,
    accepted: int,
    edited: int,
    rejected: int,
) -> dict[str, Any]:
    """One model configuration's line of the overview's model-fact review."""
    return {
        "model_name": model_name,
        "prompt": prompt,
        "annotations": annotations,
        "facts": facts,
        "accepted": accepted,
        "edited": edited,
        "rejected": rejected,
        "accepted_share": accepted / facts,
        "edited_share": edited / facts,
        "rejected_share": rejected / facts,
    }


def model_review_rows(figures: Figures) -> list[dict[str, Any]]:
    """The overview's model-fact review from the totals (per model name and prompt)."""
    configs: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key in figures.keys("model_review"):
        model_name, prompt, what = json.loads(key)
        configs[model_name, prompt][what] += figures.n("model_review", key)
    rows = []
    for (model_name, prompt), counts in sorted(
        configs.items(), key=lambda entry: (entry[0][0], entry[0][1] is not None, entry[0][1] or "")
    ):
        facts = counts["accepted"] + counts["edited"] + counts["rejected"]
        if not facts:
            continue
        rows.append(
            review_row(
                model_name,
                prompt,
                counts["annotations"],
                facts,
                counts["accepted"],
                counts["edited"],
                counts["rejected"],
            )
        )
    return rows


def progress_rows(figures: Figures) -> list[dict[str, Any]]:
    days = {key.split(":", 1)[1] for key in figures.keys("progress")}
    return [
        {
            "day": day,
            "annotations_submitted": figures.n("progress", f"submitted:{day}"),
            "items_finalised": figures.n("progress", f"finalised:{day}"),
        }
        for day in sorted(days)
    ]
