"""Inspection: a dataset's metric distributions per caption stage and its gaps (computed in
SQL, over the items passing the item-list filters), an item's gaps, fact suggestions, the
annotation priority action, and the item-by-item comparison of two caption sources."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors
from annotations.api.filters import ITEM_FILTER_PARAMETERS, ItemFilterFields, item_filters
from annotations.api.items import (
    SuggestionOutput,
    filters_from_query,
    image_urls,
    item_suggestions,
)
from annotations.api.jobs import JobFiltersInput
from annotations.models import Fact, FactSuggestion
from annotations.selectors.access import ANNOTATOR, LEAD, Access, dataset_get
from annotations.selectors.compare import (
    CompareCursor,
    UnknownSide,
    caption_sources,
    compare,
)
from annotations.selectors.gaps import dataset_gaps, item_gaps
from annotations.selectors.items import MAX_PAGE_SIZE, item_get
from annotations.selectors.overview import dataset_overview
from annotations.services.inspection import items_prioritise, suggestion_create
from annotations.services.jobs import MAX_SELECTED_IDS


class HistogramOutput(serializers.Serializer[Any]):
    param = serializers.CharField(help_text="The item-list filter of this metric.")
    edges = serializers.ListField(
        child=serializers.FloatField(),
        help_text="Bin i is [edges[i], edges[i+1]); the last bin also holds larger values.",
    )
    counts = serializers.ListField(child=serializers.IntegerField())
    missing = serializers.IntegerField(help_text="Captions without this metric.")


class StageOutput(serializers.Serializer[Any]):
    captions = serializers.IntegerField()
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))
    histograms = serializers.DictField(child=HistogramOutput())


class OverviewItemsOutput(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    with_caption = serializers.IntegerField()


class ModelFactReviewOutput(serializers.Serializer[Any]):
    model_name = serializers.CharField()
    prompt = serializers.CharField(allow_null=True)
    annotations = serializers.IntegerField()
    facts = serializers.IntegerField()
    accepted = serializers.IntegerField()
    edited = serializers.IntegerField()
    rejected = serializers.IntegerField()
    accepted_share = serializers.FloatField()
    edited_share = serializers.FloatField()
    rejected_share = serializers.FloatField()


class ProgressDayOutput(serializers.Serializer[Any]):
    day = serializers.DateField()
    annotations_submitted = serializers.IntegerField()
    items_finalised = serializers.IntegerField()


class OverviewOutput(serializers.Serializer[Any]):
    items = OverviewItemsOutput()
    stages = serializers.DictField(
        child=StageOutput(), help_text="import, model, human_final and current captions."
    )
    lift = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField(allow_null=True)),
        help_text="Difference of the mean of each metric from one stage to the next.",
    )
    facts_by_kind = serializers.DictField(child=serializers.IntegerField())
    model_fact_review = ModelFactReviewOutput(
        many=True,
        help_text=(
            "Per model configuration: its facts accepted as-is, edited, rejected in submitted "
            "annotations (leads and admins; empty for annotators)."
        ),
    )
    progress = ProgressDayOutput(many=True, help_text="Per UTC day, oldest first.")


class DatasetOverviewApi(APIView):
    @extend_schema(
        operation_id="datasets_overview",
        parameters=ITEM_FILTER_PARAMETERS,
        responses={200: OverviewOutput, **errors(400, 404)},
        description=(
            "Over the items passing the item-list filters: distributions (fixed bins) of facts "
            "per caption, density, coverage and VQA support for imported captions, model "
            "suggestions, final human captions and current captions, their means and the lift "
            "between stages; the current captions' facts by kind; model facts accepted, edited "
            "and rejected per model configuration; work per day. Aggregated in SQL: one scan "
            "per stage."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        filters = item_filters(filters_from_query(request, ItemFilterFields))
        overview = dataset_overview(dataset, filters)
        if access.role_in(dataset) == ANNOTATOR:
            # How annotators judged model facts, item by item through the filters, is for
            # leads: an annotator's work stays independent of the others' until it is done.
            overview["model_fact_review"] = []
        return Response(OverviewOutput(overview).data)


class FactSuggestionFields(serializers.Serializer[Any]):
    kind = serializers.CharField()
    subject = serializers.CharField()
    predicate = serializers.CharField()
    value = serializers.CharField()


class UnsupportedVqaOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField()
    suggestion = FactSuggestionFields(help_text="The fact the pair states, to suggest.")
    suggested = serializers.BooleanField(help_text="That fact is already suggested.")
    prompt = serializers.CharField(help_text="A regeneration prompt targeting this gap.")


class GapEntityOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    knowledge_base = serializers.CharField()


class MissingEntityFactOutput(serializers.Serializer[Any]):
    entity = GapEntityOutput()
    subject = serializers.CharField()
    predicate = serializers.CharField()
    value = serializers.CharField()
    kind = serializers.CharField()
    suggested = serializers.BooleanField()
    prompt = serializers.CharField()


class MissingKindOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the dataset's typical captions with it.")
    prompt = serializers.CharField()


class GapsOutput(serializers.Serializer[Any]):
    unsupported_vqa = UnsupportedVqaOutput(many=True)
    missing_entity_facts = MissingEntityFactOutput(many=True)
    missing_kinds = MissingKindOutput(many=True)
    compared_with = serializers.ChoiceField(
        choices=["final", "current"],
        help_text="Typical captions: done items' final captions, or current ones while none.",
    )
    captions_compared = serializers.IntegerField()
    final_captions_compared = serializers.IntegerField()
    prompt = serializers.CharField(
        allow_null=True, help_text="A regeneration prompt targeting all the gaps."
    )


class ItemGapsApi(APIView):
    @extend_schema(
        operation_id="items_gaps",
        responses={200: GapsOutput, **errors(404)},
        description=(
            "The item's knowledge gaps: VQA pairs its caption does not support, facts of linked "
            "knowledge-base entities it does not hold, and fact kinds most typical captions of "
            "the dataset have and it lacks; each with a fact to suggest (where there is one) "
            "and a regeneration prompt."
        ),
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        return Response(GapsOutput(item_gaps(item)).data)


class TopQuestionOutput(serializers.Serializer[Any]):
    question = serializers.CharField()
    pairs = serializers.IntegerField(help_text="Unsupported pairs with this question.")


class UnsupportedSummaryOutput(serializers.Serializer[Any]):
    pairs = serializers.IntegerField()
    items = serializers.IntegerField()
    top_questions = TopQuestionOutput(many=True)
    prompt = serializers.CharField(allow_null=True)


class MissingKindSummaryOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the dataset's typical captions with it.")
    items_lacking = serializers.IntegerField()
    prompt = serializers.CharField()


class EntitySummaryOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    knowledge_base = serializers.CharField()
    items = serializers.IntegerField(help_text="Items whose current caption links the entity.")
    items_missing_facts = serializers.IntegerField(
        help_text="Of those, items whose caption does not hold all of its facts."
    )
    prompt = serializers.CharField()


class DatasetGapsOutput(serializers.Serializer[Any]):
    items = serializers.IntegerField(help_text="Items with a caption among the selected.")
    compared_with = serializers.ChoiceField(choices=["final", "current"])
    captions_compared = serializers.IntegerField()
    unsupported_vqa = UnsupportedSummaryOutput()
    missing_kinds = MissingKindSummaryOutput(many=True)
    entities = EntitySummaryOutput(many=True)


class DatasetGapsApi(APIView):
    @extend_schema(
        operation_id="datasets_gaps",
        parameters=ITEM_FILTER_PARAMETERS,
        responses={200: DatasetGapsOutput, **errors(400, 404)},
        description=(
            "The gaps of the items passing the item-list filters, counted in SQL: VQA pairs "
            "their captions do not support (items: vqa_support_below=1), typical fact kinds "
            "they lack (lacks_kind=<kind>), and linked knowledge-base entities whose facts "
            "they do not all hold (entity=<key>); each with a regeneration prompt."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        filters = item_filters(filters_from_query(request, ItemFilterFields))
        return Response(DatasetGapsOutput(dataset_gaps(dataset, filters)).data)


class SuggestionInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=Fact.Kind.choices)
    subject = serializers.CharField(max_length=500)
    predicate = serializers.CharField(max_length=500)
    value = serializers.CharField(max_length=2000)
    gap = serializers.ChoiceField(choices=FactSuggestion.Gap.choices)
    vqa_pair_id = serializers.IntegerField(required=False, min_value=1)
    entity_key = serializers.CharField(required=False, max_length=200)
    knowledge_base = serializers.CharField(
        required=False, max_length=200, help_text="The entity's knowledge base (name)."
    )


class ItemSuggestionsApi(APIView):
    @extend_schema(
        operation_id="items_suggestions_list",
        responses={200: SuggestionOutput(many=True), **errors(404)},
        description="Facts suggested for the item's annotators, oldest first.",
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        return Response(SuggestionOutput(item_suggestions(item.pk), many=True).data)

    @extend_schema(
        operation_id="items_suggestions_create",
        request=SuggestionInput,
        responses={
            201: SuggestionOutput,
            200: SuggestionOutput,
            **errors(400, 403, 404),
        },
        description=(
            "Suggest a fact for the item's annotators (leads): they see it in the annotation "
            "workspace and may add it. 201 when new; 200 with the first suggestion when the "
            "same fact (after normalisation) was suggested before. Audited."
        ),
    )
    def post(self, request: Request, item_id: int) -> Response:
        access = Access.of(request)
        item = item_get(access=access, item_id=item_id)
        access.require_scope("manage", dataset_id=item.dataset_id)
        access.require_role(item.dataset, LEAD)
        data = SuggestionInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion, created = suggestion_create(
            item=item, actor=access.actor, **data.validated_data
        )
        suggestion = FactSuggestion.objects.select_related(
            "created_by", "entity__knowledge_base"
        ).get(pk=suggestion.pk)
        return Response(
            SuggestionOutput(suggestion).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PrioritiseInput(StrictSerializer):
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        min_length=1,
        max_length=MAX_SELECTED_IDS,
    )
    filters = JobFiltersInput(required=False)
    priority = serializers.IntegerField(
        min_value=0, max_value=1000, help_text="Higher is served first; 0 is the default."
    )
    reopen = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Also send selected done items back to annotation: their submissions stop "
            "counting and their final caption is the next annotators' base."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("item_ids" in attrs) == ("filters" in attrs):
            raise ValidationError({"selection": ["Give exactly one of item_ids and filters."]})
        return attrs


class PrioritiseOutput(serializers.Serializer[Any]):
    matched = serializers.IntegerField(help_text="Items selected; each took the priority.")
    updated = serializers.IntegerField(help_text="Of those, open items the queue will serve.")
    not_open = serializers.IntegerField(help_text="Of those, items in review or done.")
    reopened = serializers.IntegerField(help_text="Done items sent back to annotation.")


class ItemsPrioritiseApi(APIView):
    @extend_schema(
        operation_id="items_prioritise",
        request=PrioritiseInput,
        responses={200: PrioritiseOutput, **errors(400, 403, 404)},
        description=(
            "Set the annotation priority of the selected items (ids, or every item passing "
            "the item-list filters): the annotation queue serves open items highest priority "
            "first; with reopen, selected done items go back to annotation. Leads; audited."
        ),
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_scope("manage", dataset_id=dataset.pk)
        access.require_role(dataset, LEAD)
        data = PrioritiseInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = items_prioritise(
            dataset=dataset,
            actor=access.actor,
            priority=values["priority"],
            item_ids=values.get("item_ids"),
            filters=item_filters(values["filters"]) if "filters" in values else None,
            reopen=values["reopen"],
        )
        return Response(PrioritiseOutput(result).data)


class CompareCaptionOutput(serializers.Serializer[Any]):
    caption_id = serializers.IntegerField(source="pk")
    text = serializers.CharField()
    origin = serializers.CharField()
    model_name = serializers.CharField()
    fact_count = serializers.IntegerField()
    density = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)


class CompareDeltaOutput(serializers.Serializer[Any]):
    fact_count = serializers.IntegerField()
    density = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)


class CompareRowOutput(serializers.Serializer[Any]):
    item_id = serializers.IntegerField(source="item.pk")
    external_id = serializers.CharField(source="item.external_id")
    thumbnail_url = serializers.SerializerMethodField()
    a = CompareCaptionOutput()
    b = CompareCaptionOutput()
    delta = CompareDeltaOutput(help_text="b - a.")

    def get_thumbnail_url(self, row: dict[str, Any]) -> str:
        return image_urls(row["item"])["thumbnail"]


class CompareSideOutput(serializers.Serializer[Any]):
    side = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class CompareMeanDeltaOutput(serializers.Serializer[Any]):
    fact_count = serializers.FloatField(allow_null=True)
    density = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    vqa_support = serializers.FloatField(allow_null=True)


class CompareSummaryOutput(serializers.Serializer[Any]):
    items = serializers.IntegerField(help_text="Items with a caption on both sides.")
    lost = serializers.IntegerField(help_text="Items with fewer facts on side b.")
    gained = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    mean_delta = CompareMeanDeltaOutput()


class CompareOutput(serializers.Serializer[Any]):
    a = CompareSideOutput()
    b = CompareSideOutput()
    summary = CompareSummaryOutput()
    results = CompareRowOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class CompareQuery(ItemFilterFields):
    a = serializers.CharField(max_length=320)
    b = serializers.CharField(max_length=320)
    cursor = serializers.CharField(required=False, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class CompareApi(APIView):
    @extend_schema(
        operation_id="datasets_compare",
        parameters=[
            OpenApiParameter(
                "a",
                str,
                required=True,
                description=(
                    "A side: import, model, human_final, current, job:<id> or model:<name>."
                ),
            ),
            OpenApiParameter("b", str, required=True, description="The other side."),
            *ITEM_FILTER_PARAMETERS,
            OpenApiParameter("cursor", str, description="next_cursor of the previous page."),
            OpenApiParameter("limit", int, description=f"Page size, at most {MAX_PAGE_SIZE}."),
        ],
        responses={200: CompareOutput, **errors(400, 404)},
        description=(
            "Per-item metric deltas (b - a) between two caption sources, over the items "
            "passing the item-list filters that have a caption on both sides; items that lost "
            "facts first (fact-count delta, then item id)."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        values = filters_from_query(request, CompareQuery)
        after = None
        if "cursor" in values:
            try:
                after = CompareCursor.decode(values["cursor"])
            except ValueError:
                raise ValidationError({"cursor": ["Not a cursor this API returned."]}) from None
        try:
            result = compare(
                dataset=dataset,
                a=values["a"],
                b=values["b"],
                filters=item_filters(values),
                after=after,
                limit=values.get("limit", 50),
            )
        except UnknownSide as error:
            raise ValidationError({"side": [str(error)]}) from None
        return Response(CompareOutput(result).data)


class CaptionSourceOutput(serializers.Serializer[Any]):
    side = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    captions = serializers.IntegerField()


class CaptionSourcesApi(APIView):
    @extend_schema(
        operation_id="datasets_caption_sources",
        responses={200: CaptionSourceOutput(many=True), **errors(404)},
        description="The caption sources of the dataset that compare can take as a side.",
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        return Response(CaptionSourceOutput(caption_sources(dataset), many=True).data)
