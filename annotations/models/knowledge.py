"""Imported knowledge: knowledge bases and their entities."""

from __future__ import annotations

from typing import Any

from django.db import models

from annotations.models.datasets import empty_dict


def empty_list() -> list[Any]:
    return []


class KnowledgeBase(models.Model):
    """A named set of entities; ``version`` is the hash of its imported content."""

    name = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    version = models.CharField(max_length=64, blank=True, help_text="sha256 of the content.")
    metadata = models.JSONField(default=empty_dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entity(models.Model):
    """One thing the knowledge base knows about, with its facts as subject-predicate-value."""

    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="entities"
    )
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=500)
    aliases = models.JSONField(default=empty_list, blank=True)
    description = models.TextField(blank=True)
    facts = models.JSONField(default=empty_list, blank=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(fields=["knowledge_base", "key"], name="entity_key_per_kb"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"
