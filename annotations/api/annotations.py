"""The annotation queue and annotations: lease the next item, save drafts, submit, skip, release.

Annotations are versioned: responses carry ``ETag: "v<version>"``; a PATCH must send it back in
``If-Match`` (428 without, 412 when stale); submit, skip and release accept it too.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors, storable_json
from annotations.api.idempotency import idempotent
from annotations.errors import PreconditionFailedError, PreconditionRequiredError
from annotations.models import Annotation, Fact, Review
from annotations.selectors.access import ANNOTATOR, Access, dataset_get
from annotations.selectors.annotations import annotation_get
from annotations.services.annotations import (
    NewFact,
    Verdict,
    annotation_release,
    annotation_save_draft,
    annotation_skip,
    annotation_submit,
    queue_next,
)

_ETAG = re.compile(r'^(?:W/)?"?v(\d+)"?$')

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description='The ETag you loaded, e.g. "v3".'
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Repeat a request safely: the same key and body give the first response.",
)


def etag(annotation: Annotation) -> str:
    return f'"v{annotation.version}"'


def if_match_version(request: Request, *, required: bool) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise PreconditionRequiredError(
                "Send the ETag you loaded in If-Match, so a stale copy cannot overwrite newer work."
            )
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise PreconditionFailedError(f"If-Match {header!r} is not a version of this annotation.")
    return int(match.group(1))


class AnnotationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    dataset_id = serializers.IntegerField(source="item.dataset_id")
    annotator = serializers.CharField(source="annotator.username")
    status = serializers.CharField()
    version = serializers.IntegerField()
    base_caption_id = serializers.IntegerField(allow_null=True)
    result_caption_id = serializers.IntegerField(allow_null=True)
    decisions = serializers.JSONField()
    added_facts = serializers.JSONField()
    draft_text = serializers.CharField()
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    time_spent_ms = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    returned_note = serializers.SerializerMethodField(
        help_text="When a lead sent the item back for re-annotation: the lead's note."
    )

    def get_returned_note(self, annotation: Annotation) -> str | None:
        note = (
            Review.objects.filter(item_id=annotation.item_id, status=Review.Status.SENT_BACK)
            .order_by("-resolved_at", "-pk")
            .values_list("notes", flat=True)
            .first()
        )
        return note if note else None


def annotation_response(annotation: Annotation, code: int = status.HTTP_200_OK) -> Response:
    response = Response(AnnotationOutput(annotation).data, status=code)
    response["ETag"] = etag(annotation)
    return response


class DraftInput(StrictSerializer):
    decisions = serializers.DictField(required=False, validators=[storable_json])
    added_facts = serializers.ListField(
        child=serializers.DictField(), required=False, max_length=500, validators=[storable_json]
    )
    draft_text = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    # The column is a bigint.
    time_spent_ms = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)


class VerdictInput(StrictSerializer):
    fact_id = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["accepted", "edited", "rejected"])
    value = serializers.CharField(required=False, max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NewFactInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=Fact.Kind.choices)
    subject = serializers.CharField(max_length=500)
    predicate = serializers.CharField(max_length=500)
    value = serializers.CharField(max_length=2000)
    span = serializers.ListField(
        child=serializers.IntegerField(min_value=0), min_length=2, max_length=2, required=False
    )


def verdicts_from(values: dict[str, Any]) -> list[Verdict]:
    """The validated ``verdicts`` of a submission or an adjudication."""
    return [Verdict(**verdict) for verdict in values["verdicts"]]


def added_facts_from(values: dict[str, Any]) -> list[NewFact]:
    """The validated ``added_facts`` of a submission or an adjudication."""
    return [
        NewFact(**{**fact, "span": tuple(fact["span"]) if "span" in fact else None})
        for fact in values.get("added_facts", [])
    ]


class SubmitInput(StrictSerializer):
    verdicts = VerdictInput(many=True)
    added_facts = NewFactInput(many=True, required=False)
    text = serializers.CharField(max_length=20_000)


class SkipInput(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class QueueNextApi(APIView):
    @extend_schema(
        operation_id="queue_next",
        request=None,
        responses={200: AnnotationOutput, 204: None, **errors(403, 404)},
        description="Lease the next item for you in this dataset; 204 when none is left.",
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_scope("annotate", dataset_id=dataset.pk)
        access.require_role(dataset, ANNOTATOR)
        annotation = queue_next(dataset=dataset, user=request.user, actor=access.actor)  # type: ignore[arg-type]
        if annotation is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return annotation_response(annotation)


class AnnotationDetailApi(APIView):
    @extend_schema(operation_id="annotations_get", responses={200: AnnotationOutput, **errors(404)})
    def get(self, request: Request, annotation_id: int) -> Response:
        return annotation_response(
            annotation_get(access=Access.of(request), annotation_id=annotation_id)
        )

    @extend_schema(
        operation_id="annotations_update",
        parameters=[IF_MATCH],
        request=DraftInput,
        responses={200: AnnotationOutput, **errors(400, 403, 404, 409, 412, 428)},
    )
    def patch(self, request: Request, annotation_id: int) -> Response:
        access = Access.of(request)
        annotation = annotation_get(access=access, annotation_id=annotation_id)
        access.require_scope("annotate", dataset_id=annotation.item.dataset_id)
        version = if_match_version(request, required=True)
        data = DraftInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved = annotation_save_draft(
            annotation=annotation,
            user=request.user,  # type: ignore[arg-type]
            version=version,  # type: ignore[arg-type]
            changes=dict(data.validated_data),
            actor=access.actor,
        )
        return annotation_response(saved)


class AnnotationSubmitApi(APIView):
    @extend_schema(
        operation_id="annotations_submit",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=SubmitInput,
        responses={200: AnnotationOutput, **errors(400, 403, 404, 409, 412)},
    )
    def post(self, request: Request, annotation_id: int) -> Response:
        access = Access.of(request)
        annotation = annotation_get(access=access, annotation_id=annotation_id)
        access.require_scope("annotate", dataset_id=annotation.item.dataset_id)

        def submit() -> Response:
            version = if_match_version(request, required=False)
            data = SubmitInput(data=request.data)
            data.is_valid(raise_exception=True)
            values: dict[str, Any] = data.validated_data
            submitted = annotation_submit(
                annotation=annotation,
                user=request.user,  # type: ignore[arg-type]
                version=version,
                verdicts=verdicts_from(values),
                added=added_facts_from(values),
                text=values["text"],
                actor=access.actor,
            )
            return annotation_response(submitted)

        return idempotent(request, submit)


class AnnotationSkipApi(APIView):
    @extend_schema(
        operation_id="annotations_skip",
        parameters=[IF_MATCH],
        request=SkipInput,
        responses={200: AnnotationOutput, **errors(400, 403, 404, 409, 412)},
    )
    def post(self, request: Request, annotation_id: int) -> Response:
        access = Access.of(request)
        annotation = annotation_get(access=access, annotation_id=annotation_id)
        access.require_scope("annotate", dataset_id=annotation.item.dataset_id)
        data = SkipInput(data=request.data)
        data.is_valid(raise_exception=True)
        skipped = annotation_skip(
            annotation=annotation,
            user=request.user,  # type: ignore[arg-type]
            version=if_match_version(request, required=False),
            reason=data.validated_data["reason"],
            actor=access.actor,
        )
        return annotation_response(skipped)


class AnnotationReleaseApi(APIView):
    @extend_schema(
        operation_id="annotations_release",
        parameters=[IF_MATCH],
        request=None,
        responses={200: AnnotationOutput, **errors(403, 404, 409, 412)},
    )
    def post(self, request: Request, annotation_id: int) -> Response:
        access = Access.of(request)
        annotation = annotation_get(access=access, annotation_id=annotation_id)
        access.require_scope("annotate", dataset_id=annotation.item.dataset_id)
        released = annotation_release(
            annotation=annotation,
            user=request.user,  # type: ignore[arg-type]
            version=if_match_version(request, required=False),
            actor=access.actor,
        )
        return annotation_response(released)
