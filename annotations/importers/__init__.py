"""Parsers that turn import files on disk into typed records. Plain Python: no Django imports.

``read_sources(paths)`` streams ``ImportRecord`` and ``RecordError`` values for folders of
images, JSONL, COCO captions, LLaVA conversations and VQA v2 files; the service that stores them
lives elsewhere. Image and sidecar paths are confined to their import root by
``paths.resolve_under``. Images are checked to exist, never opened: validating their content is
the storing side's job.
"""

from __future__ import annotations

from annotations.importers.coco import read_coco_captions
from annotations.importers.formats import read_sources
from annotations.importers.image_folder import IMAGE_SUFFIXES, read_image_folder
from annotations.importers.jsonl import read_jsonl
from annotations.importers.llava import is_description_request, read_llava
from annotations.importers.paths import PathOutsideRoot, normalize_relative, resolve_under
from annotations.importers.records import (
    FACT_KINDS,
    MAX_CAPTION_CHARS,
    MAX_KEY_CHARS,
    MAX_RECORD_BYTES,
    MAX_TEXT_CHARS,
    ErrorCode,
    FactRecord,
    ImportRecord,
    ImportResult,
    RecordError,
    VqaRecord,
)
from annotations.importers.vqa_v2 import read_vqa_v2

__all__ = [
    "FACT_KINDS",
    "IMAGE_SUFFIXES",
    "MAX_CAPTION_CHARS",
    "MAX_KEY_CHARS",
    "MAX_RECORD_BYTES",
    "MAX_TEXT_CHARS",
    "ErrorCode",
    "FactRecord",
    "ImportRecord",
    "ImportResult",
    "PathOutsideRoot",
    "RecordError",
    "VqaRecord",
    "is_description_request",
    "normalize_relative",
    "read_coco_captions",
    "read_image_folder",
    "read_jsonl",
    "read_llava",
    "read_sources",
    "read_vqa_v2",
    "resolve_under",
]
