"""COCO captions: one JSON document with ``images`` and caption ``annotations``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
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
    quote,
    read_document_of_kind,
    resolve_image,
)
from annotations.importers.records import ErrorCode, ImportRecord, ImportResult, RecordError

EXPECTED = "expected a COCO captions file: an object with 'images' and 'annotations' arrays"

_IMAGE_KEYS = frozenset({"id", "file_name"})
# Sorts annotations: those with an integer id by id, then the others in file order; the file
# position breaks ties, so the order never depends on anything but the file.
_SortKey = tuple[int, int, int]


def is_coco_captions(document: object) -> bool:
    """Whether a parsed JSON document has the shape of a COCO annotations file."""
    return isinstance(document, dict) and "images" in document and "annotations" in document


def read_coco_captions(path: Path) -> Iterator[ImportResult]:
    """Read a COCO captions file (``captions_train2014.json`` and the like)::

        {"images": [{"id": 9, "file_name": "COCO_train2014_000000000009.jpg",
                     "width": 640, "height": 480, "license": 3, "coco_url": "http://..."}],
         "annotations": [{"id": 48, "image_id": 9, "caption": "A plate of food."},
                         {"id": 67, "image_id": 9, "caption": "Bread and broccoli. "}]}

    yields ``ImportRecord(external_id="9", caption="A plate of food.", metadata={"coco":
    {"width": 640, "height": 480, "license": 3, "coco_url": "http://..."},
    "alternate_captions": ["Bread and broccoli."]}, ...)``.

    One record per entry of ``images``, in file order. ``external_id`` is ``str(id)`` (integer or
    string ids; required; a repeated id is ``invalid_record``). ``file_name`` is a relative path
    from the JSON file's folder (the import root); when no file is there, it is looked for in the
    root's ``images/`` subfolder. Captions are stripped; the one with the lowest integer annotation
    ``id`` is the caption (annotations without an integer id follow in file order), the rest go to
    ``metadata["alternate_captions"]`` in that order (the key is absent when there are none). An
    image with no caption gets caption None. The image entry's other keys go to
    ``metadata["coco"]`` (absent when there are none).

    An annotation with no or an empty caption, or whose ``image_id`` is not among the images,
    yields its own error; its image is still imported. A file whose annotations carry no
    ``caption`` at all (an instances or keypoints file) yields one ``unsupported_source``.
    Sources: ``"captions.json:images[0]"``, ``"captions.json:annotations[1]"`` (0-based).
    """
    yield from read_document_of_kind(path, is_coco_captions, EXPECTED, coco_caption_records)


def coco_caption_records(path: Path, document: Mapping[str, Any]) -> Iterator[ImportResult]:
    """The records of a COCO captions document already parsed from ``path``; see
    read_coco_captions."""
    name = display(path.name)
    root = Path(os.path.realpath(path.parent))
    images = document["images"]
    annotations = document["annotations"]
    for key, value in (("images", images), ("annotations", annotations)):
        if not isinstance(value, list):
            yield RecordError(
                name, ErrorCode.INVALID_RECORD, f"'{key}' must be an array, not {json_type(value)}"
            )
            return
    if annotations and not any(
        isinstance(annotation, dict) and "caption" in annotation for annotation in annotations
    ):
        yield RecordError(
            name,
            ErrorCode.UNSUPPORTED_SOURCE,
            "no annotation has a 'caption' (an instances or keypoints file?); " + EXPECTED,
        )
        return

    # Grouped by image id (as a string, like external_id). The whole document is in memory
    # anyway; this index is small next to it.
    captions: dict[str, list[tuple[_SortKey, str]]] = {}
    for index, annotation in enumerate(annotations):
        try:
            image_key, sort_key, caption = _parse_annotation(annotation, index)
        except InvalidRecord as invalid:
            yield invalid.at(f"{name}:annotations[{index}]")
            continue
        captions.setdefault(image_key, []).append((sort_key, caption))

    seen: set[str] = set()
    for index, image in enumerate(images):
        source = f"{name}:images[{index}]"
        try:
            yield _image_record(root, image, captions, seen, source=source)
        except InvalidRecord as invalid:
            yield invalid.at(source)

    # Whatever no image claimed points at an image the file does not have.
    for image_key, entries in captions.items():
        for sort_key, _ in sorted(entries):
            yield RecordError(
                f"{name}:annotations[{sort_key[2]}]",
                ErrorCode.INVALID_RECORD,
                f"image_id {quote(image_key)} is not the id of any entry in 'images'",
            )


def _parse_annotation(annotation: object, index: int) -> tuple[str, _SortKey, str]:
    if not isinstance(annotation, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD,
            f"an annotation must be an object, not {json_type(annotation)}",
        )
    image_key = parse_external_id(annotation.get("image_id"), field="image_id")
    if image_key is None:
        raise InvalidRecord(ErrorCode.INVALID_RECORD, "image_id is missing")
    raw_caption = annotation.get("caption")
    if raw_caption is None:
        raise InvalidRecord(ErrorCode.INVALID_RECORD, "caption is missing")
    caption = parse_caption(raw_caption, strip=True)
    if caption is None:
        raise InvalidRecord(ErrorCode.INVALID_TEXT, "caption is empty")
    annotation_id = annotation.get("id")
    if isinstance(annotation_id, int) and not isinstance(annotation_id, bool):
        return image_key, (0, annotation_id, index), caption
    return image_key, (1, 0, index), caption


def _image_record(
    root: Path,
    image: object,
    captions: dict[str, list[tuple[_SortKey, str]]],
    seen: set[str],
    *,
    source: str,
) -> ImportRecord:
    if not isinstance(image, dict):
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"an image must be an object, not {json_type(image)}"
        )
    external_id = parse_external_id(image.get("id"))
    if external_id is None:
        raise InvalidRecord(ErrorCode.INVALID_RECORD, "id is missing")
    # Claimed before anything else can fail, so that a broken image entry does not make its
    # captions look like captions of an unknown image.
    entries = sorted(captions.pop(external_id, []))
    if external_id in seen:
        raise InvalidRecord(
            ErrorCode.INVALID_RECORD, f"id {quote(external_id)} is used by an earlier image"
        )
    seen.add(external_id)
    resolved = resolve_image(
        root, image.get("file_name"), field="file_name", fallback_folder=IMAGES_SUBFOLDER
    )
    extras = extra_fields(image, _IMAGE_KEYS)
    texts = [caption for _, caption in entries]
    metadata: dict[str, Any] = {}
    if extras:
        metadata["coco"] = extras
    if len(texts) > 1:
        metadata["alternate_captions"] = texts[1:]
    return ImportRecord(
        external_id=external_id,
        image_path=resolved.path,
        caption=texts[0] if texts else None,
        facts=(),
        vqa=(),
        metadata=metadata,
        source=source,
    )
