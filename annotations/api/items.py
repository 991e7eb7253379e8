"""Items of a dataset: filtered, cursor-paginated lists; detail; caption history."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors, reject_unknown_parameters
from annotations.enrichment.metrics import measure
from annotations.images.storage import ensure_rendition, stored_file_path
from annotations.images.validation import MIME_BY_FORMAT
from annotations.models import Fact, Item
from annotations.models.items import MAX_CAPTION_LENGTH
from annotations.selectors.access import Access, dataset_get
from annotations.selectors.items import (
    MAX_PAGE_SIZE,
    ItemFilters,
    caption_history,
    decode_cursor,
    encode_cursor,
    item_detail_parts,
    item_get,
    item_list,
)
from annotations.services.metrics import item_references

METRICS = ("density", "coverage", "vqa_support")


def image_urls(item: Item) -> dict[str, str]:
    return {
        kind: reverse("api:item-image", kwargs={"item_id": item.pk, "kind": kind})
        for kind in ("original", "preview", "thumbnail")
    }


class ItemListFilters(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Item.Status.choices, required=False)
    density_min = serializers.FloatField(required=False, min_value=0)
    density_max = serializers.FloatField(required=False, min_value=0)
    coverage_min = serializers.FloatField(required=False, min_value=0, max_value=1)
    coverage_max = serializers.FloatField(required=False, min_value=0, max_value=1)
    vqa_support_min = serializers.FloatField(required=False, min_value=0, max_value=1)
    vqa_support_max = serializers.FloatField(required=False, min_value=0, max_value=1)
    has_open_review = serializers.BooleanField(required=False)
    q = serializers.CharField(required=False, max_length=200)
    cursor = serializers.CharField(required=False, max_length=100)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for metric in METRICS:
            low, high = attrs.get(f"{metric}_min"), attrs.get(f"{metric}_max")
            if low is not None and high is not None and low > high:
                raise ValidationError({f"{metric}_min": [f"Must not exceed {metric}_max."]})
        return attrs


class ItemSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    status = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    caption = serializers.SerializerMethodField()
    fact_count = serializers.IntegerField(allow_null=True)
    density = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)
    thumbnail_url = serializers.SerializerMethodField()

    def get_caption(self, item: Item) -> str | None:
        return item.current_caption.text if item.current_caption else None

    def get_thumbnail_url(self, item: Item) -> str:
        return image_urls(item)["thumbnail"]


class ItemPageOutput(serializers.Serializer[Any]):
    results = ItemSummaryOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class EntityOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    knowledge_base = serializers.CharField(source="knowledge_base.name")


class FactOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    predicate = serializers.CharField()
    value = serializers.CharField()
    span = serializers.SerializerMethodField()
    region = serializers.JSONField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]
    confidence = serializers.FloatField(allow_null=True)
    entity = EntityOutput(allow_null=True)

    def get_span(self, fact: Fact) -> list[int] | None:
        if fact.span_start is None or fact.span_end is None:
            return None
        return [fact.span_start, fact.span_end]


class CaptionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    origin = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    model_name = serializers.CharField()
    job_id = serializers.IntegerField(allow_null=True)
    word_count = serializers.IntegerField()
    fact_count = serializers.IntegerField()
    density = serializers.FloatField()
    coverage = serializers.FloatField(
        allow_null=True, help_text="Share of the item's reference facts, when it was created."
    )
    vqa_support = serializers.FloatField(
        allow_null=True, help_text="Share of the item's VQA pairs, when it was created."
    )
    created_at = serializers.DateTimeField()


class CaptionVersionOutput(CaptionOutput):
    facts = FactOutput(many=True, source="ordered_facts")


class VqaPairOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField()
    origin = serializers.CharField()
    is_supported = serializers.BooleanField(allow_null=True)


class ItemDetailOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="item.id")
    dataset_id = serializers.IntegerField(source="item.dataset_id")
    external_id = serializers.CharField(source="item.external_id")
    status = serializers.CharField(source="item.status")
    width = serializers.IntegerField(source="item.width")
    height = serializers.IntegerField(source="item.height")
    mime = serializers.CharField(source="item.mime")
    metadata = serializers.JSONField(source="item.metadata")
    fact_count = serializers.IntegerField(source="item.fact_count", allow_null=True)
    density = serializers.FloatField(source="item.density", allow_null=True)
    coverage = serializers.FloatField(source="item.coverage", allow_null=True)
    vqa_support = serializers.FloatField(source="item.vqa_support", allow_null=True)
    images = serializers.DictField(child=serializers.CharField())
    caption = CaptionOutput(source="item.current_caption", allow_null=True)
    facts = FactOutput(many=True)
    model_suggestion = CaptionOutput(allow_null=True)
    vqa_pairs = VqaPairOutput(many=True)


ITEM_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=Item.Status.values),
    OpenApiParameter("density_min", float, description="Facts per 100 words, at least."),
    OpenApiParameter("density_max", float, description="Facts per 100 words, at most."),
    OpenApiParameter("coverage_min", float, description="Share of reference facts, 0 to 1."),
    OpenApiParameter("coverage_max", float, description="Share of reference facts, 0 to 1."),
    OpenApiParameter("vqa_support_min", float, description="Share of VQA pairs, 0 to 1."),
    OpenApiParameter("vqa_support_max", float, description="Share of VQA pairs, 0 to 1."),
    OpenApiParameter("has_open_review", bool),
    OpenApiParameter("q", str, description="Words that the current caption contains."),
    OpenApiParameter("cursor", str, description="next_cursor of the previous page."),
    OpenApiParameter("limit", int, description=f"Page size, at most {MAX_PAGE_SIZE} (50)."),
]


class ItemListApi(APIView):
    @extend_schema(
        operation_id="items_list",
        parameters=ITEM_FILTER_PARAMETERS,
        responses={200: ItemPageOutput, **errors(400, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        reject_unknown_parameters(request, ItemListFilters().fields)
        query = ItemListFilters(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values = query.validated_data
        after_id = None
        if "cursor" in values:
            try:
                after_id = decode_cursor(values["cursor"])
            except ValueError:
                raise ValidationError({"cursor": ["Not a cursor this API returned."]}) from None
        page, last_id = item_list(
            dataset=dataset,
            filters=ItemFilters(
                status=values.get("status"),
                **{
                    f"{metric}_{end}": values.get(f"{metric}_{end}")
                    for metric in METRICS
                    for end in ("min", "max")
                },
                has_open_review=values.get("has_open_review"),
                text=values.get("q"),
            ),
            after_id=after_id,
            limit=values.get("limit", 50),
        )
        return Response(
            {
                "results": ItemSummaryOutput(page, many=True).data,
                "next_cursor": encode_cursor(last_id) if last_id is not None else None,
            }
        )


class ItemDetailApi(APIView):
    @extend_schema(operation_id="items_get", responses={200: ItemDetailOutput, **errors(404)})
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        parts = item_detail_parts(item)
        return Response(ItemDetailOutput({"item": item, "images": image_urls(item), **parts}).data)


class CaptionHistoryApi(APIView):
    @extend_schema(
        operation_id="items_captions_list",
        responses={200: CaptionVersionOutput(many=True), **errors(404)},
        description="Every caption version of the item, newest first, each with its facts.",
    )
    def get(self, request: Request, item_id: int) -> Response:
        access = Access.of(request)
        item = item_get(access=access, item_id=item_id)
        captions = caption_history(access=access, item=item).prefetch_related(
            Prefetch(
                "facts",
                queryset=Fact.objects.select_related("entity__knowledge_base").order_by("position"),
                to_attr="ordered_facts",
            )
        )
        return Response(CaptionVersionOutput(captions, many=True).data)


class MetricFactInput(StrictSerializer):
    subject = serializers.CharField(max_length=500)
    predicate = serializers.CharField(max_length=500)
    value = serializers.CharField(max_length=2000)


class MetricsInput(StrictSerializer):
    text = serializers.CharField(max_length=MAX_CAPTION_LENGTH, allow_blank=True)
    facts = serializers.ListField(child=MetricFactInput(), max_length=1000)


class MetricsOutput(serializers.Serializer[Any]):
    words = serializers.IntegerField()
    fact_count = serializers.IntegerField()
    density = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)
    supported = serializers.ListField(
        child=serializers.BooleanField(), help_text="Per VQA pair of the item, in id order."
    )
    reference_facts = serializers.IntegerField()


class ItemMetricsApi(APIView):
    @extend_schema(
        operation_id="items_metrics",
        request=MetricsInput,
        responses={200: MetricsOutput, **errors(400, 404)},
        description=(
            "Measure a caption text and its facts against this item's reference facts and VQA "
            "pairs, with the same definitions the stored metrics use (docs/metrics.md). "
            "Changes nothing: the annotation workspace calls it while the text is edited."
        ),
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        data = MetricsInput(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        facts = [(f["subject"], f["predicate"], f["value"]) for f in values["facts"]]
        final_facts, pairs = item_references([item.pk])[item.pk]
        return Response(measure(values["text"], facts, final_facts, pairs))


class ItemImageApi(APIView):
    """The item's image: the stored file, or a preview (1024 px) or thumbnail (256 px) rendition.

    Access-controlled like the item, so caches may keep it privately only. The ETag is the
    image's content hash and rendition, which never change, so a conditional GET answers 304.
    """

    @extend_schema(
        operation_id="items_image_get",
        # Renditions are JPEG; the original keeps the format it was stored in.
        responses={
            **{(200, mime): bytes for mime in sorted(set(MIME_BY_FORMAT.values()))},
            304: None,
            **errors(404),
        },
    )
    def get(self, request: Request, item_id: int, kind: str) -> HttpResponseBase:
        item = item_get(access=Access.of(request), item_id=item_id)
        etag = f'"{item.image_sha256}-{kind}"'
        headers = {
            "ETag": etag,
            "Cache-Control": "private, max-age=86400, immutable",
            "X-Content-Type-Options": "nosniff",
            # An image is never a document: nothing in it may run, even if a browser sniffed it.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            return HttpResponseNotModified(headers=headers)
        if kind == "original":
            path, content_type = stored_file_path(item.image_path), item.mime
        else:
            path, content_type = ensure_rendition(item.image_path, kind), "image/jpeg"  # type: ignore[arg-type]
        response = FileResponse(path.open("rb"), content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return response
