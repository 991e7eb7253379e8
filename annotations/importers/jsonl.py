"""JSONL: one record object per line, read as a stream."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from annotations.importers import records
from annotations.importers.fields import (
    InvalidRecord,
    display,
    json_type,
    loads_json,
    parse_record_fields,
    resolve_image,
)
from annotations.importers.records import ErrorCode, ImportRecord, ImportResult, RecordError

_UTF8_BOM = b"\xef\xbb\xbf"
# How much of an overlong line is read at a time while skipping it.
_SKIP_CHUNK_BYTES = 1024 * 1024


def read_jsonl(path: Path) -> Iterator[ImportResult]:
    """Read a JSONL file, one record per line, holding one line in memory at a time.

    Each non-blank line is an object::

        {"id": "astronaut", "image": "images/astronaut.jpg",
         "caption": "The astronaut wears a white spacesuit.",
         "facts": [{"kind": "object", "subject": "astronaut", "predicate": "wears",
                    "value": "white spacesuit", "span": [4, 13], "entity": "eileen-collins",
                    "confidence": 0.9}],
         "vqa": [{"question": "What is she wearing?", "answer": "A spacesuit."}],
         "metadata": {"license": "public domain"}}

    ``image`` is required: a relative POSIX path from the JSONL file's folder, which is the
    import root (no ``images/`` fallback). ``id`` (string or integer) is optional; without it the
    id is the image path in canonical form (``"images/astronaut.jpg"``). ``caption``, ``facts``,
    ``vqa`` and ``metadata`` are optional. The caption is kept exactly as written, since spans
    index into it (code points); a blank caption counts as none, and facts need a caption. Fact
    ``kind`` is one of records.FACT_KINDS. Keys other than these are ignored.

    Blank lines are skipped and a UTF-8 byte-order mark at the start is allowed. A line that is
    not JSON yields ``invalid_json``; one over records.MAX_RECORD_BYTES yields
    ``record_too_large`` without being parsed; reading goes on with the next line. Sources are
    ``"name.jsonl:LINE"`` with 1-based line numbers. A file that cannot be opened yields one
    ``unreadable_source``; a read error mid-file yields one at the line reached and ends the file.
    """
    name = display(path.name)
    root = Path(os.path.realpath(path.parent))
    try:
        file = path.open("rb")
    except OSError as error:
        yield RecordError(name, ErrorCode.UNREADABLE_SOURCE, f"cannot open: {error.strerror}")
        return
    line_number = 0
    with file:
        try:
            for line_number, line in _numbered_lines(file):
                if line is None:
                    yield RecordError(
                        f"{name}:{line_number}",
                        ErrorCode.RECORD_TOO_LARGE,
                        f"line {line_number} is longer than {records.MAX_RECORD_BYTES} bytes",
                    )
                    continue
                if line_number == 1 and line.startswith(_UTF8_BOM):
                    line = line[len(_UTF8_BOM) :]
                if not line.strip():
                    continue
                source = f"{name}:{line_number}"
                try:
                    yield _parse_line(line, root=root, line_number=line_number, source=source)
                except InvalidRecord as invalid:
                    yield invalid.at(source)
        except OSError as error:
            yield RecordError(
                f"{name}:{line_number + 1}",
                ErrorCode.UNREADABLE_SOURCE,
                f"read failed: {error.strerror}",
            )


def _numbered_lines(file: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Yield (1-based line number, line bytes), or None for a line over MAX_RECORD_BYTES.

    Bytes, not text: only ``\\n`` ends a line (text mode would also split on ``\\r`` and
    ``str.splitlines`` on U+2028, both legal inside JSON strings).
    """
    limit = records.MAX_RECORD_BYTES
    line_number = 0
    while True:
        # One byte over the limit tells an overlong line from one that fits exactly.
        line = file.readline(limit + 1)
        if not line:
            return
        line_number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while True:
                rest = file.readline(_SKIP_CHUNK_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield line_number, None
        else:
            yield line_number, line


def _parse_line(line: bytes, *, root: Path, line_number: int, source: str) -> ImportRecord:
    try:
        # Without the line end, so error columns refer to this line.
        text = line.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRecord(
            ErrorCode.INVALID_JSON,
            f"invalid JSON on line {line_number}: not UTF-8 ({error.reason} at byte {error.start})",
        ) from None
    record = loads_json(text, line_number=line_number)
    if not isinstance(record, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"a line must hold an object, not {json_type(record)}"
        )
    # The image first: without it there is no item, whatever else the line says.
    image = resolve_image(root, record.get("image"), field="image")
    fields = parse_record_fields(record)
    return ImportRecord(
        external_id=fields.external_id if fields.external_id is not None else image.relative,
        image_path=image.path,
        caption=fields.caption,
        facts=fields.facts,
        vqa=fields.vqa,
        metadata=fields.metadata,
        source=source,
    )
