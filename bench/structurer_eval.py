"""Precision and recall of the rule-based structurer against the hand-labelled captions.

Runs :class:`annotations.enrichment.structurer.RuleStructurer` over every caption of
``tests/data/structurer_captions.jsonl`` and prints, for each split of the file and for all of
them together, a markdown table: per fact kind the gold facts, the predicted facts, the matches
(true positives), precision, recall and F1, with a total row. Then the mean time per caption,
and for one 62-word caption. Matching is ``structurer.match_key``: same kind, and the same lemmas
in subject, predicate and value after normalisation. The splits are described in
docs/structurer.md ("heldout2" is the one that no rule was ever tuned on).

    .venv/bin/python bench/structurer_eval.py
    .venv/bin/python bench/structurer_eval.py --split heldout2 --errors   # misses, false hits

Needs no Django settings and no database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from annotations.enrichment.structurer import (  # noqa: E402
    KINDS,
    Labelled,
    RuleStructurer,
    match_key,
    score,
)

DATA = REPO / "tests" / "data" / "structurer_captions.jsonl"


def say(*parts: object) -> None:
    sys.stdout.write(" ".join(str(part) for part in parts) + "\n")


Record = tuple[str, str, list[Labelled]]  # split, caption, gold facts


def load(path: Path) -> list[Record]:
    records: list[Record] = []
    with path.open(encoding="utf-8") as source:
        for line in source:
            if not line.strip():
                continue
            record = json.loads(line)
            facts = [(f["kind"], f["subject"], f["predicate"], f["value"]) for f in record["facts"]]
            records.append((record.get("split", "dev"), record["caption"], facts))
    return records


# A 62-word caption: the length the per-caption time target (well under 1 ms) is stated for.
LONG_CAPTION = (
    "A busy city street at dusk: two red double-decker buses wait at a traffic light beside a "
    "row of old brick shops, a cyclist in a yellow jacket rides past a fire hydrant, and a tall "
    'neon sign reading "OPEN LATE" hangs above a small cafe with wooden tables, white chairs and '
    "green umbrellas on the wide sidewalk outside the main entrance."
)


def mean_seconds(captions: list[str], repeats: int) -> float:
    structurer = RuleStructurer()
    began = time.perf_counter()
    for _ in range(repeats):
        for caption in captions:
            structurer.structure(caption)
    return (time.perf_counter() - began) / (repeats * len(captions))


def table(title: str, records: list[Record], errors: bool) -> None:
    structurer = RuleStructurer()
    pairs: list[tuple[list[Labelled], list[Labelled]]] = []
    for _, caption, gold in records:
        predicted = [
            (f.kind, f.subject, f.predicate, f.value) for f in structurer.structure(caption)
        ]
        pairs.append((gold, predicted))
        if errors:
            gold_keys = {match_key(*fact) for fact in gold}
            predicted_keys = {match_key(*fact) for fact in predicted}
            say(f"\n{caption}")
            for fact in gold:
                if match_key(*fact) not in predicted_keys:
                    say("  missed   ", fact)
            for fact in predicted:
                if match_key(*fact) not in gold_keys:
                    say("  false hit", fact)
    scores = score(pairs)
    words = [len(caption.split()) for _, caption, _ in records]
    say(
        f"\n### {title}: {len(records)} captions, {sum(words)} words "
        f"({min(words)}-{max(words)} per caption)\n"
    )
    say("| kind | gold | predicted | TP | precision | recall | F1 |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    for kind in (*KINDS, "total"):
        s = scores[kind]
        name = f"**{kind}**" if kind == "total" else kind
        # "n/a" where there is nothing to divide by (no predictions, no gold facts)
        precision = f"{s.precision:.2f}" if s.predicted else "n/a"
        recall = f"{s.recall:.2f}" if s.gold else "n/a"
        f1 = f"{s.f1:.2f}" if s.predicted and s.gold else "n/a"
        say(
            f"| {name} | {s.gold} | {s.predicted} | {s.true_positives} | {precision} "
            f"| {recall} | {f1} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=50, help="timing passes over the set")
    parser.add_argument("--errors", action="store_true", help="list misses and false hits")
    parser.add_argument("--split", help="only this split (dev, heldout); default: each and all")
    options = parser.parse_args()

    records = load(options.data)
    splits = sorted({split for split, _, _ in records})
    chosen = [options.split] if options.split else [*splits, "all"]
    for split in chosen:
        subset = records if split == "all" else [r for r in records if r[0] == split]
        if subset:
            table(split, subset, options.errors)
    words = [len(caption.split()) for _, caption, _ in records]
    seconds = mean_seconds([caption for _, caption, _ in records], options.repeats)
    per_word = seconds / (sum(words) / len(words))
    say(
        f"\nmean time per caption over all {len(records)} captions: {seconds * 1e6:.0f} µs "
        f"({per_word * 1e6:.1f} µs per word, {options.repeats} passes)"
    )
    long_seconds = mean_seconds([LONG_CAPTION], options.repeats * 20)
    say(
        f"mean time for one {len(LONG_CAPTION.split())}-word caption: {long_seconds * 1e6:.0f} µs "
        f"({options.repeats * 20} runs)"
    )


if __name__ == "__main__":
    main()
