"""Export format writers: export records (``annotations.exporters.record``) to files a trainer
reads with its usual library.

Plain Python, no Django. Every writer takes an iterable of records and an output directory,
streams (it never holds all records or all images: JSON arrays, Parquet row groups and tar
shards are written as the records arrive) and returns the files it wrote, sorted by name, with
their sizes and SHA-256. Output is deterministic: the same records and images give the same
bytes (sorted JSON keys, no timestamps, fixed tar headers). The output directory should be new
or empty; files a writer did not write are neither removed nor listed.

========== ==================================================== ================================
format     files                                                read back with
========== ==================================================== ================================
jsonl      ``records.jsonl``: one record per line               ``json``
parquet    ``data/train-00000-of-0000N.parquet``: ``id``,       ``datasets.load_dataset(
           ``image`` (Image feature), ``caption``, ``facts``,   "parquet", data_files=...)``
           ``density``, ``coverage``, ``vqa_support``, ``vqa``,
           ``record`` (the record as JSON)
webdataset ``shards/shard-000000.tar``, ...: per item           ``webdataset.WebDataset(urls)``
           ``item-<id, 8 digits>.<ext>`` (image) and
           ``item-<id>.json`` (record)
llava      ``llava.json`` (array of conversations) and          LLaVA's training scripts
           ``images/<sha256>.<ext>``
coco       ``annotations/captions.json`` (COCO captions) and    ``pycocotools.coco.COCO``
           ``images/<sha256>.<ext>``
========== ==================================================== ================================

Image files are named by the record's image hash and the extension of its media type
(``image/jpeg`` -> ``jpg``), as in the record's ``image.path``; an image shared by several
records is written once. ``load_image`` gives the bytes of a record's image file; it is called
once per record for Parquet and WebDataset (which embed the image in each sample) and once per
distinct image for LLaVA and COCO.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from annotations.exporters.record import derived_vqa, record_json


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: its name relative to the output directory ("/" separated), its
    size in bytes and the SHA-256 of its content (hex)."""

    name: str
    bytes: int
    sha256: str


ImageLoader = Callable[[Mapping[str, Any]], bytes]
"""Gives the bytes of a record's image file."""

EXTENSION_BY_MIME: Final[dict[str, str]] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}

JSONL_FILE: Final = "records.jsonl"
PARQUET_FOLDER: Final = "data"
SHARDS_FOLDER: Final = "shards"
IMAGES_FOLDER: Final = "images"
LLAVA_FILE: Final = "llava.json"
COCO_FILE: Final = "annotations/captions.json"

LLAVA_PROMPT: Final = "<image>\nDescribe this image in detail."
COCO_INFO: Final[dict[str, str]] = {
    "description": "Image captions exported by KD Studio",
    "version": "1.0",
}

# A Parquet row group is written when it holds this many rows or this many image bytes,
# whichever comes first, so that memory stays bounded however large the images are.
PARQUET_ROW_GROUP_ROWS: Final = 100
PARQUET_ROW_GROUP_BYTES: Final = 64 * 1024 * 1024

_CHUNK: Final = 1024 * 1024
_SHA256: Final = re.compile(r"[0-9a-f]{64}")

# Hugging Face `datasets` features of the Parquet columns, stored in the Arrow schema metadata
# under "huggingface" so that `image` decodes to a PIL image.
_STRING: Final = {"dtype": "string", "_type": "Value"}
_FLOAT: Final = {"dtype": "float64", "_type": "Value"}
_INT: Final = {"dtype": "int64", "_type": "Value"}
HF_FEATURES: Final[dict[str, Any]] = {
    "id": _STRING,
    "image": {"_type": "Image"},
    "caption": _STRING,
    "facts": {
        "feature": {
            "kind": _STRING,
            "subject": _STRING,
            "predicate": _STRING,
            "value": _STRING,
            "source": _STRING,
            "confidence": _FLOAT,
            "span_start": _INT,
            "span_end": _INT,
            "entity": _STRING,
        },
        "_type": "List",
    },
    "density": _FLOAT,
    "coverage": _FLOAT,
    "vqa_support": _FLOAT,
    "vqa": {"feature": {"question": _STRING, "answer": _STRING}, "_type": "List"},
    "record": _STRING,
}

