"""Parsing and validation shared by every format: JSON, text, ids, captions, facts, VQA pairs,
metadata and image paths.

Each ``parse_*`` function takes a value straight from ``json.loads`` (typed ``object``, because a
file may hold anything) and either returns a typed value or raises ``InvalidRecord``. A reader
catches ``InvalidRecord`` around one record and turns it into a ``RecordError`` for that record,
so one bad record never stops the others.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from annotations.importers.paths import PathOutsideRoot, normalize_relative, resolve_under
from annotations.importers.records import (
    FACT_KINDS,
    MAX_CAPTION_CHARS,
    MAX_KEY_CHARS,
    MAX_TEXT_CHARS,
    ErrorCode,
    FactRecord,
    ImportResult,
    RecordError,
    VqaRecord,
)

# Postgres text and jsonb refuse NUL, and a lone surrogate cannot be encoded as UTF-8 at all.
# json.loads joins valid surrogate pairs into one code point, so any surrogate left in a string
# is a lone one.
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")

# The folder next to a JSON file where COCO, LLaVA and VQA v2 datasets usually keep their images.
IMAGES_SUBFOLDER = "images"


class InvalidRecord(Exception):
    """One record, or one part of it, cannot be imported."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def at(self, source: str) -> RecordError:
        return RecordError(source=source, code=self.code, message=self.message)


def quote(value: str, limit: int = 80) -> str:
    """Quote user input for a message: ``repr`` escapes NUL and surrogates; long input is cut."""
    if len(value) > limit:
        return repr(value[:limit]) + "..."
    return repr(value)


def display(text: str) -> str:
    """Make a file name storable in a message or source: undecodable bytes become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _reject_constant(name: str) -> NoReturn:
    # Python's json accepts NaN and Infinity, which are not JSON and which Postgres jsonb refuses.
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing those too large for one (``1e400`` would become
    infinity, which Postgres's jsonb cannot store)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is too large")
    return value


def loads_json(data: str | bytes, *, line_number: int | None = None) -> Any:
    """Parse strict JSON (no NaN/Infinity). Raises InvalidRecord(invalid_json).

    ``line_number`` is the line of a JSONL file that ``data`` came from, for the message.
    """
    where = f" on line {line_number}" if line_number is not None else ""
    try:
        return json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        position = (
            f"column {error.colno}"
            if line_number is not None
            else f"line {error.lineno} column {error.colno}"
        )
        raise InvalidRecord(
            ErrorCode.INVALID_JSON, f"invalid JSON{where}: {error.msg} at {position}"
        ) from None
    except ValueError as error:
        # Not UTF-8, NaN/Infinity, or an integer beyond Python's digit limit.
        raise InvalidRecord(ErrorCode.INVALID_JSON, f"invalid JSON{where}: {error}") from None
    except RecursionError:
        raise InvalidRecord(
            ErrorCode.INVALID_JSON, f"invalid JSON{where}: nested too deeply"
        ) from None


def check_text(value: str, *, field: str, max_chars: int | None) -> str:
    """Return ``value`` if it is storable text no longer than ``max_chars``.

    Raises InvalidRecord(invalid_text) for a NUL character or a lone surrogate, and
    InvalidRecord(text_too_long) past the limit.
    """
    match = _UNSTORABLE_CHARACTER.search(value)
    if match is not None:
        character = match.group()
        what = (
            "a NUL character"
            if character == "\x00"
            else f"a lone surrogate (U+{ord(character):04X}), which is not valid Unicode"
        )
        raise InvalidRecord(
            ErrorCode.INVALID_TEXT, f"{field} contains {what} at index {match.start()}"
        )
    if max_chars is not None and len(value) > max_chars:
        raise InvalidRecord(
            ErrorCode.TEXT_TOO_LONG,
            f"{field} has {len(value)} characters; the limit is {max_chars}",
        )
    return value


def parse_external_id(value: object, *, field: str = "id") -> str | None:
    """A string or integer id as a string; None when missing, null or blank (derive one then)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"{field} must be a string or an integer, not {json_type(value)}",
        )
    if not value.strip():
        return None
    return check_text(value, field=field, max_chars=MAX_KEY_CHARS)


