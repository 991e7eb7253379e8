"""The export record: one JSON object per item, the unit every export format is built from.

Plain Python, no Django. ``record.schema.json`` next to this module is the record's JSON Schema
(draft 2020-12), loaded as :data:`RECORD_SCHEMA`. A record looks like::

    {
      "id": "<external id>", "item_id": 123, "dataset": "demo", "status": "done",
      "image": {"path": "images/<sha256>.<ext>", "url": "/api/v1/items/123/image/original/",
                "width": 512, "height": 512, "mime": "image/jpeg", "sha256": "<64 hex>"},
      "caption": {"id": 9, "text": "...", "origin": "annotator", "author": "annotator-3f2a9c1d",
                  "model_name": "", "created_at": "2026-05-01T12:00:00+00:00", "parent_id": 4},
      "facts": [{"kind": "object", "subject": "dog", "predicate": "color", "value": "brown",
                 "span": [0, 5], "region": null, "source": "human", "confidence": 0.9,
                 "entity": {"key": "Q144", "label": "dog", "knowledge_base": "wikidata"},
                 "decided_by": "annotator-3f2a9c1d"}],
      "metrics": {"facts": 3, "words": 12, "density": 25.0, "coverage": 0.5,
                  "vqa_support": null},
      "vqa": [{"question": "...", "answer": "...", "origin": "import", "supported": true}],
      "provenance": {"caption_id": 9, "audit_event_ids": [1, 2], "review_id": null}
    }

Fields:

- ``id``: the item's external id; ``item_id``: its database id; ``dataset``: the dataset slug;
  ``status``: ``pending``, ``in_annotation``, ``in_review`` or ``done``.
- ``image``: ``path`` is where an export that carries image files puts the image
  (``images/<sha256>.<ext>``, the extension from ``mime``); ``url`` the API address of the
  original; ``sha256`` the hash of the image as it was received (the item's identity, not
  necessarily the hash of the stored bytes).
- ``caption``: the item's current caption version. ``origin`` is ``import``, ``model``,
  ``annotator``, ``consensus`` or ``adjudication``; ``author`` a pseudonym
  (``annotator-<8 hex>``), a username, or null when no person wrote it; ``model_name`` the
  model for model output (else empty); ``parent_id`` the version it was edited from.
- ``facts``: the caption's facts in order. ``span`` is ``[start, end)`` in characters of the
  caption text or null; ``region`` ``[x, y, width, height]`` in pixels or null; ``source`` is
  ``model``, ``knowledge_base``, ``human``, ``vqa`` or ``import``; ``confidence`` in [0, 1] or
  null; ``entity`` the linked knowledge-base entity or null; ``decided_by`` the pseudonym of the
  annotator whose decision kept the fact, or null.
- ``metrics``: ``facts`` (count), ``words``, ``density`` (facts per 100 words), ``coverage``
  and ``vqa_support`` (shares in [0, 1], null when the item has no reference facts or no VQA
  pairs).
- ``vqa``: the item's stored VQA pairs, ``origin`` ``import`` or ``derived``, ``supported``
  whether the caption supports the answer (null when not judged).
- ``provenance``: ``caption_id`` (equal to ``caption.id``), the ids of the audit events behind
  the caption, and the review that accepted it (or null).

Validation: :func:`validate_record` checks a record against the schema with ``jsonschema``,
pinned in the ``dev`` extra (the web app also has it, through drf-spectacular). It is imported
inside the function, so the format writers never need it; calling ``validate_record`` where it
is missing raises ``ModuleNotFoundError``. Beyond the schema it checks what JSON Schema cannot
say: spans lie inside the caption text with ``start < end``, and ``provenance.caption_id``
equals ``caption.id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Final

from annotations.enrichment.questions import questions_for_facts

SCHEMA_FILE: Final = "record.schema.json"


def _load_schema() -> dict[str, Any]:
    text = resources.files(__package__ or "annotations.exporters").joinpath(SCHEMA_FILE)
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


RECORD_SCHEMA: Final[dict[str, Any]] = _load_schema()


def record_json(record: Mapping[str, Any]) -> str:
    """The record as compact JSON: sorted keys, UTF-8 text (no ``\\u`` escapes), no NaN.

    Every format that carries the record as JSON uses this, so the same record has the same
    bytes in every export."""
    return json.dumps(
        record, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    )


def _schema_errors(record: Mapping[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(RECORD_SCHEMA)
    errors = sorted(validator.iter_errors(record), key=lambda error: list(error.absolute_path))
    messages = []
    for error in errors:
        where = "/".join(str(part) for part in error.absolute_path)
        messages.append(f"{where or '(record)'}: {error.message}")
    return messages


def _consistency_errors(record: Mapping[str, Any]) -> list[str]:
    caption = record["caption"]
    text_length = len(caption["text"])
    messages = []
    for index, fact in enumerate(record["facts"]):
        span = fact["span"]
        if span is not None and not (0 <= span[0] < span[1] <= text_length):
            messages.append(
                f"facts/{index}/span: {span} is not a non-empty range inside the caption text "
                f"({text_length} characters)"
            )
    if record["provenance"]["caption_id"] != caption["id"]:
        messages.append(
            f"provenance/caption_id: {record['provenance']['caption_id']} is not the caption's "
            f"id {caption['id']}"
        )
    return messages


def validate_record(record: Mapping[str, Any]) -> list[str]:
    """Why the record is not a valid export record; empty when it is.

    Each message starts with the JSON path of the offending value ("facts/0/kind: ...").
    Needs ``jsonschema`` (a dev dependency; see the module docstring)."""
    errors = _schema_errors(record)
    if errors:
        return errors
    return _consistency_errors(record)


def _fact_tuples(facts: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str, str, str]]:
    for fact in facts:
        yield (fact["kind"], fact["subject"], fact["predicate"], fact["value"])


def derived_vqa(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The VQA pairs the record's facts imply (``annotations.enrichment.questions``), in fact
    order, each (question, answer) once; ``origin`` is ``derived`` and ``supported`` null
    (nobody has judged them against the caption)."""
    return [
        {
            "question": generated.question,
            "answer": generated.answer,
            "origin": "derived",
            "supported": None,
        }
        for generated in questions_for_facts(_fact_tuples(record["facts"]))
    ]