_FACT_TYPE: Final = pa.struct(
    [
        ("kind", pa.string()),
        ("subject", pa.string()),
        ("predicate", pa.string()),
        ("value", pa.string()),
        ("source", pa.string()),
        ("confidence", pa.float64()),
        ("span_start", pa.int64()),
        ("span_end", pa.int64()),
        ("entity", pa.string()),
    ]
)
PARQUET_SCHEMA: Final = pa.schema(
    [
        ("id", pa.string()),
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("caption", pa.string()),
        ("facts", pa.list_(_FACT_TYPE)),
        ("density", pa.float64()),
        ("coverage", pa.float64()),
        ("vqa_support", pa.float64()),
        ("vqa", pa.list_(pa.struct([("question", pa.string()), ("answer", pa.string())]))),
        ("record", pa.string()),
    ],
    metadata={"huggingface": json.dumps({"info": {"features": HF_FEATURES}})},
)
# Statistics of image bytes and whole records would only bloat the footer.
_PARQUET_STATISTICS: Final = ["id", "caption", "density", "coverage", "vqa_support"]


# --- shared helpers -------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    )


def _describe(out: Path, name: str) -> ExportFile:
    """The manifest entry of a written file, hashed from what is on disk."""
    digest = hashlib.sha256()
    size = 0
    with (out / name).open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return ExportFile(name=name, bytes=size, sha256=digest.hexdigest())


def _sorted(files: Iterable[ExportFile]) -> list[ExportFile]:
    return sorted(files, key=lambda file: file.name)


def image_file_name(record: Mapping[str, Any]) -> str:
    """``<sha256>.<ext>``: the record's image file name in exports that carry image files.

    Built from the hash and the media type only (never from a caller's path), so it cannot
    point outside the images folder. Raises ``ValueError`` for a malformed hash or a media type
    that is not an allowed image format."""
    image = record["image"]
    sha256, mime = image["sha256"], image["mime"]
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"record {record.get('id')!r}: image sha256 {sha256!r} is not 64 hex")
    extension = EXTENSION_BY_MIME.get(mime)
    if extension is None:
        raise ValueError(f"record {record.get('id')!r}: image type {mime!r} is not exportable")
    return f"{sha256}.{extension}"


def sample_key(record: Mapping[str, Any]) -> str:
    """``item-<item id, zero-padded to 8 digits>``: a WebDataset sample key (no dots)."""
    item_id = record["item_id"]
    if not isinstance(item_id, int) or isinstance(item_id, bool) or item_id < 0:
        raise ValueError(f"record {record.get('id')!r}: item_id {item_id!r} is not an id")
    return f"item-{item_id:08d}"


class _ImageFolder:
    """Writes each distinct image once under ``images/`` and remembers what it wrote."""

    def __init__(self, out: Path, load_image: ImageLoader) -> None:
        self._out = out
        self._load_image = load_image
        self._folder = out / IMAGES_FOLDER
        self._folder.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, ExportFile] = {}

    def add(self, record: Mapping[str, Any]) -> str:
        """Writes the record's image unless already written; returns its file name."""
        file_name = image_file_name(record)
        name = f"{IMAGES_FOLDER}/{file_name}"
        if name not in self.files:
            data = self._load_image(record)
            (self._folder / file_name).write_bytes(data)
            self.files[name] = ExportFile(name, len(data), hashlib.sha256(data).hexdigest())
        return file_name