def parse_caption(value: object, *, field: str = "caption", strip: bool) -> str | None:
    """A caption, or None when missing, null or blank.

    ``strip`` is False for formats whose facts carry spans (JSONL, sidecar JSON): the spans index
    into the caption exactly as written.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be a string or null, not {json_type(value)}"
        )
    if not value.strip():
        return None
    caption = value.strip() if strip else value
    return check_text(caption, field=field, max_chars=MAX_CAPTION_CHARS)


def parse_vqa_text(value: object, *, field: str) -> str:
    """A question or an answer: a string, stripped, non-empty. Raises InvalidRecord."""
    if not isinstance(value, str):
        raise InvalidRecord(
            ErrorCode.INVALID_VQA, f"{field} must be a string, not {json_type(value)}"
        )
    text = value.strip()
    if not text:
        raise InvalidRecord(ErrorCode.INVALID_VQA, f"{field} is empty")
    return check_text(text, field=field, max_chars=MAX_TEXT_CHARS)


def parse_vqa_pair(
    question: object, answer: object, *, question_field: str, answer_field: str
) -> VqaRecord:
    """A question/answer pair; the field names say where each side came from in messages."""
    return VqaRecord(
        question=parse_vqa_text(question, field=question_field),
        answer=parse_vqa_text(answer, field=answer_field),
    )


def parse_vqa_list(value: object, *, field: str = "vqa") -> tuple[VqaRecord, ...]:
    """``[{"question": ..., "answer": ...}, ...]``; missing or null is no pairs."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be an array, not {json_type(value)}"
        )
    pairs: list[VqaRecord] = []
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise InvalidRecord(
                ErrorCode.INVALID_VQA, f"{item_field} must be an object, not {json_type(item)}"
            )
        pairs.append(
            parse_vqa_pair(
                item.get("question"),
                item.get("answer"),
                question_field=f"{item_field}.question",
                answer_field=f"{item_field}.answer",
            )
        )
    return tuple(pairs)


def _fact_text(fact: Mapping[str, Any], name: str, *, field: str) -> str:
    value = fact.get(name)
    if not isinstance(value, str):
        raise InvalidRecord(
            ErrorCode.INVALID_FACT, f"{field}.{name} must be a string, not {json_type(value)}"
        )
    return check_text(value, field=f"{field}.{name}", max_chars=MAX_TEXT_CHARS)


def _parse_span(value: object, caption: str, *, field: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(bound, int) and not isinstance(bound, bool) for bound in value)
    ):
        raise InvalidRecord(
            ErrorCode.INVALID_SPAN, f"{field}.span must be [start, end], two integers"
        )
    start, end = value
    if not 0 <= start < end <= len(caption):
        raise InvalidRecord(
            ErrorCode.INVALID_SPAN,
            f"{field}.span [{start}, {end}] must satisfy 0 <= start < end <= {len(caption)} "
            "(the caption's length in characters)",
        )
    return (start, end)


def _parse_confidence(value: object, *, field: str) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise InvalidRecord(
            ErrorCode.INVALID_FACT, f"{field}.confidence must be a number from 0 to 1"
        )
    return float(value)


def parse_fact(value: object, caption: str, *, field: str) -> FactRecord:
    """One fact object: ``kind``, ``subject``, ``predicate``, ``value`` (strings, the subject not
    blank), optional ``span`` ``[start, end]``, ``entity`` (a key) and ``confidence`` (0 to 1).
    Other keys are ignored."""
    if not isinstance(value, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_FACT, f"{field} must be an object, not {json_type(value)}"
        )
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in FACT_KINDS:
        shown = quote(kind) if isinstance(kind, str) else json_type(kind)
        raise InvalidRecord(
            ErrorCode.INVALID_FACT,
            f"{field}.kind must be one of {', '.join(sorted(FACT_KINDS))}; got {shown}",
        )
    subject = _fact_text(value, "subject", field=field)
    if not subject.strip():
        raise InvalidRecord(ErrorCode.INVALID_FACT, f"{field}.subject is empty")
    predicate = _fact_text(value, "predicate", field=field)
    fact_value = _fact_text(value, "value", field=field)
    span = _parse_span(value.get("span"), caption, field=field)
    entity = value.get("entity")
    if entity is not None and not (isinstance(entity, str) and entity.strip()):
        raise InvalidRecord(
            ErrorCode.INVALID_FACT, f"{field}.entity must be a non-empty string or null"
        )
    if entity is not None:
        check_text(entity, field=f"{field}.entity", max_chars=MAX_KEY_CHARS)
    confidence = _parse_confidence(value.get("confidence"), field=field)
    return FactRecord(
        kind=kind,
        subject=subject,
        predicate=predicate,
        value=fact_value,
        span=span,
        entity_key=entity,
        confidence=confidence,
    )


def parse_facts(
    value: object, caption: str | None, *, field: str = "facts"
) -> tuple[FactRecord, ...]:
    """An array of fact objects; missing or null is no facts. Facts belong to a caption, so a
    record with facts must have one (spans are checked against it)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be an array, not {json_type(value)}"
        )
    if not value:
        return ()
    if caption is None:
        raise InvalidRecord(
            ErrorCode.INVALID_FACT, f"{field} need a caption to attach to; this record has none"
        )
    return tuple(
        parse_fact(item, caption, field=f"{field}[{index}]") for index, item in enumerate(value)
    )


def check_json_text(value: object, *, field: str) -> None:
    """Check every key and string inside a parsed JSON value for NUL and lone surrogates.

    Iterative, because the value may be nested as deeply as json.loads allows.
    """
    pending: list[tuple[str, object]] = [(field, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            check_text(item, field=where, max_chars=None)
        elif isinstance(item, list):
            pending.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                # Keys from json.loads are always strings.
                check_text(str(key), field=f"{where} key", max_chars=None)
                pending.append((f"{where}.{key}", child))


def parse_metadata(value: object, *, field: str = "metadata") -> dict[str, Any]:
    """A JSON object of free-form metadata; missing or null is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"{field} must be an object, not {json_type(value)}"
        )
    check_json_text(value, field=field)
    return value


