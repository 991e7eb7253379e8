"""The leads' review queue: list, claim the next, see a review side by side, resolve or send
back; and the agreement figures of a dataset."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.annotations import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    NewFactInput,
    VerdictInput,
    added_facts_from,
    verdicts_from,
)
from annotations.api.common import StrictSerializer, errors, reject_unknown_parameters
from annotations.api.idempotency import idempotent
from annotations.api.items import CaptionOutput, FactOutput, image_urls
from annotations.errors import NotFoundError, PreconditionFailedError
from annotations.models import Fact, Review
from annotations.selectors.access import LEAD, Access, dataset_get
from annotations.selectors.agreement import agreement_report
from annotations.selectors.items import MAX_PAGE_SIZE
from annotations.services.reviews import review_next, review_resolve, review_send_back


def review_etag(review: Review) -> str:
    return f'"r{review.version}"'


def review_if_match(request: Request) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = re.fullmatch(r'(?:W/)?"?r(\d{1,18})"?', header.strip(), re.ASCII)
    if match is None:
        raise PreconditionFailedError(f"If-Match {header!r} is not a version of this review.")
    return int(match.group(1))


class ReviewSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    dataset_id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    external_id = serializers.CharField(source="item.external_id")
    status = serializers.CharField()
    disagreement = serializers.FloatField()
    parts = serializers.SerializerMethodField()
    annotators = serializers.SerializerMethodField()
    claimed_by = serializers.CharField(source="claimed_by.username", allow_null=True, default=None)
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(
        source="resolved_by.username", allow_null=True, default=None
    )
    notes = serializers.CharField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_parts(self, review: Review) -> dict[str, float]:
        parts = review.disagreement_parts or {}
        return {
            name: float(parts[name])
            for name in ("verdicts", "added", "text")
            if isinstance(parts.get(name), int | float)
        }

    def get_annotators(self, review: Review) -> list[str]:
        return [a.annotator.username for a in review.annotations.all()]


class SubmissionOutput(serializers.Serializer[Any]):
    annotation_id = serializers.IntegerField(source="pk")
    annotator = serializers.CharField(source="annotator.username")
    text = serializers.CharField(source="result_caption.text", default="")
    decisions = serializers.JSONField()
    added_facts = serializers.JSONField()
    time_spent_ms = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class ReviewDetailOutput(ReviewSummaryOutput):
    images = serializers.SerializerMethodField()
    base_caption = CaptionOutput(allow_null=True)
    base_facts = FactOutput(many=True)
    submissions = SubmissionOutput(many=True)
    disagreement_parts = serializers.JSONField()
    resolving_caption_id = serializers.IntegerField(allow_null=True)

    def get_images(self, review: Review) -> dict[str, str]:
        return image_urls(review.item)


class ReviewFilters(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Review.Status.choices, required=False)
    annotator = serializers.CharField(required=False, max_length=150)
    fact_kind = serializers.ChoiceField(choices=Fact.Kind.choices, required=False)
    score_min = serializers.FloatField(required=False, min_value=0, max_value=1)
    score_max = serializers.FloatField(required=False, min_value=0, max_value=1)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class ReviewPageOutput(serializers.Serializer[Any]):
    results = ReviewSummaryOutput(many=True)
    next_offset = serializers.IntegerField(allow_null=True)


class ResolveInput(StrictSerializer):
    verdicts = VerdictInput(many=True)
    added_facts = NewFactInput(many=True, required=False)
    text = serializers.CharField(max_length=20_000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class SendBackInput(StrictSerializer):
    note = serializers.CharField(max_length=5000)


def _reviews(access: Access) -> QuerySet[Review]:
    return Review.objects.filter(dataset__in=access.datasets()).select_related(
        "item", "claimed_by", "resolved_by"
    )


def _review_for_lead(access: Access, review_id: int) -> Review:
    review = _reviews(access).select_related("dataset").filter(pk=review_id).first()
    if review is None:
        raise NotFoundError("No such review.")
    access.require_role(review.dataset, LEAD)
    return review


def review_response(review: Review, code: int = status.HTTP_200_OK) -> Response:
    review = (
        Review.objects.select_related("item", "claimed_by", "resolved_by")
        .prefetch_related("annotations__annotator", "annotations__result_caption")
        .get(pk=review.pk)
    )
    annotations = sorted(review.annotations.all(), key=lambda a: (a.submitted_at or 0, a.pk))
    base_caption = annotations[0].base_caption if annotations else None
    base_facts = (
        list(
            Fact.objects.filter(caption=base_caption)
            .select_related("entity__knowledge_base")
            .order_by("position")
        )
        if base_caption
        else []
    )
    # Disagreements first: the order of the stored per-fact scores, then the rest.
    order = {
        int(entry["fact_id"]): index
        for index, entry in enumerate((review.disagreement_parts or {}).get("facts", []))
        if isinstance(entry, dict) and "fact_id" in entry
    }
    base_facts.sort(key=lambda f: (order.get(f.pk, len(order)), f.position))
    setattr(review, "base_caption", base_caption)  # noqa: B010
    setattr(review, "base_facts", base_facts)  # noqa: B010
    setattr(review, "submissions", annotations)  # noqa: B010
    response = Response(ReviewDetailOutput(review).data, status=code)
    response["ETag"] = review_etag(review)
    return response


class ReviewListApi(APIView):
    @extend_schema(
        operation_id="reviews_list",
        parameters=[
            OpenApiParameter("status", str, enum=Review.Status.values),
            OpenApiParameter("annotator", str, description="Username of a compared annotator."),
            OpenApiParameter("fact_kind", str, enum=Fact.Kind.values),
            OpenApiParameter("score_min", float),
            OpenApiParameter("score_max", float),
            OpenApiParameter("offset", int),
            OpenApiParameter("limit", int),
        ],
        responses={200: ReviewPageOutput, **errors(400, 403, 404)},
        description="A dataset's reviews, most disagreement first (open ones by default).",
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_role(dataset, LEAD)
        reject_unknown_parameters(request, ReviewFilters().fields)
        query = ReviewFilters(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values: dict[str, Any] = query.validated_data
        reviews = (
            Review.objects.filter(dataset=dataset, status=values.get("status", "open"))
            .select_related("item", "claimed_by", "resolved_by")
            .prefetch_related("annotations__annotator")
        )
        if "annotator" in values:
            reviews = reviews.filter(annotations__annotator__username=values["annotator"])
        if "fact_kind" in values:
            reviews = reviews.filter(
                Exists(
                    Fact.objects.filter(
                        caption_id=OuterRef("item__current_caption_id"), kind=values["fact_kind"]
                    )
                )
            )
        if "score_min" in values:
            reviews = reviews.filter(disagreement__gte=values["score_min"])
        if "score_max" in values:
            reviews = reviews.filter(disagreement__lte=values["score_max"])
        if values.get("score_min", 0) > values.get("score_max", 1):
            raise ValidationError({"score_min": ["Must not exceed score_max."]})
        offset, limit = values.get("offset", 0), values.get("limit", 50)
        page = list(reviews.distinct().order_by("-disagreement", "pk")[offset : offset + limit + 1])
        more = len(page) > limit
        return Response(
            {
                "results": ReviewSummaryOutput(page[:limit], many=True).data,
                "next_offset": offset + limit if more else None,
            }
        )


class ReviewNextApi(APIView):
    @extend_schema(
        operation_id="reviews_next",
        request=None,
        responses={200: ReviewDetailOutput, 204: None, **errors(403, 404)},
        description=(
            "Claim the open review with the most disagreement (leased for 30 minutes; a held "
            "claim is returned again). Leads do not review items they annotated unless they are "
            "the dataset's only lead. 204 when none is left."
        ),
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_scope("annotate", dataset_id=dataset.pk)
        access.require_role(dataset, LEAD)
        review = review_next(dataset=dataset, user=request.user, actor=access.actor)  # type: ignore[arg-type]
        if review is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return review_response(review)


class ReviewDetailApi(APIView):
    @extend_schema(
        operation_id="reviews_get", responses={200: ReviewDetailOutput, **errors(403, 404)}
    )
    def get(self, request: Request, review_id: int) -> Response:
        return review_response(_review_for_lead(Access.of(request), review_id))


class ReviewResolveApi(APIView):
    @extend_schema(
        operation_id="reviews_resolve",
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=ResolveInput,
        responses={200: ReviewDetailOutput, **errors(400, 403, 404, 409, 412)},
        description=(
            "Adjudicate: a verdict for every base fact, added facts and the final text make the "
            "adjudication caption, which becomes final; the review closes."
        ),
    )
    def post(self, request: Request, review_id: int) -> Response:
        access = Access.of(request)
        review = _review_for_lead(access, review_id)
        access.require_scope("annotate", dataset_id=review.dataset_id)

        def resolve() -> Response:
            data = ResolveInput(data=request.data)
            data.is_valid(raise_exception=True)
            values: dict[str, Any] = data.validated_data
            resolved = review_resolve(
                review=review,
                user=request.user,  # type: ignore[arg-type]
                version=review_if_match(request),
                verdicts=verdicts_from(values),
                added=added_facts_from(values),
                text=values["text"],
                notes=values["notes"],
                actor=access.actor,
            )
            return review_response(resolved)

        return idempotent(request, resolve)


class ReviewSendBackApi(APIView):
    @extend_schema(
        operation_id="reviews_send_back",
        parameters=[IF_MATCH],
        request=SendBackInput,
        responses={200: ReviewDetailOutput, **errors(400, 403, 404, 409, 412)},
        description="Send the item back for re-annotation, with a note for the annotators.",
    )
    def post(self, request: Request, review_id: int) -> Response:
        access = Access.of(request)
        review = _review_for_lead(access, review_id)
        access.require_scope("annotate", dataset_id=review.dataset_id)
        data = SendBackInput(data=request.data)
        data.is_valid(raise_exception=True)
        returned = review_send_back(
            review=review,
            user=request.user,  # type: ignore[arg-type]
            version=review_if_match(request),
            note=data.validated_data["note"],
            actor=access.actor,
        )
        return review_response(returned)


class PairAgreementOutput(serializers.Serializer[Any]):
    annotators = serializers.ListField(child=serializers.CharField())
    alpha = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)
    units = serializers.IntegerField()


class AnnotatorAgreementOutput(serializers.Serializer[Any]):
    annotator = serializers.CharField()
    submissions = serializers.IntegerField()
    verdicts = serializers.IntegerField()
    matches_final = serializers.FloatField(allow_null=True)
    median_ms_per_item = serializers.FloatField(allow_null=True)


class ModelFactRatesOutput(serializers.Serializer[Any]):
    model = serializers.CharField()
    facts = serializers.IntegerField()
    accepted = serializers.FloatField()
    edited = serializers.FloatField()
    rejected = serializers.FloatField()


class AgreementOutput(serializers.Serializer[Any]):
    items_compared = serializers.IntegerField()
    units = serializers.IntegerField()
    alpha = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)
    pairs = PairAgreementOutput(many=True)
    annotators = AnnotatorAgreementOutput(many=True)
    model_facts = ModelFactRatesOutput(many=True)


class AgreementApi(APIView):
    @extend_schema(
        operation_id="datasets_agreement",
        responses={200: AgreementOutput, **errors(403, 404)},
        description=(
            "Inter-annotator agreement on fact verdicts (Krippendorff's alpha, nominal, and "
            "percent agreement) for the dataset and per annotator pair; per annotator the share "
            "of verdicts matching the final caption and the median time per item; per model "
            "configuration how often its facts were accepted as is, edited or rejected."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_role(dataset, LEAD)
        return Response(AgreementOutput(agreement_report(dataset)).data)
