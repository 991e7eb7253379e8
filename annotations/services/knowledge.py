"""Importing a knowledge base from JSONL, idempotently, versioned by content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from annotations.models import AuditAction, Entity, KnowledgeBase
from annotations.services.audit import Actor, audit_record, canonical_json

MAX_LINE_ERRORS_REPORTED = 100


@dataclass
class KnowledgeBaseImportSummary:
    knowledge_base: KnowledgeBase
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _text(value: Any, name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{name} must be a non-empty string")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid Unicode text") from None
    return value.strip()


def parse_entity(record: Any) -> dict[str, Any]:
    """Validate one JSONL record into Entity fields; raises ValueError saying what is wrong."""
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    aliases = record.get("aliases") or []
    if not isinstance(aliases, list):
        raise ValueError("aliases must be a list of strings")
    facts = record.get("facts") or []
    if not isinstance(facts, list):
        raise ValueError("facts must be a list of {subject, predicate, value} objects")
    parsed_facts = []
    for number, fact in enumerate(facts, start=1):
        if not isinstance(fact, dict):
            raise ValueError(f"fact {number} must be an object")
        parsed_facts.append(
            {
                part: _text(fact.get(part), f"fact {number} {part}")
                for part in ("subject", "predicate", "value")
            }
        )
    return {
        "key": _text(record.get("key"), "key")[:200],
        "label": _text(record.get("label"), "label")[:500],
        "aliases": [_text(alias, "alias") for alias in aliases],
        "description": _text(record.get("description"), "description", required=False),
        "facts": parsed_facts,
    }


def knowledge_base_import(
    *, name: str, path: Path, actor: Actor, description: str = ""
) -> KnowledgeBaseImportSummary:
    """Create or update knowledge base ``name`` from a JSONL file of entities.

    Entities are matched by key; one whose content hash is unchanged is left alone, so
    importing the same file twice changes nothing. Bad lines are reported and skipped. The
    knowledge base's version is the hash of all its entities' hashes; a change is one audit event.
    """
    entities: dict[str, dict[str, Any]] = {}
    rejected: list[tuple[int, str]] = []
    with path.open("r", encoding="utf-8", errors="strict") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                fields = parse_entity(json.loads(line))
            except (ValueError, UnicodeDecodeError) as error:
                rejected.append((number, str(error)))
                continue
            fields["content_hash"] = hashlib.sha256(canonical_json(fields).encode()).hexdigest()
            entities[fields["key"]] = fields

    with transaction.atomic():
        knowledge_base, created_kb = KnowledgeBase.objects.select_for_update().get_or_create(
            name=name, defaults={"description": description}
        )
        summary = KnowledgeBaseImportSummary(knowledge_base, rejected=rejected)
        existing = {entity.key: entity for entity in knowledge_base.entities.all()}
        to_create, to_update = [], []
        for key, fields in entities.items():
            current = existing.get(key)
            if current is None:
                to_create.append(Entity(knowledge_base=knowledge_base, **fields))
            elif current.content_hash != fields["content_hash"]:
                for attribute, value in fields.items():
                    setattr(current, attribute, value)
                to_update.append(current)
            else:
                summary.unchanged += 1
        Entity.objects.bulk_create(to_create, batch_size=1000)
        Entity.objects.bulk_update(
            to_update,
            ["label", "aliases", "description", "facts", "content_hash", "updated_at"],
            batch_size=1000,
        )
        summary.created, summary.updated = len(to_create), len(to_update)
        hashes = sorted(knowledge_base.entities.values_list("content_hash", flat=True))
        version = hashlib.sha256("".join(hashes).encode()).hexdigest()
        if summary.changed or created_kb:
            previous_version = knowledge_base.version
            knowledge_base.version = version
            knowledge_base.save(update_fields=["version", "updated_at"])
            audit_record(
                actor=actor,
                action=AuditAction.KNOWLEDGE_BASE_IMPORT,
                target=knowledge_base,
                dataset_id=None,
                before={"version": previous_version},
                after={
                    "version": version,
                    "source": path.name,
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "rejected": len(rejected),
                },
            )
    return summary
