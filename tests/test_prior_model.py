"""CodePrior: the causal structure, KV-cached sampling against a slow uncached reference, any length, learning."""

from __future__ import annotations

import pytest
import torch

from engine.prior import model as prior_model
from engine.prior.config import PriorConfig, adaptive_prior_config
from engine.prior.data import CodeSet, epoch_plan, take_windows
from engine.prior.model import CodePrior
from engine.prior.sampling import sample
from engine.prior.train import end_loss, prior_loss

K = 16


def tiny_prior(context: int = 8, seed: int = 0, **overrides) -> CodePrior:
    torch.manual_seed(seed)
    settings = {"levels": 3, "codebook_size": K, "context": context, "d_model": 32, "n_layers": 2, "n_heads": 2, "dropout": 0.1}
    return CodePrior(PriorConfig(**(settings | overrides))).eval()


def reference_generate(prior: CodePrior, n_frames: int, prompt: torch.Tensor, generator: torch.Generator, **settings) -> torch.Tensor:
    """Slow and obvious: for every frame and level, run `forward` on the whole window and sample the last position.

    The window rule written out: at most context - 1 known frames after START; when full, keep the newest
    `keep_on_slide` frames; START is BEGIN only while the window reaches back to frame 0.
    """
    codes = prompt.clone()
    batch, levels, first = prompt.shape
    context, keep = prior.cfg.context, prior.keep_on_slide
    start = 0 if first < context else first - keep
    for n in range(first, first + n_frames):
        if n - start >= context:
            start = n - keep
        frame = torch.zeros(batch, levels, 1, dtype=torch.long)
        for level in range(levels):
            window = torch.cat([codes[:, :, start:n], frame], dim=2)
            logits = prior(window, begins=torch.full((batch,), start == 0))[:, level, -1]  # [B, K]
            frame[:, level, 0] = sample(logits, generator=generator, **settings)
        codes = torch.cat([codes, frame], dim=2)
    return codes[:, :, first:]


def test_logits_depend_only_on_earlier_frames_and_coarser_levels_of_the_same_frame():
    prior = tiny_prior()
    codes = torch.randint(0, K, (2, 3, 8))
    base = prior(codes)
    assert base.shape == (2, 3, 8, K)
    t = 4
    for level in range(3):
        changed = codes.clone()
        changed[:, level, t] = (changed[:, level, t] + 1) % K
        out = prior(changed)
        assert torch.equal(out[:, :, :t], base[:, :, :t])  # the past does not see the future
        assert torch.equal(out[:, : level + 1, t], base[:, : level + 1, t])  # nor a level its own or finer codes
        if level < 2:
            assert not torch.allclose(out[:, level + 1 :, t], base[:, level + 1 :, t])  # finer levels see coarser
        assert not torch.allclose(out[:, :, t + 1 :], base[:, :, t + 1 :])  # later frames see it


@pytest.mark.parametrize(
    "prompt_frames, n_frames, settings",
    [
        (0, 30, {"temperature": 1.0, "top_k": 0, "top_p": 1.0}),  # slides 5 times
        (3, 20, {"temperature": 0.8, "top_k": 5, "top_p": 1.0}),
        (11, 15, {"temperature": 1.2, "top_k": 0, "top_p": 0.9}),  # a prompt longer than the context
        (0, 20, {"temperature": 0.0, "top_k": 0, "top_p": 1.0}),  # greedy
    ],
)
def test_kv_cached_generation_equals_uncached_reference(prompt_frames, n_frames, settings):
    prior = tiny_prior(context=8)
    prompt = torch.randint(0, K, (2, 3, prompt_frames))
    fast = prior.generate(n_frames, prompt=prompt, generator=torch.Generator().manual_seed(3), **settings)
    slow = reference_generate(prior, n_frames, prompt, torch.Generator().manual_seed(3), **settings)
    assert fast.shape == (2, 3, n_frames)
    assert torch.equal(fast, slow)


def test_cached_step_logits_match_the_full_forward_pass(monkeypatch):
    """The unrolled cached step and heads against `forward` on the finished grid, logit by logit.

    Not bit for bit: `forward` multiplies [B * T, d] matrices where a step multiplies [B, d] vectors, so
    sums round differently (measured: at most 1.2e-7 here); the codes still match exactly (test above).
    """
    prior = tiny_prior(context=8)
    seen = []

    def recording(logits, **settings):
        seen.append(logits.clone())
        return sample(logits, **settings)

    monkeypatch.setattr(prior_model, "sample", recording)
    codes = prior.generate(7, batch=2, generator=torch.Generator().manual_seed(5))  # [2, 3, 7]: one window, no slide
    fast = torch.stack(seen).view(7, 3, 2, K).permute(2, 1, 0, 3)  # [B, L, T, K], drawn frame by frame, level by level
    torch.testing.assert_close(fast, prior(codes), rtol=0, atol=1e-5)


