import numpy as np
import pytest

from robomem.errors import ConfigError, InputError
from robomem.memory.index import VectorIndex, resolve_device


def unit(rng, n, d):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_search_finds_exact_neighbours():
    rng = np.random.default_rng(0)
    v = unit(rng, 500, 32)
    idx = VectorIndex(32, kind="flat")
    idx.add(np.arange(500) * 10, v)
    ids, scores = idx.search(v[[3, 77]], k=5)
    assert ids[:, 0].tolist() == [30, 770]
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_replace_remove_and_padding():
    rng = np.random.default_rng(1)
    v = unit(rng, 3, 8)
    idx = VectorIndex(8)
    idx.add([1, 2, 3], v)
    idx.add([2], v[0])  # replace id 2 with vector of id 1
    assert len(idx) == 3 and np.allclose(idx.vector(2), v[0])
    idx.remove([1])
    ids, scores = idx.search(v[0], k=4)
    assert ids[0, 0] == 2 and ids[0, -1] == -1 and scores[0, -1] == -np.inf
    assert 1 not in idx and 3 in idx


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_kinds_have_high_recall(kind):
    rng = np.random.default_rng(2)
    v = unit(rng, 4000, 32)
    exact = VectorIndex(32, kind="flat")
    approx = VectorIndex(32, kind=kind)
    for index in (exact, approx):
        index.add(np.arange(4000), v)
    q = unit(rng, 50, 32)
    e, _ = exact.search(q, 10)
    a, _ = approx.search(q, 10)
    recall = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(e, a, strict=True)])
    assert recall > 0.8


def test_auto_switches_to_hnsw_above_flat_max():
    rng = np.random.default_rng(3)
    idx = VectorIndex(16, kind="auto", flat_max=200)
    idx.add(np.arange(100), unit(rng, 100, 16))
    idx.search(unit(rng, 1, 16), 1)
    assert idx._built_kind == "flat"
    idx.add(np.arange(100, 400), unit(rng, 300, 16))
    idx.search(unit(rng, 1, 16), 1)
    assert idx._built_kind == "hnsw"


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    idx = VectorIndex(8)
    idx.add([5, 6], unit(rng, 2, 8))
    idx.save(tmp_path / "i.npz")
    back = VectorIndex.load(tmp_path / "i.npz")
    assert back.ids.tolist() == [5, 6] and np.array_equal(back.vector(6), idx.vector(6))


def test_bad_input_and_device():
    idx = VectorIndex(8)
    with pytest.raises(InputError, match=r"wants \(N, 8\)"):
        idx.add([1], np.ones((1, 4)))
    with pytest.raises(InputError, match="NaN"):
        idx.add([1], np.full((1, 8), np.nan))
    with pytest.raises(ConfigError, match=r"index\.device"):
        resolve_device("tpu")
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
