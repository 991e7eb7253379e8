"""The streaming JSONL export: exact records, access, resumption, constant queries, audit."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.exporters.record import validate_record
from annotations.models import AuditEvent, Item
from annotations.selectors.export import pseudonym
from tests.annotations.api.conftest import World, image_item
from tests.annotations.api.test_token_access import bearer, make_token


def lines(response: Any) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\n") or body == ""
    return [json.loads(line) for line in body.splitlines()]


def url(world: World, **query: Any) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/datasets/{world.a.pk}/export.jsonl" + (f"?{params}" if params else "")


def test_a_lead_streams_exact_records(world: World) -> None:
    Item.objects.filter(dataset=world.a).update(status=Item.Status.DONE)
    response = world.client(world.lead).get(url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    records = lines(response)
    assert [r["id"] for r in records] == ["alpha-0", "alpha-1", "alpha-2"]
    first = records[0]
    item = world.items[0]
    assert item.current_caption is not None
    assert first == {
        "id": "alpha-0",
        "item_id": item.pk,
        "dataset": "alpha",
        "status": "done",
        "image": {
            "path": f"images/{item.image_sha256}.png",
            "url": f"/api/v1/items/{item.pk}/image/original/",
            "width": item.width,
            "height": item.height,
            "mime": "image/png",
            "sha256": item.image_sha256,
        },
        "caption": {
            "id": item.current_caption_id,
            "text": "A red square.",
            "origin": "import",
            "author": None,
            "model_name": "",
            "created_at": item.current_caption.created_at.isoformat(),
            "parent_id": None,
        },
        "facts": [
            {
                "kind": "object", "subject": "square", "predicate": "colour", "value": "red",
                "span": [2, 5], "region": None, "source": "import", "confidence": None,
                "entity": None, "decided_by": None,
            }
        ],
        "metrics": {
            "facts": 1, "words": 3, "density": 100 / 3, "coverage": 1.0, "vqa_support": 1.0,
        },
        "vqa": [
            {"question": "What colour?", "answer": "red", "origin": "import", "supported": True}
        ],
        "provenance": {
            "caption_id": item.current_caption_id, "audit_event_ids": [], "review_id": None,
        },
    }  # fmt: skip
    # Every record is valid against the published JSON Schema.
    assert [validate_record(record) for record in records] == [[], [], []]
    event = AuditEvent.objects.get(action="dataset.export")
    assert (event.actor_label, event.after["records"], event.after["filters"]["status"]) == (
        "lead",
        3,
        "done",
    )


def test_filters_select_items(world: World) -> None:
    Item.objects.filter(pk=world.items[1].pk).update(status=Item.Status.DONE)
    client = world.client(world.lead)
    assert [r["id"] for r in lines(client.get(url(world)))] == ["alpha-1"]
    assert [r["id"] for r in lines(client.get(url(world, status="any")))] == [
        "alpha-0",
        "alpha-1",
        "alpha-2",
    ]
    assert [r["id"] for r in lines(client.get(url(world, status="any", min_coverage=0.5)))] == [
        "alpha-0"
    ]
    assert lines(client.get(url(world, status="any", reviewed_only="true"))) == []
    assert lines(client.get(url(world, status="any", caption="model"))) == []


def test_a_dropped_stream_resumes_with_every_record_exactly_once(world: World) -> None:
    for number in range(3, 12):
        image_item(world.a, number, "A red square.")
    client = world.client(world.lead)
    full = [r["item_id"] for r in lines(client.get(url(world, status="any")))]
    assert len(full) == 12
    # The connection dropped after four complete lines: resume after the last one received.
    received = full[:4]
    rest = [r["item_id"] for r in lines(client.get(url(world, status="any", after=received[-1])))]
    assert received + rest == full
    assert len(set(received + rest)) == 12


def test_the_query_count_does_not_grow_with_the_dataset(world: World) -> None:
    client = world.client(world.lead)
    with CaptureQueriesContext(connection) as small:
        assert len(lines(client.get(url(world, status="any")))) == 3
    for number in range(3, 20):
        image_item(world.a, number, "A red square.")
    with CaptureQueriesContext(connection) as large:
        assert len(lines(client.get(url(world, status="any")))) == 20
    assert len(small) == len(large)


def test_who_may_export(world: World) -> None:
    before = AuditEvent.objects.filter(action="dataset.export").count()
    for user in (world.annotator, world.other_annotator):
        denied = world.client(user).get(url(world))
        assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    assert world.client(world.outsider).get(url(world)).status_code == 404
    assert world.client(None).get(url(world)).status_code == 401
    assert AuditEvent.objects.filter(action="dataset.export").count() == before

    _, secret = make_token(world.lead, ["export:read"], world.a)
    assert bearer(secret).get(url(world, status="any")).status_code == 200
    _, annotate_only = make_token(world.lead, ["annotate"], world.a)
    assert bearer(annotate_only).get(url(world)).json()["extra"] == {
        "required_scope": "export:read"
    }
    _, other = make_token(world.admin, ["export:read"], world.b)
    assert bearer(other).get(url(world)).status_code == 404


def test_identities_are_pseudonymous_unless_an_admin_asks(world: World) -> None:
    assert world.client(world.lead).get(url(world, identities="true")).status_code == 403
    assert pseudonym(world.annotator.pk) == pseudonym(world.annotator.pk)
    assert pseudonym(world.annotator.pk).startswith("annotator-")
    assert pseudonym(world.annotator.pk) != pseudonym(world.other_annotator.pk)
    admin = Client()
    admin.force_login(world.admin)
    assert admin.get(url(world, identities="true", status="any")).status_code == 200


def test_bad_parameters_are_refused(world: World) -> None:
    client = world.client(world.lead)
    unknown = client.get(url(world, colour="red"))
    assert (unknown.status_code, list(unknown.json()["extra"]["fields"])) == (400, ["colour"])
    assert client.get(url(world, min_coverage=2)).status_code == 400
    assert client.get(url(world, after=-1)).status_code == 400
    assert client.get(url(world, caption="best")).status_code == 400


def test_records_name_the_audit_events_they_came_from(world: World) -> None:
    annotator = world.client(world.annotator)
    annotation = annotator.post(f"/api/v1/datasets/{world.a.pk}/queue/next/").json()
    fact_id = world.items[0].current_caption.facts.get().pk  # type: ignore[union-attr]
    submitted = annotator.post(
        f"/api/v1/annotations/{annotation['id']}/submit/",
        {"verdicts": [{"fact_id": fact_id, "verdict": "accepted"}], "text": "A red square."},
        content_type="application/json",
    )
    assert submitted.status_code == 200
    records = lines(world.client(world.lead).get(url(world)))
    assert [r["id"] for r in records] == ["alpha-0"]
    expected = list(
        AuditEvent.objects.filter(
            target_type="annotations.annotation", target_id=str(annotation["id"])
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 2  # assigned, submitted
    assert records[0]["provenance"]["audit_event_ids"] == expected
    assert records[0]["caption"]["origin"] == "annotator"
    assert records[0]["caption"]["author"] == pseudonym(world.annotator.pk)
    assert {f["decided_by"] for f in records[0]["facts"]} == {pseudonym(world.annotator.pk)}
