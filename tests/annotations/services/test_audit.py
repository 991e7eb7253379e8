"""The audit log is one unbroken hash chain, even under concurrent writers, and tampering shows."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from annotations.models import AuditAction, AuditEvent
from annotations.services.audit import (
    GENESIS_HASH,
    Actor,
    audit_head_hash,
    audit_record,
    event_hash,
)
from tests.annotations.factories import DatasetFactory, UserFactory
from tests.support.processes import clean_env, database_url, run_python

SYSTEM = Actor.system("tests")


def record(n: int, **overrides: object) -> AuditEvent:
    with transaction.atomic():
        return audit_record(
            actor=SYSTEM,
            action=AuditAction.JOB_CREATE,
            target=("annotations.job", n),
            dataset_id=None,
            **overrides,  # type: ignore[arg-type]
        )


@pytest.mark.django_db
def test_events_link_to_their_predecessor_and_read_back_exactly() -> None:
    user = UserFactory(username="grace")
    dataset = DatasetFactory(slug="cats")
    first = record(1)
    with transaction.atomic():
        second = audit_record(
            actor=Actor.for_user(user),
            action=AuditAction.DATASET_CREATE,
            target=dataset,
            dataset_id=dataset.pk,
            before=None,
            after={"slug": "cats", "ratio": 0.1, "tags": ["a", "é"], "nested": {"b": 1, "a": 2}},
        )
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    stored = AuditEvent.objects.get(pk=second.pk)
    assert (stored.actor_type, stored.actor_user_id, stored.actor_label) == (
        "user",
        user.pk,
        "grace",
    )
    assert (stored.target_type, stored.target_id, stored.dataset_id) == (
        "annotations.dataset",
        str(dataset.pk),
        dataset.pk,
    )
    assert stored.after == {
        "slug": "cats",
        "ratio": 0.1,
        "tags": ["a", "é"],
        "nested": {"a": 2, "b": 1},
    }
    assert audit_head_hash() == second.hash


@pytest.mark.django_db
def test_recording_outside_a_transaction_is_refused() -> None:
    # pytest-django wraps the test in a transaction; leave it to see what a bare caller gets.
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the transaction of its change"):
            audit_record(
                actor=SYSTEM, action=AuditAction.JOB_CREATE, target=("x", 1), dataset_id=None
            )
    finally:
        connection.in_atomic_block = True
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_request_id_is_recorded() -> None:
    from kdapp.request_id import current_request_id

    token = current_request_id.set("req-0123456789")
    try:
        event = record(1)
    finally:
        current_request_id.reset(token)
    assert AuditEvent.objects.get(pk=event.pk).request_id == "req-0123456789"


@pytest.mark.django_db
def test_verify_passes_on_an_untouched_chain() -> None:
    events = [record(n) for n in range(3)]
    call_command("kd_audit_verify", stdout=(output := _Buffer()))
    assert output.text == f"3 audit event(s) verified; head {events[-1].hash}\n"


def tamper(sql: str, params: list[object]) -> None:
    """What a superuser could do: switch the trigger off, rewrite history, switch it back on."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE annotations_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE annotations_auditevent ENABLE TRIGGER audit_append_only")


@pytest.mark.django_db
def test_verify_names_an_altered_event() -> None:
    events = [record(n) for n in range(4)]
    tamper(
        "UPDATE annotations_auditevent SET actor_label = 'someone else' WHERE id = %s",
        [events[2].pk],
    )
    with pytest.raises(CommandError) as raised:
        call_command("kd_audit_verify")
    assert str(raised.value) == (
        f"audit event {events[2].pk} does not verify: contents do not match its hash: the event "
        "was altered (2 event(s) before it verified)"
    )


@pytest.mark.django_db
def test_verify_names_the_event_after_a_removed_one() -> None:
    events = [record(n) for n in range(4)]
    tamper("DELETE FROM annotations_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError) as raised:
        call_command("kd_audit_verify")
    assert str(raised.value).startswith(
        f"audit event {events[2].pk} does not verify: previous-hash link broken"
    )


@pytest.mark.django_db
def test_a_rehashed_event_still_breaks_the_link_to_its_successor() -> None:
    events = [record(n) for n in range(3)]
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.actor_label = "someone else"
    from annotations.services.audit import _hashed_fields

    new_hash = event_hash(_hashed_fields(forged), forged.prev_hash)
    tamper(
        "UPDATE annotations_auditevent SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone else", new_hash, events[1].pk],
    )
    with pytest.raises(CommandError, match=f"audit event {events[2].pk} does not verify"):
        call_command("kd_audit_verify")


@pytest.mark.django_db(transaction=True)
def test_kd_audit_verify_exit_status(tmp_path: object) -> None:
    events = [record(n) for n in range(2)]
    env = clean_env(DATABASE_URL=database_url(connection.settings_dict))
    good = run_python(["manage.py", "kd_audit_verify"], env)
    assert (good.returncode, good.stdout) == (
        0,
        f"2 audit event(s) verified; head {events[-1].hash}\n",
    )
    tamper("UPDATE annotations_auditevent SET after = '{\"x\": 1}' WHERE id = %s", [events[0].pk])
    bad = run_python(["manage.py", "kd_audit_verify"], env)
    assert bad.returncode == 1
    assert f"audit event {events[0].pk} does not verify" in bad.stderr


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    writers, per_writer = 8, 6
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for n in range(per_writer):
                with transaction.atomic():
                    audit_record(
                        actor=Actor.system(f"writer-{writer}"),
                        action=AuditAction.JOB_CREATE,
                        target=("annotations.job", writer * 100 + n),
                        dataset_id=None,
                    )
                    # Keep the transaction open a moment so writers genuinely overlap.
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_sleep(0.005)")
        except BaseException as error:  # reported below, with the thread's failure
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == writers * per_writer
    assert [event.prev_hash for event in events] == [GENESIS_HASH] + [
        event.hash for event in events[:-1]
    ]
    call_command("kd_audit_verify", stdout=_Buffer())


class _Buffer:
    def __init__(self) -> None:
        self.text = ""

    def write(self, value: str) -> None:
        self.text += value

    def flush(self) -> None:
        pass
