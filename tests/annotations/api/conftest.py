"""A small world for API tests: datasets A and B, a user per role, items with real images."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from annotations.enrichment.metrics import caption_metrics
from annotations.images.storage import store_image
from annotations.models import Caption, Dataset, Fact, Item, Membership, VqaPair
from annotations.services.metrics import refresh_item_metrics
from tests.annotations.factories import DatasetFactory, UserFactory


@dataclass
class World:
    a: Dataset
    b: Dataset
    admin: User
    lead: User
    annotator: User
    other_annotator: User
    outsider: User  # an annotator of B only
    items: list[Item]

    def client(self, user: User | None) -> Client:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client


def image_item(dataset: Dataset, number: int, caption: str | None = None) -> Item:
    buffer = io.BytesIO()
    Image.new("RGB", (300 + number, 200), (number * 40 % 256, 80, 120)).save(buffer, "PNG")
    stored = store_image(buffer.getvalue())
    item = Item.objects.create(
        dataset=dataset,
        external_id=f"{dataset.slug}-{number}",
        image_sha256=stored.sha256,
        image_path=stored.path,
        width=stored.width,
        height=stored.height,
        mime=stored.mime,
        byte_size=stored.byte_size,
    )
    if caption is not None:
        text = caption
        created = Caption.objects.create(
            item=item, text=text, origin=Caption.Origin.IMPORT,
            **caption_metrics(text, [("square", "colour", "red")]).as_fields(),
        )  # fmt: skip
        Fact.objects.create(
            caption=created, kind=Fact.Kind.OBJECT, subject="square", predicate="colour",
            value="red", span_start=2, span_end=5, source=Fact.Source.IMPORT,
        )  # fmt: skip
        item.current_caption = created
        item.save(update_fields=["current_caption"])
        refresh_item_metrics([item.pk])
        item.refresh_from_db()
    return item


@pytest.fixture
def world(db: None, settings: Settings, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    a, b = DatasetFactory(slug="alpha"), DatasetFactory(slug="beta")
    users = {name: UserFactory(username=name) for name in ("lead", "ann", "ann2", "outsider")}
    admin = User.objects.create_superuser("admin", "", "pw")
    Membership.objects.create(dataset=a, user=users["lead"], role=Membership.Role.LEAD)
    Membership.objects.create(dataset=a, user=users["ann"], role=Membership.Role.ANNOTATOR)
    Membership.objects.create(dataset=a, user=users["ann2"], role=Membership.Role.ANNOTATOR)
    Membership.objects.create(dataset=b, user=users["outsider"], role=Membership.Role.ANNOTATOR)
    items = [image_item(a, n, "A red square.") for n in range(3)] + [image_item(b, 9, "Blue.")]
    VqaPair.objects.create(
        item=items[0], question="What colour?", answer="red", digest="a" * 64, origin="import"
    )
    refresh_item_metrics([items[0].pk])
    items[0].refresh_from_db()
    return World(a, b, admin, users["lead"], users["ann"], users["ann2"], users["outsider"], items)
