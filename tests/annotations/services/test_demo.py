from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from annotations.models import Caption, Dataset, Entity, Fact, Item, VqaPair
from annotations.services.audit import Actor
from annotations.services.demo import demo_load, demo_load_if_empty
from tests.annotations.factories import DatasetFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_demo_dataset_loads_completely_and_only_once() -> None:
    summary = demo_load(actor=ACTOR)

    assert (summary.imported, summary.rejected) == (14, [])
    dataset = Dataset.objects.get(slug="demo")
    items = Item.objects.filter(dataset=dataset)
    assert items.count() == 14
    for item in items.select_related("current_caption"):
        assert item.current_caption is not None, item.external_id
        assert item.current_caption.facts.count() >= 4, item.external_id
        assert item.vqa_pairs.count() >= 3, item.external_id
        assert item.metadata["license"], item.external_id
    assert set(dataset.metadata["licences"]) == set(items.values_list("external_id", flat=True))
    # Every knowledge-base entity is linked from at least one fact.
    assert Entity.objects.filter(knowledge_base__name="demo").count() == 15
    assert Fact.objects.filter(entity__isnull=False).values("entity").distinct().count() == 15

    counts = (Item.objects.count(), Caption.objects.count(), VqaPair.objects.count())
    again = demo_load(actor=ACTOR)
    assert (again.imported, again.already_present) == (0, 14)
    assert (Item.objects.count(), Caption.objects.count(), VqaPair.objects.count()) == counts


def test_the_demo_is_loaded_only_into_an_empty_database() -> None:
    DatasetFactory(slug="mine")
    assert demo_load_if_empty(actor=ACTOR) is None
    assert not Dataset.objects.filter(slug="demo").exists()


def test_make_run_demo_has_two_annotators_who_can_disagree(tmp_path: Path) -> None:
    from django.contrib.auth.models import User

    from kdapp.embedded.admin import ensure_demo_annotators

    assert ensure_demo_annotators(tmp_path, "demo") == []  # no demo dataset yet
    demo_load(actor=ACTOR, annotators_per_item=2)
    dataset = Dataset.objects.get(slug="demo")
    assert dataset.annotators_per_item == 2
    logins = ensure_demo_annotators(tmp_path, "demo")
    assert [login.username for login in logins] == ["annotator1", "annotator2"]
    for login in logins:
        assert login.password is not None
        assert User.objects.get(username=login.username).check_password(login.password)
    assert set(dataset.memberships.values_list("user__username", "role")) == {
        ("annotator1", "annotator"),
        ("annotator2", "annotator"),
    }
    assert (tmp_path / "demo_accounts").stat().st_mode & 0o077 == 0
    # Running it again keeps the accounts and their passwords.
    assert ensure_demo_annotators(tmp_path, "demo") == logins
    assert User.objects.filter(username__startswith="annotator").count() == 2
