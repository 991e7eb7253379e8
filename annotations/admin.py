"""Every model in the Django admin. Captions, facts and audit events are read-only there, as
they are everywhere; deleting a dataset goes through the audited service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from annotations.models import (
    Annotation,
    ApiToken,
    AuditEvent,
    Caption,
    Dataset,
    DatasetStat,
    Entity,
    Export,
    Fact,
    FactSuggestion,
    IdempotencyRecord,
    Item,
    Job,
    JobChunk,
    JobResult,
    KnowledgeBase,
    Membership,
    Review,
    VqaPair,
)
from annotations.services.audit import Actor
from annotations.services.datasets import dataset_delete


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Browse and search only: no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline[Membership, Dataset]):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin[Dataset]):
    list_display = ["slug", "name", "annotators_per_item", "disagreement_threshold", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]
    readonly_fields = ["created_at", "created_by"]

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # Captions, facts, suggestions and running totals cannot be deleted one by one, but
        # deleting their whole dataset through dataset_delete is the sanctioned way, so their
        # read-only admins must not veto it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        immutable = {
            str(model._meta.verbose_name) for model in (Caption, Fact, FactSuggestion, DatasetStat)
        }
        return deleted, counts, set(perms_needed) - immutable, protected

    def delete_model(self, request: HttpRequest, obj: Dataset) -> None:
        dataset_delete(dataset=obj, actor=Actor.for_user(request.user))  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> None:
        for dataset in queryset:
            self.delete_model(request, dataset)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "dataset", "role", "created_at"]
    list_filter = ["role", "dataset"]
    raw_id_fields = ["user"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin[Item]):
    list_display = ["external_id", "dataset", "status", "width", "height", "created_at"]
    list_filter = ["status", "dataset"]
    search_fields = ["external_id", "image_sha256"]
    list_select_related = ["dataset"]
    raw_id_fields = ["current_caption", "import_job"]
    readonly_fields = ["image_sha256", "image_path", "width", "height", "mime", "byte_size"]
    show_full_result_count = False  # a COUNT(*) over a million items on every page is waste


class FactInline(admin.TabularInline[Fact, Caption]):
    model = Fact
    extra = 0
    can_delete = False
    fields = ("position", "kind", "subject", "predicate", "value", "span_start", "span_end")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Caption)
class CaptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "origin", "fact_count", "density", "created_at"]
    list_filter = ["origin"]
    list_select_related = ["item", "item__dataset"]
    search_fields = ["text"]
    inlines = [FactInline]
    show_full_result_count = False


@admin.register(Fact)
class FactAdmin(ReadOnlyAdmin):
    list_display = ["id", "caption", "kind", "subject", "predicate", "value", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["subject", "value"]
    show_full_result_count = False


@admin.register(DatasetStat)
class DatasetStatAdmin(ReadOnlyAdmin):
    """Running totals written by database triggers (annotations.selectors.stats)."""

    list_display = ("dataset", "stage", "key", "n", "total")
    list_filter = ("stage",)
    search_fields = ("key",)
    show_full_result_count = False


@admin.register(FactSuggestion)
class FactSuggestionAdmin(ReadOnlyAdmin):
    """Suggestions are written (and audited) through the API only."""

    list_display = ("item", "kind", "subject", "predicate", "value", "gap", "created_by")
    list_filter = ("gap", "kind")
    search_fields = ("subject", "value")
    list_select_related = ("item", "created_by")


@admin.register(VqaPair)
class VqaPairAdmin(admin.ModelAdmin[VqaPair]):
    list_display = ["question", "answer", "item", "origin", "is_supported"]
    list_filter = ["origin", "is_supported"]
    list_select_related = ["item", "item__dataset"]
    raw_id_fields = ["item"]
    search_fields = ["question", "answer"]


class EntityInline(admin.TabularInline[Entity, KnowledgeBase]):
    model = Entity
    extra = 0
    fields = ["key", "label", "description"]
    show_change_link = True


@admin.register(KnowledgeBase)
class KnowledgeBaseAdmin(admin.ModelAdmin[KnowledgeBase]):
    list_display = ["name", "version", "updated_at"]
    inlines = [EntityInline]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin[Entity]):
    list_display = ["key", "label", "knowledge_base"]
    list_filter = ["knowledge_base"]
    search_fields = ["key", "label"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin[Annotation]):
    list_display = ["id", "item", "annotator", "status", "version", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["item", "annotator", "base_caption", "result_caption"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    list_display = ["id", "item", "status", "disagreement", "created_at"]
    list_filter = ["status", "dataset"]
    raw_id_fields = ["item", "resolving_caption", "resolved_by"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ["id", "dataset", "kind", "status", "done", "failed", "total", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(JobChunk)
class JobChunkAdmin(admin.ModelAdmin[JobChunk]):
    list_display = ["id", "job", "sequence", "status", "attempts", "lease_expires_at"]
    list_filter = ["status"]


@admin.register(JobResult)
class JobResultAdmin(admin.ModelAdmin[JobResult]):
    list_display = ["id", "job", "item", "status"]
    list_filter = ["status"]
    raw_id_fields = ["item", "caption"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin[Export]):
    list_display = ["id", "dataset", "format", "record_count", "created_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "prefix", "user", "scopes", "expires_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A token's secret is shown once, by POST /api/v1/tokens/; the admin cannot make one.
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    search_fields = ["key"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action", "actor_type"]
    search_fields = ["target_id", "actor_label", "request_id"]
    show_full_result_count = False
