"""The database's binning of metrics (``kd_bin``) is the overview's, and compacting a
dataset's running totals keeps every figure."""

from __future__ import annotations

import bisect

import pytest
from django.db import connection

from annotations.models import DatasetStat
from annotations.selectors.overview import METRICS
from annotations.selectors.stats import compact, compact_all, dataset_figures, rebuild
from tests.annotations.api.conftest import World, image_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("metric", list(METRICS))
def test_the_database_bins_a_value_where_the_overview_does(metric: str) -> None:
    binning = METRICS[metric]
    thresholds = binning.thresholds()
    values = sorted(
        {0.0, binning.high, binning.high * 3, *binning.edges()}
        | {edge + delta for edge in binning.edges() for delta in (-1e-9, 1e-9)}
    )
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute("SELECT kd_bin(%s, %s)", [metric, value])
            expected = bisect.bisect_right(thresholds, value)
            assert cursor.fetchone()[0] == str(expected), (metric, value)
        cursor.execute("SELECT kd_bin(%s, NULL)", [metric])
        assert cursor.fetchone()[0] == "none"


def test_compacting_keeps_every_figure(world: World) -> None:
    for number in range(4, 9):
        image_item(world.a, number, "A red square.")
    before = dataset_figures(world.a)
    rows = DatasetStat.objects.filter(dataset=world.a).count()
    # Keys whose rows add up to nothing (a bin the items left) are dropped.
    stages = ("items", "import", "current", "human_final", "model", "progress", "model_review")
    keys = sum(len(before.keys(stage)) for stage in stages)
    assert rows > keys
    assert compact_all() >= 1
    after = dataset_figures(world.a)
    assert DatasetStat.objects.filter(dataset=world.a).count() == keys
    for stage in ("items", "import", "current"):
        for key in before.keys(stage):
            assert (after.n(stage, key), after.total(stage, key)) == pytest.approx(
                (before.n(stage, key), before.total(stage, key))
            ), (stage, key)
    assert after.n("items", "total") == 8
    assert after.n("import", "captions") == 8
    # Compacting again changes nothing.
    compact(world.a.pk)
    assert DatasetStat.objects.filter(dataset=world.a).count() == keys


def test_rebuilding_from_the_rows_gives_the_same_figures(world: World) -> None:
    for number in range(4, 7):
        image_item(world.a, number, "A red square.")
    before = dataset_figures(world.a)
    # Totals lost (a bulk load with the triggers off) come back from the rows.
    DatasetStat.objects.filter(dataset=world.a).delete()
    assert dataset_figures(world.a).n("items", "total") == 0
    rebuild(world.a.pk)
    after = dataset_figures(world.a)
    for stage in ("items", "import", "current", "questions"):
        assert after.keys(stage) == before.keys(stage)
        for key in before.keys(stage):
            assert (after.n(stage, key), after.total(stage, key)) == pytest.approx(
                (before.n(stage, key), before.total(stage, key))
            ), (stage, key)
    assert after.n("items", "total") == 6
