"""Each database invariant refuses a violating write, whatever code path attempts it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, transaction

from annotations.models import Annotation, Caption, Fact, JobResult, Review, VqaPair
from annotations.models.jobs import Job
from tests.annotations.factories import (
    CaptionFactory,
    DatasetFactory,
    FactFactory,
    ItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def refused_in_savepoint(constraint: str) -> Iterator[None]:
    """The write inside must fail on ``constraint``; the test's transaction stays usable."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


def test_external_id_is_unique_per_dataset() -> None:
    item = ItemFactory(external_id="cat-01")
    ItemFactory(external_id="cat-01")  # another dataset: fine
    with refused_in_savepoint("item_external_id_per_dataset"):
        ItemFactory(dataset=item.dataset, external_id="cat-01")


def test_image_hash_is_unique_per_dataset() -> None:
    item = ItemFactory()
    ItemFactory(image_sha256=item.image_sha256)  # another dataset: fine
    with refused_in_savepoint("item_image_per_dataset"):
        ItemFactory(dataset=item.dataset, image_sha256=item.image_sha256)


def test_item_hash_must_be_hex_sha256() -> None:
    with refused_in_savepoint("item_sha256_hex"):
        ItemFactory(image_sha256="not-a-hash")


def test_one_open_annotation_per_item_and_annotator() -> None:
    item, annotator = ItemFactory(), UserFactory()
    Annotation.objects.create(item=item, annotator=annotator, status=Annotation.Status.SUBMITTED)
    Annotation.objects.create(item=item, annotator=annotator, status=Annotation.Status.DRAFT)
    with refused_in_savepoint("annotation_one_open_per_annotator"):
        Annotation.objects.create(item=item, annotator=annotator, status=Annotation.Status.ASSIGNED)
    assert Annotation.objects.filter(item=item).count() == 2


def test_one_result_per_job_and_item() -> None:
    item = ItemFactory()
    job = Job.objects.create(dataset=item.dataset, kind=Job.Kind.CAPTION)
    JobResult.objects.create(job=job, item=item, status=JobResult.Status.SUCCEEDED)
    with refused_in_savepoint("job_result_one_per_item"):
        JobResult.objects.create(job=job, item=item, status=JobResult.Status.FAILED)


def test_one_model_caption_per_job_and_item() -> None:
    item = ItemFactory()
    job = Job.objects.create(dataset=item.dataset, kind=Job.Kind.CAPTION)
    CaptionFactory(item=item, job=job, origin=Caption.Origin.MODEL)
    with refused_in_savepoint("caption_one_per_job_item"):
        CaptionFactory(item=item, job=job, origin=Caption.Origin.MODEL)


def test_fact_span_must_lie_inside_its_caption() -> None:
    caption = CaptionFactory(text="A grey cat.")  # 11 characters
    FactFactory(caption=caption, span_start=2, span_end=11)
    with refused_in_savepoint("fact_span_inside_caption"):
        FactFactory(caption=caption, span_start=2, span_end=12)
    with refused_in_savepoint("fact_span_ordered"):
        FactFactory(caption=caption, span_start=5, span_end=5)
    with refused_in_savepoint("fact_span_ordered"):
        FactFactory(caption=caption, span_start=5, span_end=None)
    assert Fact.objects.filter(caption=caption).count() == 1


def test_fact_span_counts_characters_not_bytes() -> None:
    caption = CaptionFactory(text="Café crème")  # 10 characters, 12 bytes in UTF-8
    FactFactory(caption=caption, span_start=5, span_end=10)
    with refused_in_savepoint("fact_span_inside_caption"):
        FactFactory(caption=caption, span_start=5, span_end=11)


def test_caption_length_is_capped() -> None:
    with refused_in_savepoint("caption_text_max_length"):
        CaptionFactory(text="x" * 20_001)


def test_confidence_and_thresholds_stay_in_the_unit_interval() -> None:
    with refused_in_savepoint("fact_confidence_unit_interval"):
        FactFactory(confidence=1.5)
    with refused_in_savepoint("dataset_threshold_unit_interval"):
        DatasetFactory(disagreement_threshold=2)
    with refused_in_savepoint("dataset_overlap_positive"):
        DatasetFactory(annotators_per_item=0)


def test_one_open_review_per_item() -> None:
    item = ItemFactory()
    Review.objects.create(dataset=item.dataset, item=item, disagreement=0.5)
    with refused_in_savepoint("review_one_open_per_item"):
        Review.objects.create(dataset=item.dataset, item=item, disagreement=0.7)


def test_a_vqa_pair_is_stored_once_per_item() -> None:
    item = ItemFactory()
    VqaPair.objects.create(item=item, question="Q", answer="A", digest="d" * 64, origin="import")
    with refused_in_savepoint("vqa_pair_once_per_item"):
        VqaPair.objects.create(
            item=item, question="Q", answer="A", digest="d" * 64, origin="import"
        )
