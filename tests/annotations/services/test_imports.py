"""Imports of every supported format, end to end into Postgres, from files the tests write."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from PIL import Image
from pytest_django.fixtures import Settings

from annotations.models import AuditEvent, Caption, Dataset, Fact, Item, Job, VqaPair
from annotations.services.audit import Actor
from annotations.services.imports import ImportSummary, dataset_import
from tests.annotations.factories import DatasetFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


def jpeg(path: Path, size: tuple[int, int] = (40, 30), color: str = "red", **save: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, "JPEG", **save)
    return path


def png(path: Path, size: tuple[int, int] = (40, 30), color: str = "blue") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def write_jsonl(path: Path, *records: object) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
        encoding="utf-8",
    )
    return path


def run(dataset: Dataset, *sources: Path) -> ImportSummary:
    return dataset_import(dataset=dataset, sources=list(sources), actor=ACTOR)


def domain_counts() -> dict[str, int]:
    return {
        "items": Item.objects.count(),
        "captions": Caption.objects.count(),
        "facts": Fact.objects.count(),
        "vqa": VqaPair.objects.count(),
    }


CAT = {
    "id": "cat-1",
    "image": "images/cat.jpg",
    "caption": "A red square on a plain background.",
    "facts": [
        {"kind": "object", "subject": "square", "predicate": "is", "value": "red", "span": [2, 12]},
        {"kind": "scene", "subject": "background", "predicate": "is", "value": "plain"},
    ],
    "vqa": [{"question": "What colour is the square?", "answer": "red"}],
    "metadata": {"license": "CC0"},
}


def test_jsonl_import_writes_items_captions_facts_and_vqa(tmp_path: Path, media_root: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    png(tmp_path / "images" / "dog.png")
    source = write_jsonl(
        tmp_path / "data.jsonl",
        CAT,
        {"id": "dog-1", "image": "images/dog.png", "caption": "A blue square."},
    )
    dataset = DatasetFactory()

    summary = run(dataset, source)

    assert summary.counts() == {
        "records": 2,
        "imported": 2,
        "already_present": 0,
        "rejected": 0,
        "captions": 2,
        "facts": 2,
        "vqa_pairs": 1,
    }
    item = Item.objects.get(dataset=dataset, external_id="cat-1")
    assert (item.width, item.height, item.mime, item.metadata, item.source) == (
        40,
        30,
        "image/jpeg",
        {"license": "CC0"},
        "data.jsonl:1",
    )
    assert (media_root / item.image_path).is_file()
    assert item.import_job_id == summary.job_id
    caption = item.current_caption
    assert caption is not None
    assert (caption.text, caption.origin, caption.word_count, caption.fact_count) == (
        "A red square on a plain background.",
        "import",
        7,
        2,
    )
    assert caption.density == pytest.approx(200 / 7)
    assert list(
        caption.facts.values_list("kind", "subject", "value", "span_start", "span_end")
    ) == [
        ("object", "square", "red", 2, 12),
        ("scene", "background", "plain", None, None),
    ]
    assert list(item.vqa_pairs.values_list("question", "answer")) == [
        ("What colour is the square?", "red")
    ]
    job = Job.objects.get(pk=summary.job_id)
    assert (job.kind, job.status, job.total, job.done, job.failed) == (
        "import",
        "succeeded",
        2,
        2,
        0,
    )
    final = AuditEvent.objects.filter(action="dataset.import").get()
    assert final.after is not None
    assert (final.target_id, final.dataset_id, final.after["imported"]) == (
        str(job.pk),
        dataset.pk,
        2,
    )


def test_running_the_same_import_again_adds_nothing(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    source = write_jsonl(tmp_path / "data.jsonl", CAT)
    dataset = DatasetFactory()
    run(dataset, source)
    before = domain_counts()

    again = run(dataset, source)

    assert (again.imported, again.already_present, again.rejected) == (0, 1, [])
    assert domain_counts() == before
    # No batch event for a batch that changed nothing; the import itself is recorded.
    assert AuditEvent.objects.filter(action="dataset.import_batch").count() == 1
    assert AuditEvent.objects.filter(action="dataset.import").count() == 2


def test_the_same_image_under_two_ids_is_stored_once(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    source = write_jsonl(
        tmp_path / "data.jsonl", CAT, {**CAT, "id": "cat-2"}, {**CAT, "id": "cat-3"}
    )
    summary = run(DatasetFactory(), source)
    assert (summary.imported, summary.already_present) == (1, 2)
    assert Item.objects.count() == 1


def bad_images(folder: Path) -> dict[str, str]:
    """Each hostile file, and the rejection code it must get."""
    folder.mkdir(parents=True, exist_ok=True)
    whole = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(whole, "JPEG")
    (folder / "truncated.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    png(folder / "huge.png", size=(200, 200))
    (folder / "vector.svg.jpg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    (folder / "page.jpg").write_text("<html><script>alert(1)</script></html>")
    (folder / "empty.jpg").write_bytes(b"")
    return {
        "truncated": "image_truncated",
        "huge": "image_too_many_pixels",
        "vector": "image_format_not_allowed",
        "page": "image_format_not_allowed",
        "empty": "image_empty",
    }


def test_bad_images_are_each_rejected_with_their_reason(tmp_path: Path, settings: Settings) -> None:
    settings.KD_IMAGE_MAX_PIXELS = 10_000  # the 200x200 PNG is 40,000 pixels
    expected = bad_images(tmp_path / "images")
    names = {
        "truncated": "truncated.jpg",
        "huge": "huge.png",
        "vector": "vector.svg.jpg",
        "page": "page.jpg",
        "empty": "empty.jpg",
    }
    jpeg(tmp_path / "images" / "good.jpg")
    records = [
        {"id": key, "image": f"images/{name}", "caption": "x"} for key, name in names.items()
    ]
    source = write_jsonl(
        tmp_path / "data.jsonl", *records, {"id": "good", "image": "images/good.jpg"}
    )

    summary = run(DatasetFactory(), source)

    assert summary.imported == 1
    assert {r.source: r.code for r in summary.rejected} == {
        f"data.jsonl:{line}": expected[key] for line, key in enumerate(names, start=1)
    }
    assert list(Item.objects.values_list("external_id", flat=True)) == ["good"]


def test_an_exif_rotated_jpeg_is_stored_upright(tmp_path: Path, media_root: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    jpeg(tmp_path / "images" / "rotated.jpg", size=(40, 20), exif=exif.tobytes())
    source = write_jsonl(tmp_path / "data.jsonl", {"id": "r", "image": "images/rotated.jpg"})

    run(DatasetFactory(), source)

    item = Item.objects.get()
    assert (item.width, item.height) == (20, 40)
    with Image.open(media_root / item.image_path) as stored:
        assert stored.size == (20, 40)
        assert dict(stored.getexif()) == {}


def test_paths_outside_the_import_root_are_rejected(tmp_path: Path) -> None:
    root = tmp_path / "import"
    jpeg(tmp_path / "secret.jpg")
    jpeg(root / "images" / "ok.jpg")
    (root / "images" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    source = write_jsonl(
        root / "data.jsonl",
        {"id": "a", "image": "../secret.jpg"},
        {"id": "b", "image": str(tmp_path / "secret.jpg")},
        {"id": "c", "image": "images/link.jpg"},
        {"id": "d", "image": "images/ok.jpg"},
    )
    summary = run(DatasetFactory(), source)
    assert [(r.source, r.code) for r in summary.rejected] == [
        ("data.jsonl:1", "path_outside_root"),
        ("data.jsonl:2", "path_outside_root"),
        ("data.jsonl:3", "path_outside_root"),
    ]
    assert list(Item.objects.values_list("external_id", flat=True)) == ["d"]


def test_one_bad_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    png(tmp_path / "images" / "dog.png")
    source = write_jsonl(
        tmp_path / "data.jsonl",
        "{broken",
        {"id": "nul", "image": "images/cat.jpg", "caption": "bad\u0000caption"},
        {"id": "dog", "image": "images/dog.png"},
    )
    summary = run(DatasetFactory(), source)
    assert summary.imported == 1
    assert [(r.source, r.code) for r in summary.rejected] == [
        ("data.jsonl:1", "invalid_json"),
        ("data.jsonl:2", "invalid_text"),
    ]


def test_folder_import_reads_sidecar_captions(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    jpeg(folder / "a.jpg")
    (folder / "a.txt").write_text("  A red square.  \n")
    png(folder / "sub" / "b.png")
    summary = run(DatasetFactory(), folder)
    assert summary.imported == 2
    assert dict(Item.objects.values_list("external_id", "current_caption__text")) == {
        "a.jpg": "A red square.",
        "sub/b.png": None,
    }


def test_coco_captions_import(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "COCO_val2014_000000000042.jpg")
    (tmp_path / "captions.json").write_text(
        json.dumps(
            {
                "images": [{"id": 42, "file_name": "COCO_val2014_000000000042.jpg"}],
                "annotations": [
                    {"id": 2, "image_id": 42, "caption": "A red square."},
                    {"id": 7, "image_id": 42, "caption": "Something red."},
                ],
            }
        )
    )
    summary = run(DatasetFactory(), tmp_path / "captions.json")
    assert summary.imported == 1
    item = Item.objects.get()
    assert item.external_id == "42"
    assert item.current_caption is not None
    assert item.current_caption.text == "A red square."
    assert item.metadata["alternate_captions"] == ["Something red."]


def test_llava_and_vqa_v2_attach_to_items(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "COCO_val2014_000000000042.jpg")
    (tmp_path / "llava.json").write_text(
        json.dumps(
            [
                {
                    "id": "42",
                    "image": "images/COCO_val2014_000000000042.jpg",
                    "conversations": [
                        {"from": "human", "value": "<image>\nDescribe this image."},
                        {"from": "gpt", "value": "A red square."},
                        {"from": "human", "value": "What colour is it?"},
                        {"from": "gpt", "value": "Red."},
                    ],
                }
            ]
        )
    )
    (tmp_path / "questions.json").write_text(
        json.dumps({"questions": [{"image_id": 42, "question": "Is it round?", "question_id": 1}]})
    )
    (tmp_path / "answers.json").write_text(
        json.dumps(
            {
                "annotations": [
                    {
                        "question_id": 1,
                        "image_id": 42,
                        "multiple_choice_answer": "no",
                        "answers": [{"answer": "no"}],
                    }
                ]
            }
        )
    )
    dataset = DatasetFactory()
    first = run(dataset, tmp_path / "llava.json")
    second = run(dataset, tmp_path / "questions.json", tmp_path / "answers.json")

    assert (first.imported, first.vqa_pairs) == (1, 1)
    assert (second.imported, second.already_present, second.vqa_pairs) == (0, 1, 1)
    item = Item.objects.get()
    assert item.current_caption is not None
    assert item.current_caption.text == "A red square."
    assert sorted(item.vqa_pairs.values_list("question", "answer")) == [
        ("Is it round?", "no"),
        ("What colour is it?", "Red."),
    ]
    third = run(dataset, tmp_path / "questions.json", tmp_path / "answers.json")
    assert third.vqa_pairs == 0
    assert VqaPair.objects.count() == 2


def test_kd_import_command_prints_a_summary(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    source = write_jsonl(
        tmp_path / "data.jsonl", CAT, {"id": "gone", "image": "images/missing.jpg"}
    )
    out = io.StringIO()
    call_command("kd_import", "--dataset", "Cats", str(source), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Created dataset cats."
    assert lines[1].startswith(
        "Imported 1 item(s) into cats (1 captions, 2 facts, 1 VQA pairs) from 2 record(s) in "
    )
    assert lines[1].endswith(" records/s).")
    assert lines[2] == "Already present: 0. Rejected: 1."
    assert lines[3].startswith("  data.jsonl:2: image_missing: ")


def test_duplicates_of_an_image_contribute_their_vqa_pairs_once(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    source = write_jsonl(
        tmp_path / "data.jsonl",
        CAT,
        {**CAT, "id": "cat-2", "vqa": [{"question": "Is it round?", "answer": "no"}]},
        {**CAT, "id": "cat-1", "vqa": [{"question": "Is it square?", "answer": "yes"}]},
    )
    dataset = DatasetFactory()
    first = run(dataset, source)
    assert (first.imported, first.already_present, first.vqa_pairs) == (1, 2, 3)
    assert sorted(VqaPair.objects.values_list("question", flat=True)) == [
        "Is it round?",
        "Is it square?",
        "What colour is the square?",
    ]
    for batch_size in (500, 1):  # in one batch, and one record per batch
        again = dataset_import(
            dataset=dataset, sources=[source], actor=ACTOR, batch_size=batch_size
        )
        assert (again.imported, again.vqa_pairs) == (0, 0)
    assert VqaPair.objects.count() == 3


def test_a_number_too_large_for_a_float_is_a_bad_record_not_a_crash(tmp_path: Path) -> None:
    jpeg(tmp_path / "images" / "cat.jpg")
    png(tmp_path / "images" / "dog.png")
    source = tmp_path / "data.jsonl"
    source.write_text(
        '{"id": "big", "image": "images/cat.jpg", "metadata": {"score": 1e400}}\n'
        '{"id": "ok", "image": "images/dog.png"}\n'
    )
    summary = run(DatasetFactory(), source)
    assert summary.imported == 1
    assert [(r.source, r.code) for r in summary.rejected] == [("data.jsonl:1", "invalid_json")]