def extra_fields(entry: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The keys of ``entry`` outside ``known``, in file order, checked like metadata."""
    extras = {key: child for key, child in entry.items() if key not in known}
    for key, child in extras.items():
        check_text(key, field="a key", max_chars=None)
        check_json_text(child, field=key)
    return extras


def load_json_document(path: Path) -> Any:
    """Read and parse a whole JSON file. Raises InvalidRecord (unreadable_source, invalid_json)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidRecord(
            ErrorCode.UNREADABLE_SOURCE, f"cannot be read: {error.strerror}"
        ) from None
    # Bytes, so json detects a UTF-8 byte-order mark (and UTF-16/32, which JSON allows).
    return loads_json(data)


def read_document_of_kind(
    path: Path,
    is_kind: Callable[[Any], bool],
    expected: str,
    records: Callable[[Path, Any], Iterator[ImportResult]],
) -> Iterator[ImportResult]:
    """Parse the JSON file at ``path`` and hand it to ``records`` if ``is_kind`` accepts it.

    An unreadable or malformed file, or one of another shape (``expected`` says which shape was
    wanted), yields one RecordError for the whole file.
    """
    name = display(path.name)
    try:
        document = load_json_document(path)
    except InvalidRecord as invalid:
        yield invalid.at(name)
        return
    if not is_kind(document):
        yield RecordError(name, ErrorCode.UNSUPPORTED_SOURCE, expected)
        return
    yield from records(path, document)


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    path: Path
    # The given path in canonical form: what a derived external id is made of.
    relative: str


def _is_regular_file(path: Path, *, field: str, given: str) -> bool:
    try:
        return path.is_file()
    except OSError as error:
        raise InvalidRecord(
            ErrorCode.IMAGE_MISSING, f"{field} {quote(given)} cannot be read: {error.strerror}"
        ) from None


def resolve_image(
    root: Path, value: object, *, field: str = "image", fallback_folder: str | None = None
) -> ResolvedImage:
    """Resolve an image path given by an import file to an existing file inside ``root``.

    With ``fallback_folder``, a path not found under ``root`` is looked for again under
    ``root/fallback_folder``. Raises InvalidRecord: ``invalid_record`` when the value is not a
    non-empty string, ``invalid_text`` for NUL or lone surrogates, ``path_outside_root`` (see
    paths.resolve_under), ``image_missing`` when no regular file is there.
    """
    if not isinstance(value, str) or not value:
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"{field} must be a non-empty string, not "
            + ("an empty string" if value == "" else json_type(value)),
        )
    check_text(value, field=field, max_chars=None)
    try:
        relative = normalize_relative(value)
        path = resolve_under(root, value)
    except PathOutsideRoot as error:
        raise InvalidRecord(ErrorCode.PATH_OUTSIDE_ROOT, f"{field}: {error}") from None
    if _is_regular_file(path, field=field, given=value):
        return ResolvedImage(path=path, relative=relative)
    where = "the import folder"
    if fallback_folder is not None:
        where = f"the import folder or its {fallback_folder}/ subfolder"
        try:
            fallback_path = resolve_under(root, f"{fallback_folder}/{relative}")
        except PathOutsideRoot as error:
            raise InvalidRecord(ErrorCode.PATH_OUTSIDE_ROOT, f"{field}: {error}") from None
        if _is_regular_file(fallback_path, field=field, given=value):
            return ResolvedImage(path=fallback_path, relative=relative)
    raise InvalidRecord(ErrorCode.IMAGE_MISSING, f"{field} {quote(value)} is not a file in {where}")


@dataclass(frozen=True, slots=True)
class RecordFields:
    """The fields a JSONL line and a sidecar JSON share, parsed."""

    external_id: str | None
    caption: str | None
    facts: tuple[FactRecord, ...]
    vqa: tuple[VqaRecord, ...]
    metadata: dict[str, Any]


def parse_record_fields(
    record: Mapping[str, Any], *, default_caption: str | None = None
) -> RecordFields:
    """Parse ``id``, ``caption``, ``facts``, ``vqa`` and ``metadata`` of one record object.

    ``default_caption`` stands in when the record has no caption of its own. Captions are kept
    exactly as written (not stripped) because fact spans index into them. Checked in that order;
    the first problem is raised as InvalidRecord.
    """
    external_id = parse_external_id(record.get("id"))
    caption = parse_caption(record.get("caption"), strip=False)
    if caption is None:
        caption = default_caption
    facts = parse_facts(record.get("facts"), caption)
    vqa = parse_vqa_list(record.get("vqa"))
    metadata = parse_metadata(record.get("metadata"))
    return RecordFields(
        external_id=external_id, caption=caption, facts=facts, vqa=vqa, metadata=metadata
    )
