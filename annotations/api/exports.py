"""Training data over REST: the streaming JSONL export of a dataset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations.api.common import errors, reject_unknown_parameters
from annotations.errors import PermissionDeniedError
from annotations.models import AuditAction, Dataset, Item
from annotations.selectors.access import LEAD, Access, dataset_get
from annotations.selectors.export import ExportFilters, export_records
from annotations.services.audit import Actor, audit_record


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
