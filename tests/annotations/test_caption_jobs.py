"""Caption jobs end to end: the API queues them, real worker processes run them with tiny
random-weight models loaded from disk, and nothing is lost or written twice when a worker is
killed or a job is cancelled.

The worker shares the test session's broker (the embedded one under KD_DATA_DIR, or Redis when
CELERY_BROKER_URL names it) and reads the test database, so every test here commits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings

from annotations.models import (
    Caption,
    Dataset,
    Fact,
    Item,
    Job,
    JobChunk,
    JobResult,
    Membership,
)
from annotations.services.audit import Actor
from annotations.services.demo import demo_load
from tests.support.processes import database_url
from tests.support.workers import RunningWorker, running_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT = 240


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def demo(media: Path) -> Dataset:
    demo_load(actor=Actor.system("tests"))
    return Dataset.objects.get(slug="demo")


@pytest.fixture
def lead(demo: Dataset) -> Client:
    user = User.objects.create_user("lead", password="pw")
    Membership.objects.create(dataset=demo, user=user, role=Membership.Role.LEAD)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def start_worker(media: Path, *, beat: bool = False) -> Any:
    """A real worker on the session's broker, with short leases and a fast reaper."""
    return running_worker(
        broker_url=settings.CELERY_BROKER_URL if not settings.BROKER_IS_EMBEDDED else None,
        data_dir=Path(settings.DATA_DIR),
        database_url=database_url(connection.settings_dict),
        extra_env={
            "KD_MEDIA_ROOT": str(media),
            "HF_HUB_OFFLINE": "1",
            "KD_TORCH_THREADS": "1",
            "KD_CHUNK_LEASE_SECONDS": "3",
            "KD_REAPER_INTERVAL_SECONDS": "1",
        },
        beat=beat,
    )


@pytest.fixture
def worker(media: Path) -> Iterator[RunningWorker]:
    with start_worker(media, beat=True) as running:
        yield running


