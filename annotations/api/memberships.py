"""Memberships of a dataset, and the audit trails of datasets and items."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.common import StrictSerializer, errors, reject_unknown_parameters
from annotations.errors import NotFoundError
from annotations.models import AuditEvent, Membership
from annotations.selectors.access import LEAD, Access, dataset_get
from annotations.selectors.items import decode_cursor, encode_cursor, item_get
from annotations.services.memberships import membership_remove, membership_set


class MembershipOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    dataset_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class MembershipInput(StrictSerializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MembershipListApi(APIView):
    @extend_schema(
        operation_id="memberships_list",
        responses={200: MembershipOutput(many=True), **errors(403, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_role(dataset, LEAD)
        memberships = dataset.memberships.select_related("user").order_by("user__username")
        return Response(MembershipOutput(memberships, many=True).data)

    @extend_schema(
        operation_id="memberships_set",
        request=MembershipInput,
        responses={200: MembershipOutput, **errors(400, 403, 404)},
        description="Add a user to the dataset with a role, or change their role.",
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_scope("manage", dataset_id=dataset.pk)
        data = MembershipInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_set(access=access, dataset=dataset, **data.validated_data)
        return Response(MembershipOutput(membership).data)


class MembershipDetailApi(APIView):
    @extend_schema(
        operation_id="memberships_delete",
        responses={204: None, **errors(403, 404, 409)},
    )
    def delete(self, request: Request, membership_id: int) -> Response:
        access = Access.of(request)
        membership = (
            Membership.objects.filter(pk=membership_id, dataset__in=access.datasets())
            .select_related("dataset", "user")
            .first()
        )
        if membership is None:
            raise NotFoundError("No such membership.")
        access.require_scope("manage", dataset_id=membership.dataset_id)
        membership_remove(access=access, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEventOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_type = serializers.CharField()
    actor_label = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    request_id = serializers.CharField()
    hash = serializers.CharField()


class AuditPageOutput(serializers.Serializer[Any]):
    results = AuditEventOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


AUDIT_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="next_cursor of the previous page."),
    OpenApiParameter("limit", int, description="Page size, at most 200 (50)."),
]


def audit_page(request: Request, events: QuerySet[AuditEvent]) -> Response:
    """One page of ``events``, newest first, continuing before the cursor's event."""
    reject_unknown_parameters(request, ["cursor", "limit"])
    raw_limit = request.query_params.get("limit", "50")
    try:
        if not raw_limit.isascii() or not raw_limit.isdigit():
            raise ValueError(raw_limit)
        limit = int(raw_limit)
        before_id = (
            decode_cursor(request.query_params["cursor"])
            if "cursor" in request.query_params
            else None
        )
    except ValueError:
        raise ValidationError({"cursor": ["Not a cursor, or limit not a number."]}) from None
    if not 1 <= limit <= 200:
        raise ValidationError({"limit": ["Must be between 1 and 200."]})
    if before_id is not None:
        events = events.filter(pk__lt=before_id)
    page = list(events.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return Response(
        {
            "results": AuditEventOutput(page, many=True).data,
            "next_cursor": encode_cursor(page[-1].pk) if more else None,
        }
    )


class DatasetAuditApi(APIView):
    """A dataset's audit trail, newest first, for its leads and administrators."""

    @extend_schema(
        operation_id="datasets_audit_events_list",
        parameters=AUDIT_PAGE_PARAMETERS,
        responses={200: AuditPageOutput, **errors(400, 403, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        access = Access.of(request)
        dataset = dataset_get(access=access, dataset_id=dataset_id)
        access.require_role(dataset, LEAD)
        return audit_page(request, AuditEvent.objects.filter(dataset_id=dataset.pk))


class ItemAuditApi(APIView):
    """An item's audit trail: the item, its captions and its annotations, newest first."""

    @extend_schema(
        operation_id="items_audit_events_list",
        parameters=AUDIT_PAGE_PARAMETERS,
        responses={200: AuditPageOutput, **errors(400, 403, 404)},
    )
    def get(self, request: Request, item_id: int) -> Response:
        access = Access.of(request)
        item = item_get(access=access, item_id=item_id)
        access.require_role(item.dataset, LEAD)
        annotation_ids = [str(pk) for pk in item.annotations.values_list("pk", flat=True)]
        caption_ids = [str(pk) for pk in item.captions.values_list("pk", flat=True)]
        events = AuditEvent.objects.filter(
            Q(target_type="annotations.item", target_id=str(item.pk))
            | Q(target_type="annotations.annotation", target_id__in=annotation_ids)
            | Q(target_type="annotations.caption", target_id__in=caption_ids),
            dataset_id=item.dataset_id,
        )
        return audit_page(request, events)
