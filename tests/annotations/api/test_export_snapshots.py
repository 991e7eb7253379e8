"""Export snapshots: created over the API, written by the build task, downloaded with Range,
deleted only by admins; and the kd_export command."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from annotations.models import AuditEvent, Export, Item, Job
from annotations.services.exports import export_build, export_dir
from tests.annotations.api.conftest import World
from tests.annotations.api.test_export_stream import lines


@pytest.fixture
def done(world: World, settings: Settings, tmp_path: Path) -> World:
    settings.DATA_DIR = tmp_path / "data"
    Item.objects.filter(dataset=world.a).update(status=Item.Status.DONE)
    return world


def create(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/exports/", body, content_type="application/json")


def test_a_jsonl_snapshot_holds_the_streamed_records_and_a_manifest(done: World) -> None:
    lead = done.client(done.lead)
    response = create(lead, {"dataset_id": done.a.pk, "format": "jsonl"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["format"], body["status"], body["files"]) == ("jsonl", "queued", [])
    export = export_build(body["id"])
    assert (export.record_count, export.job and export.job.status) == (3, "succeeded")

    detail = lead.get(f"/api/v1/exports/{export.pk}/").json()
    assert [f["name"] for f in detail["files"]] == ["manifest.json", "records.jsonl"]
    folder = export_dir(export)
    for file in detail["files"]:
        data = (folder / file["name"]).read_bytes()
        assert (file["bytes"], file["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    streamed = lines(lead.get(f"/api/v1/datasets/{done.a.pk}/export.jsonl"))
    written = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    assert written == streamed
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {k: manifest[k] for k in ("record_count", "format", "export_id")} == {
        "record_count": 3,
        "format": "jsonl",
        "export_id": export.pk,
    }
    assert manifest["dataset"] == {"id": done.a.pk, "slug": "alpha"}
    assert manifest["audit_chain_head"] == export.audit_head_hash != ""
    assert manifest["filters"]["status"] == "done"


def test_downloads_support_range_requests(done: World) -> None:
    lead = done.client(done.lead)
    export = export_build(create(lead, {"dataset_id": done.a.pk, "format": "jsonl"}).json()["id"])
    url = f"/api/v1/exports/{export.pk}/files/records.jsonl"
    data = (export_dir(export) / "records.jsonl").read_bytes()
    full = lead.get(url)
    assert (full.status_code, full["Accept-Ranges"]) == (200, "bytes")
    assert b"".join(full.streaming_content) == data
    part = lead.get(url, HTTP_RANGE="bytes=10-19")
    assert (part.status_code, b"".join(part.streaming_content), part["Content-Range"]) == (
        206,
        data[10:20],
        f"bytes 10-19/{len(data)}",
    )
    tail = lead.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(tail.streaming_content) == data[-5:]
    resumed = lead.get(url, HTTP_RANGE="bytes=7-")
    assert (b"".join(resumed.streaming_content), resumed["Content-Length"]) == (
        data[7:],
        str(len(data) - 7),
    )
    assert lead.get(url, HTTP_RANGE="bytes=" + "9" * 5000 + "-").status_code == 200
    outside = lead.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert (outside.status_code, outside["Content-Range"]) == (416, f"bytes */{len(data)}")
    assert lead.get(f"/api/v1/exports/{export.pk}/files/../../secret_key").status_code == 404
    assert done.client(done.annotator).get(url).status_code == 403
    assert done.client(done.outsider).get(url).status_code == 404


def test_who_may_create_and_delete_snapshots(done: World) -> None:
    before = (Export.objects.count(), Job.objects.count())
    denied = create(done.client(done.annotator), {"dataset_id": done.a.pk, "format": "coco"})
    assert denied.status_code == 403
    bad = create(
        done.client(done.lead), {"dataset_id": done.a.pk, "format": "coco", "shard_size": 5}
    )
    assert (bad.status_code, bad.json()["extra"]["fields"]) == (
        400,
        {"shard_size": [{"code": "invalid", "message": "Not an option of coco."}]},
    )
    assert (Export.objects.count(), Job.objects.count()) == before

    export = export_build(
        create(done.client(done.lead), {"dataset_id": done.a.pk, "format": "jsonl"}).json()["id"]
    )
    folder = export_dir(export)
    lead_delete = done.client(done.lead).delete(f"/api/v1/exports/{export.pk}/")
    assert lead_delete.status_code == 403
    assert Export.objects.filter(pk=export.pk).exists()
    assert folder.exists()
    assert done.client(done.admin).delete(f"/api/v1/exports/{export.pk}/").status_code == 204
    assert not Export.objects.filter(pk=export.pk).exists()
    event = AuditEvent.objects.get(action="export.delete")
    assert event.before is not None
    assert event.before["format"] == "jsonl"


def test_kd_export_writes_coco_and_refuses_a_used_folder(done: World, tmp_path: Path) -> None:
    out = tmp_path / "coco"
    call_command("kd_export", "--dataset", "alpha", "--format", "coco", "--out", str(out))
    captions = json.loads((out / "annotations" / "captions.json").read_text())
    assert sorted(a["caption"] for a in captions["annotations"]) == ["A red square."] * 3
    assert sorted(i["id"] for i in captions["images"]) == sorted(i.pk for i in done.items[:3])
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["record_count"], manifest["format"]) == (3, "coco")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="is not empty"):
        call_command("kd_export", "--dataset", "alpha", "--format", "jsonl", "--out", str(out))
    assert AuditEvent.objects.filter(action="dataset.export").count() == 1


def test_a_snapshot_is_built_once_and_a_stale_one_is_published_again(
    done: World, settings: Settings
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from annotations.services.exports import publish_stale_exports

    body = create(done.client(done.lead), {"dataset_id": done.a.pk, "format": "jsonl"}).json()
    job = Job.objects.get(pk=body["job_id"])
    assert publish_stale_exports(timedelta(minutes=15)) == 0  # fresh: its own message counts
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert publish_stale_exports(timedelta(minutes=15)) == 1
    built = export_build(body["id"])
    assert built.record_count == 3
    # A duplicate message finds the job done and changes nothing.
    files = built.files
    assert export_build(body["id"]).files == files
    assert publish_stale_exports(timedelta(minutes=15)) == 0
