"""Training data over REST: the streaming JSONL export of a dataset, and export snapshots
(files in a training format with a manifest, downloadable with Range requests)."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors, reject_unknown_parameters
from annotations.errors import NotFoundError, PermissionDeniedError
from annotations.models import AuditAction, Dataset, Export, Item
from annotations.selectors.access import LEAD, Access, dataset_get
from annotations.selectors.export import ExportFilters, export_records
from annotations.services.audit import Actor, audit_record
from annotations.services.exports import (
    FORMAT_OPTIONS,
    export_create,
    export_delete,
    export_dir,
)


class ExportFiltersInput(StrictSerializer):
    status = serializers.ChoiceField(choices=[*Item.Status.values, "any"], required=False)
    min_density = serializers.FloatField(required=False, min_value=0)
    min_coverage = serializers.FloatField(required=False, min_value=0, max_value=1)
    reviewed_only = serializers.BooleanField(required=False)
    changed_since = serializers.DateTimeField(required=False)
    caption = serializers.ChoiceField(choices=["final", "model"], required=False)


class ExportQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[*Item.Status.values, "any"], required=False, default=Item.Status.DONE
    )
    min_density = serializers.FloatField(required=False, min_value=0)
    min_coverage = serializers.FloatField(required=False, min_value=0, max_value=1)
    reviewed_only = serializers.BooleanField(required=False, default=False)
    changed_since = serializers.DateTimeField(required=False)
    caption = serializers.ChoiceField(choices=["final", "model"], required=False, default="final")
    after = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    identities = serializers.BooleanField(required=False, default=False)


EXPORT_PARAMETERS = [
    OpenApiParameter("status", str, enum=[*Item.Status.values, "any"], description="done"),
    OpenApiParameter("min_density", float, description="Facts per 100 words, at least."),
    OpenApiParameter("min_coverage", float, description="Share of reference facts, at least."),
    OpenApiParameter("reviewed_only", bool, description="Only items a lead adjudicated."),
    OpenApiParameter("changed_since", OpenApiTypes.DATETIME),
    OpenApiParameter(
        "caption", str, enum=["final", "model"], description="The current caption (final) or "
        "the latest model suggestion.",
    ),
    OpenApiParameter(
        "after", int, description="Resume after this item_id (the last record received)."
    ),
    OpenApiParameter(
        "identities", bool, description="Admins only: usernames instead of pseudonymous ids."
    ),
]  # fmt: skip


def require_export(access: Access, dataset: Dataset) -> None:
    """Leads (and admins) with a session, or API tokens with the export:read scope."""
    if access.token is not None:
        access.require_scope("export:read", dataset_id=dataset.pk)
        return
    access.require_role(dataset, LEAD)


def filters_from(values: dict[str, Any]) -> ExportFilters:
    return ExportFilters(
        status=None if values["status"] == "any" else values["status"],
        min_density=values.get("min_density"),
        min_coverage=values.get("min_coverage"),
        reviewed_only=values["reviewed_only"],
        changed_since=values.get("changed_since"),
        caption=values["caption"],
    )


class DatasetExportApi(APIView):
    @extend_schema(
        operation_id="datasets_export_jsonl",
        parameters=EXPORT_PARAMETERS,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One JSON record per line (docs/export.md)."
            ),
            **errors(400, 403, 404),
        },
        description=(
            "Stream the dataset as JSON Lines, one record per item in item_id order, in "
            "constant memory. After a dropped connection, resume with after=<item_id of the "
            "last complete line>. Every request is an audit event with its filters and the "
            "number of records sent."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> StreamingHttpResponse:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        require_export(access, dataset)
        reject_unknown_parameters(request, ExportQuery().fields)
        query = ExportQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values: dict[str, Any] = query.validated_data
        if values["identities"] and not access.is_admin:
            raise PermissionDeniedError("Only admins may export annotator identities.")
        filters = filters_from(values)
        stream = _stream(dataset, filters, values.get("after"), values["identities"], access.actor)
        response = StreamingHttpResponse(stream, content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="{dataset.slug}.jsonl"'
        response["Cache-Control"] = "no-store"
        return response


def _stream(
    dataset: Dataset,
    filters: ExportFilters,
    after: int | None,
    identities: bool,
    actor: Actor,
) -> Iterator[bytes]:
    sent = 0
    last: int | None = after
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    try:
        lines: list[str] = []
        for record in export_records(dataset, filters, after_id=after, identities=identities):
            lines.append(encoder.encode(record))
            last = record["item_id"]
            if len(lines) == 500:
                sent += len(lines)
                yield ("\n".join(lines) + "\n").encode()
                lines = []
        if lines:
            sent += len(lines)
            yield ("\n".join(lines) + "\n").encode()
    finally:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.DATASET_EXPORT,
                target=dataset,
                dataset_id=dataset.pk,
                after={
                    "format": "jsonl-stream",
                    "filters": filters.as_dict(),
                    "after": after,
                    "records": sent,
                    "last_item_id": last,
                    "identities": identities,
                },
            )


class SnapshotInput(StrictSerializer):
    dataset_id = serializers.IntegerField(min_value=1)
    format = serializers.ChoiceField(choices=Export.Format.choices)
    filters = ExportFiltersInput(required=False)
    shard_size = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    rows_per_file = serializers.IntegerField(required=False, min_value=1, max_value=10_000_000)
    identities = serializers.BooleanField(required=False, default=False)


class ExportFileOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField()


class ExportOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    dataset_id = serializers.IntegerField()
    format = serializers.CharField()
    filters = serializers.JSONField()
    status = serializers.CharField(source="job.status", default="unknown")
    error = serializers.CharField(source="job.error", default="")
    record_count = serializers.IntegerField()
    audit_head_hash = serializers.CharField()
    files = serializers.SerializerMethodField()
    identities = serializers.SerializerMethodField()
    job_id = serializers.IntegerField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()

    def get_identities(self, export: Export) -> bool:
        return bool(export.job and export.job.params.get("identities"))

    def get_files(self, export: Export) -> list[dict[str, Any]]:
        return [
            {**file, "url": f"/api/v1/exports/{export.pk}/files/{file['name']}"}
            for file in export.files or []
        ]


def _export_get(access: Access, export_id: int) -> Export:
    export = (
        Export.objects.filter(pk=export_id, dataset__in=access.datasets())
        .select_related("dataset", "job", "created_by")
        .first()
    )
    if export is None:
        raise NotFoundError("No such export.")
    return export


class ExportCreateApi(APIView):
    @extend_schema(
        operation_id="exports_create",
        request=SnapshotInput,
        responses={202: ExportOutput, **errors(400, 403, 404)},
        description=(
            "Build an immutable snapshot of a dataset in a training format (jsonl, parquet, "
            "webdataset, llava, coco) with a manifest; a worker writes the files."
        ),
    )
    def post(self, request: Request) -> Response:
        access = Access.of(request)
        data = SnapshotInput(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        dataset = dataset_get(access=access, dataset_id=values["dataset_id"])
        require_export(access, dataset)
        if values["identities"] and not access.is_admin:
            raise PermissionDeniedError("Only admins may export annotator identities.")
        allowed = FORMAT_OPTIONS[values["format"]]
        options = {k: values[k] for k in ("shard_size", "rows_per_file") if k in values}
        refused = sorted(set(options) - allowed)
        if refused:
            raise ValidationError(
                {name: [f"Not an option of {values['format']}."] for name in refused}
            )
        raw = values.get("filters", {})
        export = export_create(
            dataset=dataset,
            format=values["format"],
            filters=filters_from(
                {"status": "done", "reviewed_only": False, "caption": "final", **raw}
            ),
            options=options,
            identities=values["identities"],
            actor=access.actor,
            user_id=request.user.pk,
        )
        return Response(ExportOutput(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    @extend_schema(operation_id="exports_get", responses={200: ExportOutput, **errors(403, 404)})
    def get(self, request: Request, export_id: int) -> Response:
        access = Access.of(request)
        export = _export_get(access, export_id)
        require_export(access, export.dataset)
        _require_identities_access(access, export)
        return Response(ExportOutput(export).data)

    @extend_schema(operation_id="exports_delete", responses={204: None, **errors(403, 404)})
    def delete(self, request: Request, export_id: int) -> Response:
        access = Access.of(request)
        export = _export_get(access, export_id)
        if not access.is_admin:
            raise PermissionDeniedError("Only admins delete export snapshots.")
        access.require_scope("manage", dataset_id=export.dataset_id)
        export_delete(export=export, actor=access.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$", re.ASCII)


class ExportFileApi(APIView):
    @extend_schema(
        operation_id="exports_file_get",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (206, "application/octet-stream"): OpenApiTypes.BINARY,
            **errors(403, 404),
            416: OpenApiResponse(description="The Range is outside the file."),
        },
        description="Download one file of a snapshot; Range requests resume a download.",
    )
    def get(self, request: Request, export_id: int, name: str) -> HttpResponseBase:
        access = Access.of(request)
        export = _export_get(access, export_id)
        require_export(access, export.dataset)
        _require_identities_access(access, export)
        if name not in {file["name"] for file in export.files or []}:
            raise NotFoundError("No such file in this export.")
        path = export_dir(export) / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise NotFoundError("The file of this export is no longer on the server.") from None
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        header = request.headers.get("Range")
        match = _RANGE.match(header.strip()) if header else None
        if header is None or match is None or (not match.group(1) and not match.group(2)):
            response: HttpResponseBase = FileResponse(path.open("rb"), content_type=kind)
            response["Accept-Ranges"] = "bytes"
            response["Content-Length"] = str(size)
            return response
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start, end = max(0, size - int(match.group(2))), size - 1
        if start >= size or start > end:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        partial = StreamingHttpResponse(
            _file_slice(path, start, end - start + 1), status=206, content_type=kind
        )
        partial["Content-Range"] = f"bytes {start}-{end}/{size}"
        partial["Content-Length"] = str(end - start + 1)
        partial["Accept-Ranges"] = "bytes"
        return partial


def _file_slice(path: Path, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of the file from ``start``, read 1 MiB at a time."""
    with path.open("rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _require_identities_access(access: Access, export: Export) -> None:
    """A snapshot with annotators' usernames is for admins only, like its creation."""
    if export.job is not None and export.job.params.get("identities") and not access.is_admin:
        raise PermissionDeniedError("This export holds annotator identities: admins only.")
