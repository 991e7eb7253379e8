"""Inspection: a dataset's metric distributions per caption stage (computed in SQL), and an
item's knowledge gaps."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import errors
from annotations.selectors.access import Access, dataset_get
from annotations.selectors.gaps import item_gaps
from annotations.selectors.items import item_get
from annotations.selectors.overview import dataset_overview


class HistogramOutput(serializers.Serializer[Any]):
    edges = serializers.ListField(child=serializers.FloatField())
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


class OverviewOutput(serializers.Serializer[Any]):
    items = OverviewItemsOutput()
    stages = serializers.DictField(
        child=StageOutput(), help_text="import, model and human_final captions."
    )
    lift = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField(allow_null=True)),
        help_text="Difference of the mean of each metric from one stage to the next.",
    )
    facts_by_kind = serializers.DictField(child=serializers.IntegerField())


class DatasetOverviewApi(APIView):
    @extend_schema(
        operation_id="datasets_overview",
        responses={200: OverviewOutput, **errors(404)},
        description=(
            "Distributions (fixed bins) of facts per caption, density, coverage and VQA support "
            "for imported captions, model suggestions and final human captions, their means and "
            "the lift between stages, and the current captions' facts by kind. Aggregated in "
            "SQL: one grouped query per stage and metric."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        return Response(OverviewOutput(dataset_overview(dataset)).data)


class UnsupportedVqaOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField()


class GapEntityOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    knowledge_base = serializers.CharField()


class MissingEntityFactOutput(serializers.Serializer[Any]):
    entity = GapEntityOutput()
    subject = serializers.CharField()
    predicate = serializers.CharField()
    value = serializers.CharField()


class MissingKindOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the dataset's final captions with it.")


class GapsOutput(serializers.Serializer[Any]):
    unsupported_vqa = UnsupportedVqaOutput(many=True)
    missing_entity_facts = MissingEntityFactOutput(many=True)
    missing_kinds = MissingKindOutput(many=True)
    final_captions_compared = serializers.IntegerField()


class ItemGapsApi(APIView):
    @extend_schema(
        operation_id="items_gaps",
        responses={200: GapsOutput, **errors(404)},
        description=(
            "The item's knowledge gaps: VQA pairs its caption does not support, facts of linked "
            "knowledge-base entities it does not hold, and fact kinds most final captions of "
            "the dataset have and it lacks."
        ),
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(access=Access.of(request), item_id=item_id)
        return Response(GapsOutput(item_gaps(item)).data)
