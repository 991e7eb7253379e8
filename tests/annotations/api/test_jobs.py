"""Caption jobs over the API: who may create, see and cancel them, and what is refused.

These tests stop at the database: the jobs' chunks run in tests/annotations/test_caption_jobs.py
with a real worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from annotations.models import AuditEvent, Item, Job, JobChunk
from tests.annotations.api.conftest import World
from tests.annotations.api.inspection_support import (
    BROWSER_RECORDS,
    TREES,
    import_knowledge_base,
    import_records,
)
from tests.annotations.api.test_token_access import bearer, make_token

TINY = {"model": "/models/tiny", "batch_size": 2}


@pytest.fixture(autouse=True)
def default_model(settings: Settings) -> None:
    settings.KD_CAPTIONER_MODEL = "org/default-captioner"
    settings.KD_CAPTIONER_REVISION = None


def create(client: Any, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/api/v1/jobs/", body, content_type="application/json", **headers)


def flatten(fields: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"a.b": [messages]}, nested serializers' errors included."""
    flat: dict[str, list[str]] = {}
    for name, errors in fields.items():
        if isinstance(errors, dict):
            flat.update(flatten(errors, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = [error["message"] for error in errors]
    return flat


def job_state() -> tuple[int, int, int]:
    return (
        Job.objects.count(),
        JobChunk.objects.count(),
        AuditEvent.objects.filter(action__startswith="job.").count(),
    )


def test_a_lead_queues_a_job_over_item_ids(world: World) -> None:
    ids = [item.pk for item in world.items[:3]]
    response = create(
        world.client(world.lead), {"dataset_id": world.a.pk, "item_ids": ids, "captioner": TINY}
    )
    assert response.status_code == 202
    body = response.json()
    job = Job.objects.get()
    assert body == {
        "id": job.pk,
        "dataset_id": world.a.pk,
        "kind": "caption",
        "status": "queued",
        "total": 3,
        "done": 0,
        "failed": 0,
        "progress": 0.0,
        "error": "",
        "is_cancel_requested": False,
        "captioner": {
            "model": "/models/tiny", "revision": None, "family": "auto", "prompt": None,
            "device": "auto", "dtype": "auto", "batch_size": 2, "max_new_tokens": 256,
            "min_new_tokens": 0, "num_beams": 1, "trust_remote_code": False, "extra": {},
        },
        "selection": {"item_ids": 3},
        "make_current": False,
        "requested_by": "lead",
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
    }  # fmt: skip
    # Chunks of the batch size, in id order.
    assert list(JobChunk.objects.order_by("sequence").values_list("sequence", "item_ids")) == [
        (0, ids[:2]),
        (1, ids[2:]),
    ]
    event = AuditEvent.objects.get(action="job.create")
    assert (event.actor_label, event.after["model"], event.after["chunks"]) == (
        "lead", "/models/tiny", 2,
    )  # fmt: skip


def test_a_job_selects_by_filters_and_uses_the_dataset_default(world: World) -> None:
    world.a.captioner_settings = {"batch_size": 16, "prompt": "Describe."}
    world.a.save()
    response = create(
        world.client(world.lead),
        {"dataset_id": world.a.pk, "filters": {"q": "square", "coverage_min": 0.5}},
    )
    assert response.status_code == 202
    body = response.json()
    # Only alpha-0 has coverage (1.0); the model comes from the server, the rest from the
    # dataset's settings.
    assert (body["total"], body["selection"]) == (
        1,
        {"filters": {"coverage_min": 0.5, "text": "square"}},
    )
    assert (body["captioner"]["model"], body["captioner"]["batch_size"]) == (
        "org/default-captioner",
        16,
    )
    assert body["captioner"]["prompt"] == "Describe."
    assert JobChunk.objects.get().item_ids == [world.items[0].pk]

    default = world.client(world.annotator).get(f"/api/v1/datasets/{world.a.pk}/captioner/")
    assert default.status_code == 200
    assert (default.json()["model"], default.json()["batch_size"]) == (
        "org/default-captioner",
        16,
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"selection": ["Give exactly one of item_ids and filters."]}),
        (
            {"item_ids": [1], "filters": {}},
            {"selection": ["Give exactly one of item_ids and filters."]},
        ),
        ({"item_ids": [999999]}, {"item_ids": ["Not items of dataset alpha: 999999."]}),
        ({"filters": {"status": "done"}}, {"selection": ["No item matches this selection."]}),
        ({"filters": {"colour": "red"}}, {"filters.colour": ["Unknown field."]}),
        (
            {"filters": {"coverage_min": 0.9, "coverage_max": 0.1}},
            {"filters.coverage_min": ["Must not exceed coverage_max."]},
        ),
        (
            {"item_ids": "ITEMS", "captioner": {"model": "m", "batch_size": 0}},
            {"captioner.batch_size": ["A whole number from 1 to 256."]},
        ),
        (
            {"item_ids": "ITEMS", "captioner": {"model": "m", "rope": 1}},
            {"captioner.rope": ["Unknown field."]},
        ),
    ],
)
def test_bad_job_requests_are_refused_and_create_nothing(
    world: World, body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    if body.get("item_ids") == "ITEMS":
        body["item_ids"] = [world.items[0].pk]
    before = job_state()
    response = create(world.client(world.lead), {"dataset_id": world.a.pk, **body})
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    assert flatten(answer["extra"]["fields"]) == fields
    assert job_state() == before


def test_items_of_another_dataset_cannot_be_selected(world: World) -> None:
    before = job_state()
    response = create(
        world.client(world.lead), {"dataset_id": world.a.pk, "item_ids": [world.items[-1].pk]}
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["item_ids"][0]["message"] == (
        f"Not items of dataset alpha: {world.items[-1].pk}."
    )
    assert job_state() == before


def test_only_leads_and_admins_create_jobs(world: World) -> None:
    body = {"dataset_id": world.a.pk, "item_ids": [world.items[0].pk]}
    before = job_state()
    denied = create(world.client(world.annotator), body)
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    hidden = create(world.client(world.outsider), body)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    anonymous = create(world.client(None), body)
    assert anonymous.status_code == 401
    _, secret = make_token(world.lead, ["export:read"], world.a)
    export_only = create(bearer(secret), body)
    assert (export_only.status_code, export_only.json()["extra"]) == (
        403,
        {"required_scope": "manage"},
    )
    assert job_state() == before
    assert create(world.client(world.admin), body).status_code == 202


def test_a_repeated_create_with_the_same_key_makes_one_job(world: World) -> None:
    body = {"dataset_id": world.a.pk, "item_ids": [world.items[0].pk]}
    client = world.client(world.lead)
    first = create(client, body, HTTP_IDEMPOTENCY_KEY="job-1")
    again = create(client, body, HTTP_IDEMPOTENCY_KEY="job-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Job.objects.count() == 1


def test_jobs_are_listed_newest_first_and_hidden_from_other_datasets(world: World) -> None:
    client = world.client(world.lead)
    ids = [
        create(client, {"dataset_id": world.a.pk, "item_ids": [item.pk]}).json()["id"]
        for item in world.items[:3]
    ]
    page = world.client(world.annotator).get(f"/api/v1/datasets/{world.a.pk}/jobs/", {"limit": 2})
    assert [job["id"] for job in page.json()["results"]] == [ids[2], ids[1]]
    rest = world.client(world.annotator).get(
        f"/api/v1/datasets/{world.a.pk}/jobs/", {"cursor": page.json()["next_cursor"]}
    )
    assert ([job["id"] for job in rest.json()["results"]], rest.json()["next_cursor"]) == (
        [ids[0]],
        None,
    )
    assert world.client(world.annotator).get(f"/api/v1/jobs/{ids[0]}/").json()["id"] == ids[0]
    outsider = world.client(world.outsider)
    assert outsider.get(f"/api/v1/jobs/{ids[0]}/").status_code == 404
    assert outsider.get(f"/api/v1/datasets/{world.a.pk}/jobs/").status_code == 404


def test_cancelling_a_queued_job_cancels_every_chunk(world: World) -> None:
    client = world.client(world.lead)
    job_id = create(
        client,
        {"dataset_id": world.a.pk, "item_ids": [i.pk for i in world.items[:3]], "captioner": TINY},
    ).json()["id"]

    denied = world.client(world.annotator).post(f"/api/v1/jobs/{job_id}/cancel/")
    assert denied.status_code == 403
    assert Job.objects.get(pk=job_id).is_cancel_requested is False

    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["status"], body["is_cancel_requested"], body["done"]) == ("cancelled", True, 0)
    assert set(JobChunk.objects.values_list("status", flat=True)) == {"cancelled"}
    assert list(
        AuditEvent.objects.filter(action__in=["job.cancel", "job.finish"])
        .order_by("pk")
        .values_list("action", "after")
    ) == [
        ("job.cancel", {"chunks_cancelled": 2}),
        ("job.finish", {"status": "cancelled", "done": 0, "failed": 0}),
    ]
    again = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert (again.status_code, again.json()["code"], again.json()["extra"]) == (
        409,
        "conflict",
        {"status": "cancelled"},
    )


def test_a_job_selects_by_the_inspection_filters(world: World, tmp_path: Path) -> None:
    # alpha-0..2: one object fact each; tbl: object, count, attribute, relation (4 facts);
    # park: object (linked to oak) and scene (2 facts); blank: no caption.
    import_knowledge_base("trees", tmp_path / "kb", TREES)
    import_records(world.a, tmp_path / "import", BROWSER_RECORDS)
    ids = dict(Item.objects.filter(dataset=world.a).values_list("external_id", "pk"))
    lead = world.client(world.lead)
    captioner = {**TINY, "batch_size": 8}
    for filters, selected, stored in (
        ({"lacks_kind": "count"}, ["alpha-0", "alpha-1", "alpha-2", "park"],
         {"lacks_kinds": ["count"]}),
        ({"has_kind": "scene,object", "entity": "oak"}, ["park"],
         {"has_kinds": ["scene", "object"], "entity": "oak"}),
        ({"fact_count_below": 2}, ["alpha-0", "alpha-1", "alpha-2"], {"fact_count_below": 2}),
        ({"origin": "none"}, ["blank"], {"origin": "none"}),
    ):  # fmt: skip
        response = create(
            lead, {"dataset_id": world.a.pk, "filters": filters, "captioner": captioner}
        )
        assert response.status_code == 202, filters
        body = response.json()
        assert (body["total"], body["selection"]) == (len(selected), {"filters": stored})
        assert JobChunk.objects.get(job_id=body["id"]).item_ids == [ids[name] for name in selected]
        assert Job.objects.get(pk=body["id"]).params["selection"] == {"filters": stored}

    before = job_state()
    both = create(lead, {"dataset_id": world.a.pk,
                         "filters": {"has_kind": "count", "lacks_kind": "count"}})  # fmt: skip
    assert (both.status_code, flatten(both.json()["extra"]["fields"])) == (
        400,
        {"filters.lacks_kind": ["A kind cannot be both present and missing: count."]},
    )
    unknown = create(lead, {"dataset_id": world.a.pk, "filters": {"lacks_kind": "colour"}})
    assert list(flatten(unknown.json()["extra"]["fields"])) == ["filters.lacks_kind"]
    # text_in_image: no caption has such a fact.
    empty = create(lead, {"dataset_id": world.a.pk, "filters": {"has_kind": "text_in_image"}})
    assert flatten(empty.json()["extra"]["fields"]) == {
        "selection": ["No item matches this selection."]
    }
    assert job_state() == before
