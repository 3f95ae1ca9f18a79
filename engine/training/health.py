"""Codebook health (VQVAE-04, VQVAE-07, UI-02, UI-05): utilisation, perplexity, dead codes, a traffic light.

Utilisation is the share of a level's codes used at least once over a pass through the data; perplexity is
exp(entropy) of the usage distribution (the effective number of codes in use). Verdicts:

    utilisation >= 50 %   green   "Healthy"
    30 % .. 50 %          yellow  "Some codes underused"
    < 30 %                red     "Codebook collapse detected"   (also raises the training warning)
"""

from __future__ import annotations

import torch
from torch import Tensor

from engine.model_health import LIGHT_ORDER, LevelHealth

WARN_BELOW = 0.30
HEALTHY_FROM = 0.50


def verdict(utilisation: float) -> tuple[str, str]:
    """(status, light) for a level's utilisation."""
    if utilisation >= HEALTHY_FROM:
        return "Healthy", "green"
    if utilisation >= WARN_BELOW:
        return "Some codes underused", "yellow"
    return "Codebook collapse detected", "red"


def usage_counts(indices: Tensor, codebook_size: int, mask: Tensor | None = None) -> Tensor:
    """How often each code was chosen: indices [B, L, F] (mask [B, F]) -> counts [L, K] (int64)."""
    levels = indices.shape[1]
    per_level = indices.transpose(0, 1).reshape(levels, -1)  # [L, B*F]
    if mask is not None:
        keep = mask.reshape(-1)
        per_level = per_level[:, keep]
    counts = torch.zeros(levels, codebook_size, dtype=torch.long, device=indices.device)
    counts.scatter_add_(1, per_level.clamp(0, codebook_size - 1), torch.ones_like(per_level))
    return counts


def level_health(counts: Tensor, labels: tuple[str, ...]) -> list[LevelHealth]:
    """Per-level health from usage counts [L, K]."""
    result = []
    for level, row in enumerate(counts.double().cpu()):
        size = row.numel()
        used = int((row > 0).sum())
        total = row.sum()
        probs = row / total if total > 0 else row
        entropy = -(probs[probs > 0] * probs[probs > 0].log()).sum()
        utilisation = used / size
        status, light = verdict(utilisation)
        result.append(LevelHealth(level, labels[level], utilisation, float(entropy.exp()) if total > 0 else 0.0, size - used, status, light))
    return result


def warnings_for(levels: list[LevelHealth]) -> list[str]:
    """One warning sentence per level under the 30 % utilisation line."""
    return [
        f"{h.label} level uses only {h.utilisation:.0%} of its codes (below 30 %): codebook collapse; "
        "try a smaller --codebook-size, a lower --commitment-weight or more data"
        for h in levels
        if h.utilisation < WARN_BELOW
    ]


def overall(levels: list[LevelHealth]) -> tuple[str, str]:
    """The worst level's (status, light)."""
    worst = max(levels, key=lambda h: LIGHT_ORDER.index(h.light))
    return worst.status, worst.light
