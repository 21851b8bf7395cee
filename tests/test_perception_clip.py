"""The image-text encoder seam, with a tiny randomly initialised CLIP saved to a temporary folder.

This checks the plumbing (loading from a folder, preprocessing, shapes, normalisation, crops, batching,
caching, the Perceiver wiring); a random model says nothing about embedding quality.
"""

import numpy as np
import pytest

from robomem.config import PerceptionConfig
from robomem.errors import ConfigError, InputError
from robomem.perception.clip import ImageTextEncoder, TransformersImageTextEncoder, mask_crop
from robomem.perception.perceiver import build_perceiver, load_query_encoder
from robomem.perception.text import TextEncoder

WORDS = ["a", "photo", "of", "red", "blue", "mug", "chair", "small", "large", "object", "sofa", "flat"]


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import CLIPConfig, CLIPModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-clip")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "[UNK]": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="<|startoftext|> $A <|endoftext|>",
                                                       special_tokens=[("<|startoftext|>", 0), ("<|endoftext|>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                            unk_token="[UNK]", pad_token="<|endoftext|>", model_max_length=16).save_pretrained(folder)
    cfg = CLIPConfig(text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64,
                                  "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 16,
                                  "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
                     vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                    "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
                     projection_dim=24)
    torch.manual_seed(0)
    CLIPModel(cfg).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def enc(clip_dir):
    return TransformersImageTextEncoder(clip_dir, batch_size=3)


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (int(rng.integers(5, 80)), int(rng.integers(5, 80)), 3), dtype=np.uint8)
            for _ in range(n)]


def test_loads_from_a_folder_and_embeds_images_as_unit_rows(enc):
    assert isinstance(enc, ImageTextEncoder) and enc.dim == 24 and enc.image_size == 32
    ims = images(7)
    v = enc.encode_images(ims)
    assert v.shape == (7, 24) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # batching (3 per batch here) changes nothing: each image alone gives the same row
    alone = np.concatenate([enc.encode_images([im]) for im in ims])
    assert np.allclose(alone, v, atol=1e-5)
    assert not np.allclose(v[0], v[1], atol=1e-3)  # different images, different embeddings
    assert enc.encode_images([]).shape == (0, 24)


def test_text_tower_is_unit_cached_and_a_text_encoder(enc):
    t = enc.encode_texts(["a red mug", "a blue chair", "a red mug"])
    assert t.shape == (3, 24) and np.allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(t[0], t[2]) and not np.allclose(t[0], t[1])
    q = enc.as_text_encoder()
    assert isinstance(q, TextEncoder) and q.dim == 24
    assert np.array_equal(q.encode(["a red mug"])[0], t[0])


def test_bad_crop_and_bad_folders(enc, tmp_path):
    with pytest.raises(InputError, match="uint8"):
        enc.encode_images([np.zeros((4, 4, 3), np.float32)])
    with pytest.raises(ConfigError, match="does not exist"):
        TransformersImageTextEncoder(tmp_path / "nope")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="cannot load"):
        TransformersImageTextEncoder(tmp_path)


def test_mask_crop_is_the_padded_box():
    rgb = np.arange(100 * 120 * 3, dtype=np.uint8).reshape(100, 120, 3)
    mask = np.zeros((100, 120), bool)
    mask[20:40, 30:80] = True
    crop = mask_crop(rgb, mask, padding=0.1)
    assert crop.shape == (24, 60, 3) and np.array_equal(crop, rgb[18:42, 25:85])
    mask[:] = False
    mask[90:100, 0:10] = True
    assert mask_crop(rgb, mask, padding=0.5).shape == (15, 15, 3)  # clipped at the image border


def test_perceiver_embeds_crops_and_exposes_the_matching_query_encoder(clip_dir):
    from test_perception_noise import frame

    cfg = PerceptionConfig(segmenter="oracle", image_encoder=str(clip_dir))
    p = build_perceiver(cfg)
    f = frame()
    dets = p(f)
    assert len(dets) == 4 and p.embedding_space.startswith("image-text:")
    expected = p.image_encoder.encode_images([mask_crop(f.rgb, d.mask, cfg.crop_padding) for d in dets])
    assert np.allclose(np.stack([d.embedding for d in dets]), expected, atol=1e-6)
    q = p.query_encoder
    assert q.dim == dets[0].embedding.shape[0] == 24
    assert np.allclose(q.encode(["a red mug"]), p.image_encoder.encode_texts(["a red mug"]))
    assert load_query_encoder(cfg).dim == 24  # the memory/query side can build the same text tower
    plain = build_perceiver(PerceptionConfig(segmenter="oracle"))
    assert plain.query_encoder is plain.text_encoder and plain.embedding_space == "text:all-MiniLM-L6-v2"


def test_a_clip_memory_reopened_answers_in_the_clip_text_space(clip_dir, tmp_path):
    """A memory mapped with crop embeddings must embed its questions with the same model's text tower: a
    reopened memory (no perceiver at hand, e.g. memory_node or `robomem query`) picks it from its config."""
    from test_perception_noise import frame

    from robomem.config import RobomemConfig
    from robomem.memory import Memory

    config = RobomemConfig()
    config.perception = PerceptionConfig(segmenter="oracle", image_encoder=str(clip_dir))
    p = build_perceiver(config.perception)
    with Memory.create(tmp_path / "mem", config, text_encoder=p.query_encoder) as mem:
        f = frame()
        mem.integrate(f, p(f))
        mem.save()
    with Memory.open(tmp_path / "mem", readonly=True) as mem:
        assert mem.text_encoder.dim == 24 == mem.objects()[0].embedding.shape[0]
        assert np.allclose(mem.text_encoder.encode(["a red mug"]), p.image_encoder.encode_texts(["a red mug"]))
        answer = mem.ask("where is the red mug?")
        assert answer.kind == "navigation" and answer.targets
