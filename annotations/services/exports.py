"""Export snapshots: immutable files of a dataset in a training format, with a manifest.

``export_create`` records the request (an Export and its Job) and hands it to a worker;
``export_build`` writes the files (``annotations.exporters.formats``) into a folder of its own
under ``KD_DATA_DIR/exports/``, then the manifest, then marks the export done. A snapshot never
changes afterwards; only an admin deletes one, and that is audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, transaction
from django.utils import timezone

from annotations.exporters.formats import ExportFile, write
from annotations.models import AuditAction, Dataset, Export, Item, Job
from annotations.selectors.export import ExportFilters, export_records
from annotations.services.audit import Actor, audit_head_hash, audit_record

logger = logging.getLogger(__name__)

FORMAT_OPTIONS = {
    "jsonl": set(),
    "parquet": {"rows_per_file"},
    "webdataset": {"shard_size"},
    "llava": set(),
    "coco": set(),
}


def exports_root() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def export_dir(export: Export) -> Path:
    return exports_root() / str(export.pk)


def code_version() -> str:
    try:
        return version("kdstudio")
    except PackageNotFoundError:
        return "unknown"


def export_create(
    *,
    dataset: Dataset,
    format: str,
    filters: ExportFilters,
    options: Mapping[str, int],
    identities: bool,
    actor: Actor,
    user_id: int | None,
) -> Export:
    with transaction.atomic():
        job = Job.objects.create(
            dataset=dataset,
            kind=Job.Kind.EXPORT,
            params={
                "format": format,
                "filters": filters.as_dict(),
                "options": dict(options),
                "identities": identities,
            },
            requested_by_id=user_id,
        )
        export = Export.objects.create(
            dataset=dataset,
            format=format,
            filters=filters.as_dict(),
            job=job,
            created_by_id=user_id,
        )
        audit_record(
            actor=actor,
            action=AuditAction.JOB_CREATE,
            target=job,
            dataset_id=dataset.pk,
            after={
                "kind": "export",
                "format": format,
                "filters": filters.as_dict(),
                "identities": identities,
            },
        )
        transaction.on_commit(lambda: _publish(export.pk))
    return export


def publish_stale_exports(older_than: timedelta) -> int:
    """Publish again the exports still queued after ``older_than`` (the broker was down when
    they were created, or their message was lost); a duplicate finds the job claimed."""
    stale = Export.objects.filter(
        job__status=Job.Status.QUEUED, job__created_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)
    ids = list(stale[:1000])
    for export_id in ids:
        _publish(export_id)
    return len(ids)


def _publish(export_id: int) -> None:
    from annotations.tasks import build_export

    try:
        build_export.delay(export_id)
    except Exception:
        logger.warning("could not publish export %s", export_id, exc_info=True)


def load_image_bytes(record: Mapping[str, Any]) -> bytes:
    path = Item.objects.filter(pk=record["item_id"]).values_list("image_path", flat=True).get()
    return (Path(settings.MEDIA_ROOT) / path).read_bytes()


def write_snapshot(
    *,
    dataset: Dataset,
    format: str,
    filters: ExportFilters,
    options: Mapping[str, int],
    identities: bool,
    out: Path,
    extra_manifest: Mapping[str, Any] | None = None,
) -> tuple[list[ExportFile], int, str]:
    """Write the records in ``format`` into ``out`` and a manifest.json beside them.

    Returns the files (the manifest last), the record count and the audit chain head the
    manifest names.
    """
    count = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal count
        for record in export_records(dataset, filters, identities=identities):
            count += 1
            yield record

    files = write(format, records(), out, load_image_bytes, **options)
    head = audit_head_hash()
    manifest = {
        "dataset": {"id": dataset.pk, "slug": dataset.slug},
        **(extra_manifest or {}),
        "format": format,
        "filters": filters.as_dict(),
        "options": dict(options),
        "created_at": datetime.now(UTC).isoformat(),
        "record_count": count,
        "code_version": code_version(),
        "audit_chain_head": head,
        "files": [file.__dict__ for file in files],
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    (out / "manifest.json").write_bytes(body)
    files.append(ExportFile("manifest.json", len(body), hashlib.sha256(body).hexdigest()))
    return files, count, head


def export_build(export_id: int) -> Export:
    """Write the snapshot's files and manifest; idempotent for a finished export."""
    export = Export.objects.select_related("dataset", "job").get(pk=export_id)
    job = export.job
    if job is None or job.status in (
        Job.Status.SUCCEEDED,
        Job.Status.FAILED,
        Job.Status.CANCELLED,
    ):
        return export
    claimed = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # another worker has it (a message delivered twice)
        return export
    out = export_dir(export)
    if out.exists():  # a previous attempt died half-way: start over
        shutil.rmtree(out)
    out.mkdir(parents=True)
    params = job.params
    filters = ExportFilters(
        **{
            **params["filters"],
            "changed_since": (
                datetime.fromisoformat(params["filters"]["changed_since"])
                if params["filters"].get("changed_since")
                else None
            ),
        }
    )
    try:
        files, count, head = write_snapshot(
            dataset=export.dataset,
            format=export.format,
            filters=filters,
            options=params.get("options", {}),
            identities=bool(params.get("identities")),
            out=out,
            extra_manifest={"export_id": export.pk},
        )
    except (DatabaseError, InterfaceError):
        shutil.rmtree(out, ignore_errors=True)
        # Transient: queued again for the task's retry (or the reaper).
        Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
        raise
    except Exception as error:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            error=f"The export could not be written: {error}"[:5000],
            finished_at=timezone.now(),
        )
        shutil.rmtree(out, ignore_errors=True)
        raise
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            files=[file.__dict__ for file in sorted(files, key=lambda f: f.name)],
            record_count=count,
            audit_head_hash=head,
        )
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED,
            total=count,
            done=count,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=Actor.system("worker"),
            action=AuditAction.DATASET_EXPORT,
            target=export,
            dataset_id=export.dataset_id,
            after={
                "format": export.format,
                "filters": export.filters,
                "records": count,
                "files": len(files),
                "identities": bool(params.get("identities")),
            },
        )
    export.refresh_from_db()
    return export


def export_delete(*, export: Export, actor: Actor) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT_DELETE,
            target=export,
            dataset_id=export.dataset_id,
            before={"format": export.format, "files": export.files},
        )
        export_id = export.pk
        export.delete()
        transaction.on_commit(
            lambda: shutil.rmtree(exports_root() / str(export_id), ignore_errors=True)
        )
