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


# ---- the options for tasks that bind a remembered cue to the current scene (relation layers, answer loss) ----
OPTIONS = dataclasses.replace(TINY, relation_layers=1, aux_weight=1.0, aux_cue_frames=2)


def test_dataset_serves_the_answer_index_and_the_cue_timing(dataset):
    ds = TabletopEpisodes(dataset, horizon=8)
    env = make_env("shell_game", render_images=False)
    lines = [json.loads(ln) for ln in (dataset / "meta" / "episodes.jsonl").read_text().splitlines()]
    assert ds.answer_choices == env.choices()
    for i, line in enumerate(lines):
        item = ds[i]
        assert int(item["answer"]) == env.choices().index(line["answer"])
        assert int(item["cue_hidden_from"]) == env.cue_hidden_from and int(item["decision_step"]) == env.decision_step


def test_answer_mask_covers_the_hidden_cue_window_only():
    from robomem.policy.policy import answer_mask

    hidden, decision = torch.tensor([3, 5]), torch.tensor([6, 8])
    m = answer_mask(10, hidden, decision)
    assert m.tolist()[0] == [t in range(3, 7) for t in range(10)]
    assert m.tolist()[1] == [t in range(5, 9) for t in range(10)]
    m2 = answer_mask(10, hidden, decision, cue_frames=2)
    assert m2.tolist()[0] == [t in range(1, 7) for t in range(10)]
    assert answer_mask(10, hidden, decision, cue_frames=9)[0, 0]  # clamped at step 0


def test_answer_loss_reaches_only_the_masked_steps():
    stats = {STATE_KEY: {"min": [0.0] * 5, "max": [1.0] * 5}, ACTION_KEY: {"min": [0.0] * 4, "max": [1.0] * 4}}
    torch.manual_seed(0)
    pol = MemoryDiffusionPolicy(OPTIONS, stats, n_answers=3)
    B, T, P, D = 2, 9, OPTIONS.grid ** 2, OPTIONS.dim
    perc = torch.randn(B, T, P, D, requires_grad=True)
    cog = torch.randn(B, T, D, requires_grad=True)
    batch = {"answer": torch.tensor([2, -1]), "cue_hidden_from": torch.tensor([4, 4]),
             "decision_step": torch.tensor([6, 6])}
    loss, acc = pol._aux_loss(perc, cog, batch)
    loss.backward()
    touched = (perc.grad.abs().sum((2, 3)) + cog.grad.abs().sum(2)) > 0  # (B, T)
    # Episode 0: steps 2..6 (cue_frames=2 before step 4, up to the decision step 6); episode 1 has no answer.
    assert touched[0].tolist() == [t in range(2, 7) for t in range(T)]
    assert not touched[1].any()
    assert 0.0 <= acc <= 1.0
    # The cue frames (steps 2-3) and the hidden window (4-6) weigh the same, however many steps each has.
    logits = pol.aux_logits(perc, cog)[0].detach()
    ce = torch.nn.functional.cross_entropy(logits, torch.full((T,), 2), reduction="none")
    assert torch.isclose(loss.detach(), 0.5 * (ce[2:4].mean() + ce[4:7].mean()))


def test_relation_layers_keep_shapes_and_pass_gradients_to_every_input():
    from robomem.policy.model import RelationLayers

    torch.manual_seed(0)
    rel = RelationLayers(16, 2, 2)
    perc, cog, ret = (torch.randn(5, 4, 16, requires_grad=True), torch.randn(5, 16, requires_grad=True),
                      torch.randn(5, 4, 16, requires_grad=True))
    p, c = rel(perc, cog, ret)
    assert p.shape == (5, 4, 16) and c.shape == (5, 16)
    (p.sum() + c.pow(2).sum()).backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in (perc, cog, ret))
    p2, c2 = rel(perc, cog)  # without a bank: current and cognitive tokens only
    assert p2.shape == (5, 4, 16) and c2.shape == (5, 16)


def test_default_options_add_no_parameters_and_change_nothing(dataset):
    ds = TabletopEpisodes(dataset, horizon=8)
    batch = torch.utils.data.default_collate([ds[0], ds[1]])
    outs = []
    for n_answers in (0, 3):  # training now passes the task's answer count; with the options off it changes nothing
        torch.manual_seed(0)
        pol = MemoryDiffusionPolicy(TINY, ds.stats, n_answers=n_answers)
        assert not any(k.startswith(("relation", "aux_head")) for k in pol.state_dict())
        torch.manual_seed(1)
        loss, info = pol(batch)
        outs.append((pol.state_dict(), float(loss.detach()), info))
    assert outs[0][0].keys() == outs[1][0].keys()
    assert all(torch.equal(outs[0][0][k], outs[1][0][k]) for k in outs[0][0])
    assert outs[0][1] == outs[1][1] and set(outs[0][2]) == {"loss"}


@pytest.mark.parametrize("use_memory", [True, False])
def test_policy_with_options_trains_saves_and_acts(dataset, tmp_path, use_memory):
    cfg = dataclasses.replace(OPTIONS, steps=10, checkpoint_every=10, use_memory=use_memory)
    summary = train(dataset, tmp_path / "opt", cfg, progress=False)
    assert summary["steps"] == 10
    log = [json.loads(ln) for ln in (tmp_path / "opt" / "train_log.jsonl").read_text().splitlines()]
    assert 0.0 <= log[-1]["aux_accuracy"] <= 1.0
    pol = MemoryDiffusionPolicy.from_pretrained(tmp_path / "opt" / "pretrained")
    assert pol.n_answers == 3 and pol.relation is not None and pol.aux_head is not None
    env = make_env("shell_game", width=32, height=32)
    obs = env.reset(3)
    pol.reset(seed=0)
    act = pol.select_action(policy_observation(obs, TabletopEpisodes(dataset).task_embedding))
    assert act.shape == (1, 4) and torch.isfinite(act).all()


def test_answer_loss_without_answers_is_a_clear_error(dataset):
    ds = TabletopEpisodes(dataset, horizon=8)
    with pytest.raises(InputError, match="aux_weight"):
        MemoryDiffusionPolicy(OPTIONS, ds.stats, n_answers=0)
