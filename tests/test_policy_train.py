"""Policy data, training, checkpoints and evaluation on a tiny configuration (small images, few steps)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from robomem.cli import main
from robomem.config import PolicyConfig
from robomem.errors import InputError, SourceError
from robomem.policy.dataset import ACTION_KEY, IMAGE_KEY, STATE_KEY, TabletopEpisodes, collect
from robomem.policy.policy import MemoryDiffusionPolicy
from robomem.policy.runner import policy_observation, wilson_interval
from robomem.policy.train import train
from robomem.sim.tabletop import make_env

TINY = PolicyConfig(dim=16, n_heads=2, grid=2, horizon=8, n_action_steps=4, denoiser_width=64, denoiser_blocks=2,
                    steps=40, batch_episodes=3, noise_draws=2, lr=3e-3, warmup_steps=5, checkpoint_every=20,
                    shift_pixels=2, downsample=1, capacity=6, num_threads=1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return collect("shell_game", 3, tmp_path_factory.mktemp("ds") / "shell", width=32, height=32)


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tiny"
    summary = train(dataset, out, TINY, progress=False)
    return out, summary


def test_dataset_format_and_action_chunks(dataset):
    info = json.loads((dataset / "meta" / "info.json").read_text())
    assert info["task"] == "shell_game" and info["features"][IMAGE_KEY]["shape"] == [32, 32, 3]
    lines = (dataset / "meta" / "episodes.jsonl").read_text().splitlines()
    assert [json.loads(ln)["seed"] for ln in lines] == [0, 1, 2]
    stats = json.loads((dataset / "meta" / "stats.json").read_text())
    assert len(stats[ACTION_KEY]["min"]) == 4 and len(stats[STATE_KEY]["max"]) == 5
    ds = TabletopEpisodes(dataset, horizon=8)
    item = ds[1]
    T = make_env("shell_game").max_steps
    assert item[IMAGE_KEY].shape == (T, 32, 32, 3) and item[IMAGE_KEY].dtype == torch.uint8
    assert item["action_chunks"].shape == (T, 8, 4) and item["action_is_pad"].shape == (T, 8)
    with np.load(dataset / "data" / "episode_000001.npz") as z:
        actions = z[ACTION_KEY]
    for t in (0, T - 3, T - 1):
        for h in range(8):
            assert torch.equal(item["action_chunks"][t, h], torch.from_numpy(actions[min(t + h, T - 1)]))
            assert bool(item["action_is_pad"][t, h]) == (t + h >= T)
    assert np.isclose(np.linalg.norm(ds.task_embedding), 1.0, atol=1e-4)


def test_training_reduces_the_loss_and_writes_its_outputs(trained):
    out, summary = trained
    log = [json.loads(ln) for ln in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [10, 20, 30, 40]
    assert log[-1]["loss"] < 0.7 * log[0]["loss"]
    assert (out / "pretrained" / "model.safetensors").is_file()
    assert (out / "checkpoints" / "last" / "training_state.pt").is_file()
    assert summary["steps"] == 40 and summary["samples_per_second"] > 0


def test_save_load_round_trip_gives_identical_actions(trained, tmp_path, dataset):
    out, _ = trained
    a = MemoryDiffusionPolicy.from_pretrained(out / "pretrained")
    b = MemoryDiffusionPolicy.from_pretrained(a.save_pretrained(tmp_path / "copy"))
    assert a.task == b.task == "shell_game"
    env = make_env("shell_game", width=32, height=32)
    emb = TabletopEpisodes(dataset).task_embedding
    acts = {}
    for name, pol in (("a", a), ("b", b)):
        obs = env.reset(7)
        pol.reset(seed=3)
        seq = []
        for _ in range(10):
            act = pol.select_action(policy_observation(obs, emb))
            seq.append(act)
            obs, _ = env.step(act[0].numpy())
        acts[name] = torch.cat(seq)
        assert len(pol.bank) == min(10, TINY.capacity)
    assert torch.equal(acts["a"], acts["b"])
    a.reset(seed=4)
    other = a.select_action(policy_observation(env.reset(7), emb))
    assert not torch.equal(other, acts["a"][:1])  # a different seed samples different noise


def test_load_policy_accepts_the_task_text_in_place_of_its_embedding(trained, dataset):
    from robomem.policy import load_policy

    out, _ = trained
    pol = load_policy(out / "pretrained")
    env = make_env("shell_game", width=32, height=32)
    obs = env.reset(5)
    ds = TabletopEpisodes(dataset)
    pol.reset(seed=1)
    by_embedding = pol.select_action(policy_observation(obs, ds.task_embedding))
    pol.reset(seed=1)
    by_text = pol.select_action({IMAGE_KEY: obs["image"], STATE_KEY: obs["state"], "task": env.text})
    assert torch.allclose(by_text, by_embedding, atol=1e-5)
    with pytest.raises(InputError, match="task_embedding"):
        pol.select_action({IMAGE_KEY: obs["image"], STATE_KEY: obs["state"]})


def test_resume_continues_from_the_checkpoint(dataset, tmp_path):
    cfg = dataclasses.replace(TINY, steps=20, checkpoint_every=10)
    train(dataset, tmp_path / "r", cfg, progress=False)
    with pytest.raises(InputError, match="resume"):
        train(dataset, tmp_path / "r", cfg, progress=False)
    summary = train(dataset, tmp_path / "r", dataclasses.replace(cfg, steps=30), resume=True, progress=False)
    assert summary["start_step"] == 20
    log = [json.loads(ln)["step"] for ln in (tmp_path / "r" / "train_log.jsonl").read_text().splitlines()]
    assert log == [10, 20, 30]


def test_memoryless_policy_has_no_bank(dataset):
    ds = TabletopEpisodes(dataset, horizon=8)
    pol = MemoryDiffusionPolicy(dataclasses.replace(TINY, use_memory=False), ds.stats)
    assert pol.bank is None
    loss, info = pol(torch.utils.data.default_collate([ds[0], ds[1]]))
    assert loss.item() > 0 and np.isfinite(info["loss"])
    with pytest.raises(InputError, match="without a memory bank"):
        pol.set_memory(capacity=4)


def test_evaluate_runs_ablations_with_intervals(trained):
    from robomem.policy.evaluate import evaluate, format_table

    out, _ = trained
    res = evaluate("shell_game", out / "pretrained", episodes=2, seed_start=10000, capacities=(4,), progress=False)
    names = [r["variant"] for r in res["rows"]]
    assert any("FIFO" in n for n in names) and any("L=4" in n for n in names)
    assert names[-2].startswith("scripted expert") and res["rows"][-2]["success"] == 1.0
    for r in res["rows"]:
        assert 0.0 <= r["ci_low"] <= r["success"] <= r["ci_high"] <= 1.0
    assert "| variant |" in format_table(res)
    with pytest.raises(InputError, match="trained on"):
        evaluate("ordered_press", out / "pretrained", episodes=1, progress=False)


def test_wilson_interval_matches_known_values():
    lo, hi = wilson_interval(5, 10)
    assert abs(lo - 0.2366) < 1e-3 and abs(hi - 0.7634) < 1e-3
    lo, hi = wilson_interval(50, 50)
    assert hi == 1.0 and abs(lo - 0.9287) < 1e-3


def test_bad_inputs_give_clear_errors(tmp_path, capsys):
    with pytest.raises(SourceError, match="not a saved policy"):
        MemoryDiffusionPolicy.from_pretrained(tmp_path)
    with pytest.raises(SourceError, match="not a robomem policy dataset"):
        TabletopEpisodes(tmp_path)
    assert main(["policy", "collect", "--task", "shell_game", "--episodes", "0", "--out", str(tmp_path / "x")]) == 2
    assert main(["policy", "eval", "--task", "shell_game", "--episodes", "1"]) == 2
    assert "robomem: error:" in capsys.readouterr().err
