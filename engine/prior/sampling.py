"""Sampling from logits with temperature, top-k and top-p (nucleus), as users know them from text models.

Order: temperature scales the logits, top-k keeps the k most likely codes, top-p keeps the most likely codes
whose probabilities (after top-k, renormalised) first reach p. Both rules keep ties: a code is kept when
fewer than k codes are strictly more likely (top-k), or when the codes strictly more likely than it hold
less than p of the probability (top-p). So the result never depends on how a sort orders equal logits,
and k = 1 with a tie for first keeps both. top_k = 0 and top_p = 1.0 switch the filters off; temperature 0
is greedy decoding (`sample` returns the argmax and draws no random number).

The draw is the Gumbel-max trick, argmax(logits + Gumbel noise), with the noise made from uniforms drawn
from `generator` (which may live on another device than the logits, so a CPU generator seeds CUDA sampling
too): an exact sample from softmax(logits) in a few tensor operations, which matters at one draw per level
per frame. A filtered code (-inf) can never win.

The noise of many draws can be made at once (`gumbel_noise` of a block, then `sample(..., noise=row)`):
a CPU generator fills a tensor one uniform after another, in order, and the transform is elementwise, so a
block holds bit for bit the numbers that drawing its rows one call at a time would give
(tests/test_prior_sampling.py checks it). `CodePrior.generate` draws a block of frames per call.
"""

from __future__ import annotations

import torch
from torch import Tensor


def check_settings(temperature: float, top_k: int, top_p: float) -> None:
    """ValueError unless temperature >= 0, top_k >= 0 and 0 < top_p <= 1."""
    if not temperature >= 0.0:
        raise ValueError(f"temperature must be 0 or more, not {temperature}")
    if top_k < 0:
        raise ValueError(f"top_k must be 0 (off) or more, not {top_k}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be above 0 and at most 1 (off), not {top_p}")


def filter_logits(logits: Tensor, *, temperature: float, top_k: int, top_p: float) -> Tensor:
    """logits [..., K] -> filtered logits [..., K]: scaled by 1 / temperature, dropped codes set to -inf.

    Temperature 0 keeps only the largest logit(s), unscaled. The input is not modified.
    """
    check_settings(temperature, top_k, top_p)
    if temperature == 0.0:
        top = logits.amax(dim=-1, keepdim=True)  # [..., 1]
        return logits.masked_fill(logits < top, float("-inf"))
    return _filter(logits, temperature, top_k, top_p)


def _filter(logits: Tensor, temperature: float, top_k: int, top_p: float) -> Tensor:
    """`filter_logits` for checked settings and temperature > 0; returns `logits` itself when nothing applies.

    One sort serves both filters: masking the sorted logits below the k-th largest gives exactly the sorted
    top-k-filtered logits, and a code survives both filters when it is at least the larger threshold.
    """
    if temperature != 1.0:
        logits = logits / temperature  # [..., K]
    top_k = top_k if 0 < top_k < logits.shape[-1] else 0
    if top_p < 1.0:
        ordered = torch.sort(logits, dim=-1, descending=True).values  # [..., K]
        if top_k:
            kth = ordered.narrow(-1, top_k - 1, 1)  # [..., 1] the k-th largest logit
            ordered = ordered.masked_fill(ordered < kth, float("-inf"))  # [..., K] top-k applied, still sorted
        probs = ordered.softmax(dim=-1)  # [..., K]
        kept = probs.cumsum(dim=-1).sub_(probs) < top_p  # [..., K] mass of the codes ahead of each below p: a prefix
        # The smallest kept logit is the threshold; codes tied with it are kept too (order-independent).
        threshold = torch.where(kept, ordered, float("inf")).amin(dim=-1, keepdim=True)  # [..., 1]
        if top_k:
            threshold = torch.maximum(threshold, kth)  # [..., 1]
        return logits.masked_fill(logits < threshold, float("-inf"))
    if top_k:
        kth = torch.topk(logits, top_k, dim=-1).values.narrow(-1, top_k - 1, 1)  # [..., 1]
        return logits.masked_fill(logits < kth, float("-inf"))
    return logits


def gumbel_noise(
    shape: tuple[int, ...] | torch.Size, *, generator: torch.Generator | None = None, device: torch.device | None = None
) -> Tensor:
    """Gumbel noise [*shape] on `device`, made from uniforms drawn from `generator` (on the generator's device).

    Without a generator the uniforms come from the default generator of `device`.
    """
    source = generator.device if generator is not None else device
    uniform = torch.rand(shape, generator=generator, device=source)  # [*shape] in [0, 1)
    return uniform.log_().neg_().log_().neg_().to(device)  # -log(-log(u)); u = 0 gives -inf, never +inf


def sample(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
    out: Tensor | None = None,
) -> Tensor:
    """Draw one code per item: logits [..., K] -> LongTensor [...]; temperature 0 gives the argmax.

    `noise` [..., K], when given, is Gumbel noise drawn beforehand with `gumbel_noise` and takes the place of
    a draw from `generator`. `out` [...] (long) receives the codes. Temperature 0 uses neither.
    """
    check_settings(temperature, top_k, top_p)
    if temperature == 0.0:
        return torch.argmax(logits, dim=-1, out=out)  # [...] top-k and top-p always keep the maximum
    filtered = _filter(logits, temperature, top_k, top_p)  # [..., K]
    if noise is None:
        noise = gumbel_noise(logits.shape, generator=generator, device=logits.device)  # [..., K]
    return torch.argmax(filtered + noise, dim=-1, out=out)  # [...]
