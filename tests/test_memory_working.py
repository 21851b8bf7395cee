"""WorkingMemoryBank: capacity, consolidation, retrieval, time encoding and gradients."""

from __future__ import annotations

import pytest
import torch

from robomem.errors import InputError
from robomem.memory.working import WorkingMemoryBank, merge_most_similar_adjacent

D, P = 8, 2


def unit(i: int, dim: int = D) -> torch.Tensor:
    v = torch.zeros(dim)
    v[i] = 1.0
    return v


def write(bank: WorkingMemoryBank, vec: torch.Tensor, t: float) -> None:
    """Write one entry for a batch of 1: the perceptual grid repeats ``vec``, the cognitive token is ``vec``."""
    bank.write(vec.expand(1, P, D), vec.expand(1, D), t)


@pytest.mark.parametrize("consolidate", [True, False])
@pytest.mark.parametrize("capacity", [1, 4, 16])
def test_capacity_is_never_exceeded(capacity, consolidate):
    torch.manual_seed(0)
    bank = WorkingMemoryBank(D, n_heads=2, capacity=capacity, consolidate=consolidate)
    for t in range(40):
        bank(torch.randn(3, P, D), torch.randn(3, D), t)
        assert len(bank) == min(t + 1, capacity)
        c = bank.contents
        assert c.perc.shape == (3, len(bank), P, D) and c.cog.shape == (3, len(bank), D)
        assert c.perc_t.shape == c.cog_t.shape == (3, len(bank))
        # Order of events is kept: timesteps stay sorted after merges.
        assert (c.perc_t[:, 1:] >= c.perc_t[:, :-1]).all() and (c.cog_t[:, 1:] >= c.cog_t[:, :-1]).all()
    bank.reset()
    assert len(bank) == 0


def test_consolidation_merges_the_most_similar_adjacent_pair():
    bank = WorkingMemoryBank(D, n_heads=2, capacity=3)
    a, b, a2, c = unit(0), unit(1), unit(0) + 0.1 * unit(2), unit(3)
    # a and a2 are the most similar pair overall, but not adjacent; b and a2 are not similar at all.
    b2 = unit(1) + 0.3 * unit(4)
    for t, v in enumerate([a, b, b2, c]):
        write(bank, v, t)
    # [a, b, b2, c] -> the adjacent pair (b, b2) is merged into its mean at timestep 1.5.
    got = bank.contents
    assert torch.allclose(got.cog[0], torch.stack([a, 0.5 * (b + b2), c]))
    assert torch.allclose(got.cog_t[0], torch.tensor([0.0, 1.5, 3.0]))
    assert torch.allclose(got.perc[0, 1], (0.5 * (b + b2)).expand(P, D))
    # Non-adjacent similar entries are never merged: [a, b, a2, c] merges an adjacent pair, not (a, a2).
    x = torch.stack([a, b, a2, c]).unsqueeze(0)
    merged, _times, idx = merge_most_similar_adjacent(x, torch.arange(4.0).unsqueeze(0))
    assert merged.shape == (1, 3, D) and int(idx) in (0, 1, 2)
    assert not any(torch.allclose(row, 0.5 * (a + a2)) for row in merged[0])


def test_consolidation_picks_its_own_pair_per_batch_row():
    x = torch.stack([torch.stack([unit(0), unit(0), unit(1), unit(2)]),  # row 0: pair (0, 1) identical
                     torch.stack([unit(0), unit(1), unit(2), unit(2)])])  # row 1: pair (2, 3) identical
    t = torch.arange(4.0).expand(2, 4)
    merged, times, idx = merge_most_similar_adjacent(x, t)
    assert idx.tolist() == [0, 2]
    assert torch.allclose(times, torch.tensor([[0.5, 2.0, 3.0], [0.0, 1.0, 2.5]]))
    assert torch.allclose(merged[0], torch.stack([unit(0), unit(1), unit(2)]))
    assert torch.allclose(merged[1], torch.stack([unit(0), unit(1), unit(2)]))


def test_fifo_drops_the_oldest_entry():
    bank = WorkingMemoryBank(D, n_heads=2, capacity=2, consolidate=False)
    for t, v in enumerate([unit(0), unit(0), unit(1)]):
        write(bank, v, t)
    assert torch.allclose(bank.contents.cog[0], torch.stack([unit(0), unit(1)]))
    assert bank.contents.cog_t[0].tolist() == [1.0, 2.0]


