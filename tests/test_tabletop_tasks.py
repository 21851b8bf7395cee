"""Tabletop memory tasks: experts solve them, memoryless agents cannot beat chance, and the decision-time
observations carry no information about the answer (the cue is hidden by design)."""

from __future__ import annotations

import numpy as np
import pytest

from robomem.config import PolicyConfig
from robomem.errors import InputError
from robomem.sim.tabletop import TASKS, make_env
from robomem.sim.tabletop.agents import ExpertAgent, GuessingExpert, RandomAgent, run_episode, success_rate

TASK_NAMES = list(TASKS)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_expert_succeeds_on_100_seeds(task):
    env = make_env(task, render_images=False)
    assert success_rate(env, ExpertAgent(), range(100)) >= 0.98


@pytest.mark.parametrize("task", TASK_NAMES)
def test_memoryless_agents_stay_at_chance(task):
    env = make_env(task, render_images=False)
    guesser = GuessingExpert()
    wins = []
    for seed in range(60):
        ep = run_episode(env, guesser, seed)
        # The guessing expert has the expert's skill: it wins exactly when its blind guess is the answer.
        assert ep.success == (tuple(np.atleast_1d(guesser.choice)) == tuple(np.atleast_1d(ep.answer)))
        wins.append(ep.success)
    assert abs(np.mean(wins) - env.chance) < 0.2
    assert success_rate(env, RandomAgent(), range(10)) <= env.chance


@pytest.mark.parametrize("task", TASK_NAMES)
def test_decision_time_frames_carry_no_answer(task):
    """Episodes that differ only in the hidden answer look different during the cue and pixel-identical
    from the moment the cue is hidden until the agent may act: no frame-only policy can tell them apart."""
    env = make_env(task, width=64, height=64)
    # A policy that executes 8 actions per sampled chunk must not sample a decision-phase chunk while it
    # still sees the cue.
    assert env.decision_step - env.cue_hidden_from >= PolicyConfig().n_action_steps
    runs = {}
    for answer in env.choices():
        obs = env.reset(5, answer=answer)
        frames, states = [obs["image"]], [obs["state"]]
        for _ in range(env.decision_step):
            obs, _ = env.step(env.expert_action())
            frames.append(obs["image"])
            states.append(obs["state"])
        runs[answer] = (np.stack(frames), np.stack(states))
    answers = list(runs)
    ref_frames, ref_states = runs[answers[0]]
    hidden = slice(env.cue_hidden_from, env.decision_step + 1)
    for a in answers[1:]:
        frames, states = runs[a]
        assert not np.array_equal(frames[:env.cue_hidden_from], ref_frames[:env.cue_hidden_from])
        assert np.array_equal(frames[hidden], ref_frames[hidden])
        assert np.array_equal(states[hidden], ref_states[hidden])


def test_same_seed_same_frames_and_different_seeds_differ():
    env = make_env("remember_colour", width=48, height=48)
    a = run_episode(env, ExpertAgent(), 3)
    b = run_episode(env, ExpertAgent(), 3)
    c = run_episode(env, ExpertAgent(), 4)
    assert np.array_equal(np.stack(a.images), np.stack(b.images))
    assert not np.array_equal(np.stack(a.images), np.stack(c.images))
    assert a.images[0].shape == (48, 48, 3) and a.images[0].dtype == np.uint8


def test_bad_action_and_unknown_task_raise_clear_errors():
    env = make_env("shell_game", width=32, height=32)
    env.reset(0)
    with pytest.raises(InputError, match="action"):
        env.step(np.array([0.0, 0.0, np.nan, 0.0]))
    with pytest.raises(InputError, match="unknown tabletop task"):
        make_env("juggling")
