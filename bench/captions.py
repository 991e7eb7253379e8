"""Benchmark: the caption pipeline around ``model.generate``, per item.

Creates a dataset of distinct generated images (``--images``, default 512) in a database of its
own, queues one caption job at ``--batch-size`` (default 16), and runs every chunk in this
process through the same code a worker runs (``annotations.services.captioning.run_chunk``:
claim, image loading, generate, structuring, knowledge linking, scoring, the transactional
write). It reports items per second through the whole pipeline, the seconds spent in bare
``model.generate`` on the same batches, and the difference per item: the pipeline's own cost.

    python bench/captions.py --model DIR_OR_HUB_ID [--images 512] [--batch-size 16]
    python bench/captions.py --tiny blip     # a tiny random-weight BLIP built on the fly

The model is loaded before timing starts. Uses DATABASE_URL when set (the database named there
gets a fresh ``kd_bench_captions`` dataset), else an embedded Postgres under KD_DATA_DIR
(default .kd-bench/). Appends the command, the machine and the figures to
bench/results/captions.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "captions.txt"
sys.path.insert(0, str(REPO))


def setup_django(data_dir: Path) -> None:
    os.environ.setdefault("KD_DATA_DIR", str(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kdapp.settings.development")
    from kdapp.embedded.runtime import prepare_environment

    prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("kd_createdb", verbosity=0)
    call_command("migrate", verbosity=0)


def make_images(folder: Path, count: int) -> list[Path]:
    """Distinct photos: the demo's images, each cropped and tinted differently."""
    from PIL import Image, ImageEnhance

    sources = sorted((REPO / "annotations" / "demo" / "images").glob("*.jpg"))
    paths = []
    for number in range(count):
        with Image.open(sources[number % len(sources)]) as opened:
            image = opened.convert("RGB")
        shift = number // len(sources)
        box = (shift % 40, (shift * 3) % 40, image.width - (shift % 17), image.height - shift % 23)
        variant = ImageEnhance.Brightness(image.crop(box)).enhance(0.7 + (shift % 30) / 50)
        path = folder / f"{number:05d}.jpg"
        variant.save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a Hugging Face model id or a local directory")
    source.add_argument("--tiny", choices=["blip", "florence2", "llava"])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--min-new-tokens", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument(
        "--full-decode",
        action="store_true",
        help="decode JPEGs at full size (as for a model whose input size is unknown)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kd-bench-captions-"))
    setup_django(REPO / ".kd-bench")
    import torch
    from django.conf import settings

    if args.threads:
        torch.set_num_threads(args.threads)
    settings.KD_TORCH_THREADS = args.threads
    settings.MEDIA_ROOT = work / "media"

    model = args.model
    if args.tiny:
        sys.path.insert(0, str(REPO))
        from tests.support.tiny_models import build

        model = str(build(args.tiny, work / "model"))

    from annotations.enrichment.captioner import CaptionerConfig
    from annotations.models import Dataset, Item, JobChunk, KnowledgeBase
    from annotations.services import captioning
    from annotations.services.audit import Actor
    from annotations.services.datasets import dataset_delete
    from annotations.services.imports import dataset_import
    from annotations.services.jobs import caption_job_create
    from annotations.services.knowledge import knowledge_base_import

    actor = Actor.system("bench")
    old = Dataset.objects.filter(slug="kd_bench_captions").first()
    if old is not None:
        dataset_delete(dataset=old, actor=actor)
    dataset = Dataset.objects.create(slug="kd_bench_captions", name="Caption benchmark")
    if not KnowledgeBase.objects.filter(name="demo").exists():
        knowledge_base_import(
            name="demo",
            path=REPO / "annotations" / "demo" / "knowledge_base.jsonl",
            actor=actor,
        )
    images = work / "images"
    images.mkdir()
    make_images(images, args.images)
    imported = dataset_import(dataset=dataset, sources=[images], actor=actor)
    assert imported.imported == args.images, imported

    config = CaptionerConfig(
        model=model,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        min_new_tokens=args.min_new_tokens,
        device=args.device,
    )
    job = caption_job_create(
        dataset=dataset,
        actor=actor,
        requested_by_id=None,
        filters=None,
        captioner=config.as_dict(),
    )
    loaded = time.perf_counter()
    captioner = captioning.get_captioner(config)
    load_seconds = time.perf_counter() - loaded
    if args.full_decode:
        captioner.input_size = None
    captioning.get_linker()
    # Warm-up: one batch outside the timing (first-call allocations, kernels).
    first = Item.objects.filter(dataset=dataset).first()
    assert first is not None
    captioner.caption([captioning.load_image(first)] * args.batch_size)

    chunks = JobChunk.objects.filter(job=job).order_by("sequence")
    chunk_ids = list(chunks.values_list("pk", flat=True))
    generate = 0.0
    per_chunk = []
    phases: dict[str, float] = {}
    started = time.perf_counter()
    for chunk_id in chunk_ids:
        outcome = captioning.run_chunk(chunk_id, owner="bench")
        generate += outcome.generate_seconds
        per_chunk.append(outcome.total_seconds - outcome.generate_seconds)
        for name, seconds in outcome.phases.items():
            phases[name] = phases.get(name, 0.0) + seconds
    wall = time.perf_counter() - started
    job.refresh_from_db()
    items = job.done
    overhead_ms = (wall - generate) / items * 1000
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"command: python bench/captions.py {shlex.join(sys.argv[1:])}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"device {getattr(captioner, 'device', '?')}, torch threads {torch.get_num_threads()}",
        f"model: {model} (loaded in {load_seconds:.2f} s, not timed)",
        f"job {job.pk}: {job.status}, {items} items ok, {job.failed} failed, "
        f"{len(chunk_ids)} chunks of {args.batch_size}",
        f"pipeline: {wall:.2f} s, {items / wall:.1f} items/s",
        f"bare generate: {generate:.2f} s ({generate / items * 1000:.2f} ms/item)",
        f"outside generate: {wall - generate:.2f} s, {overhead_ms:.2f} ms/item "
        f"(median per chunk {statistics.median(per_chunk) / args.batch_size * 1000:.2f} ms/item)",
        "per item by stage: "
        + ", ".join(f"{name} {seconds / items * 1000:.2f} ms" for name, seconds in phases.items()),
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")
    dataset_delete(dataset=dataset, actor=actor)


if __name__ == "__main__":
    main()
