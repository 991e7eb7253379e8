"""What the import parsers produce: one ``ImportRecord`` per usable item, one ``RecordError`` per
record or file that cannot be used.

These are plain frozen dataclasses so that the service storing them depends on nothing but this
module, and so that tests can compare whole records with ``==``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

# The fact kinds of the domain model (ARCHITECTURE.md section 4), spelled as identifiers.
FACT_KINDS: frozenset[str] = frozenset(
    {"object", "attribute", "relation", "count", "text_in_image", "scene", "world_knowledge"}
)

# A caption longer than this is almost certainly a concatenation or a dump, not a caption.
MAX_CAPTION_CHARS = 20_000
# The same bound for the other free-text fields (questions, answers, fact subject, predicate and
# value): none of them has a reason to be longer than a caption.
MAX_TEXT_CHARS = MAX_CAPTION_CHARS
# External ids and entity keys are identifiers; derived ids are relative paths, which
# ``paths.resolve_under`` already limits to 1024 characters.
MAX_KEY_CHARS = 1024
# One JSONL line or one sidecar JSON file; a larger record is refused without being parsed, so
# a broken file (a whole dataset on one line) cannot exhaust memory.
MAX_RECORD_BYTES = 8 * 1024 * 1024


class ErrorCode(enum.StrEnum):
    """The machine-readable ``RecordError.code`` values. Members compare equal to plain strings.

    Content problems in a string use ``invalid_text``/``text_too_long`` wherever the string sits.
    Shape problems (wrong JSON type, missing field) name the part that is wrong: the record
    (``invalid_record``), one fact (``invalid_fact``), one question/answer pair (``invalid_vqa``).
    """

    # A line or file is not JSON (syntax, not UTF-8, NaN/Infinity, nested too deeply).
    INVALID_JSON = "invalid_json"
    # The record (or the file's top level) has the wrong shape: not an object, a field of the
    # wrong type, a required field missing, a duplicate id inside one COCO file.
    INVALID_RECORD = "invalid_record"
    # A string holds a NUL character or a lone surrogate, or is empty where text is required.
    INVALID_TEXT = "invalid_text"
    # A string is longer than its limit (MAX_CAPTION_CHARS, MAX_TEXT_CHARS or MAX_KEY_CHARS).
    TEXT_TOO_LONG = "text_too_long"
    # One fact is not an object, misses a field, has an unknown kind or a bad confidence/entity.
    INVALID_FACT = "invalid_fact"
    # A fact span is not two integers with 0 <= start < end <= len(caption).
    INVALID_SPAN = "invalid_span"
    # One question/answer pair is not an object, misses a field, or has an empty side.
    INVALID_VQA = "invalid_vqa"
    # The image file does not exist (or is not a regular file) under the import root.
    IMAGE_MISSING = "image_missing"
    # An image or sidecar path is malformed or leaves the import root (see paths.resolve_under).
    PATH_OUTSIDE_ROOT = "path_outside_root"
    # A line or sidecar is larger than MAX_RECORD_BYTES.
    RECORD_TOO_LARGE = "record_too_large"
    # A source path is neither a folder nor a file format we read, or a JSON of no known shape.
    UNSUPPORTED_SOURCE = "unsupported_source"
    # A source path does not exist or cannot be read (permissions, I/O error).
    UNREADABLE_SOURCE = "unreadable_source"
    # A VQA v2 question has no answer in the given annotations files.
    VQA_ANSWER_MISSING = "vqa_answer_missing"


@dataclass(frozen=True, slots=True)
class FactRecord:
    """One fact about the caption's image.

    ``kind`` is one of FACT_KINDS. ``span`` is ``(start, end)`` in Unicode code points (Python
    string indices, not UTF-16 units or bytes) into the record's caption, with
    ``0 <= start < end <= len(caption)``. ``entity_key`` links to a knowledge-base entity by its
    key; ``confidence`` is in [0, 1].
    """

    kind: str
    subject: str
    predicate: str
    value: str
    span: tuple[int, int] | None = None
    entity_key: str | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class VqaRecord:
    """One question about the image and its answer, both stripped and non-empty."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One image with what the source says about it.

    ``external_id`` is the source's id for the item, as a string (integer ids are written in
    decimal). When a source gives no usable id (missing, null or blank), the id is derived
    deterministically: the image path relative to the import root, in POSIX form with ``.``
    segments and repeated slashes removed (``"./images//a.jpg"`` -> ``"images/a.jpg"``), so that
    re-importing the same file yields the same ids.

    ``image_path`` is absolute, has every symlink resolved, and lies inside the import root; the
    parsers check that it is a regular file but never open it. ``caption`` is None when the source
    has none; a blank caption counts as none. ``source`` locates the record for error reports:
    ``"data.jsonl:12"`` (line, 1-based), ``"captions.json:images[3]"`` (JSON index, 0-based),
    ``"photos/cats/a.jpg"`` (image folder).
    """

    external_id: str
    image_path: Path
    caption: str | None
    facts: tuple[FactRecord, ...]
    vqa: tuple[VqaRecord, ...]
    metadata: dict[str, Any]
    source: str


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record, part of a record, or a whole source that cannot be imported.

    The import goes on after it. ``source`` has the same form as ``ImportRecord.source``, or is
    just the file name for a problem with a whole file. ``code`` is an ErrorCode value; ``message``
    is meant for people and quotes offending input with ``repr`` (so it never contains NUL or
    lone surrogates itself) and truncated.
    """

    source: str
    code: str
    message: str


ImportResult: TypeAlias = ImportRecord | RecordError
