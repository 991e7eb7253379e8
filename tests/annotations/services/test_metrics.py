"""Items' stored metrics follow imports and can be recomputed on demand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pytest_django.fixtures import Settings

from annotations.models import Item, VqaPair
from annotations.services.audit import Actor
from annotations.services.imports import dataset_import
from annotations.services.metrics import refresh_dataset_metrics, refresh_item_metrics
from tests.annotations.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(settings: Settings, tmp_path: Path) -> list[Item]:
    settings.MEDIA_ROOT = tmp_path / "media"
    lines = []
    for number in range(4):
        Image.new("RGB", (32, 24), (number * 60, 10, 10)).save(tmp_path / f"{number}.png")
        record = {
            "id": f"i{number}",
            "image": f"{number}.png",
            "caption": "Two brown dogs on a red sofa.",
            "facts": [{"kind": "count", "subject": "dog", "predicate": "count", "value": "2"}],
            "vqa": [
                {"question": "What color is the sofa?", "answer": "red"},
                {"question": "Is there a cat?", "answer": "yes"},
            ],
        }
        lines.append(json.dumps(record))
    (tmp_path / "data.jsonl").write_text("\n".join(lines) + "\n")
    dataset = DatasetFactory(slug="metrics")
    dataset_import(dataset=dataset, sources=[tmp_path / "data.jsonl"], actor=Actor.system("t"))
    return list(Item.objects.filter(dataset=dataset).order_by("pk"))


def test_an_import_stores_each_items_metrics_and_support_flags(imported: list[Item]) -> None:
    # One fact in seven words; reference: (sofa, color, red) stated, (cat, present, yes) not.
    for item in imported:
        assert (item.fact_count, item.density, item.coverage, item.vqa_support) == (
            1, 100 / 7, 0.5, 0.5,
        )  # fmt: skip
        assert list(item.vqa_pairs.order_by("pk").values_list("is_supported", flat=True)) == [
            True,
            False,
        ]


def test_a_refresh_repairs_stale_columns_in_a_fixed_number_of_queries(
    imported: list[Item],
) -> None:
    Item.objects.filter(pk__in=[i.pk for i in imported]).update(coverage=None, density=0)
    VqaPair.objects.filter(item__in=imported).update(is_supported=None)
    with CaptureQueriesContext(connection) as queries:
        changed = refresh_item_metrics([item.pk for item in imported])
    assert changed == 4
    # Items, current facts, VQA pairs, and one bulk update each for items and pairs.
    assert len(queries) == 5
    assert {
        (i.coverage, i.density) for i in Item.objects.filter(pk__in=[i.pk for i in imported])
    } == {(0.5, 100 / 7)}
    assert refresh_dataset_metrics(imported[0].dataset_id) == 0  # nothing left to change


def test_the_command_recomputes_named_datasets_and_refuses_unknown_ones(
    imported: list[Item], capsys: pytest.CaptureFixture[str]
) -> None:
    Item.objects.filter(pk=imported[0].pk).update(vqa_support=1.0)
    call_command("kd_refresh_metrics", "--dataset", "metrics")
    assert capsys.readouterr().out == "metrics: 1 item(s) changed\n"
    assert Item.objects.get(pk=imported[0].pk).vqa_support == 0.5
    with pytest.raises(CommandError, match=r"^no dataset with slug nope$"):
        call_command("kd_refresh_metrics", "--dataset", "nope", "--dataset", "metrics")
