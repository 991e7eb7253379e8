"""Image captioning with Hugging Face ``transformers``: one code path for every model family.

Plain Python, no Django. ``torch`` and ``transformers`` are imported when a captioner is built,
never when this module is imported, so the web process can validate configurations without them.

Families (``CaptionerConfig.family``; ``auto`` reads the model's ``config.json``):

- ``plain``: captioners that need no prompt or take a text prefix (BLIP, GIT, ViT-GPT2);
- ``task_prompt``: models steered by a task token (Florence-2: ``<MORE_DETAILED_CAPTION>``);
- ``chat``: chat-template VLMs (LLaVA, Idefics3, PaliGemma, SmolVLM, Qwen2-VL where their
  processors load); the prompt is sent as a user turn beside the image.

Every family goes through ``AutoProcessor`` + ``AutoModelForImageTextToText`` and batched
``generate``. Weights load as safetensors only; remote code runs only when the configuration
allows it; the device and dtype are chosen automatically (CUDA with bf16, or fp16 where bf16 is
not supported; CPU with fp32) unless the configuration names them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

FAMILIES = ("auto", "plain", "task_prompt", "chat")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float16", "bfloat16")

PLAIN_MODEL_TYPES = frozenset({"blip", "git", "vision-encoder-decoder", "pix2struct"})
TASK_PROMPT_MODEL_TYPES = frozenset({"florence2"})

DENSE_PROMPT = (
    "Describe this image in dense detail. Name every visible object with its count, colour, "
    "material, size and position relative to the other objects; quote any visible text; say "
    "what the scene is and what is happening. Answer with one JSON object: "
    '{"caption": "<the description as fluent sentences>", "facts": [{"kind": "object|attribute|'
    'relation|count|text_in_image|scene", "subject": "...", "predicate": "...", "value": "..."}]}'
)
TASK_PROMPT = "<MORE_DETAILED_CAPTION>"


class CaptionerError(Exception):
    """A captioner cannot be built or run; ``permanent`` errors will not heal by retrying."""

    permanent = True


class ConfigurationInvalid(CaptionerError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class ModelNotFound(CaptionerError):
    """The model is neither a local directory nor available from the Hugging Face Hub."""


class ModelUnusable(CaptionerError):
    """The model was found but cannot caption (no safetensors, no processor, remote code...)."""


@dataclass(frozen=True)
class CaptionerConfig:
    """What a caption job runs. ``model`` is a Hub id or a local directory."""

    model: str
    revision: str | None = None
    family: str = "auto"
    prompt: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8
    max_new_tokens: int = 256
    min_new_tokens: int = 0
    num_beams: int = 1
    trust_remote_code: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CaptionerConfig:
        """Validate a JSON object (job parameters, API input); ConfigurationInvalid names each
        bad field."""
        known = {name for name in cls.__dataclass_fields__}
        errors: dict[str, str] = {
            name: "Unknown field." for name in sorted(set(data) - known) if isinstance(name, str)
        }
        model = data.get("model")
        if not isinstance(model, str) or not model.strip() or len(model) > 500:
            errors["model"] = "Give a Hugging Face model id or a local directory (1-500 chars)."
        revision = data.get("revision")
        if revision is not None and (not isinstance(revision, str) or not 0 < len(revision) <= 100):
            errors["revision"] = "A branch, tag or commit of at most 100 characters."
        for name, choices in (("family", FAMILIES), ("device", DEVICES), ("dtype", DTYPES)):
            value = data.get(name, "auto")
            if value not in choices:
                errors[name] = f"One of {', '.join(choices)}."
        prompt = data.get("prompt")
        if prompt is not None and (not isinstance(prompt, str) or len(prompt) > 4000):
            errors["prompt"] = "Text of at most 4000 characters."
        bounds = {
            "batch_size": (1, 256, 8),
            "max_new_tokens": (1, 4096, 256),
            "min_new_tokens": (0, 4096, 0),
            "num_beams": (1, 16, 1),
        }
        for name, (low, high, default) in bounds.items():
            value = data.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = f"A whole number from {low} to {high}."
        if not errors and data.get("min_new_tokens", 0) > data.get("max_new_tokens", 256):
            errors["min_new_tokens"] = "Must not exceed max_new_tokens."
        if not isinstance(data.get("trust_remote_code", False), bool):
            errors["trust_remote_code"] = "true or false."
        if not isinstance(data.get("extra", {}), dict):
            errors["extra"] = "An object of generate() keyword arguments."
        if errors:
            raise ConfigurationInvalid(errors)
        return cls(**{name: data[name] for name in known if name in data})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def key(self) -> str:
        """Stable identity of everything that changes the output (the worker's model cache)."""
        return sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The model name stored with each caption: the id, and the revision when pinned."""
        return f"{self.model}@{self.revision}" if self.revision else self.model


@dataclass
class BatchTiming:
    """Seconds spent in preprocessing, bare ``generate`` and decoding for the last batch."""

    preprocess: float = 0.0
    generate: float = 0.0
    decode: float = 0.0


class Captioner(Protocol):
    config: CaptionerConfig
    timing: BatchTiming
    input_size: int | None  # the largest side the model's processor resizes images to

    def caption(self, images: Sequence[Image.Image]) -> list[str]: ...


def model_location(config: CaptionerConfig) -> tuple[str, bool]:
    """(where to load from, whether it is a local directory)."""
    path = Path(config.model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFound(
                f"Model {config.model!r} cannot be found: the directory has no config.json."
            )
        return str(path.resolve()), True
    if config.model.startswith(("/", "./", "../", "~")):
        raise ModelNotFound(f"Model {config.model!r} cannot be found: no such directory.")
    return config.model, False


def choose_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelUnusable("device 'cuda' was requested but this worker has no CUDA device.")
    return requested


def choose_dtype(requested: str, device: str) -> Any:
    import torch

    if requested != "auto":
        return getattr(torch, requested)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


class TransformersCaptioner:
    """A loaded model and processor; build once per worker process and reuse."""

    def __init__(self, config: CaptionerConfig) -> None:
        import torch
        import transformers

        # transformers' loaders are only partly typed; the model and processor are used through
        # their documented call signatures.
        auto_config: Any = transformers.AutoConfig
        auto_model: Any = transformers.AutoModelForImageTextToText
        auto_processor: Any = transformers.AutoProcessor
        self.config = config
        self.timing = BatchTiming()
        location, local = model_location(config)
        common: dict[str, Any] = {
            "revision": config.revision,
            "trust_remote_code": config.trust_remote_code,
            "local_files_only": local,
        }
        try:
            model_config = auto_config.from_pretrained(location, **common)
        except OSError as error:
            raise ModelNotFound(
                f"Model {config.model!r} cannot be found locally or on the Hugging Face Hub"
                f"{f' at revision {config.revision!r}' if config.revision else ''}: "
                f"{_first_line(error)}"
            ) from error
        except ValueError as error:
            raise ModelUnusable(f"Model {config.model!r}: {_first_line(error)}") from error
        self.device = choose_device(config.device)
        self.dtype = choose_dtype(config.dtype, self.device)
        self.family = config.family if config.family != "auto" else _family_of(model_config)
        try:
            self.processor: Any = auto_processor.from_pretrained(location, **common)
            self.model: Any = auto_model.from_pretrained(
                location, dtype=self.dtype, use_safetensors=True, **common
            )
        except (OSError, ValueError, ImportError, KeyError) as error:
            raise ModelUnusable(
                f"Model {config.model!r} cannot be loaded as an image-to-text model with "
                f"safetensors weights: {_first_line(error)}"
            ) from error
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if not hasattr(self.processor, "image_processor"):
            raise ModelUnusable(
                f"Model {config.model!r} has no image processor: AutoProcessor returned "
                f"{type(self.processor).__name__}."
            )
        self.model.to(self.device).eval()
        tokenizer = getattr(self.processor, "tokenizer", None)
        if tokenizer is not None and not self.model.config.is_encoder_decoder:
            # Decoder-only models continue the prompt: pad on the left so every row ends at
            # the prompt's last token.
            tokenizer.padding_side = "left"
        self.prompt = self._prompt()
        self.input_size = _input_size(self.processor.image_processor)
        self._torch = torch

    def _prompt(self) -> str | None:
        if self.family == "task_prompt":
            return self.config.prompt or TASK_PROMPT
        if self.family == "chat":
            messages = [
                {
                    "role": "user",
                    "content": [
                        {"type": "image"},
                        {"type": "text", "text": self.config.prompt or DENSE_PROMPT},
                    ],
                }
            ]
            try:
                return str(self.processor.apply_chat_template(messages, add_generation_prompt=True))
            except (ValueError, AttributeError) as error:
                raise ModelUnusable(
                    f"Model {self.config.model!r} has no chat template: {_first_line(error)}"
                ) from error
        return self.config.prompt  # plain: an optional text prefix

    def caption(self, images: Sequence[Image.Image]) -> list[str]:
        """One caption per image, in order. Images are converted to RGB first."""
        if not images:
            return []
        torch = self._torch
        started = time.perf_counter()
        rgb = [image if image.mode == "RGB" else image.convert("RGB") for image in images]
        kwargs: dict[str, Any] = {"images": rgb, "return_tensors": "pt"}
        if self.prompt is not None:
            kwargs["text"] = [self.prompt] * len(rgb)
            kwargs["padding"] = True
        inputs = self.processor(**kwargs).to(self.device)
        for name, tensor in inputs.items():
            if torch.is_floating_point(tensor):
                inputs[name] = tensor.to(self.dtype)
        generated = time.perf_counter()
        with torch.inference_mode():
            ids = self.model.generate(
                **inputs,
                max_new_tokens=self.config.max_new_tokens,
                min_new_tokens=self.config.min_new_tokens,
                num_beams=self.config.num_beams,
                do_sample=False,
                **self.config.extra,
            )
        decoded = time.perf_counter()
        prompt_ids = inputs.get("input_ids")
        if (
            prompt_ids is not None
            and ids.shape[1] >= prompt_ids.shape[1]
            and torch.equal(ids[:, : prompt_ids.shape[1]], prompt_ids.to(ids.device))
        ):
            ids = ids[:, prompt_ids.shape[1] :]
        texts = self.processor.batch_decode(ids, skip_special_tokens=True)
        finished = time.perf_counter()
        self.timing = BatchTiming(generated - started, decoded - generated, finished - decoded)
        return [" ".join(str(text).split()) for text in texts]


def _read(size: Any, name: str) -> Any:
    return size.get(name) if isinstance(size, dict) else getattr(size, name, None)


def _input_size(image_processor: Any) -> int | None:
    """The largest side the image processor resizes to, when it has a fixed one (so that JPEGs
    can be decoded at a reduced scale that still exceeds it); None for dynamic resolutions."""
    size = getattr(image_processor, "size", None)
    if size is None or _read(size, "max_pixels") or _read(size, "min_pixels"):
        return None
    names = ("height", "width", "shortest_edge", "longest_edge", "max_height", "max_width")
    sides = [value for name in names if isinstance(value := _read(size, name), int)]
    crop = getattr(image_processor, "crop_size", None)
    if getattr(image_processor, "do_center_crop", False) and crop is not None:
        sides += [v for n in ("height", "width") if isinstance(v := _read(crop, n), int)]
    return max(sides) if sides else None


def _family_of(model_config: Any) -> str:
    model_type = str(getattr(model_config, "model_type", ""))
    if model_type in PLAIN_MODEL_TYPES:
        return "plain"
    if model_type in TASK_PROMPT_MODEL_TYPES:
        return "task_prompt"
    return "chat"


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:500]
