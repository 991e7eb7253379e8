"""Tiny random-weight captioning models, saved like real checkpoints.

Each builder writes a directory that ``AutoProcessor`` + ``AutoModelForImageTextToText`` load
exactly as they load a downloaded model (config, safetensors weights, tokenizer, processor,
chat template). Hidden size 32, one or two layers, 32-pixel images: a few hundred KiB and a
fraction of a second per batch on a CPU. The weights are random, so the captions are gibberish:
tests assert on structure, never on the words.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

FAMILIES = ("blip", "florence2", "llava")
_PRINTABLE = list(string.ascii_letters + string.digits + ".,:;!?'\"-()[]{}<>|/_=@#$%&*+")


def build(family: str, directory: Path) -> Path:
    """Write the tiny model of ``family`` into ``directory`` (created) and return it."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    {"blip": _blip, "florence2": _florence2, "llava": _llava}[family](directory)
    return directory


def _blip(directory: Path) -> None:
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-")
    words = [
        "a", "an", "the", "of", "on", "in", "with", "and", "photo", "picture", "image", "cat",
        "dog", "red", "blue", "two",
    ]  # fmt: skip
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", *words, *chars]
    tokens += ["##" + c for c in chars]
    tokenizer = BertTokenizer(
        vocab={t: i for i, t in enumerate(dict.fromkeys(tokens))},
        bos_token="[DEC]",
        model_max_length=64,
    )
    processor = BlipProcessor(BlipImageProcessorPil(size={"height": 32, "width": 32}), tokenizer)
    config = BlipConfig(
        vision_config={
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "image_size": 32, "patch_size": 8, "projection_dim": 32,
        },
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": 32, "encoder_hidden_size": 32,
            "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "projection_dim": 32, "max_position_embeddings": 512,
            "bos_token_id": tokenizer.bos_token_id, "sep_token_id": tokenizer.sep_token_id,
            "eos_token_id": tokenizer.sep_token_id, "pad_token_id": tokenizer.pad_token_id,
        },
        projection_dim=32,
        image_text_hidden_size=32,
    )  # fmt: skip
    BlipForConditionalGeneration(config).save_pretrained(directory)
    processor.save_pretrained(directory)


def _florence2(directory: Path) -> None:
    from transformers import (
        BartTokenizer,
        CLIPImageProcessorPil,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
    )
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "<image>"]
    vocab = {
        t: i for i, t in enumerate(dict.fromkeys(specials + list(bytes_to_unicode().values())))
    }
    tokenizer = BartTokenizer(vocab=vocab, merges=[], image_token="<image>", model_max_length=512)
    image_processor = CLIPImageProcessorPil(
        size={"height": 32, "width": 32}, do_center_crop=False, image_seq_length=65
    )
    processor = Florence2Processor(image_processor=image_processor, tokenizer=tokenizer)
    text: dict[str, Any] = {
        "model_type": "bart", "vocab_size": len(tokenizer), "d_model": 32, "encoder_layers": 1,
        "decoder_layers": 1, "encoder_attention_heads": 4, "decoder_attention_heads": 4,
        "encoder_ffn_dim": 64, "decoder_ffn_dim": 64, "max_position_embeddings": 512,
        "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "decoder_start_token_id": tokenizer.eos_token_id,
        "forced_eos_token_id": tokenizer.eos_token_id,
    }  # fmt: skip
    vision: dict[str, Any] = {
        "depths": [1], "patch_size": [7], "patch_stride": [4], "patch_padding": [3],
        "patch_prenorm": [False], "embed_dim": [32], "num_heads": [4], "num_groups": [4],
        "window_size": 4, "projection_dim": 32, "drop_path_rate": 0.0,
    }  # fmt: skip
    config = Florence2Config(
        text_config=text, vision_config=vision, image_token_id=tokenizer.image_token_id
    )
    Florence2ForConditionalGeneration(config).save_pretrained(directory)
    processor.save_pretrained(directory)


def _llava(directory: Path) -> None:
    from transformers import (
        CLIPImageProcessorPil,
        LlamaTokenizer,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    tokens = specials + [f"<0x{i:02X}>" for i in range(256)] + ["\u2581", *_PRINTABLE]
    tokenizer = LlamaTokenizer(
        vocab={t: i for i, t in enumerate(dict.fromkeys(tokens))},
        merges=[],
        pad_token="<pad>",
        image_token="<image>",
    )
    template = (
        "{% for m in messages %}{{ m['role'].upper() + ': ' }}{% for c in m['content'] %}"
        "{% if c['type'] == 'image' %}{{ '<image>\n' }}{% elif c['type'] == 'text' %}"
        "{{ c['text'] }}{% endif %}{% endfor %}{{ '\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
    )
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=template,
    )
    config = LlavaConfig(
        vision_config={
            "model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 32,
            "patch_size": 8, "projection_dim": 32,
        },
        text_config={
            "model_type": "llama", "vocab_size": len(tokenizer), "hidden_size": 32,
            "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "max_position_embeddings": 4096,
            "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        image_token_index=tokenizer.image_token_id,
        image_seq_length=16,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )  # fmt: skip
    LlavaForConditionalGeneration(config).save_pretrained(directory)
    processor.save_pretrained(directory)
