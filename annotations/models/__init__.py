"""Data and single-row invariants, one module per aggregate."""

from annotations.models.audit import AuditAction, AuditEvent
from annotations.models.datasets import Dataset, DatasetStat, Membership
from annotations.models.idempotency import IdempotencyRecord
from annotations.models.items import Caption, Fact, FactSuggestion, Item, VqaPair
from annotations.models.jobs import ApiToken, Export, Job, JobChunk, JobResult
from annotations.models.knowledge import Entity, KnowledgeBase
from annotations.models.work import Annotation, Review

__all__ = [
    "Annotation",
    "ApiToken",
    "AuditAction",
    "AuditEvent",
    "Caption",
    "Dataset",
    "DatasetStat",
    "Entity",
    "Export",
    "Fact",
    "FactSuggestion",
    "IdempotencyRecord",
    "Item",
    "Job",
    "JobChunk",
    "JobResult",
    "KnowledgeBase",
    "Membership",
    "Review",
    "VqaPair",
]
