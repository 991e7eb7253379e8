"""Caption jobs in one process: chunk outcomes, failures a person can act on, and the reaper.

The end-to-end runs with worker processes are in tests/annotations/test_caption_jobs.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from annotations.enrichment.captioner import BatchTiming, CaptionerConfig
from annotations.models import Caption, Dataset, Item, Job, JobChunk, JobResult
from annotations.services import captioning
from annotations.services.audit import Actor
from annotations.services.jobs import caption_job_create, reap_jobs
from tests.annotations.api.conftest import image_item
from tests.annotations.factories import DatasetFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


@pytest.fixture
def dataset(settings: Settings, tmp_path: Path) -> Dataset:
    settings.MEDIA_ROOT = tmp_path / "media"
    dataset = DatasetFactory(slug="jobs")
    image_item(dataset, 1, "A red square.")
    image_item(dataset, 2)  # no caption yet
    image_item(dataset, 3, "A blue square.")
    return dataset


def new_job(dataset: Dataset, model: Path | str, **config: object) -> Job:
    return caption_job_create(
        dataset=dataset,
        actor=ACTOR,
        requested_by_id=None,
        filters=None,
        captioner={"model": str(model), "max_new_tokens": 6, "min_new_tokens": 2, **config},
    )


def test_a_chunk_writes_suggestions_and_fills_only_empty_items(
    dataset: Dataset, tiny_models: dict[str, Path]
) -> None:
    items = list(Item.objects.filter(dataset=dataset).order_by("pk"))
    job = new_job(dataset, tiny_models["blip"], batch_size=8)
    chunk = JobChunk.objects.get(job=job)
    outcome = captioning.run_chunk(chunk.pk, owner="tests")
    assert (outcome.claimed, outcome.succeeded, outcome.failed, outcome.skipped) == (
        True, 3, 0, 0,
    )  # fmt: skip
    assert set(outcome.phases) == {
        "claim", "load", "preprocess", "generate", "decode", "enrich", "write",
    }  # fmt: skip
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("succeeded", 3, 0)
    after = {item.pk: item for item in Item.objects.filter(dataset=dataset)}
    models = {c.item_id: c for c in Caption.objects.filter(job=job)}
    # Items with an import caption keep it; the one without a caption gets the model's.
    assert after[items[0].pk].current_caption_id == items[0].current_caption_id
    assert after[items[1].pk].current_caption_id == models[items[1].pk].pk
    assert after[items[1].pk].fact_count == models[items[1].pk].fact_count
    assert after[items[2].pk].current_caption_id == items[2].current_caption_id

    # The same chunk delivered again writes nothing.
    JobChunk.objects.filter(pk=chunk.pk).update(status="pending")
    again = captioning.run_chunk(chunk.pk, owner="tests")
    assert (again.claimed, again.notes) == (True, ["job finished or cancelled"])
    assert Caption.objects.filter(job=job).count() == 3


def test_an_unreadable_image_fails_its_item_only(
    dataset: Dataset, tiny_models: dict[str, Path], settings: Settings
) -> None:
    broken = Item.objects.filter(dataset=dataset).order_by("pk")[1]
    (Path(settings.MEDIA_ROOT) / broken.image_path).write_bytes(b"not an image at all")
    job = new_job(dataset, tiny_models["florence2"], batch_size=8)
    outcome = captioning.run_chunk(JobChunk.objects.get(job=job).pk, owner="tests")
    assert (outcome.succeeded, outcome.failed) == (2, 1)
    result = JobResult.objects.get(job=job, item=broken)
    assert result.status == "failed"
    assert result.error.startswith("The image cannot be read: cannot identify image file")
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("succeeded", 2, 1)


class FailingCaptioner:
    """A captioner whose device fails, as CUDA does when it runs out of memory."""

    def __init__(self) -> None:
        self.config = CaptionerConfig(model="failing")
        self.timing = BatchTiming()
        self.input_size = None

    def caption(self, images: object) -> list[str]:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_a_device_error_gives_the_chunk_back_for_a_later_attempt(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(captioning, "get_captioner", lambda config: FailingCaptioner())
    job = new_job(dataset, "failing", batch_size=8)
    chunk = JobChunk.objects.get(job=job)
    with pytest.raises(captioning.TransientChunkError, match="CUDA out of memory"):
        captioning.run_chunk(chunk.pk, owner="tests")
    captioning.release_chunk_safely(chunk.pk, "tests", "CUDA out of memory")
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.lease_owner, chunk.error) == (
        "pending", 1, "", "CUDA out of memory",
    )  # fmt: skip
    assert not JobResult.objects.filter(job=job).exists()


def test_a_chunk_that_keeps_failing_fails_its_items_with_the_last_error(
    dataset: Dataset, settings: Settings
) -> None:
    settings.KD_CHUNK_MAX_ATTEMPTS = 2
    job = new_job(dataset, "unused", batch_size=8)
    chunk = JobChunk.objects.get(job=job)
    JobChunk.objects.filter(pk=chunk.pk).update(attempts=2, error="CUDA out of memory")
    outcome = captioning.run_chunk(chunk.pk, owner="tests")
    assert outcome.notes == ["attempts exhausted"]
    assert set(JobResult.objects.filter(job=job).values_list("status", "error")) == {
        ("failed", "Gave up after 2 attempts; last error: CUDA out of memory")
    }
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("failed", 0, 3)


def test_the_reaper_publishes_what_never_reached_the_broker(dataset: Dataset) -> None:
    # Outside a committed transaction the job's on-commit publish never ran: exactly the state
    # a broker outage at commit time leaves.
    job = new_job(dataset, "unused", batch_size=2)
    assert list(JobChunk.objects.values_list("enqueued_at", flat=True)) == [None, None]
    assert reap_jobs()["published"] == 0  # too young: its own publish may still be under way
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert reap_jobs() == {
        "requeued": 0, "exhausted": 0, "published": 2, "closed": 0, "exports": 0,
    }  # fmt: skip
    assert None not in JobChunk.objects.values_list("enqueued_at", flat=True)
    assert reap_jobs()["published"] == 0


def test_the_reaper_takes_back_expired_leases_and_gives_up_in_the_end(
    dataset: Dataset, settings: Settings
) -> None:
    settings.KD_CHUNK_MAX_ATTEMPTS = 2
    job = new_job(dataset, "unused", batch_size=2)
    first, second = JobChunk.objects.filter(job=job).order_by("sequence")
    expired = timezone.now() - timedelta(seconds=1)
    JobChunk.objects.filter(pk=first.pk).update(
        status="running", attempts=1, lease_owner="dead", lease_expires_at=expired,
        enqueued_at=timezone.now(),
    )  # fmt: skip
    JobChunk.objects.filter(pk=second.pk).update(
        status="running", attempts=2, lease_owner="dead", lease_expires_at=expired,
        enqueued_at=timezone.now(),
    )  # fmt: skip
    report = reap_jobs()
    assert (report["requeued"], report["exhausted"]) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.lease_owner, first.attempts) == ("pending", "", 1)
    assert first.enqueued_at is not None  # published again at once
    assert second.status == "failed"
    assert set(
        JobResult.objects.filter(job=job, item_id__in=second.item_ids).values_list(
            "status", flat=True
        )
    ) == {"failed"}
    assert JobResult.objects.filter(job=job).count() == len(second.item_ids)


def test_the_worker_links_by_embedding_when_a_model_is_configured(
    dataset: Dataset, settings: Settings, tmp_path: Path
) -> None:
    from annotations.enrichment.embeddings import TransformersEmbedder
    from annotations.models import KnowledgeBase
    from tests.annotations.enrichment.test_embeddings import build_tiny_bert

    KnowledgeBase.objects.create(name="kb", version="1")
    settings.KD_EMBEDDING_MODEL = str(build_tiny_bert(tmp_path / "bert"))
    settings.KD_EMBEDDING_THRESHOLD = 0.5
    captioning._linker = None
    linker = captioning.get_linker()
    assert linker is not None
    assert isinstance(linker.embedder, TransformersEmbedder)
    assert linker.similarity_threshold == 0.5

    settings.KD_EMBEDDING_MODEL = str(tmp_path / "missing")
    captioning._linker = None
    from annotations.enrichment.embeddings import EmbeddingModelUnavailable

    with pytest.raises(EmbeddingModelUnavailable, match="missing"):
        captioning.get_linker()
    captioning._linker = None
