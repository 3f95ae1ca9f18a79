"""Sampling filters against a slow, obviously-correct reference; greedy, off switches, the draw itself."""

from __future__ import annotations

import math

import pytest
import torch

from engine.prior.sampling import filter_logits, gumbel_noise, sample


def reference_kept(row: list[float], temperature: float, top_k: int, top_p: float) -> list[bool]:
    """Which codes survive, straight from the definitions (ties kept), in float64."""
    if temperature == 0:
        return [x == max(row) for x in row]
    z = [x / temperature for x in row]
    kept = [True] * len(z)
    if 0 < top_k < len(z):
        kept = [sum(1 for b in z if b > a) < top_k for a in z]  # fewer than k codes strictly more likely
    if top_p < 1.0:
        top = max(a for a, k in zip(z, kept) if k)
        weights = [math.exp(a - top) if k else 0.0 for a, k in zip(z, kept)]
        probs = [w / sum(weights) for w in weights]
        # kept when the codes strictly more likely than it hold less than top_p
        kept = [k and sum(q for q in probs if q > p) < top_p for p, k in zip(probs, kept)]
    return kept


SETTINGS = [
    (t, k, p)
    for t in (0.0, 0.5, 1.0, 2.0)
    for k in (0, 1, 3, 12, 40)
    for p in (1.0, 0.95, 0.6, 0.1, 1e-6)
]


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
def test_filter_matches_reference(ties):
    gen = torch.Generator().manual_seed(0)
    if ties:  # small integers: many equal logits, including ties for first place and at the k-th place
        logits = torch.randint(-3, 4, (60, 12), generator=gen).float()
    else:
        logits = torch.randn(60, 12, generator=gen) * 2
    for temperature, top_k, top_p in SETTINGS:
        out = filter_logits(logits, temperature=temperature, top_k=top_k, top_p=top_p)
        for row, filtered in zip(logits.tolist(), out):
            expected = reference_kept(row, temperature, top_k, top_p)
            assert torch.isfinite(filtered).tolist() == expected, (temperature, top_k, top_p, row)
            scale = 1.0 if temperature == 0 else temperature
            kept = torch.tensor(expected)
            assert torch.allclose(filtered[kept], torch.tensor(row)[kept] / scale)


def test_top_p_keeps_ties_at_the_boundary_and_is_inclusive_of_the_crossing_code():
    logits = torch.tensor([0.5, 0.25, 0.125, 0.125]).log()
    kept = lambda p: torch.isfinite(filter_logits(logits, temperature=1.0, top_k=0, top_p=p)).tolist()
    assert kept(0.4) == [True, False, False, False]
    assert kept(0.6) == [True, True, False, False]  # 0.5 alone is not enough: the code crossing 0.6 is in
    assert kept(0.749) == [True, True, False, False]
    assert kept(0.751) == [True, True, True, True]  # both tied 0.125s, never just one of them


def test_top_k_keeps_every_code_tied_with_the_kth():
    logits = torch.tensor([3.0, 1.0, 3.0, 2.0, 2.0])
    kept = lambda k: torch.isfinite(filter_logits(logits, temperature=1.0, top_k=k, top_p=1.0)).tolist()
    assert kept(1) == [True, False, True, False, False]
    assert kept(3) == [True, False, True, True, True]
    assert kept(5) == kept(0) == kept(99) == [True] * 5


def test_off_switches_and_temperature_scale():
    logits = torch.randn(4, 9)
    assert torch.equal(filter_logits(logits, temperature=1.0, top_k=0, top_p=1.0), logits)
    assert torch.allclose(filter_logits(logits, temperature=0.5, top_k=0, top_p=1.0), logits * 2)


def test_temperature_zero_is_argmax_and_needs_no_randomness():
    logits = torch.randn(100, 17)
    gen = torch.Generator().manual_seed(5)
    state = gen.get_state()
    for k, p in ((0, 1.0), (3, 0.5)):
        assert torch.equal(sample(logits, temperature=0.0, top_k=k, top_p=p, generator=gen), logits.argmax(-1))
    assert torch.equal(gen.get_state(), state)


def test_samples_follow_the_filtered_distribution():
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0, -3.0])
    draws = 40_000
    gen = torch.Generator().manual_seed(1)
    for temperature, top_k, top_p in ((1.0, 0, 1.0), (0.7, 4, 1.0), (1.3, 0, 0.8)):
        expected = filter_logits(logits, temperature=temperature, top_k=top_k, top_p=top_p).softmax(-1)
        codes = sample(logits.expand(draws, -1), temperature=temperature, top_k=top_k, top_p=top_p, generator=gen)
        freq = torch.bincount(codes, minlength=6).float() / draws
        assert torch.allclose(freq, expected, atol=0.01), (temperature, top_k, top_p, freq, expected)
        assert (freq[expected == 0] == 0).all()  # filtered codes never come out


def test_same_generator_seed_same_draws_and_shapes():
    logits = torch.randn(3, 5, 32)
    a = sample(logits, generator=torch.Generator().manual_seed(9))
    b = sample(logits, generator=torch.Generator().manual_seed(9))
    c = sample(logits, generator=torch.Generator().manual_seed(10))
    assert a.shape == (3, 5) and a.dtype == torch.long
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("settings", [{"temperature": -0.1}, {"top_k": -1}, {"top_p": 0.0}, {"top_p": 1.5}])
def test_bad_settings_are_refused(settings):
    args = {"temperature": 1.0, "top_k": 0, "top_p": 1.0} | settings
    with pytest.raises(ValueError):
        filter_logits(torch.zeros(4), **args)
    with pytest.raises(ValueError):
        sample(torch.zeros(4), **args)


def test_noise_drawn_as_a_block_equals_noise_drawn_row_by_row():
    """What lets `CodePrior.generate` draw the noise of many frames at once and still give the codes of
    one draw per level: a CPU generator fills a tensor in order, and the transform is elementwise."""
    for shape in ((5, 3, 2, 16), (4, 3, 1, 100), (2, 3, 3, 13)):
        block = gumbel_noise(shape, generator=torch.Generator().manual_seed(4))
        gen = torch.Generator().manual_seed(4)
        rows = torch.stack([gumbel_noise(shape[2:], generator=gen) for _ in range(shape[0] * shape[1])])
        assert torch.equal(block.flatten(0, 1), rows)
    logits = torch.randn(6, 3, 2, 16)
    settings = {"temperature": 0.7, "top_k": 5, "top_p": 0.9}
    gen = torch.Generator().manual_seed(8)
    one_by_one = torch.stack([sample(row, generator=gen, **settings) for row in logits])
    noise = gumbel_noise(logits.shape, generator=torch.Generator().manual_seed(8))
    out = torch.empty(6, 3, 2, dtype=torch.long)
    for row, row_noise, row_out in zip(logits, noise, out):
        sample(row, noise=row_noise, out=row_out, **settings)
    assert torch.equal(out, one_by_one)
