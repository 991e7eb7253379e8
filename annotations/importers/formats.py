"""Dispatch import sources to the reader for their format.

Each reader lives in its own module and documents its format with an example:
image_folder.read_image_folder, jsonl.read_jsonl, coco.read_coco_captions, llava.read_llava,
vqa_v2.read_vqa_v2.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from annotations.importers.coco import coco_caption_records, is_coco_captions
from annotations.importers.fields import InvalidRecord, display, load_json_document, quote
from annotations.importers.image_folder import read_image_folder
from annotations.importers.jsonl import read_jsonl
from annotations.importers.llava import is_llava, llava_records
from annotations.importers.records import ErrorCode, ImportResult, RecordError
from annotations.importers.vqa_v2 import (
    VqaV2Pairing,
    is_vqa_v2_annotations,
    is_vqa_v2_questions,
)

EXPECTED_SOURCE = (
    "expected a folder of images, a .jsonl file, or a .json file "
    "(COCO captions, LLaVA conversations, VQA v2 questions or annotations)"
)
EXPECTED_JSON = (
    "expected COCO captions (an object with 'images' and 'annotations'), LLaVA conversations "
    "(an array of objects with 'image' and 'conversations'), a VQA v2 questions file (an object "
    "with 'questions') or a VQA v2 annotations file (an object with 'annotations')"
)


def read_sources(paths: Sequence[Path]) -> Iterator[ImportResult]:
    """Read every source in ``paths`` and yield its records and errors, one at a time.

    Each path is recognised by what it is:

    - a folder: a folder of images (image_folder.read_image_folder);
    - ``*.jsonl``: JSONL records (jsonl.read_jsonl);
    - ``*.json``: parsed whole, then recognised by its top level: an object with ``images`` and
      ``annotations`` is COCO captions (coco.read_coco_captions); an array is LLaVA
      conversations (llava.read_llava); an object with ``questions`` is a VQA v2 questions
      file, one with ``annotations`` (and no ``images``) a VQA v2 annotations file
      (vqa_v2.read_vqa_v2). Suffixes are compared case-insensitively.

    Sources are read in the given order, except VQA v2: its questions and annotations files may
    come in any order, so their records come after every other source's, once all files have
    been seen (errors in their entries come when each file is read). A missing path yields
    ``unreadable_source``, any other kind of file ``unsupported_source``, a JSON document of no
    known shape ``unsupported_source`` saying what was expected. Nothing here raises for bad
    input: every problem is a RecordError in the stream.
    """
    pairing = VqaV2Pairing()
    for path in paths:
        yield from _read_source(path, pairing)
    yield from pairing.records()


def _read_source(path: Path, pairing: VqaV2Pairing) -> Iterator[ImportResult]:
    name = display(path.name or str(path))
    try:
        is_folder = path.is_dir()
        exists = is_folder or path.exists()
    except OSError as error:
        yield RecordError(name, ErrorCode.UNREADABLE_SOURCE, f"cannot be read: {error.strerror}")
        return
    if is_folder:
        yield from read_image_folder(path)
        return
    if not exists:
        yield RecordError(name, ErrorCode.UNREADABLE_SOURCE, "no such file or folder")
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from read_jsonl(path)
        return
    if suffix != ".json":
        got = f"a {quote(path.suffix)} file" if path.suffix else "a file without a suffix"
        yield RecordError(name, ErrorCode.UNSUPPORTED_SOURCE, f"{EXPECTED_SOURCE}; got {got}")
        return
    # In this function's frame only, so the document is freed when the source is done.
    try:
        document = load_json_document(path)
    except InvalidRecord as invalid:
        yield invalid.at(name)
        return
    if is_coco_captions(document):
        yield from coco_caption_records(path, document)
    elif is_llava(document):
        yield from llava_records(path, document)
    elif is_vqa_v2_questions(document):
        yield from pairing.add_questions(path, document)
    elif is_vqa_v2_annotations(document):
        yield from pairing.add_annotations(path, document)
    else:
        yield RecordError(name, ErrorCode.UNSUPPORTED_SOURCE, EXPECTED_JSON)
