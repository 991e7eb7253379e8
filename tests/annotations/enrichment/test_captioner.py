"""The captioner loads tiny checkpoints of three families through the real loading path."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from annotations.enrichment.captioner import (
    CaptionerConfig,
    ConfigurationInvalid,
    ModelNotFound,
    ModelUnusable,
    TransformersCaptioner,
)

IMAGES = [
    Image.new("RGB", (64, 48), (200, 30, 30)),
    Image.new("RGB", (30, 90), (10, 200, 30)),
    Image.new("L", (40, 40), 128),  # grayscale
    Image.new("RGBA", (50, 20), (0, 0, 255, 100)),  # with alpha
    Image.new("P", (33, 33)),  # palette
    Image.new("RGB", (500, 400), (1, 2, 3)),
    Image.new("RGB", (8, 8), (255, 255, 255)),
    Image.new("CMYK", (24, 24), (0, 50, 100, 0)),
]


@pytest.mark.parametrize(
    ("family", "detected"), [("blip", "plain"), ("florence2", "task_prompt"), ("llava", "chat")]
)
def test_each_family_captions_a_batch_from_a_saved_checkpoint(
    tiny_models: dict[str, Path], family: str, detected: str
) -> None:
    captioner = TransformersCaptioner(
        CaptionerConfig(model=str(tiny_models[family]), max_new_tokens=6, min_new_tokens=2)
    )
    assert (captioner.family, captioner.device, str(captioner.dtype)) == (
        detected,
        "cpu",
        "torch.float32",
    )
    # Every tiny model resizes to 32 pixels (BLIP and Florence-2 to 32x32, LLaVA's shortest
    # edge): the worker decodes JPEGs at no less than twice that.
    assert captioner.input_size == 32
    captions = captioner.caption(IMAGES)
    assert len(captions) == len(IMAGES)
    assert all(isinstance(caption, str) for caption in captions)
    assert captioner.timing.generate > 0
    assert captioner.caption([]) == []


def test_the_prompt_follows_the_family(tiny_models: dict[str, Path]) -> None:
    plain = TransformersCaptioner(CaptionerConfig(model=str(tiny_models["blip"])))
    task = TransformersCaptioner(CaptionerConfig(model=str(tiny_models["florence2"])))
    chat = TransformersCaptioner(
        CaptionerConfig(model=str(tiny_models["llava"]), prompt="List the objects.")
    )
    assert plain.prompt is None
    assert task.prompt == "<MORE_DETAILED_CAPTION>"
    assert chat.prompt == "USER: <image>\nList the objects.\nASSISTANT:"


def test_a_model_that_cannot_be_found_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"^Model '/no/such/dir' cannot be found: no such"):
        TransformersCaptioner(CaptionerConfig(model="/no/such/dir"))
    with pytest.raises(
        ModelNotFound,
        match=r"^Model 'kd-tests/no-such-model' cannot be found locally or on the Hugging Face",
    ):
        TransformersCaptioner(CaptionerConfig(model="kd-tests/no-such-model", revision="v1"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match=r"^Model '.*empty' cannot be found"):
        TransformersCaptioner(CaptionerConfig(model=str(tmp_path / "empty")))


def test_weights_that_are_not_safetensors_are_refused(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    import torch
    from safetensors.torch import load_file

    # The same checkpoint with its weights as a pickle, the format that can run code on load.
    shutil.copytree(tiny_models["blip"], tmp_path, dirs_exist_ok=True)
    weights = load_file(tmp_path / "model.safetensors")
    (tmp_path / "model.safetensors").unlink()
    torch.save(weights, tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelUnusable, match=r"no file named model\.safetensors found"):
        TransformersCaptioner(CaptionerConfig(model=str(tmp_path)))


def test_configurations_are_validated_field_by_field() -> None:
    with pytest.raises(ConfigurationInvalid) as invalid:
        CaptionerConfig.from_mapping(
            {
                "model": "",
                "batch_size": 0,
                "family": "mystery",
                "dtype": "int8",
                "max_new_tokens": True,
                "trust_remote_code": "yes",
                "colour": "red",
            }
        )
    assert invalid.value.errors == {
        "colour": "Unknown field.",
        "model": "Give a Hugging Face model id or a local directory (1-500 chars).",
        "family": "One of auto, plain, task_prompt, chat.",
        "dtype": "One of auto, float32, float16, bfloat16.",
        "batch_size": "A whole number from 1 to 256.",
        "max_new_tokens": "A whole number from 1 to 4096.",
        "trust_remote_code": "true or false.",
    }
    with pytest.raises(ConfigurationInvalid) as inverted:
        CaptionerConfig.from_mapping({"model": "m", "min_new_tokens": 9, "max_new_tokens": 8})
    assert inverted.value.errors == {"min_new_tokens": "Must not exceed max_new_tokens."}
    config = CaptionerConfig.from_mapping({"model": "org/model", "revision": "abc123"})
    assert (config.name, config.batch_size, config.trust_remote_code) == (
        "org/model@abc123",
        8,
        False,
    )
    assert config.key() == CaptionerConfig.from_mapping(config.as_dict()).key()
    assert config.key() != CaptionerConfig(model="org/model").key()
