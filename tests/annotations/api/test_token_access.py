"""API tokens reach only their dataset, and only with the scopes they carry."""

from __future__ import annotations

from typing import Any

from django.test import Client

from annotations.models import Annotation, Dataset
from annotations.services.audit import Actor
from annotations.services.tokens import token_create, token_revoke
from tests.annotations.api.conftest import World


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


def make_token(user: Any, scopes: list[str], dataset: Dataset | None) -> tuple[Any, str]:
    return token_create(
        user=user,
        name="script",
        scopes=scopes,
        dataset=dataset,
        expires_at=None,
        actor=Actor.for_user(user),
    )


def test_a_dataset_token_sees_nothing_of_another_dataset(world: World) -> None:
    _, secret = make_token(world.admin, ["export:read"], world.a)
    client = bearer(secret)
    assert [d["slug"] for d in client.get("/api/v1/datasets/").json()] == ["alpha"]
    b_item = world.items[-1]
    for path in (
        f"/api/v1/datasets/{world.b.pk}/",
        f"/api/v1/datasets/{world.b.pk}/items/",
        f"/api/v1/items/{b_item.pk}/",
        f"/api/v1/items/{b_item.pk}/captions/",
        f"/api/v1/items/{b_item.pk}/image/thumbnail/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.get(f"/api/v1/datasets/{world.a.pk}/items/").status_code == 200


def test_an_export_token_cannot_write(world: World) -> None:
    _, secret = make_token(world.admin, ["export:read"], world.a)
    client = bearer(secret)
    denied = [
        client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/"),
        client.patch(
            f"/api/v1/datasets/{world.a.pk}/", {"name": "X"}, content_type="application/json"
        ),
        client.post(
            "/api/v1/datasets/", {"slug": "x", "name": "X"}, content_type="application/json"
        ),
        client.post(
            f"/api/v1/datasets/{world.a.pk}/memberships/",
            {"username": "ann", "role": "lead"},
            content_type="application/json",
        ),
    ]
    assert [r.status_code for r in denied] == [403, 403, 403, 403]
    assert denied[0].json()["extra"] == {"required_scope": "annotate"}
    assert Annotation.objects.count() == 0
    assert Dataset.objects.count() == 2
    world.a.refresh_from_db()
    assert world.a.name != "X"


def test_an_annotate_token_works_the_queue_until_revoked(world: World) -> None:
    token, secret = make_token(world.annotator, ["annotate"], world.a)
    client = bearer(secret)
    leased = client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/")
    assert (leased.status_code, leased.json()["item_id"]) == (200, world.items[0].pk)
    token_revoke(token=token, actor=Actor.for_user(world.annotator))
    after = client.get("/api/v1/datasets/")
    assert (after.status_code, after.json()["code"]) == (401, "authentication_failed")
