import numpy as np
import pytest

from robomem.errors import ConfigError
from robomem.perception.text import load_text_encoder


@pytest.fixture(scope="module")
def enc():
    return load_text_encoder("minilm")


def test_minilm_embeddings_are_unit_and_semantic(enc):
    assert enc.dim == 384
    v = enc.encode(["a sink", "wash my hands", "a sofa", "somewhere to sit"])
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # the real model, not a stub: functional phrases land nearer the right object
    assert v[1] @ v[0] > v[1] @ v[2]
    assert v[3] @ v[2] > v[3] @ v[0]


def test_cache_returns_identical_rows(enc):
    a = enc.encode(["red mug", "blue mug", "red mug"])
    assert np.array_equal(a[0], a[2]) and not np.array_equal(a[0], a[1])


def test_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_text_encoder(str(tmp_path / "nope"))


def test_embedding_cache_computes_each_new_text_once_and_stays_bounded():
    from robomem.perception.text import EmbeddingCache

    calls: list[list[str]] = []

    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], np.float32)

    cache = EmbeddingCache(size=2)
    out = cache.encode(["ab", "abc", "ab"], 2, compute)
    assert calls == [["ab", "abc"]] and out[:, 0].tolist() == [2, 3, 2]
    cache.encode(["ab"], 2, compute)  # cached: no call
    cache.encode(["abcd"], 2, compute)  # evicts the least recently used ("abc")
    cache.encode(["abc", "ab"], 2, compute)
    assert calls == [["ab", "abc"], ["abcd"], ["abc"]]