def _identity_attention(bank: WorkingMemoryBank, scale: float = 20.0) -> None:
    """Constructed weights: q = k = v = the token itself (times ``scale`` for q), one head, no time term."""
    with torch.no_grad():
        for attn in (bank.perc_attn, bank.cog_attn):
            attn.in_proj_weight.copy_(torch.cat([scale * torch.eye(D), torch.eye(D), torch.eye(D)]))
            attn.in_proj_bias.zero_()
            attn.out_proj.weight.copy_(torch.eye(D))
            attn.out_proj.bias.zero_()
        bank.time_proj.weight.zero_()
        bank.time_proj.bias.zero_()


def test_retrieval_attends_to_the_matching_entry():
    bank = WorkingMemoryBank(D, n_heads=1, capacity=8)
    _identity_attention(bank)
    for t, k in enumerate([0, 1, 2, 3]):
        write(bank, unit(k), t)
    query = unit(2)
    with torch.no_grad():
        _ret_p, ret_c = bank.retrieve(query.expand(1, P, D), query.unsqueeze(0), 4)
    w_p, w_c = bank.last_attention  # (1, queries, 1 + entries): column 0 is the "nothing" entry
    assert int(w_c[0, 0].argmax()) == 1 + 2 and float(w_c[0, 0, 3]) > 0.9
    # Perceptual keys are entries x grid cells: both cells of entry 2 share the weight.
    assert float(w_p[0, 0, 1 + 2 * P: 1 + 3 * P].sum()) > 0.9
    assert torch.allclose(ret_c[0], unit(2), atol=0.1)


def test_empty_bank_retrieves_the_learned_null_entry():
    bank = WorkingMemoryBank(D, n_heads=2)
    ret_p, ret_c = bank.retrieve(torch.randn(2, P, D), torch.randn(2, D), 0)
    assert ret_p.shape == (2, P, D) and ret_c.shape == (2, D) and torch.isfinite(ret_p).all()


def test_time_encoding_distinguishes_order():
    torch.manual_seed(0)
    bank = WorkingMemoryBank(D, n_heads=2)
    x, y = torch.randn(D), torch.randn(D)
    q = torch.randn(1, P, D), torch.randn(1, D)

    def read(order):
        bank.reset()
        for v, t in order:
            write(bank, v, t)
        return bank.retrieve(*q, 5)

    enc = bank.time_enc(torch.tensor([1.0, 2.0]))
    assert not torch.allclose(enc[0], enc[1])
    first = read([(x, 1.0), (y, 2.0)])
    swapped = read([(x, 2.0), (y, 1.0)])  # same contents, opposite order in time
    assert not torch.allclose(first[1], swapped[1], atol=1e-4)
    assert not torch.allclose(first[0], swapped[0], atol=1e-4)
    with torch.no_grad():  # without the time term the two banks would read the same
        bank.time_proj.weight.zero_()
        bank.time_proj.bias.zero_()
    assert torch.allclose(read([(x, 1.0), (y, 2.0)])[1], read([(x, 2.0), (y, 1.0)])[1], atol=1e-6)


def test_gradients_flow_through_retrieval_and_fusion():
    torch.manual_seed(0)
    bank = WorkingMemoryBank(D, n_heads=2, capacity=2)
    past = [(torch.randn(2, P, D, requires_grad=True), torch.randn(2, D, requires_grad=True)) for _ in range(3)]
    for t, (p, c) in enumerate(past):
        bank.write(p, c, t)  # the third write consolidates: gradients must pass through the merge too
    cur_p, cur_c = torch.randn(2, P, D, requires_grad=True), torch.randn(2, D, requires_grad=True)
    fused_p, fused_c = bank(cur_p, cur_c, 3)
    (fused_p.pow(2).sum() + fused_c.pow(2).sum()).backward()
    for name in ("perc_attn.in_proj_weight", "cog_attn.in_proj_weight", "perc_gate.weight", "cog_gate.weight",
                 "time_proj.weight"):
        g = dict(bank.named_parameters())[name].grad
        assert g is not None and g.abs().sum() > 0, name
    for p, c in past:
        assert p.grad is not None and p.grad.abs().sum() > 0
        assert c.grad is not None and c.grad.abs().sum() > 0
    assert cur_p.grad.abs().sum() > 0 and cur_c.grad.abs().sum() > 0


def test_bad_settings_raise():
    with pytest.raises(InputError, match="capacity"):
        WorkingMemoryBank(D, capacity=0)
    bank = WorkingMemoryBank(D, n_heads=2)
    bank.write(torch.randn(2, P, D), torch.randn(2, D), 0)
    with pytest.raises(InputError, match="reset"):
        bank.write(torch.randn(3, P, D), torch.randn(3, D), 1)
