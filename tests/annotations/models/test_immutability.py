"""Captions, facts and audit events cannot be changed or removed, by the ORM or by raw SQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from annotations.models import AuditAction, AuditEvent, Caption, Fact, Item
from annotations.services.audit import Actor, audit_record
from annotations.services.datasets import dataset_delete
from tests.annotations.factories import CaptionFactory, FactFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")


def raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE annotations_caption SET text = 'changed' WHERE id = %s", "UPDATE"),
        ("DELETE FROM annotations_caption WHERE id = %s", "DELETE"),
    ],
)
def test_captions_refuse_update_and_delete(statement: str, operation: str) -> None:
    caption = CaptionFactory(text="original")
    with (
        pytest.raises(
            IntegrityError, match=f"annotations_caption is immutable: {operation} refused"
        ),
        transaction.atomic(),
    ):
        raw(statement, [caption.pk])
    assert Caption.objects.get(pk=caption.pk).text == "original"


def test_caption_orm_update_and_delete_are_refused_too() -> None:
    caption = CaptionFactory(text="original")
    with pytest.raises(IntegrityError), transaction.atomic():
        Caption.objects.filter(pk=caption.pk).update(text="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        caption.delete()
    assert Caption.objects.get(pk=caption.pk).text == "original"


@pytest.mark.parametrize("operation", ["UPDATE", "DELETE"])
def test_facts_refuse_update_and_delete(operation: str) -> None:
    fact = FactFactory(value="grey")
    statement = {
        "UPDATE": "UPDATE annotations_fact SET value = 'black' WHERE id = %s",
        "DELETE": "DELETE FROM annotations_fact WHERE id = %s",
    }[operation]
    with (
        pytest.raises(IntegrityError, match=f"annotations_fact is immutable: {operation} refused"),
        transaction.atomic(),
    ):
        raw(statement, [fact.pk])
    assert Fact.objects.get(pk=fact.pk).value == "grey"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE annotations_auditevent SET actor_label = 'someone else'",
        "DELETE FROM annotations_auditevent",
    ],
)
def test_audit_events_refuse_update_and_delete(statement: str) -> None:
    with transaction.atomic():
        audit_record(actor=SYSTEM, action=AuditAction.JOB_CREATE, target=("x", 1), dataset_id=None)
    with pytest.raises(IntegrityError, match="is immutable"), transaction.atomic():
        raw(statement)
    assert list(AuditEvent.objects.values_list("actor_label", flat=True)) == ["system:tests"]


@pytest.mark.parametrize("table", ["annotations_auditevent", "annotations_caption"])
def test_truncate_is_refused(table: str) -> None:
    CaptionFactory()
    with transaction.atomic():
        audit_record(actor=SYSTEM, action=AuditAction.JOB_CREATE, target=("x", 1), dataset_id=None)
    with transaction.atomic():
        # The test settings allow TRUNCATE for the test runner; a real session does not.
        raw("SET LOCAL kd.test_truncate = 'off'")
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        with (
            pytest.raises(IntegrityError, match=f"{table} is immutable: TRUNCATE refused"),
            transaction.atomic(),
        ):
            raw(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 1
    assert Caption.objects.count() == 1


def test_deleting_a_whole_dataset_removes_its_captions_and_is_audited() -> None:
    fact = FactFactory()
    item = fact.caption.item
    child = CaptionFactory(item=item, parent=fact.caption, origin=Caption.Origin.ANNOTATOR)
    Item.objects.filter(pk=item.pk).update(current_caption=child)
    other = CaptionFactory()

    dataset_delete(dataset=item.dataset, actor=SYSTEM)

    assert list(Caption.objects.values_list("pk", flat=True)) == [other.pk]
    assert Fact.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.target_id, event.dataset_id, event.before) == (
        "dataset.delete",
        str(item.dataset_id),
        item.dataset_id,
        {"slug": item.dataset.slug, "items": 1, "captions": 2},
    )
    # The permission ended with that transaction.
    with pytest.raises(IntegrityError), transaction.atomic():
        other.delete()


def test_deleting_a_single_item_is_refused_while_it_has_captions() -> None:
    caption = CaptionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        caption.item.delete()
    assert Item.objects.filter(pk=caption.item_id).exists()