class _JsonArray:
    """Writes a JSON array to a text stream one element at a time, one element per line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.count = 0
        stream.write("[")

    def append(self, value: Any) -> None:
        self._stream.write(",\n" if self.count else "\n")
        self._stream.write(_dumps(value))
        self.count += 1

    def close(self) -> None:
        self._stream.write("\n]" if self.count else "]")


# --- JSONL ----------------------------------------------------------------------------------


def write_jsonl(records: Iterable[Mapping[str, Any]], out: Path) -> list[ExportFile]:
    """``records.jsonl``: one record per line (``record_json``), UTF-8, ``\\n`` line ends."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / JSONL_FILE).open("w", encoding="utf-8", newline="\n") as stream:
        for record in records:
            stream.write(record_json(record))
            stream.write("\n")
    return [_describe(out, JSONL_FILE)]


# --- Parquet --------------------------------------------------------------------------------


def _parquet_row(record: Mapping[str, Any], load_image: ImageLoader) -> dict[str, Any]:
    metrics = record["metrics"]
    facts = []
    for fact in record["facts"]:
        span = fact.get("span")
        entity = fact.get("entity")
        confidence = fact.get("confidence")
        facts.append(
            {
                "kind": fact["kind"],
                "subject": fact["subject"],
                "predicate": fact["predicate"],
                "value": fact["value"],
                "source": fact["source"],
                "confidence": None if confidence is None else float(confidence),
                "span_start": None if span is None else span[0],
                "span_end": None if span is None else span[1],
                "entity": None if entity is None else entity["key"],
            }
        )
    coverage, vqa_support = metrics.get("coverage"), metrics.get("vqa_support")
    return {
        "id": record["id"],
        "image": {"bytes": load_image(record), "path": image_file_name(record)},
        "caption": record["caption"]["text"],
        "facts": facts,
        "density": float(metrics["density"]),
        "coverage": None if coverage is None else float(coverage),
        "vqa_support": None if vqa_support is None else float(vqa_support),
        "vqa": [{"question": pair["question"], "answer": pair["answer"]} for pair in record["vqa"]],
        "record": record_json(record),
    }


class _ParquetFiles:
    """Parquet files of at most ``rows_per_file`` rows, written in bounded row groups under
    temporary names and renamed ``train-<i>-of-<n>`` once the number of files is known."""

    def __init__(self, folder: Path, rows_per_file: int) -> None:
        self._folder = folder
        self._rows_per_file = rows_per_file
        self._writer: Any = None
        self._file_rows = 0
        self._rows: list[dict[str, Any]] = []
        self._row_bytes = 0
        self.parts: list[Path] = []

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        self._row_bytes += len(row["image"]["bytes"]) + len(row["record"])
        if (
            len(self._rows) >= PARQUET_ROW_GROUP_ROWS
            or self._row_bytes >= PARQUET_ROW_GROUP_BYTES
            or self._file_rows + len(self._rows) >= self._rows_per_file
        ):
            self._flush()

    def _open(self) -> None:
        part = self._folder / f".part-{len(self.parts):05d}.parquet"
        self.parts.append(part)
        self._writer = pq.ParquetWriter(
            part,
            PARQUET_SCHEMA,
            compression="snappy",
            write_statistics=_PARQUET_STATISTICS,
        )
        self._file_rows = 0

    def _flush(self) -> None:
        if self._writer is None:
            self._open()
        if self._rows:
            table = pa.Table.from_pylist(self._rows, schema=PARQUET_SCHEMA)
            self._writer.write_table(table, row_group_size=len(self._rows))
            self._file_rows += len(self._rows)
            self._rows = []
            self._row_bytes = 0
        if self._file_rows >= self._rows_per_file:
            self._writer.close()
            self._writer = None

    def finish(self) -> list[str]:
        """Writes what is buffered (an empty file when there were no rows at all), closes the
        last file and renames the files; returns their names relative to the folder."""
        if self._rows or not self.parts:
            self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        total = len(self.parts)
        names = []
        for index, part in enumerate(self.parts):
            name = f"train-{index:05d}-of-{total:05d}.parquet"
            os.replace(part, self._folder / name)
            names.append(name)
        return names

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for part in self.parts:
            part.unlink(missing_ok=True)