def test_same_seed_same_codes_other_seed_other_codes():
    prior = tiny_prior()
    run = lambda seed: prior.generate(40, batch=3, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))
    greedy = prior.generate(10, temperature=0.0)
    assert torch.equal(greedy, prior.generate(10, temperature=0.0))


def test_generation_of_any_length_and_batch_broadcast_of_a_prompt():
    prior = tiny_prior(context=8)
    codes = prior.generate(100, batch=2, generator=torch.Generator().manual_seed(0))
    assert codes.shape == (2, 3, 100) and codes.dtype == torch.long
    assert not codes.is_inference() and codes.is_contiguous()  # sampled in inference mode, returned as an ordinary tensor
    assert 0 <= int(codes.min()) and int(codes.max()) < K
    prompt = torch.randint(0, K, (1, 3, 5))
    assert prior.generate(4, prompt=prompt, batch=3).shape == (3, 3, 4)
    assert prior.generate(0).shape == (1, 3, 0)
    assert not prior.training  # generate leaves the mode as it was
    prior.train()
    prior.generate(2)
    assert prior.training


def test_bad_prompts_are_refused():
    prior = tiny_prior()
    with pytest.raises(ValueError, match="prompt must be"):
        prior.generate(2, prompt=torch.zeros(1, 2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="codes must lie"):
        prior.generate(2, prompt=torch.full((1, 3, 3), K))
    with pytest.raises(ValueError, match="does not match"):
        prior.generate(2, prompt=torch.zeros(2, 3, 3, dtype=torch.long), batch=3)


def test_resampling_all_levels_of_the_tail_is_generating_a_continuation():
    prior = tiny_prior(context=8)
    codes = torch.randint(K, (2, 3, 20), generator=torch.Generator().manual_seed(1))
    resampled = prior.resample(codes, 6, 20, generator=torch.Generator().manual_seed(5))
    continued = prior.generate(14, prompt=codes[:, :, :6], generator=torch.Generator().manual_seed(5))
    assert torch.equal(resampled[:, :, :6], codes[:, :, :6]) and torch.equal(resampled[:, :, 6:], continued)


def test_resampling_keeps_what_it_should_and_redraws_the_rest():
    prior = tiny_prior(context=8)
    codes = torch.randint(K, (1, 3, 30), generator=torch.Generator().manual_seed(2))
    seeded = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731
    new = prior.resample(codes, 5, 25, levels=[1, 2], generator=seeded(7))  # keep Structure, redraw Timbre and Detail
    assert torch.equal(new[:, :, :5], codes[:, :, :5]) and torch.equal(new[:, :, 25:], codes[:, :, 25:])
    assert torch.equal(new[:, 0], codes[:, 0])  # the kept level, inside the region too
    assert (new[:, 1:, 5:25] != codes[:, 1:, 5:25]).any()
    assert torch.equal(prior.resample(codes, 5, 25, levels=[1, 2], generator=seeded(7)), new)  # same seed, same grid
    assert not torch.equal(prior.resample(codes, 5, 25, levels=[1, 2], generator=seeded(8)), new)
    for start, end, levels in ((5, 5, None), (-1, 3, None), (0, 31, None), (0, 3, [3])):
        with pytest.raises(ValueError):
            prior.resample(codes, start, end, levels)


def synthesised_codes(batch: int, frames: int, generator: torch.Generator) -> torch.Tensor:
    """Learnable grids: level 0 steps through the codebook, levels 1 and 2 are functions of the coarser codes."""
    start = torch.randint(0, K, (batch, 1), generator=generator)
    c0 = (start + torch.arange(frames)) % K  # [B, T]
    c1 = (3 * c0 + 1) % K
    c2 = (c0 + c1 * 5) % K
    return torch.stack([c0, c1, c2], dim=1)  # [B, 3, T]


def test_a_tiny_prior_learns_synthesised_codes():
    prior = tiny_prior(context=16, dropout=0.0).train()
    gen = torch.Generator().manual_seed(0)
    optimizer = torch.optim.AdamW(prior.parameters(), lr=3e-3)
    mask = torch.ones(16, 16, dtype=torch.bool)
    losses = []
    for _ in range(120):
        codes = synthesised_codes(16, 16, gen)
        loss, _, _ = prior_loss(prior(codes), codes, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 0.9 * torch.log(torch.tensor(float(K))).item()  # starts near uniform
    assert sum(losses[-10:]) / 10 < 0.3  # ends near certain: only frame 0 is unpredictable
    # and it generates the rule it learned
    prior.eval()
    out = prior.generate(30, prompt=synthesised_codes(2, 4, gen), temperature=0.0)
    assert torch.equal(out[:, 0, 1:], (out[:, 0, :-1] + 1) % K)
    assert torch.equal(out[:, 1], (3 * out[:, 0] + 1) % K)


def test_adaptive_sizes_grow_with_the_dataset():
    small, medium, large = (CodePrior(adaptive_prior_config(n, 3, 64)).num_params() for n in (10, 50, 300))
    assert small < medium < large
    cfg = adaptive_prior_config(10, 4, 128)
    assert (cfg.levels, cfg.codebook_size, cfg.d_model % cfg.n_heads) == (4, 128, 0)
    assert PriorConfig.from_dict(cfg.to_dict() | {"unknown": 1}) == cfg
    with pytest.raises(ValueError):
        PriorConfig(d_model=100, n_heads=3)


def short_sounds(count: int, gap: int, generator: torch.Generator) -> CodeSet:
    """`count` learnable 'sounds' of 3 to 8 frames (level 0 counts up from a random code, never 0), each
    followed by `gap` frames of the silent code 0, as `engine.prior.data.encode_clips` packs real files."""
    sequences = []
    for _ in range(count):
        length = int(torch.randint(3, 9, (1,), generator=generator))
        c0 = 1 + (torch.randint(0, K - 1, (1,), generator=generator) + torch.arange(length)) % (K - 1)  # [T] in 1..K-1
        sound = torch.stack([c0, (3 * c0 + 1) % K, (c0 + 5) % K])  # [3, T]
        sequences.append(torch.cat([sound, torch.zeros(3, gap, dtype=torch.long)], dim=1))  # [3, T + gap]
    return CodeSet(torch.cat(sequences, dim=1), torch.tensor([s.shape[1] for s in sequences]), 1, gap)


def test_the_end_head_learns_where_sounds_end_and_one_shots_stop_before_the_cap():
    prior = tiny_prior(context=32, dropout=0.0, end_head=True).train()
    gen = torch.Generator().manual_seed(0)
    sounds = short_sounds(64, gap=4, generator=gen)
    optimizer = torch.optim.AdamW(prior.parameters(), lr=3e-3)
    for _ in range(6):
        plan = epoch_plan(sounds, 32, min_windows=256, generator=gen)
        stream, after = sounds.stream(plan.order), sounds.after_end(plan.order)[None]  # [3, N], [1, N]
        for first in range(0, len(plan.starts), 16):
            starts = plan.starts[first : first + 16]
            codes, mask = take_windows(stream, starts, 32)  # [B, 3, C], [B, C]
            targets, _ = take_windows(after, starts, 32)  # [B, 1, C]
            h = prior.hidden(codes, plan.begins[first : first + 16])
            loss = prior_loss(prior.code_logits(h, codes), codes, mask)[0] + end_loss(prior.end_logits(h), targets[:, 0], mask)[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    lengths = [prior.generate(60, generator=torch.Generator().manual_seed(seed), one_shot=True).shape[-1] for seed in range(20)]
    assert sum(length < 60 for length in lengths) >= 18  # nearly every one-shot ends before the cap of 60 frames
    assert 3 <= sorted(lengths)[10] <= 8  # and the typical one is as long as a training sound (an untrained head: 1)
    # Without one-shot the same prior runs to the length asked for.
    assert prior.generate(60, generator=torch.Generator().manual_seed(0)).shape[-1] == 60


def test_a_prior_without_the_end_head_refuses_one_shots_and_loads_its_old_config():
    prior = tiny_prior()
    assert prior.end is None and PriorConfig.from_dict({"levels": 3, "codebook_size": K}).end_head is False
    with pytest.raises(ValueError, match="end head"):
        prior.generate(5, one_shot=True)


def test_after_end_marks_the_silent_gap_of_every_sequence():
    sounds = CodeSet(torch.zeros(1, 13, dtype=torch.long), torch.tensor([6, 7]), copies=1, gap=4)  # sounds of 2 and 3 frames
    assert sounds.after_end(torch.tensor([1, 0])).int().tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]
