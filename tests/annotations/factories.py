"""Factories for domain rows. Items get a valid, unique fake image hash; no file is written."""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth.models import User

from annotations.models import Caption, Dataset, Fact, Item


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")


class DatasetFactory(factory.django.DjangoModelFactory[Dataset]):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


def _sha(n: int) -> str:
    return hashlib.sha256(f"image-{n}".encode()).hexdigest()


class ItemFactory(factory.django.DjangoModelFactory[Item]):
    class Meta:
        model = Item

    dataset = factory.SubFactory(DatasetFactory)
    external_id = factory.Sequence(lambda n: f"item-{n}")
    image_sha256 = factory.Sequence(_sha)
    image_path = factory.LazyAttribute(lambda o: f"images/{o.image_sha256}.jpg")
    width = 640
    height = 480
    mime = "image/jpeg"
    byte_size = 1000


class CaptionFactory(factory.django.DjangoModelFactory[Caption]):
    class Meta:
        model = Caption

    item = factory.SubFactory(ItemFactory)
    text = "A grey cat sits on a wooden table."
    origin = Caption.Origin.IMPORT


class FactFactory(factory.django.DjangoModelFactory[Fact]):
    class Meta:
        model = Fact

    caption = factory.SubFactory(CaptionFactory)
    kind = Fact.Kind.OBJECT
    subject = "cat"
    predicate = "is"
    value = "grey"
    source = Fact.Source.HUMAN