def write_parquet(
    records: Iterable[Mapping[str, Any]],
    out: Path,
    load_image: ImageLoader,
    *,
    rows_per_file: int = 10_000,
) -> list[ExportFile]:
    """``data/train-00000-of-0000N.parquet``: a Hugging Face ``datasets`` Parquet dataset with
    the image bytes embedded (an ``Image`` feature), at most ``rows_per_file`` rows a file.

    Columns: ``id``, ``image`` ({bytes, path}), ``caption`` (text), ``facts`` (list of {kind,
    subject, predicate, value, source, confidence, span_start, span_end, entity (the entity
    key)}), ``density``, ``coverage``, ``vqa_support``, ``vqa`` (the record's pairs as
    {question, answer}) and ``record`` (``record_json``). No records give one empty file."""
    if rows_per_file < 1:
        raise ValueError("rows_per_file must be at least 1")
    folder = out / PARQUET_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    files = _ParquetFiles(folder, rows_per_file)
    try:
        for record in records:
            files.add(_parquet_row(record, load_image))
        names = files.finish()
    except BaseException:
        files.abort()
        raise
    return _sorted(_describe(out, f"{PARQUET_FOLDER}/{name}") for name in names)


# --- WebDataset -----------------------------------------------------------------------------


def _tar_member(name: str, size: int) -> tarfile.TarInfo:
    """A regular file's header with nothing that varies between runs or machines."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_webdataset(
    records: Iterable[Mapping[str, Any]],
    out: Path,
    load_image: ImageLoader,
    *,
    shard_size: int = 1000,
) -> list[ExportFile]:
    """``shards/shard-000000.tar``, ...: WebDataset tar shards of ``shard_size`` samples.

    A sample is ``item-<id>.<jpg|png|webp|gif>`` (the image file) followed by ``item-<id>.json``
    (``record_json``); ``item-<id>`` is the item id zero-padded to 8 digits. No records give no
    shards."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    folder = out / SHARDS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    shard: tarfile.TarFile | None = None
    samples = 0
    try:
        for record in records:
            if shard is None:
                name = f"{SHARDS_FOLDER}/shard-{len(names):06d}.tar"
                names.append(name)
                shard = tarfile.open(out / name, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
                samples = 0
            key = sample_key(record)
            extension = image_file_name(record).rsplit(".", 1)[1]
            image = load_image(record)
            shard.addfile(_tar_member(f"{key}.{extension}", len(image)), io.BytesIO(image))
            data = record_json(record).encode("utf-8")
            shard.addfile(_tar_member(f"{key}.json", len(data)), io.BytesIO(data))
            samples += 1
            if samples >= shard_size:
                shard.close()
                shard = None
    finally:
        if shard is not None:
            shard.close()
    return _sorted(_describe(out, name) for name in names)


# --- LLaVA ----------------------------------------------------------------------------------


def _question_key(question: str) -> str:
    return " ".join(question.split()).casefold()


def llava_pairs(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The (question, answer) pairs of a record's LLaVA conversation: its stored VQA pairs,
    then those its facts imply (``derived_vqa``), each question once (compared ignoring case
    and spacing; the first wins), leaving out pairs with a blank question or answer."""
    seen: set[str] = set()
    for pair in [*record["vqa"], *derived_vqa(record)]:
        question, answer = pair["question"], pair["answer"]
        key = _question_key(question)
        if not key or not answer.strip() or key in seen:
            continue
        seen.add(key)
        yield question, answer


def llava_conversation(record: Mapping[str, Any], file_name: str) -> dict[str, Any]:
    """One element of ``llava.json``: the detailed-description turn answered by the caption,
    then one human/gpt turn pair per VQA pair (``llava_pairs``)."""
    turns = [
        {"from": "human", "value": LLAVA_PROMPT},
        {"from": "gpt", "value": record["caption"]["text"]},
    ]
    for question, answer in llava_pairs(record):
        turns.append({"from": "human", "value": question})
        turns.append({"from": "gpt", "value": answer})
    return {
        "id": record["id"],
        "image": f"{IMAGES_FOLDER}/{file_name}",
        "conversations": turns,
    }


def write_llava(
    records: Iterable[Mapping[str, Any]], out: Path, load_image: ImageLoader
) -> list[ExportFile]:
    """``llava.json`` (a JSON array of ``llava_conversation`` elements, one per line) and
    ``images/<sha256>.<ext>``."""
    out.mkdir(parents=True, exist_ok=True)
    images = _ImageFolder(out, load_image)
    with (out / LLAVA_FILE).open("w", encoding="utf-8", newline="\n") as stream:
        array = _JsonArray(stream)
        for record in records:
            array.append(llava_conversation(record, images.add(record)))
        array.close()
        stream.write("\n")
    return _sorted([_describe(out, LLAVA_FILE), *images.files.values()])


# --- COCO captions --------------------------------------------------------------------------


def write_coco(
    records: Iterable[Mapping[str, Any]], out: Path, load_image: ImageLoader
) -> list[ExportFile]:
    """``annotations/captions.json`` in the COCO captions layout and ``images/<sha256>.<ext>``.

    ``images`` has one entry per record (``id`` is the item id, ``file_name`` relative to
    ``images/``), ``annotations`` one caption per record with ids 1, 2, ... in record order.
    Both arrays are streamed: the annotations go to a temporary file beside the output while
    the images are written, and are appended at the end."""
    folder = (out / COCO_FILE).parent
    folder.mkdir(parents=True, exist_ok=True)
    images = _ImageFolder(out, load_image)
    with (
        (out / COCO_FILE).open("w", encoding="utf-8", newline="\n") as stream,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=folder) as pending,
    ):
        stream.write(f'{{"info":{_dumps(COCO_INFO)},"licenses":[],"images":')
        image_array = _JsonArray(stream)
        annotation_array = _JsonArray(pending)
        for record in records:
            file_name = images.add(record)
            image = record["image"]
            image_array.append(
                {
                    "id": record["item_id"],
                    "file_name": file_name,
                    "width": image["width"],
                    "height": image["height"],
                }
            )
            annotation_array.append(
                {
                    "id": annotation_array.count + 1,
                    "image_id": record["item_id"],
                    "caption": record["caption"]["text"],
                }
            )
        image_array.close()
        annotation_array.close()
        stream.write(',"annotations":')
        pending.seek(0)
        while chunk := pending.read(_CHUNK):
            stream.write(chunk)
        stream.write("}\n")
    return _sorted([_describe(out, COCO_FILE), *images.files.values()])


# --- dispatch -------------------------------------------------------------------------------

FORMATS: Final[dict[str, Callable[..., list[ExportFile]]]] = {
    "jsonl": write_jsonl,
    "parquet": write_parquet,
    "webdataset": write_webdataset,
    "llava": write_llava,
    "coco": write_coco,
}

# Formats whose writer takes no image loader (the records alone).
_WITHOUT_IMAGES: Final = frozenset({"jsonl"})


def write(
    format: str,
    records: Iterable[Mapping[str, Any]],
    out: Path,
    load_image: ImageLoader,
    **options: Any,
) -> list[ExportFile]:
    """Writes ``records`` to ``out`` in ``format`` (a key of :data:`FORMATS`) with the
    writer's keyword ``options`` (``rows_per_file``, ``shard_size``); returns the files written,
    sorted by name. Raises ``ValueError`` for an unknown format."""
    writer = FORMATS.get(format)
    if writer is None:
        raise ValueError(f"unknown export format {format!r}; expected one of {', '.join(FORMATS)}")
    if format in _WITHOUT_IMAGES:
        return writer(records, out, **options)
    return writer(records, out, load_image, **options)
