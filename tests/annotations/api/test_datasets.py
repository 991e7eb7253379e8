from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import AuditEvent, Dataset
from tests.annotations.api.conftest import World

NOT_FOUND = {"code": "not_found", "message": "No such dataset.", "extra": {}}


def slugs(response: object) -> list[str]:
    return [row["slug"] for row in response.json()]  # type: ignore[attr-defined]


def test_each_user_lists_only_the_datasets_they_belong_to(world: World) -> None:
    assert slugs(world.client(world.annotator).get("/api/v1/datasets/")) == ["alpha"]
    assert slugs(world.client(world.outsider).get("/api/v1/datasets/")) == ["beta"]
    assert slugs(world.client(world.admin).get("/api/v1/datasets/")) == ["alpha", "beta"]
    anonymous = world.client(None).get("/api/v1/datasets/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


def test_the_list_carries_progress_and_density_in_constant_queries(world: World) -> None:
    client = world.client(world.admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/datasets/")
    alpha = response.json()[0]
    assert alpha["progress"] == {
        "total": 3,
        "pending": 3,
        "in_annotation": 0,
        "in_review": 0,
        "done": 0,
    }
    # "A red square.": one fact in three words on each of the three items.
    assert alpha["density_mean"] == 100 / 3
    # Only alpha-0 has a reference fact (from its VQA pair), and its caption states it.
    assert (alpha["coverage_mean"], alpha["vqa_support_mean"]) == (1.0, 1.0)
    assert alpha["your_role"] == "admin"
    # Session, user, the annotated list; no query per dataset.
    assert len(queries) == 3


def test_detail_is_404_outside_the_callers_datasets(world: World) -> None:
    inside = world.client(world.annotator).get(f"/api/v1/datasets/{world.a.pk}/")
    assert inside.status_code == 200
    assert (inside.json()["slug"], inside.json()["your_role"]) == ("alpha", "annotator")
    outside = world.client(world.outsider).get(f"/api/v1/datasets/{world.a.pk}/")
    assert (outside.status_code, outside.json()) == (404, NOT_FOUND)
    missing = world.client(world.outsider).get("/api/v1/datasets/999999/")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)


def test_only_admins_create_datasets(world: World) -> None:
    body = {"slug": "gamma", "name": "Gamma", "annotators_per_item": 2}
    denied = world.client(world.lead).post(
        "/api/v1/datasets/", body, content_type="application/json"
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert not Dataset.objects.filter(slug="gamma").exists()

    created = world.client(world.admin).post(
        "/api/v1/datasets/", body, content_type="application/json"
    )
    assert created.status_code == 201
    assert (created.json()["slug"], created.json()["annotators_per_item"]) == ("gamma", 2)
    event = AuditEvent.objects.get(action="dataset.create")
    assert (event.actor_label, event.target_id) == ("admin", str(created.json()["id"]))


def test_create_rejects_unknown_fields_duplicates_and_bad_values(world: World) -> None:
    client = world.client(world.admin)
    unknown = client.post(
        "/api/v1/datasets/",
        {"slug": "gamma", "name": "G", "is_staff": True},
        content_type="application/json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["extra"]["fields"] == {
        "is_staff": [{"code": "invalid", "message": "Unknown field."}]
    }
    duplicate = client.post(
        "/api/v1/datasets/", {"slug": "alpha", "name": "Again"}, content_type="application/json"
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["extra"]["fields"] == {
        "slug": [{"code": "invalid", "message": "Dataset with this Slug already exists."}]
    }
    nul = client.post(
        "/api/v1/datasets/", {"slug": "delta", "name": "bad\u0000"}, content_type="application/json"
    )
    assert nul.status_code == 400
    assert nul.json()["extra"]["fields"]["name"][0]["code"] == "null_characters_not_allowed"
    assert Dataset.objects.count() == 2


def test_create_and_update_refuse_values_of_another_json_type(world: World) -> None:
    # schemathesis found {"name": 0} accepted and stored as "0": the schema says string.
    client = world.client(world.admin)
    created = client.post(
        "/api/v1/datasets/",
        {"slug": "gamma", "name": 0, "annotators_per_item": "2", "disagreement_threshold": True},
        content_type="application/json",
    )
    assert created.status_code == 400
    assert created.json()["extra"]["fields"] == {
        "annotators_per_item": [{"code": "invalid", "message": "A valid integer is required."}],
        "disagreement_threshold": [{"code": "invalid", "message": "A valid number is required."}],
        "name": [{"code": "invalid", "message": "Not a valid string."}],
    }
    assert not Dataset.objects.filter(slug="gamma").exists()
    updated = client.patch(
        f"/api/v1/datasets/{world.a.pk}/", {"guidelines": 42}, content_type="application/json"
    )
    assert updated.status_code == 400
    assert updated.json()["extra"]["fields"] == {
        "guidelines": [{"code": "invalid", "message": "Not a valid string."}]
    }
    world.a.refresh_from_db()
    assert world.a.guidelines == ""
    assert not AuditEvent.objects.filter(action__startswith="dataset.").exists()


def test_admins_update_and_leads_cannot(world: World) -> None:
    url = f"/api/v1/datasets/{world.a.pk}/"
    denied = world.client(world.lead).patch(
        url, {"guidelines": "New"}, content_type="application/json"
    )
    assert denied.status_code == 403
    world.a.refresh_from_db()
    assert world.a.guidelines == ""

    changed = world.client(world.admin).patch(
        url, {"guidelines": "Name every visible object."}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["guidelines"] == "Name every visible object."
    event = AuditEvent.objects.get(action="dataset.update")
    assert (event.before, event.after) == (
        {"guidelines": ""},
        {"guidelines": "Name every visible object."},
    )
