"""The one place that wraps `vector_quantize_pytorch.ResidualVQ` (Zeghidour et al. 2021, SoundStream).

EMA codebook updates, k-means initialisation on the first training batch and dead-code re-seeding all come
from the library; this wrapper fixes the layout to channels-first `[B, D, F]` and returns a result object.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn
from vector_quantize_pytorch import ResidualVQ

from engine.model.config import ModelConfig


@dataclass
class Quantized:
    """Output of `Quantizer.forward`."""

    quantized: Tensor  # [B, D, F] sum of the chosen code vectors of every level
    indices: Tensor  # [B, L, F] codebook index per level and code column
    commit_loss: Tensor  # scalar, already weighted by the commitment weight


class Quantizer(nn.Module):
    """Residual VQ over code columns: each level quantizes what the coarser levels left over."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.levels = cfg.levels
        self.rvq = ResidualVQ(
            dim=cfg.codebook_dim,
            num_quantizers=cfg.levels,
            codebook_size=cfg.codebook_size,
            decay=cfg.ema_decay,
            commitment_weight=cfg.commitment_weight,
            kmeans_init=True,
            kmeans_iters=cfg.kmeans_iters,
            threshold_ema_dead_code=cfg.dead_code_threshold,
        )

    @property
    def initialised(self) -> bool:
        """True once k-means has seeded every level's codebook.

        `_codebook.initted` is a private buffer of vector-quantize-pytorch (pinned in requirements.lock; saved in
        model files as `...layers.N._codebook.initted`); tests/test_vqvae.py fails loudly if an upgrade changes it.
        """
        return all(bool(layer._codebook.initted) for layer in self.rvq.layers)

    def forward(self, z: Tensor, mask: Tensor | None = None) -> Quantized:
        """Quantize `z` [B, D, F]; `mask` [B, F] (True = real column) keeps padding out of the EMA."""
        z = z.transpose(1, 2)  # [B, F, D]
        quantized, indices, losses = self.rvq(z, mask=mask)
        # quantized [B, F, D], indices [B, F, L], losses [L]
        return Quantized(quantized.transpose(1, 2), indices.transpose(1, 2), losses.sum())

    def codebooks(self) -> Tensor:
        """All code vectors, [L, K, D]."""
        return self.rvq.codebooks

    def level_embeddings(self, indices: Tensor) -> Tensor:
        """Code vectors per level for `indices` [B, L, F] -> [B, L, D, F] (their sum is the quantized output)."""
        codes = self.rvq.get_codes_from_indices(indices.transpose(1, 2))  # [L, B, F, D]
        return codes.permute(1, 0, 3, 2)

    def from_indices(self, indices: Tensor) -> Tensor:
        """The quantized output for `indices` [B, L, F] -> [B, D, F]."""
        return self.rvq.get_output_from_indices(indices.transpose(1, 2)).transpose(1, 2)
