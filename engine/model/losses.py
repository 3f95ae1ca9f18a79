"""Reconstruction loss: masked multi-scale L1 on log-mel spectrograms, plus the commitment term. No KL."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

SCALES = (1, 2, 4, 8)


def masked_mel_l1(recon: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute difference of log-mels [B, 1, M, T] over real frames (`mask` [B, T], True = real).

    With natural-log mels floored at 1e-5 this is the held-out figure reported by training and benchmarks.
    """
    if mask is None:
        return (recon - target).abs().mean()
    m = mask[:, None, None, :].to(target.dtype).expand_as(target)  # [B, 1, M, T]
    return ((recon - target).abs() * m).sum() / m.sum().clamp_min(1)


def multi_scale_mel_l1(recon: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """L1 between log-mels [B, 1, M, T] compared at several time-frequency resolutions, averaged.

    At scale s both spectrograms are average-pooled over s x s (mel bins x frames) blocks before comparing,
    so the loss sees fine detail and broad spectral shape. Padding (mask False) is zeroed in both before
    pooling and blocks made only of padding are left out.
    """
    total = masked_mel_l1(recon, target, mask)
    m = target.new_ones(target.shape[0], target.shape[-1]) if mask is None else mask.to(target.dtype)
    m = m[:, None, None, :].expand_as(target).contiguous()  # [B, 1, M, T]
    for s in SCALES[1:]:
        r, t, w = (F.avg_pool2d(x, s, ceil_mode=True) for x in (recon * m, target * m, m))
        real = (w > 0).to(target.dtype)
        total = total + ((r - t).abs() * real).sum() / real.sum().clamp_min(1)
    return total / len(SCALES)


def vqvae_loss(recon: Tensor, target: Tensor, commit_loss: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(total, reconstruction) for one batch; `commit_loss` already carries the commitment weight."""
    reconstruction = multi_scale_mel_l1(recon, target, mask)
    return reconstruction + commit_loss, reconstruction
