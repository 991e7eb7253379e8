"""Caption jobs: create (202), list, detail, cancel; and the captioner a dataset would use."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.annotations import IDEMPOTENCY_KEY
from annotations.api.common import (
    StrictSerializer,
    errors,
    reject_unknown_parameters,
    storable_json,
)
from annotations.api.filters import ItemFilterFields, item_filters
from annotations.api.idempotency import idempotent
from annotations.errors import NotFoundError
from annotations.models import Job
from annotations.selectors.access import LEAD, Access, dataset_get
from annotations.selectors.items import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from annotations.services.jobs import (
    MAX_SELECTED_IDS,
    caption_job_create,
    default_captioner,
    job_cancel,
)


class JobOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    dataset_id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    progress = serializers.SerializerMethodField()
    error = serializers.CharField()
    is_cancel_requested = serializers.BooleanField()
    captioner = serializers.SerializerMethodField()
    selection = serializers.SerializerMethodField()
    make_current = serializers.SerializerMethodField()
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, job: Job) -> float:
        """Share of the job's items with a result (succeeded or failed), 0 to 1."""
        return 0.0 if job.total == 0 else min(1.0, (job.done + job.failed) / job.total)

    def get_captioner(self, job: Job) -> dict[str, Any] | None:
        value = job.params.get("captioner")
        return value if isinstance(value, dict) else None

    def get_selection(self, job: Job) -> dict[str, Any] | None:
        value = job.params.get("selection")
        return value if isinstance(value, dict) else None

    def get_make_current(self, job: Job) -> bool:
        return bool(job.params.get("make_current", False))


class JobPageOutput(serializers.Serializer[Any]):
    results = JobOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class JobFiltersInput(StrictSerializer, ItemFilterFields):
    """The item-list filters, selecting every item that passes them."""


class JobCreateInput(StrictSerializer):
    dataset_id = serializers.IntegerField(min_value=1)
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        min_length=1,
        max_length=MAX_SELECTED_IDS,
    )
    filters = JobFiltersInput(required=False)
    captioner = serializers.DictField(
        required=False,
        validators=[storable_json],
        help_text=(
            "Captioner fields (model, revision, family, prompt, device, dtype, batch_size, "
            "max_new_tokens, min_new_tokens, num_beams, trust_remote_code, extra); the rest come "
            "from the dataset's captioner settings and the server default."
        ),
    )
    make_current = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Also make the model caption current for pending items whose caption came from an "
            "import or a model (items without a caption always get it)."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("item_ids" in attrs) == ("filters" in attrs):
            raise ValidationError({"selection": ["Give exactly one of item_ids and filters."]})
        return attrs


class CaptionerOutput(serializers.Serializer[Any]):
    model = serializers.CharField()
    revision = serializers.CharField(allow_null=True)
    family = serializers.CharField()
    prompt = serializers.CharField(allow_null=True)
    device = serializers.CharField()
    dtype = serializers.CharField()
    batch_size = serializers.IntegerField()
    max_new_tokens = serializers.IntegerField()
    min_new_tokens = serializers.IntegerField()
    num_beams = serializers.IntegerField()
    trust_remote_code = serializers.BooleanField()
    extra = serializers.DictField()


def _visible_jobs(access: Access) -> QuerySet[Job]:
    return Job.objects.filter(dataset__in=access.datasets()).select_related("requested_by")


def _job_get(access: Access, job_id: int) -> Job:
    job = _visible_jobs(access).filter(pk=job_id).first()
    if job is None:
        raise NotFoundError("No such job.")
    return job


class JobCreateApi(APIView):
    @extend_schema(
        operation_id="jobs_create",
        parameters=[IDEMPOTENCY_KEY],
        request=JobCreateInput,
        responses={202: JobOutput, **errors(400, 403, 404)},
        description=(
            "Queue caption regeneration (caption, structure into facts, link to the knowledge "
            "base, score) for the items given by id or by the item-list filters. Leads and "
            "admins. Model output is a new suggestion caption; it never replaces an "
            "annotator's or a lead's caption."
        ),
    )
    def post(self, request: Request) -> Response:
        access = Access.of(request)
        data = JobCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        dataset = dataset_get(access=access, dataset_id=values["dataset_id"])
        access.require_scope("manage", dataset_id=dataset.pk)
        access.require_role(dataset, LEAD)

        def create() -> Response:
            filters = values.get("filters")
            job = caption_job_create(
                dataset=dataset,
                actor=access.actor,
                requested_by_id=request.user.pk,
                item_ids=values.get("item_ids"),
                filters=None if filters is None else item_filters(filters),
                captioner=values.get("captioner"),
                make_current=values["make_current"],
            )
            return Response(JobOutput(job).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(request, create)


class JobListApi(APIView):
    @extend_schema(
        operation_id="jobs_list",
        parameters=[
            OpenApiParameter("cursor", str, description="next_cursor of the previous page."),
            OpenApiParameter("limit", int, description=f"Page size, at most {MAX_PAGE_SIZE}."),
        ],
        responses={200: JobPageOutput, **errors(400, 404)},
        description="A dataset's jobs, newest first.",
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        reject_unknown_parameters(request, ("cursor", "limit"))
        query = _PageInput(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        jobs = Job.objects.filter(dataset=dataset).select_related("requested_by")
        if "cursor" in query.validated_data:
            try:
                jobs = jobs.filter(pk__lt=decode_cursor(query.validated_data["cursor"]))
            except ValueError:
                raise ValidationError({"cursor": ["Not a cursor this API returned."]}) from None
        limit = query.validated_data.get("limit", 50)
        page = list(jobs.order_by("-pk")[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        return Response(
            {
                "results": JobOutput(page, many=True).data,
                "next_cursor": encode_cursor(page[-1].pk) if more else None,
            }
        )


class _PageInput(serializers.Serializer[Any]):
    cursor = serializers.CharField(required=False, max_length=100)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


class JobDetailApi(APIView):
    @extend_schema(operation_id="jobs_get", responses={200: JobOutput, **errors(404)})
    def get(self, request: Request, job_id: int) -> Response:
        return Response(JobOutput(_job_get(Access.of(request), job_id)).data)


class JobCancelApi(APIView):
    @extend_schema(
        operation_id="jobs_cancel",
        request=None,
        responses={200: JobOutput, **errors(403, 404, 409)},
        description=(
            "Stop the job between batches: chunks not started are cancelled, a running chunk "
            "writes its whole batch, then the job is cancelled. 409 when it already finished."
        ),
    )
    def post(self, request: Request, job_id: int) -> Response:
        access = Access.of(request)
        job = _job_get(access, job_id)
        access.require_scope("manage", dataset_id=job.dataset_id)
        access.require_role(job.dataset, LEAD)
        return Response(JobOutput(job_cancel(job=job, actor=access.actor)).data)


class DatasetCaptionerApi(APIView):
    @extend_schema(
        operation_id="datasets_captioner",
        responses={200: CaptionerOutput, **errors(400, 404)},
        description=(
            "The captioner a job of this dataset runs when it names none: the server's model "
            "(KD_CAPTIONER_MODEL) with the dataset's captioner settings applied."
        ),
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = dataset_get(access=Access.of(request), dataset_id=dataset_id)
        return Response(CaptionerOutput(default_captioner(dataset).as_dict()).data)
