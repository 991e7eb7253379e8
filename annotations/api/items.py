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
from annotations.api.filters import ITEM_FILTER_PARAMETERS, ItemFilterFields, item_filters
from annotations.enrichment.metrics import measure
from annotations.images.storage import ensure_rendition, stored_file_path
from annotations.images.validation import MIME_BY_FORMAT
from annotations.models import Fact, FactSuggestion, Item
from annotations.models.items import MAX_CAPTION_LENGTH
from annotations.selectors.access import Access, dataset_get
from annotations.selectors.items import (
    MAX_PAGE_SIZE,
    SORTS,
    SortCursor,
    caption_history,
    filtered_items,
    item_detail_parts,
    item_get,
    item_list,
)
from annotations.services.metrics import item_references


def image_urls(item: Item) -> dict[str, str]:
    return {
        kind: reverse("api:item-image", kwargs={"item_id": item.pk, "kind": kind})
        for kind in ("original", "preview", "thumbnail")
    }


SORT_CHOICES = [f"{sign}{column}" for column in SORTS for sign in ("", "-")]


class ItemListFilters(ItemFilterFields):
    sort = serializers.ChoiceField(choices=SORT_CHOICES, required=False)
    cursor = serializers.CharField(required=False, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class ItemSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    status = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    caption = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField(help_text="Origin of the current caption.")
    fact_count = serializers.IntegerField(allow_null=True)
    density = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)
    kind_counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="The current caption's facts per kind."
    )
    priority = serializers.IntegerField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_caption(self, item: Item) -> str | None:
        return item.current_caption.text if item.current_caption else None

    def get_origin(self, item: Item) -> str | None:
        return item.current_caption.origin if item.current_caption else None

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


class SuggestionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    predicate = serializers.CharField()
    value = serializers.CharField()
    gap = serializers.CharField()
    vqa_pair_id = serializers.IntegerField(allow_null=True)
    entity = EntityOutput(allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


def item_suggestions(item_id: int) -> list[FactSuggestion]:
    return list(
        FactSuggestion.objects.filter(item_id=item_id)
        .select_related("created_by", "entity__knowledge_base")
        .order_by("created_at", "pk")
    )


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
    suggestions = SuggestionOutput(
        many=True, help_text="Facts suggested for the item's annotators (gap finder)."
    )


ITEM_LIST_PARAMETERS = [
    *ITEM_FILTER_PARAMETERS,
    OpenApiParameter(
        "sort",
        str,
        enum=SORT_CHOICES,
        description="Order (default id); - for descending. Items without the metric come last.",
    ),
    OpenApiParameter("cursor", str, description="next_cursor of the previous page, same sort."),
    OpenApiParameter("limit", int, description=f"Page size, at most {MAX_PAGE_SIZE} (50)."),
]


def filters_from_query(request: Request, serializer: type[ItemFilterFields]) -> dict[str, Any]:
    """Validated query parameters of a filtered read; unknown parameters are a 400."""
    reject_unknown_parameters(request, serializer().fields)
    query = serializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class ItemListApi(APIView):
    @extend_schema(
        operation_id="items_list",
        parameters=ITEM_LIST_PARAMETERS,
        responses={200: ItemPageOutput, **errors(400, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        values = filters_from_query(request, ItemListFilters)
        sort = values.get("sort", "id")
        after = None
        if "cursor" in values:
            try:
                after = SortCursor.decode(values["cursor"], sort)
            except ValueError:
                raise ValidationError(
                    {"cursor": ["Not a cursor this API returned for this sort."]}
                ) from None
        page, next_cursor = item_list(
            dataset=dataset,
            filters=item_filters(values),
            after=after,
            limit=values.get("limit", 50),
            sort=sort,
        )
        return Response(
            {
                "results": ItemSummaryOutput(page, many=True).data,
                "next_cursor": next_cursor.encode() if next_cursor is not None else None,
            }
        )


class ItemCountOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField()


class ItemCountApi(APIView):
    @extend_schema(
        operation_id="items_count",
        parameters=ITEM_FILTER_PARAMETERS,
        responses={200: ItemCountOutput, **errors(400, 404)},
        description="How many of the dataset's items pass the item-list filters.",
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        values = filters_from_query(request, ItemFilterFields)
        return Response(
            {"count": filtered_items(dataset=dataset, filters=item_filters(values)).count()}
        )


class ItemDetailApi(APIView):
    @extend_schema(operation_id="items_get", responses={200: ItemDetailOutput, **errors(404)})
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        parts = item_detail_parts(item)
        return Response(
            ItemDetailOutput(
                {
                    "item": item,
                    "images": image_urls(item),
                    "suggestions": item_suggestions(item.pk),
                    **parts,
                }
            ).data
        )


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
