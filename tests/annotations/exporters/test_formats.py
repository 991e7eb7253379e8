"""Export writers, read back with the libraries a trainer would use: ``json`` and
``jsonschema`` (JSONL), Hugging Face ``datasets`` (Parquet), ``webdataset`` (tar shards),
``json`` (LLaVA) and ``pycocotools`` (COCO captions)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import tarfile
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from annotations.enrichment.questions import questions_for_facts
from annotations.exporters.formats import (
    FORMATS,
    LLAVA_PROMPT,
    ExportFile,
    image_file_name,
    write,
    write_coco,
    write_jsonl,
    write_llava,
    write_parquet,
    write_webdataset,
)
from annotations.exporters.record import RECORD_SCHEMA, derived_vqa, record_json, validate_record

ANNOTATOR = "annotator-3f2a9c1d"
CREATED_AT = "2026-05-01T12:00:00+00:00"


@dataclass
class Corpus:
    records: list[dict[str, Any]]
    sources: dict[str, Path]  # image sha256 -> the image file

    def load_image(self, record: Mapping[str, Any]) -> bytes:
        return self.sources[record["image"]["sha256"]].read_bytes()

    def image_bytes(self, record: Mapping[str, Any]) -> bytes:
        return self.load_image(record)


def encode_image(mode: str, size: tuple[int, int], image_format: str) -> bytes:
    """A small image with a gradient, so pixel comparisons mean something."""
    image = Image.new(mode, size)
    width, height = size
    for x in range(width):
        for y in range(height):
            red, green = (x * 255) // width, (y * 255) // height
            if mode == "L":
                image.putpixel((x, y), (red + green) // 2)
            elif mode == "RGBA":
                image.putpixel((x, y), (red, green, 90, (x * 7 + y * 3) % 256))
            else:
                image.putpixel((x, y), (red, green, 200))
    buffer = io.BytesIO()
    options = {"lossless": True} if image_format == "WEBP" else {}
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def span(text: str, phrase: str) -> list[int]:
    start = text.index(phrase)
    return [start, start + len(phrase)]


def fact(
    kind: str,
    subject: str,
    predicate: str,
    value: str,
    *,
    source: str = "human",
    text_span: list[int] | None = None,
    region: list[float] | None = None,
    confidence: float | None = None,
    entity: dict[str, str] | None = None,
    decided_by: str | None = ANNOTATOR,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "subject": subject,
        "predicate": predicate,
        "value": value,
        "span": text_span,
        "region": region,
        "source": source,
        "confidence": confidence,
        "entity": entity,
        "decided_by": decided_by,
    }


def vqa(question: str, answer: str, supported: bool | None) -> dict[str, Any]:
    return {"question": question, "answer": answer, "origin": "import", "supported": supported}


def record(
    item_id: int,
    external_id: str,
    image: tuple[str, str, int, int],
    text: str,
    facts: list[dict[str, Any]],
    *,
    coverage: float | None,
    vqa_support: float | None,
    pairs: list[dict[str, Any]],
    origin: str = "annotator",
    author: str | None = ANNOTATOR,
    review_id: int | None = None,
) -> dict[str, Any]:
    sha256, mime, width, height = image
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[mime]
    words = len(text.split())
    caption_id = item_id * 10
    return {
        "id": external_id,
        "item_id": item_id,
        "dataset": "demo",
        "status": "done" if review_id is None else "in_review",
        "image": {
            "path": f"images/{sha256}.{extension}",
            "url": f"/api/v1/items/{item_id}/image/original/",
            "width": width,
            "height": height,
            "mime": mime,
            "sha256": sha256,
        },
        "caption": {
            "id": caption_id,
            "text": text,
            "origin": origin,
            "author": author,
            "model_name": "blip-base" if origin == "model" else "",
            "created_at": CREATED_AT,
            "parent_id": caption_id - 1 if origin == "annotator" else None,
        },
        "facts": facts,
        "metrics": {
            "facts": len(facts),
            "words": words,
            "density": round(len(facts) * 100 / words, 4),
            "coverage": coverage,
            "vqa_support": vqa_support,
        },
        "vqa": pairs,
        "provenance": {
            "caption_id": caption_id,
            "audit_event_ids": [item_id * 100 + 1, item_id * 100 + 2],
            "review_id": review_id,
        },
    }


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    folder = tmp_path / "source-images"
    folder.mkdir()
    sources: dict[str, Path] = {}

    def add(name: str, mode: str, size: tuple[int, int], image_format: str, mime: str) -> Any:
        data = encode_image(mode, size, image_format)
        sha256 = hashlib.sha256(data).hexdigest()
        path = folder / name
        path.write_bytes(data)
        sources[sha256] = path
        return (sha256, mime, size[0], size[1])

    dogs = "Two brown dogs sit on a red sofa."
    sign = 'A café sign reads "Chez Marie".'
    logo = "A green leaf logo on a transparent background."
    astronaut = "Eileen Collins, born in Elmira, New York, wears a white spacesuit."
    street = "A quiet street at night."
    wikidata_dog = {"key": "Q144", "label": "dog", "knowledge_base": "wikidata"}
    collins = {"key": "Q231596", "label": "Eileen Collins", "knowledge_base": "wikidata"}
    records = [
        record(
            1,
            "dogs-001",
            add("dogs.jpg", "RGB", (64, 48), "JPEG", "image/jpeg"),
            dogs,
            [
                fact("count", "dogs", "count", "2", source="model", confidence=0.9,
                     text_span=span(dogs, "Two")),
                fact("attribute", "dogs", "color", "brown", text_span=span(dogs, "brown"),
                     entity=wikidata_dog),
                fact("relation", "dogs", "sit on", "sofa",
                     text_span=span(dogs, "sit on a red sofa"), region=[0, 10, 60.5, 30]),
                fact("object", "sofa", "color", "red", decided_by=None),
            ],
            coverage=0.5,
            vqa_support=1.0,
            pairs=[vqa("How many dogs are there?", "two", True),
                   vqa("Is the sofa soft?", "yes", None)],
        ),
        record(
            2,
            "sign-002",
            add("sign.png", "RGB", (32, 32), "PNG", "image/png"),
            sign,
            [
                fact("text_in_image", "sign", "says", "Chez Marie", source="model",
                     confidence=0.75, text_span=span(sign, "Chez Marie"), region=[1, 2, 10, 5]),
            ],
            coverage=None,
            vqa_support=None,
            pairs=[],
            origin="model",
            author=None,
        ),
        record(
            3,
            "logo-003",
            add("logo.png", "RGBA", (40, 30), "PNG", "image/png"),
            logo,
            [],
            coverage=None,
            vqa_support=0.5,
            pairs=[vqa("What is the logo?", "a green leaf", None),
                   vqa("Is it blurry?", " ", False)],
        ),
        record(
            17,
            "astronaut-017",
            add("astronaut.webp", "RGB", (50, 40), "WEBP", "image/webp"),
            astronaut,
            [
                fact("world_knowledge", "Eileen Collins", "born in", "Elmira, New York",
                     source="knowledge_base", text_span=span(astronaut, "born in Elmira, New York"),
                     entity=collins, decided_by=None),
                fact("object", "astronaut", "wears", "spacesuit", source="vqa"),
            ],
            coverage=1.0,
            vqa_support=None,
            pairs=[],
            origin="consensus",
        ),
        record(
            123,
            "street-123",
            add("street.jpg", "L", (24, 36), "JPEG", "image/jpeg"),
            street,
            [fact("scene", "scene", "is", "street", source="import", decided_by=None)],
            coverage=0.0,
            vqa_support=None,
            pairs=[],
            origin="model",
            author=None,
            review_id=5,
        ),
    ]  # fmt: skip
    return Corpus(records=records, sources=sources)


def assert_manifest(out: Path, files: list[ExportFile]) -> None:
    """The manifest lists exactly the files under ``out``, sorted, with true sizes and hashes."""
    assert [file.name for file in files] == sorted(file.name for file in files)
    on_disk = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    assert [file.name for file in files] == on_disk
    for file in files:
        data = (out / file.name).read_bytes()
        assert file.bytes == len(data)
        assert file.sha256 == hashlib.sha256(data).hexdigest()


def assert_same_pixels(decoded: Image.Image, source: bytes, mode: str | None = None) -> None:
    expected: Image.Image = Image.open(io.BytesIO(source))
    if mode is not None:
        expected = expected.convert(mode)
    assert decoded.size == expected.size
    assert decoded.mode == expected.mode
    assert decoded.tobytes() == expected.tobytes()


# --- the record -----------------------------------------------------------------------------


def test_corpus_records_are_valid(corpus: Corpus) -> None:
    validator = Draft202012Validator(RECORD_SCHEMA)
    Draft202012Validator.check_schema(RECORD_SCHEMA)
    for item in corpus.records:
        assert list(validator.iter_errors(item)) == []
        assert validate_record(item) == []


def test_invalid_records_are_rejected(corpus: Corpus) -> None:
    validator = Draft202012Validator(RECORD_SCHEMA)
    missing_text = copy.deepcopy(corpus.records[0])
    del missing_text["caption"]["text"]
    assert not validator.is_valid(missing_text)
    assert validate_record(missing_text) == ["caption: 'text' is a required property"]

    bad_kind = copy.deepcopy(corpus.records[0])
    bad_kind["facts"][1]["kind"] = "colour"
    assert [error.split(":")[0] for error in validate_record(bad_kind)] == ["facts/1/kind"]

    bad_hash = copy.deepcopy(corpus.records[1])
    bad_hash["image"]["sha256"] = "../../etc/passwd"
    assert [error.split(":")[0] for error in validate_record(bad_hash)] == ["image/sha256"]

    # Valid for the schema, inconsistent with the caption.
    outside = copy.deepcopy(corpus.records[1])
    outside["facts"][0]["span"] = [5, 500]
    assert validator.is_valid(outside)
    assert validate_record(outside) == [
        "facts/0/span: [5, 500] is not a non-empty range inside the caption text (31 characters)"
    ]
    other_caption = copy.deepcopy(corpus.records[1])
    other_caption["provenance"]["caption_id"] = 999
    assert validate_record(other_caption) == [
        "provenance/caption_id: 999 is not the caption's id 20"
    ]


def test_derived_vqa_comes_from_the_facts(corpus: Corpus) -> None:
    assert derived_vqa(corpus.records[0]) == [
        {"question": "How many dogs are there?", "answer": "2", "origin": "derived",
         "supported": None},
        {"question": "What color are the dogs?", "answer": "brown", "origin": "derived",
         "supported": None},
        {"question": "Where are the dogs?", "answer": "on the sofa", "origin": "derived",
         "supported": None},
        {"question": "Is there a sofa in the image?", "answer": "yes", "origin": "derived",
         "supported": None},
        {"question": "What color is the sofa?", "answer": "red", "origin": "derived",
         "supported": None},
    ]  # fmt: skip
    assert derived_vqa(corpus.records[2]) == []
    assert validator_accepts_pairs(derived_vqa(corpus.records[3]))


def validator_accepts_pairs(pairs: list[dict[str, Any]]) -> bool:
    schema = {
        "$defs": RECORD_SCHEMA["$defs"],
        "type": "array",
        "items": {"$ref": "#/$defs/vqa_pair"},
    }
    return bool(pairs) and Draft202012Validator(schema).is_valid(pairs)


# --- JSONL ----------------------------------------------------------------------------------


def test_jsonl_round_trips_and_validates(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "jsonl"
    files = write_jsonl(iter(corpus.records), out)
    assert [file.name for file in files] == ["records.jsonl"]
    assert_manifest(out, files)

    raw = (out / "records.jsonl").read_text(encoding="utf-8")
    assert "café" in raw  # UTF-8, not \u escapes
    lines = raw.split("\n")
    assert lines[-1] == ""
    validator = Draft202012Validator(RECORD_SCHEMA)
    parsed = [json.loads(line) for line in lines[:-1]]
    assert parsed == corpus.records
    for line, item in zip(lines[:-1], parsed, strict=True):
        validator.validate(item)
        assert line == json.dumps(item, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def test_record_json_refuses_nan(corpus: Corpus) -> None:
    broken = copy.deepcopy(corpus.records[0])
    broken["metrics"]["density"] = math.nan
    with pytest.raises(ValueError, match="JSON compliant"):
        record_json(broken)


# --- Parquet --------------------------------------------------------------------------------


@pytest.fixture
def hf_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``datasets``, kept offline and out of the home directory."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-home" / "datasets"))
    import importlib

    return importlib.import_module("datasets")


def load_parquet(hf_datasets: ModuleType, out: Path, tmp_path: Path) -> Any:
    return hf_datasets.load_dataset(
        "parquet",
        data_files=str(out / "data" / "*.parquet"),
        split="train",
        cache_dir=str(tmp_path / "hf-home" / "datasets"),
    )


def expected_parquet_facts(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": f["kind"],
            "subject": f["subject"],
            "predicate": f["predicate"],
            "value": f["value"],
            "source": f["source"],
            "confidence": f["confidence"],
            "span_start": None if f["span"] is None else f["span"][0],
            "span_end": None if f["span"] is None else f["span"][1],
            "entity": None if f["entity"] is None else f["entity"]["key"],
        }
        for f in item["facts"]
    ]


def test_parquet_loads_with_datasets(
    corpus: Corpus, tmp_path: Path, hf_datasets: ModuleType
) -> None:
    out = tmp_path / "parquet"
    files = write_parquet(iter(corpus.records), out, corpus.load_image)
    assert [file.name for file in files] == ["data/train-00000-of-00001.parquet"]
    assert_manifest(out, files)

    dataset = load_parquet(hf_datasets, out, tmp_path)
    assert isinstance(dataset.features["image"], hf_datasets.Image)
    assert dataset.column_names == [
        "id", "image", "caption", "facts", "density", "coverage", "vqa_support", "vqa", "record",
    ]  # fmt: skip
    assert len(dataset) == len(corpus.records)
    for row, item in zip(dataset, corpus.records, strict=True):
        assert row["id"] == item["id"]
        assert row["caption"] == item["caption"]["text"]
        assert isinstance(row["image"], Image.Image)
        assert row["image"].size == (item["image"]["width"], item["image"]["height"])
        assert_same_pixels(row["image"], corpus.image_bytes(item))
        assert row["facts"] == expected_parquet_facts(item)
        assert row["density"] == item["metrics"]["density"]
        assert row["coverage"] == item["metrics"]["coverage"]
        assert row["vqa_support"] == item["metrics"]["vqa_support"]
        assert row["vqa"] == [
            {"question": p["question"], "answer": p["answer"]} for p in item["vqa"]
        ]
        assert json.loads(row["record"]) == item
    assert dataset[1]["coverage"] is None
    assert dataset[0]["facts"][3]["span_start"] is None
    assert dataset[0]["facts"][1]["entity"] == "Q144"
    assert dataset[2]["image"].mode == "RGBA"


def test_parquet_splits_files_by_rows(
    corpus: Corpus, tmp_path: Path, hf_datasets: ModuleType
) -> None:
    out = tmp_path / "parquet"
    files = write_parquet(iter(corpus.records), out, corpus.load_image, rows_per_file=2)
    assert [file.name for file in files] == [
        "data/train-00000-of-00003.parquet",
        "data/train-00001-of-00003.parquet",
        "data/train-00002-of-00003.parquet",
    ]
    assert_manifest(out, files)  # no temporary part files are left behind
    assert [pq.read_metadata(out / file.name).num_rows for file in files] == [2, 2, 1]
    dataset = load_parquet(hf_datasets, out, tmp_path)
    assert dataset["id"] == [item["id"] for item in corpus.records]
    assert [image.size for image in dataset["image"]] == [(64, 48), (32, 32), (40, 30), (50, 40),
                                                          (24, 36)]  # fmt: skip


def test_parquet_without_records_is_one_empty_file(tmp_path: Path, hf_datasets: ModuleType) -> None:
    out = tmp_path / "parquet"
    files = write_parquet(iter([]), out, lambda item: b"")
    assert [file.name for file in files] == ["data/train-00000-of-00001.parquet"]
    # `datasets` refuses a split without rows; the file still carries the features.
    path = out / files[0].name
    assert pq.read_metadata(path).num_rows == 0
    features = hf_datasets.Features.from_arrow_schema(pq.read_schema(path))
    assert isinstance(features["image"], hf_datasets.Image)


def test_parquet_refuses_empty_files(corpus: Corpus, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows_per_file"):
        write_parquet(iter(corpus.records), tmp_path, corpus.load_image, rows_per_file=0)


# --- WebDataset -----------------------------------------------------------------------------


def read_webdataset(out: Path, files: list[ExportFile]) -> list[tuple[Any, ...]]:
    import webdataset

    urls = [(out / file.name).as_uri() for file in files]
    dataset = (
        webdataset.WebDataset(urls, shardshuffle=False)
        .decode("pil")
        .to_tuple("__key__", "jpg;png;jpeg;webp", "json")
    )
    return list(dataset)


def test_webdataset_reads_every_sample_once(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "webdataset"
    files = write_webdataset(iter(corpus.records), out, corpus.load_image)
    assert [file.name for file in files] == ["shards/shard-000000.tar"]
    assert_manifest(out, files)

    samples = read_webdataset(out, files)
    assert [key for key, _, _ in samples] == [
        "item-00000001", "item-00000002", "item-00000003", "item-00000017", "item-00000123",
    ]  # fmt: skip
    for (_, image, item), expected in zip(samples, corpus.records, strict=True):
        assert item == expected
        assert isinstance(image, Image.Image)
        assert image.size == (expected["image"]["width"], expected["image"]["height"])
        assert_same_pixels(image, corpus.image_bytes(expected), mode="RGB")

    with tarfile.open(out / files[0].name) as shard:
        members = shard.getmembers()
        assert [member.name for member in members[:4]] == [
            "item-00000001.jpg", "item-00000001.json", "item-00000002.png", "item-00000002.json",
        ]  # fmt: skip
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
            (0, 0, 0, "", "", 0o644)
        }
        extracted = shard.extractfile("item-00000017.webp")
        assert extracted is not None
        assert extracted.read() == corpus.image_bytes(corpus.records[3])


def test_webdataset_shards_by_size(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "webdataset"
    files = write_webdataset(iter(corpus.records), out, corpus.load_image, shard_size=2)
    assert [file.name for file in files] == [
        "shards/shard-000000.tar",
        "shards/shard-000001.tar",
        "shards/shard-000002.tar",
    ]
    assert_manifest(out, files)
    samples = read_webdataset(out, files)
    assert [item for _, _, item in samples] == corpus.records
    with pytest.raises(ValueError, match="shard_size"):
        write_webdataset(iter(corpus.records), out, corpus.load_image, shard_size=0)


# --- LLaVA ----------------------------------------------------------------------------------


def test_llava_conversations(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "llava"
    files = write_llava(iter(corpus.records), out, corpus.load_image)
    assert_manifest(out, files)
    assert [file.name for file in files] == ["images/" + image_file_name(item) for item in sorted(
        corpus.records, key=image_file_name)] + ["llava.json"]  # fmt: skip

    with (out / "llava.json").open(encoding="utf-8") as stream:
        conversations = json.load(stream)
    assert [element["id"] for element in conversations] == [r["id"] for r in corpus.records]
    for element, item in zip(conversations, corpus.records, strict=True):
        assert set(element) == {"id", "image", "conversations"}
        assert element["image"] == item["image"]["path"]
        assert (out / element["image"]).read_bytes() == corpus.image_bytes(item)
        turns = element["conversations"]
        assert turns[:2] == [
            {"from": "human", "value": "<image>\nDescribe this image in detail."},
            {"from": "gpt", "value": item["caption"]["text"]},
        ]
        assert [turn["from"] for turn in turns] == ["human", "gpt"] * (len(turns) // 2)

    def pairs(index: int) -> list[tuple[str, str]]:
        turns = conversations[index]["conversations"][2:]
        return [(turns[i]["value"], turns[i + 1]["value"]) for i in range(0, len(turns), 2)]

    # Stored pairs first; a derived pair whose question is already asked is dropped.
    assert pairs(0) == [
        ("How many dogs are there?", "two"),
        ("Is the sofa soft?", "yes"),
        ("What color are the dogs?", "brown"),
        ("Where are the dogs?", "on the sofa"),
        ("Is there a sofa in the image?", "yes"),
        ("What color is the sofa?", "red"),
    ]
    assert pairs(1) == [("What does the sign say?", "Chez Marie")]
    assert pairs(2) == [("What is the logo?", "a green leaf")]  # a blank answer is no turn
    assert pairs(3) == [
        (q.question, q.answer)
        for q in questions_for_facts(
            (f["kind"], f["subject"], f["predicate"], f["value"])
            for f in corpus.records[3]["facts"]
        )
    ]
    assert pairs(4) == [("What kind of scene is this?", "street")]
    assert conversations[0]["conversations"][0]["value"] == LLAVA_PROMPT


@pytest.mark.parametrize("writer", [write_llava, write_coco])
def test_a_shared_image_is_written_once(
    corpus: Corpus, tmp_path: Path, writer: Callable[..., list[ExportFile]]
) -> None:
    first = corpus.records[0]
    twin = copy.deepcopy(first)
    twin.update(id="dogs-again", item_id=2)
    loads: list[str] = []

    def load(item: Mapping[str, Any]) -> bytes:
        loads.append(item["id"])
        return corpus.load_image(item)

    out = tmp_path / "export"
    files = writer(iter([first, twin]), out, load)
    assert loads == ["dogs-001"]
    assert [f.name for f in files if f.name.startswith("images/")] == [first["image"]["path"]]
    assert_manifest(out, files)


# --- COCO -----------------------------------------------------------------------------------


def test_coco_loads_with_pycocotools(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pycocotools.coco import COCO

    out = tmp_path / "coco"
    files = write_coco(iter(corpus.records), out, corpus.load_image)
    assert_manifest(out, files)
    assert "annotations/captions.json" in [file.name for file in files]

    coco = COCO(str(out / "annotations" / "captions.json"))
    capsys.readouterr()  # pycocotools reports its progress on stdout
    assert sorted(coco.getImgIds()) == [1, 2, 3, 17, 123]
    assert coco.dataset["licenses"] == []
    assert coco.dataset["info"]["description"]
    for item in corpus.records:
        (image,) = coco.loadImgs(item["item_id"])
        assert image == {
            "id": item["item_id"],
            "file_name": image_file_name(item),
            "width": item["image"]["width"],
            "height": item["image"]["height"],
        }
        assert (out / "images" / image["file_name"]).read_bytes() == corpus.image_bytes(item)
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=[item["item_id"]]))
        assert [a["caption"] for a in annotations] == [item["caption"]["text"]]
    assert sorted(coco.getAnnIds()) == [1, 2, 3, 4, 5]


def test_coco_without_records_is_valid_json(tmp_path: Path) -> None:
    files = write_coco(iter([]), tmp_path, lambda item: b"")
    assert [file.name for file in files] == ["annotations/captions.json"]
    data = json.loads((tmp_path / "annotations" / "captions.json").read_text(encoding="utf-8"))
    assert data["images"] == []
    assert data["annotations"] == []


# --- every format ---------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_output_is_deterministic(corpus: Corpus, tmp_path: Path, format_name: str) -> None:
    first = write(format_name, iter(corpus.records), tmp_path / "one", corpus.load_image)
    second = write(format_name, iter(corpus.records), tmp_path / "two", corpus.load_image)
    assert first == second
    assert first
    assert_manifest(tmp_path / "one", first)


def test_write_dispatches_options_and_refuses_unknown_formats(
    corpus: Corpus, tmp_path: Path
) -> None:
    files = write("webdataset", iter(corpus.records), tmp_path, corpus.load_image, shard_size=4)
    assert [file.name for file in files] == ["shards/shard-000000.tar", "shards/shard-000001.tar"]
    with pytest.raises(ValueError, match="unknown export format 'csv'"):
        write("csv", iter(corpus.records), tmp_path, corpus.load_image)


def test_image_names_come_from_hash_and_type_only(corpus: Corpus) -> None:
    item = copy.deepcopy(corpus.records[0])
    assert image_file_name(item) == item["image"]["path"].removeprefix("images/")
    item["image"]["sha256"] = "../" + "a" * 61
    with pytest.raises(ValueError, match="64 hex"):
        image_file_name(item)
    item = copy.deepcopy(corpus.records[0])
    item["image"]["mime"] = "image/svg+xml"
    with pytest.raises(ValueError, match="not exportable"):
        image_file_name(item)


# --- streaming ------------------------------------------------------------------------------

STREAM_COUNT = 20_000
MEMORY_CEILING = 50 * 1024 * 1024


def tiny_records(count: int, image: tuple[str, str, int, int]) -> Iterator[dict[str, Any]]:
    for item_id in range(1, count + 1):
        text = f"A red dot number {item_id}."
        yield record(
            item_id,
            f"dot-{item_id}",
            image,
            text,
            [fact("attribute", "dot", "color", "red", text_span=span(text, "red"))],
            coverage=None,
            vqa_support=None,
            pairs=[],
        )


@pytest.fixture
def dot(tmp_path: Path) -> Corpus:
    data = encode_image("RGB", (4, 4), "PNG")
    sha256 = hashlib.sha256(data).hexdigest()
    path = tmp_path / "dot.png"
    path.write_bytes(data)
    return Corpus(records=[], sources={sha256: path})


def peak_memory(run: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_jsonl_streams(dot: Corpus, tmp_path: Path) -> None:
    (sha256,) = dot.sources
    image = (sha256, "image/png", 4, 4)
    assert validate_record(next(tiny_records(1, image))) == []
    out = tmp_path / "jsonl"
    files, peak = peak_memory(lambda: write_jsonl(tiny_records(STREAM_COUNT, image), out))
    assert peak < MEMORY_CEILING
    with (out / "records.jsonl").open(encoding="utf-8") as stream:
        count = sum(1 for _ in stream)
    assert count == STREAM_COUNT
    assert files[0].bytes == (out / "records.jsonl").stat().st_size


def test_webdataset_streams(dot: Corpus, tmp_path: Path) -> None:
    (sha256,) = dot.sources
    image = (sha256, "image/png", 4, 4)
    out = tmp_path / "webdataset"
    files, peak = peak_memory(
        lambda: write_webdataset(tiny_records(STREAM_COUNT, image), out, dot.load_image)
    )
    assert peak < MEMORY_CEILING
    assert len(files) == STREAM_COUNT // 1000
    names: list[str] = []
    for file in files:
        with tarfile.open(out / file.name) as shard:
            names.extend(member.name for member in shard)
    assert len(names) == 2 * STREAM_COUNT
    assert names[:2] == ["item-00000001.png", "item-00000001.json"]
    assert names[-1] == "item-00020000.json"