def queue_job(client: Client, dataset: Dataset, **captioner: Any) -> int:
    ids = list(Item.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True))
    response = client.post(
        "/api/v1/jobs/",
        {"dataset_id": dataset.pk, "item_ids": ids, "captioner": captioner},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    return int(response.json()["id"])


def wait_for(condition: Any, worker: RunningWorker | None, timeout: float = JOB_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    log = worker.log() if worker is not None else ""
    pytest.fail(f"timed out; jobs: {list(Job.objects.values())}\nworker log:\n{log[-6000:]}")


def finished(job_id: int) -> bool:
    return Job.objects.get(pk=job_id).status in {"succeeded", "failed", "cancelled"}


@pytest.mark.parametrize("family", ["blip", "florence2", "llava"])
def test_a_job_over_the_demo_images_succeeds(
    tiny_models: dict[str, Path],
    family: str,
    demo: Dataset,
    lead: Client,
    worker: RunningWorker,
) -> None:
    currents = dict(Item.objects.filter(dataset=demo).values_list("pk", "current_caption_id"))
    job_id = queue_job(
        lead, demo, model=str(tiny_models[family]), batch_size=4, max_new_tokens=12,
        min_new_tokens=4,
    )  # fmt: skip
    wait_for(lambda: finished(job_id), worker)

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.total, job.done, job.failed, job.error) == (
        "succeeded", 14, 14, 0, "",
    )  # fmt: skip
    assert JobChunk.objects.filter(job=job).count() == 4  # 14 items in batches of 4
    assert set(JobChunk.objects.filter(job=job).values_list("status", flat=True)) == {"done"}
    captions = Caption.objects.filter(job=job)
    assert captions.count() == 14
    assert sorted(captions.values_list("item_id", flat=True)) == sorted(currents)
    for caption in captions:
        assert (caption.origin, caption.model_name, caption.parent_id) == (
            "model", str(tiny_models[family]), currents[caption.item_id],
        )  # fmt: skip
    assert JobResult.objects.filter(job=job, status="succeeded").count() == 14
    # Every model fact is a model fact or injected knowledge, linked to its caption.
    assert set(Fact.objects.filter(caption__job=job).values_list("source", flat=True)) <= {
        "model",
        "knowledge_base",
    }
    # The demo's captions are imports: the model output is a suggestion beside them.
    assert dict(Item.objects.filter(dataset=demo).values_list("pk", "current_caption_id")) == (
        currents
    )
    detail = lead.get(f"/api/v1/items/{next(iter(currents))}/").json()
    assert detail["model_suggestion"]["job_id"] == job_id


def test_a_killed_worker_loses_and_duplicates_nothing(
    tiny_models: dict[str, Path], demo: Dataset, lead: Client, media: Path
) -> None:
    # One item per chunk and long generations, so the kill lands in the middle of the job.
    job_id = queue_job(
        lead, demo, model=str(tiny_models["blip"]), batch_size=1, max_new_tokens=40,
        min_new_tokens=40,
    )  # fmt: skip
    running = JobChunk.objects.filter(job_id=job_id, status="running")
    with start_worker(media) as first:
        # Kill it while it holds a chunk, after it has finished another.
        wait_for(
            lambda: JobResult.objects.filter(job_id=job_id).exists() and running.exists(), first
        )
        first.kill()
    assert not finished(job_id)
    assert JobResult.objects.filter(job_id=job_id).count() < 14
    orphan = running.get()

    with start_worker(media, beat=True) as second:
        wait_for(lambda: finished(job_id), second)

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.done, job.failed) == ("succeeded", 14, 0)
    items = list(Caption.objects.filter(job=job).values_list("item_id", flat=True))
    assert len(items) == len(set(items)) == 14
    assert JobResult.objects.filter(job=job).count() == 14
    assert set(JobChunk.objects.filter(job=job).values_list("status", flat=True)) == {"done"}
    # The chunk the killed worker held was taken over after its lease expired.
    orphan.refresh_from_db()
    assert (orphan.status, orphan.attempts) == ("done", 2)
    assert JobResult.objects.filter(job=job, item_id__in=orphan.item_ids).count() == 1


def test_cancelling_a_running_job_keeps_only_whole_chunks(
    tiny_models: dict[str, Path], demo: Dataset, lead: Client, worker: RunningWorker
) -> None:
    job_id = queue_job(
        lead, demo, model=str(tiny_models["blip"]), batch_size=2, max_new_tokens=40,
        min_new_tokens=40,
    )  # fmt: skip
    wait_for(lambda: JobResult.objects.filter(job_id=job_id).exists(), worker)
    response = lead.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200
    wait_for(lambda: finished(job_id), worker)

    job = Job.objects.get(pk=job_id)
    assert job.status == "cancelled"
    written = set(JobResult.objects.filter(job=job).values_list("item_id", flat=True))
    assert 0 < len(written) < 14
    for chunk in JobChunk.objects.filter(job=job):
        # Each chunk wrote all of its items or none.
        covered = set(chunk.item_ids) & written
        assert covered in (set(), set(chunk.item_ids)), chunk
        assert chunk.status == ("done" if covered else "cancelled")
    assert Caption.objects.filter(job=job).count() == len(written) == job.done


def test_a_model_that_cannot_be_found_fails_the_job_naming_it(
    demo: Dataset, lead: Client, worker: RunningWorker
) -> None:
    job_id = queue_job(lead, demo, model="kd-tests/no-such-captioner", batch_size=8)
    wait_for(lambda: finished(job_id), worker)

    job = Job.objects.get(pk=job_id)
    assert job.status == "failed"
    assert job.error.startswith(
        "Model 'kd-tests/no-such-captioner' cannot be found locally or on the Hugging Face Hub"
    )
    assert not Caption.objects.filter(job=job).exists()
    assert set(JobChunk.objects.filter(job=job).values_list("status", flat=True)) == {"failed"}
    body = lead.get(f"/api/v1/jobs/{job_id}/").json()
    assert (body["status"], body["error"]) == ("failed", job.error)
