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
    if temperature != 1.0:
        logits = logits / temperature  # [..., K]
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]  # [..., 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, _ = torch.sort(logits, dim=-1, descending=True)  # [..., K]
        probs = sorted_logits.softmax(dim=-1)  # [..., K]
        mass_before = probs.cumsum(dim=-1) - probs  # [..., K] mass of the codes sorted ahead of each one
        kept = mass_before < top_p  # [..., K] a prefix of the sorted codes, never empty
        # The smallest kept logit is the threshold; codes tied with it are kept too (order-independent).
        threshold = sorted_logits.masked_fill(~kept, float("inf")).amin(dim=-1, keepdim=True)  # [..., 1]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    return logits


def sample(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Draw one code per item: logits [..., K] -> LongTensor [...]; temperature 0 gives the argmax."""
    if temperature == 0.0:
        check_settings(temperature, top_k, top_p)
        return logits.argmax(dim=-1)  # [...] top-k and top-p always keep the maximum
    filtered = filter_logits(logits, temperature=temperature, top_k=top_k, top_p=top_p)  # [..., K]
    device = generator.device if generator is not None else logits.device
    uniform = torch.rand(logits.shape, generator=generator, device=device)  # [..., K] in [0, 1)
    gumbel = -torch.log(-torch.log(uniform))  # [..., K]; u = 0 gives -inf, never +inf
    return (filtered + gumbel.to(logits.device)).argmax(dim=-1)  # [...]
