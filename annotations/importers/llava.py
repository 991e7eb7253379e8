"""LLaVA conversations: one JSON array of ``{"id", "image", "conversations"}`` entries."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from annotations.importers.fields import (
    IMAGES_SUBFOLDER,
    InvalidRecord,
    display,
    extra_fields,
    json_type,
    parse_caption,
    parse_external_id,
    parse_vqa_pair,
    quote,
    read_document_of_kind,
    resolve_image,
)
from annotations.importers.records import (
    ErrorCode,
    ImportRecord,
    ImportResult,
    VqaRecord,
)

EXPECTED = "expected LLaVA conversations: an array of objects with 'image' and 'conversations'"

IMAGE_PLACEHOLDER = "<image>"
_ENTRY_KEYS = frozenset({"id", "image", "conversations"})
# "human"/"gpt" is the LLaVA spelling; "user"/"assistant" is the same thing in other exports.
_ROLES = {"human": "human", "user": "human", "gpt": "gpt", "assistant": "gpt"}

_THE = r"(?:(?:this|the|the given|the following|the provided) )?"
_PICTURE = r"(?:image|picture|photo|photograph)"
# A human turn asks for a description when, lower-cased, with whitespace collapsed, curly
# apostrophes straightened and trailing ". ? ! :" removed, it matches one of these entirely.
# Deliberately narrow: a question that merely mentions the image ("What is the man holding in
# this image?") stays a question, so nothing that is really VQA becomes a caption.
DESCRIPTION_REQUEST_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # "Describe this image.", "Describe the image concisely.", "Please describe the photo."
        rf"(?:please )?(?:briefly )?describe {_THE}{_PICTURE}"
        r"(?: (?:briefly|concisely|in detail|in a few words|in one sentence))?",
        # "Write a caption for this image.", "Provide a brief description of the given image."
        r"(?:please )?(?:write|generate|give|provide|create|produce)(?: me)? (?:a|an|one) "
        r"(?:(?:short|brief|concise|detailed|one-sentence) )?(?:caption|description)"
        rf"(?: (?:for|of) {_THE}{_PICTURE})?",
        # "Caption this image."
        rf"caption {_THE}{_PICTURE}",
        # "What is happening in this picture?", "What's shown in the photo?"
        rf"what(?: is|'s) (?:happening|shown|depicted|going on) in {_THE}{_PICTURE}",
        # "What is in the photo?"
        rf"what(?: is|'s) in {_THE}{_PICTURE}",
        # "What do you see in this image?"
        rf"what do you see in {_THE}{_PICTURE}",
    )
)


def is_description_request(question: str) -> bool:
    """Whether a human turn (``<image>`` already removed) asks for a caption; see
    DESCRIPTION_REQUEST_PATTERNS."""
    normalized = " ".join(question.replace("\u2019", "'").lower().split()).rstrip(" .?!:")
    return any(pattern.fullmatch(normalized) for pattern in DESCRIPTION_REQUEST_PATTERNS)


def is_llava(document: object) -> bool:
    """Whether a parsed JSON document has the shape of a LLaVA conversations file."""
    return isinstance(document, list) and (
        not document
        or any(isinstance(entry, dict) and "conversations" in entry for entry in document)
    )


def read_llava(path: Path) -> Iterator[ImportResult]:
    """Read a LLaVA conversations file (``llava_instruct_150k.json`` and the like)::

        [{"id": "000000033471", "image": "coco/000000033471.jpg",
          "conversations": [
            {"from": "human", "value": "<image>\\nDescribe this image."},
            {"from": "gpt", "value": "A bus parked by the curb."},
            {"from": "human", "value": "What color is the bus?"},
            {"from": "gpt", "value": "White and red."}]}]

    yields ``ImportRecord(external_id="000000033471", caption="A bus parked by the curb.",
    vqa=(VqaRecord("What color is the bus?", "White and red."),), metadata={}, ...)``.

    One record per entry, in file order. ``image`` is a relative path from the JSON file's folder
    (the import root), or from its ``images/`` subfolder when not found there; an entry without
    one (text-only conversations) is ``invalid_record``. ``id`` is optional (string or integer);
    without it the id is the ``image`` path in canonical form. The entry's other keys go to
    ``metadata["llava"]`` (absent when there are none).

    ``conversations`` alternate human (``"human"``/``"user"``) and gpt (``"gpt"``/``"assistant"``)
    turns, starting with human and ending with gpt; anything else is ``invalid_record``. Every
    ``<image>`` token is removed from human turns, and both sides are stripped. The first pair is
    the caption when its human turn asks for a description (is_description_request), otherwise a
    VQA pair; every later pair is a VQA pair. An empty side is ``invalid_vqa``. Sources:
    ``"llava.json:[0]"`` (0-based).
    """
    yield from read_document_of_kind(path, is_llava, EXPECTED, llava_records)


def llava_records(path: Path, document: Sequence[Any]) -> Iterator[ImportResult]:
    """The records of a LLaVA document already parsed from ``path``; see read_llava."""
    name = display(path.name)
    root = Path(os.path.realpath(path.parent))
    for index, entry in enumerate(document):
        source = f"{name}:[{index}]"
        try:
            yield _entry_record(root, entry, source=source)
        except InvalidRecord as invalid:
            yield invalid.at(source)


def _entry_record(root: Path, entry: object, *, source: str) -> ImportRecord:
    if not isinstance(entry, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"an entry must be an object, not {json_type(entry)}"
        )
    if "image" not in entry:
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            "the entry has no 'image'; text-only conversations cannot be imported",
        )
    image = resolve_image(root, entry["image"], field="image", fallback_folder=IMAGES_SUBFOLDER)
    external_id = parse_external_id(entry.get("id"))
    conversations = entry.get("conversations")
    if not isinstance(conversations, list):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"conversations must be an array, not {json_type(conversations)}",
        )
    caption, vqa = _caption_and_vqa(conversations)
    extras = extra_fields(entry, _ENTRY_KEYS)
    return ImportRecord(
        external_id=external_id if external_id is not None else image.relative,
        image_path=image.path,
        caption=caption,
        facts=(),
        vqa=vqa,
        metadata={"llava": extras} if extras else {},
        source=source,
    )


def _turn_text(turn: object, index: int) -> str:
    """The text of turn ``index``, after checking that its speaker is the one expected there."""
    field = f"conversations[{index}]"
    if not isinstance(turn, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be an object, not {json_type(turn)}"
        )
    speaker = turn.get("from")
    role = _ROLES.get(speaker) if isinstance(speaker, str) else None
    expected = "human" if index % 2 == 0 else "gpt"
    if role != expected:
        shown = quote(speaker) if isinstance(speaker, str) else json_type(speaker)
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"{field}.from must be a {expected} turn (turns alternate human, gpt); got {shown}",
        )
    value = turn.get("value")
    if not isinstance(value, str):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field}.value must be a string, not {json_type(value)}"
        )
    return value


def _caption_and_vqa(conversations: list[Any]) -> tuple[str | None, tuple[VqaRecord, ...]]:
    texts = [_turn_text(turn, index) for index, turn in enumerate(conversations)]
    if len(texts) % 2:
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"conversations[{len(texts) - 1}] is a human turn that has no gpt answer",
        )
    caption: str | None = None
    pairs: list[VqaRecord] = []
    for index in range(0, len(texts), 2):
        question = texts[index].replace(IMAGE_PLACEHOLDER, "").strip()
        answer_field = f"conversations[{index + 1}].value"
        if index == 0 and is_description_request(question):
            caption = parse_caption(texts[index + 1], field=answer_field, strip=True)
            if caption is None:
                raise InvalidRecord(ErrorCode.INVALID_VQA, f"{answer_field} is empty")
            continue
        pairs.append(
            parse_vqa_pair(
                question,
                texts[index + 1],
                question_field=f"conversations[{index}].value",
                answer_field=answer_field,
            )
        )
    return caption, tuple(pairs)
