from __future__ import annotations

from django.urls import path, re_path

from annotations.api.annotations import (
    AnnotationDetailApi,
    AnnotationReleaseApi,
    AnnotationSkipApi,
    AnnotationSubmitApi,
    QueueNextApi,
)
from annotations.api.datasets import DatasetDetailApi, DatasetListApi
from annotations.api.exports import (
    DatasetExportApi,
    ExportCreateApi,
    ExportDetailApi,
    ExportFileApi,
)
from annotations.api.items import (
    CaptionHistoryApi,
    ItemCountApi,
    ItemDetailApi,
    ItemImageApi,
    ItemListApi,
    ItemMetricsApi,
)
from annotations.api.jobs import (
    DatasetCaptionerApi,
    JobCancelApi,
    JobCreateApi,
    JobDetailApi,
    JobListApi,
)
from annotations.api.memberships import (
    DatasetAuditApi,
    ItemAuditApi,
    MembershipDetailApi,
    MembershipListApi,
)
from annotations.api.overview import (
    CaptionSourcesApi,
    CompareApi,
    DatasetGapsApi,
    DatasetOverviewApi,
    ItemGapsApi,
    ItemsPrioritiseApi,
    ItemSuggestionsApi,
)
from annotations.api.reviews import (
    AgreementApi,
    ReviewDetailApi,
    ReviewListApi,
    ReviewNextApi,
    ReviewResolveApi,
    ReviewSendBackApi,
)
from annotations.api.urls_auth import urlpatterns as auth_urlpatterns
from annotations.api.views import CurrentUserApi

app_name = "api"

urlpatterns = [
    path("me/", CurrentUserApi.as_view(), name="current-user"),
    path("datasets/", DatasetListApi.as_view(), name="dataset-list"),
    path("datasets/<int:dataset_id>/", DatasetDetailApi.as_view(), name="dataset-detail"),
    path("datasets/<int:dataset_id>/items/", ItemListApi.as_view(), name="item-list"),
    path("datasets/<int:dataset_id>/jobs/", JobListApi.as_view(), name="job-list"),
    path(
        "datasets/<int:dataset_id>/captioner/",
        DatasetCaptionerApi.as_view(),
        name="dataset-captioner",
    ),
    path(
        "datasets/<int:dataset_id>/export.jsonl",
        DatasetExportApi.as_view(),
        name="dataset-export-jsonl",
    ),
    path("datasets/<int:dataset_id>/reviews/", ReviewListApi.as_view(), name="review-list"),
    path("datasets/<int:dataset_id>/reviews/next/", ReviewNextApi.as_view(), name="review-next"),
    path("datasets/<int:dataset_id>/agreement/", AgreementApi.as_view(), name="agreement"),
    path("datasets/<int:dataset_id>/overview/", DatasetOverviewApi.as_view(), name="overview"),
    path("datasets/<int:dataset_id>/gaps/", DatasetGapsApi.as_view(), name="dataset-gaps"),
    path("datasets/<int:dataset_id>/compare/", CompareApi.as_view(), name="compare"),
    path(
        "datasets/<int:dataset_id>/caption-sources/",
        CaptionSourcesApi.as_view(),
        name="caption-sources",
    ),
    path("datasets/<int:dataset_id>/items/count/", ItemCountApi.as_view(), name="item-count"),
    path(
        "datasets/<int:dataset_id>/items/prioritise/",
        ItemsPrioritiseApi.as_view(),
        name="items-prioritise",
    ),
    path("reviews/<int:review_id>/", ReviewDetailApi.as_view(), name="review"),
    path("reviews/<int:review_id>/resolve/", ReviewResolveApi.as_view(), name="review-resolve"),
    path(
        "reviews/<int:review_id>/send-back/",
        ReviewSendBackApi.as_view(),
        name="review-send-back",
    ),
    path("exports/", ExportCreateApi.as_view(), name="export-create"),
    path("exports/<int:export_id>/", ExportDetailApi.as_view(), name="export"),
    re_path(
        r"^exports/(?P<export_id>[0-9]+)/files/(?P<name>[A-Za-z0-9_./-]+)$",
        ExportFileApi.as_view(),
        name="export-file",
    ),
    path("jobs/", JobCreateApi.as_view(), name="job-create"),
    path("jobs/<int:job_id>/", JobDetailApi.as_view(), name="job"),
    path("jobs/<int:job_id>/cancel/", JobCancelApi.as_view(), name="job-cancel"),
    path(
        "datasets/<int:dataset_id>/memberships/",
        MembershipListApi.as_view(),
        name="membership-list",
    ),
    path("memberships/<int:membership_id>/", MembershipDetailApi.as_view(), name="membership"),
    path(
        "datasets/<int:dataset_id>/audit-events/",
        DatasetAuditApi.as_view(),
        name="dataset-audit-events",
    ),
    path("datasets/<int:dataset_id>/queue/next/", QueueNextApi.as_view(), name="queue-next"),
    path("annotations/<int:annotation_id>/", AnnotationDetailApi.as_view(), name="annotation"),
    path(
        "annotations/<int:annotation_id>/submit/",
        AnnotationSubmitApi.as_view(),
        name="annotation-submit",
    ),
    path(
        "annotations/<int:annotation_id>/skip/", AnnotationSkipApi.as_view(), name="annotation-skip"
    ),
    path(
        "annotations/<int:annotation_id>/release/",
        AnnotationReleaseApi.as_view(),
        name="annotation-release",
    ),
    path("items/<int:item_id>/", ItemDetailApi.as_view(), name="item-detail"),
    path("items/<int:item_id>/audit-events/", ItemAuditApi.as_view(), name="item-audit-events"),
    path("items/<int:item_id>/captions/", CaptionHistoryApi.as_view(), name="item-captions"),
    path("items/<int:item_id>/metrics/", ItemMetricsApi.as_view(), name="item-metrics"),
    path("items/<int:item_id>/gaps/", ItemGapsApi.as_view(), name="item-gaps"),
    path("items/<int:item_id>/suggestions/", ItemSuggestionsApi.as_view(), name="item-suggestions"),
    re_path(
        r"^items/(?P<item_id>[0-9]+)/image/(?P<kind>original|preview|thumbnail)/$",
        ItemImageApi.as_view(),
        name="item-image",
    ),
    *auth_urlpatterns,
]
