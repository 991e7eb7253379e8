"""Datasets: list with progress, detail, create and update (admins)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors
from annotations.errors import PermissionDeniedError
from annotations.models import Dataset, Item
from annotations.selectors.access import Access, dataset_get
from annotations.selectors.items import dataset_list_with_progress
from annotations.services.datasets import dataset_create, dataset_update


class ProgressOutput(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    in_annotation = serializers.IntegerField()
    in_review = serializers.IntegerField()
    done = serializers.IntegerField()


class DatasetOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    guidelines = serializers.CharField()
    annotators_per_item = serializers.IntegerField()
    overlap_share = serializers.FloatField()
    disagreement_threshold = serializers.FloatField()
    created_at = serializers.DateTimeField()
    your_role = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    density_mean = serializers.SerializerMethodField()
    coverage_mean = serializers.SerializerMethodField()
    vqa_support_mean = serializers.SerializerMethodField()

    def get_your_role(self, dataset: Dataset) -> str | None:
        access: Access = self.context["access"]
        return access.role_in(dataset)

    def get_progress(self, dataset: Dataset) -> dict[str, int] | None:
        if not hasattr(dataset, "count_total"):
            return None
        counts = {status: getattr(dataset, f"count_{status}") for status in Item.Status.values}
        return {"total": dataset.count_total, **counts}

    def get_density_mean(self, dataset: Dataset) -> float | None:
        return getattr(dataset, "density_mean", None)

    def get_coverage_mean(self, dataset: Dataset) -> float | None:
        return getattr(dataset, "coverage_mean", None)

    def get_vqa_support_mean(self, dataset: Dataset) -> float | None:
        return getattr(dataset, "vqa_support_mean", None)


class DatasetInput(StrictSerializer):
    slug = serializers.SlugField(max_length=80)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    guidelines = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    annotators_per_item = serializers.IntegerField(required=False, min_value=1, max_value=20)
    overlap_share = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="Share of items that get annotators_per_item annotators; the rest get one.",
    )
    disagreement_threshold = serializers.FloatField(required=False, min_value=0, max_value=1)


class DatasetUpdateInput(DatasetInput):
    slug = None  # type: ignore[assignment]
    name = serializers.CharField(max_length=200, required=False)


def _require_admin(access: Access) -> None:
    if not access.is_admin:
        raise PermissionDeniedError("Only administrators create or change datasets.")


class DatasetListApi(APIView):
    @extend_schema(operation_id="datasets_list", responses={200: DatasetOutput(many=True)})
    def get(self, request: Request) -> Response:
        access = Access.of(request)
        datasets = dataset_list_with_progress(access=access)
        return Response(DatasetOutput(datasets, many=True, context={"access": access}).data)

    @extend_schema(
        operation_id="datasets_create",
        request=DatasetInput,
        responses={201: DatasetOutput, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        access = Access.of(request)
        access.require_scope("manage")
        _require_admin(access)
        data = DatasetInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = dataset_create(actor=access.actor, **data.validated_data)
        return Response(
            DatasetOutput(dataset, context={"access": access}).data, status=status.HTTP_201_CREATED
        )


class DatasetDetailApi(APIView):
    @extend_schema(operation_id="datasets_get", responses={200: DatasetOutput, **errors(404)})
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_list_with_progress(access=access).filter(pk=dataset_id).first()
        if dataset is None:
            dataset_get(access=access, dataset_id=dataset_id)  # raises the 404
        return Response(DatasetOutput(dataset, context={"access": access}).data)

    @extend_schema(
        operation_id="datasets_update",
        request=DatasetUpdateInput,
        responses={200: DatasetOutput, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_scope("manage")
        _require_admin(access)
        data = DatasetUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        dataset = dataset_update(dataset=dataset, actor=access.actor, **data.validated_data)
        return Response(DatasetOutput(dataset, context={"access": access}).data)
