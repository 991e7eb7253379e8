from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from annotations.models import AuditEvent, Entity, KnowledgeBase

pytestmark = pytest.mark.django_db

ESPRESSO = {
    "key": "espresso",
    "label": "Espresso",
    "aliases": ["caffè espresso"],
    "description": "Coffee brewed by forcing hot water through finely ground beans.",
    "facts": [{"subject": "espresso", "predicate": "originates in", "value": "Italy"}],
}
CAT = {"key": "domestic-cat", "label": "Cat", "aliases": [], "facts": []}


def write(path: Path, *lines: object) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    return path


def kb_import(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("kd_kb_import", "--kb", "Demo KB", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_entities_and_a_second_import_changes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "kb.jsonl", ESPRESSO, "", CAT)
    out, err = kb_import(source)
    kb = KnowledgeBase.objects.get(name="demo-kb")
    assert out == (
        f"Knowledge base demo-kb version {kb.version[:12]}: "
        "2 created, 0 updated, 0 unchanged, 0 rejected\n"
    )
    assert err == ""
    espresso = Entity.objects.get(knowledge_base=kb, key="espresso")
    assert (espresso.label, espresso.aliases, espresso.facts) == (
        "Espresso",
        ["caffè espresso"],
        [{"subject": "espresso", "predicate": "originates in", "value": "Italy"}],
    )
    assert AuditEvent.objects.filter(action="knowledge_base.import").count() == 1

    out, _ = kb_import(source)
    kb_again = KnowledgeBase.objects.get(name="demo-kb")
    assert kb_again.version == kb.version
    assert out.endswith("0 created, 0 updated, 2 unchanged, 0 rejected\n")
    assert Entity.objects.count() == 2
    assert AuditEvent.objects.filter(action="knowledge_base.import").count() == 1


def test_a_changed_entity_is_updated_and_the_version_moves(tmp_path: Path) -> None:
    kb_import(write(tmp_path / "v1.jsonl", ESPRESSO, CAT))
    first_version = KnowledgeBase.objects.get().version
    out, _ = kb_import(write(tmp_path / "v2.jsonl", {**CAT, "label": "Domestic cat"}))
    kb = KnowledgeBase.objects.get()
    assert out.endswith("0 created, 1 updated, 0 unchanged, 0 rejected\n")
    assert Entity.objects.get(key="domestic-cat").label == "Domestic cat"
    assert kb.version != first_version
    event = AuditEvent.objects.filter(action="knowledge_base.import").last()
    assert event is not None
    assert event.before == {"version": first_version}
    assert event.after is not None
    assert event.after["version"] == kb.version


def test_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    source = write(
        tmp_path / "kb.jsonl",
        "{not json",
        {"label": "No key"},
        {"key": "nul", "label": "bad\u0000label"},
        {"key": "f", "label": "F", "facts": [{"subject": "s", "predicate": "p"}]},
        CAT,
    )
    out, err = kb_import(source)
    assert out.endswith("1 created, 0 updated, 0 unchanged, 4 rejected\n")
    assert err.splitlines() == [
        "kb.jsonl:1: rejected: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "kb.jsonl:2: rejected: key must be a non-empty string",
        "kb.jsonl:3: rejected: label contains a NUL character",
        "kb.jsonl:4: rejected: fact 1 value must be a non-empty string",
    ]
    assert list(Entity.objects.values_list("key", flat=True)) == ["domestic-cat"]
