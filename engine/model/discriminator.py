"""Log-mel discriminators for the decoder's adversarial phase, and the losses that use them.

An L1 loss rewards the average of what a code could mean, so a decoder trained with it alone smears detail
and attacks. In the second phase of training (RAVE's recipe: representation first, then the decoder
fine-tuned adversarially) two small 2-D convolutional discriminators judge normalised log-mel patches, one at
full resolution and one at half (EnCodec's and DAC's multi-scale idea, on mels instead of STFTs). The decoder
learns from a hinge loss and from feature matching on their inner layers (MelGAN, HiFi-GAN), which asks for
the statistics of real detail rather than its mean. Small collections overfit a discriminator fast, so both
real and fake inputs go through the same random, differentiable augmentation first (DiffAugment, Zhao et
al. 2020): a circular time shift, a level offset and a cut-out band.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CHANNELS = 32
SCALES = (1, 2)  # average-pooling factors of the discriminators' inputs


class MelDiscriminator(nn.Module):
    """Normalised log-mel [B, 1, M, T] -> (logits [B, 1, M', T'], inner feature maps for feature matching)."""

    def __init__(self, channels: int | None = None):
        super().__init__()
        c = channels or CHANNELS
        self.layers = nn.ModuleList([
            nn.Conv2d(1, c, (3, 9), padding=(1, 4)),
            nn.Conv2d(c, c, (3, 9), stride=(2, 2), padding=(1, 4)),
            nn.Conv2d(c, c, (3, 9), stride=(2, 2), padding=(1, 4)),
            nn.Conv2d(c, c, (3, 3), padding=(1, 1)),
        ])
        self.out = nn.Conv2d(c, 1, (3, 3), padding=(1, 1))

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        features = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
            features.append(x)
        return self.out(x), features


class MultiScaleMelDiscriminator(nn.Module):
    """One `MelDiscriminator` per entry of `SCALES`, each seeing the mel average-pooled by that factor."""

    def __init__(self, channels: int | None = None):
        super().__init__()
        self.discriminators = nn.ModuleList(MelDiscriminator(channels) for _ in SCALES)

    def forward(self, x: Tensor) -> list[tuple[Tensor, list[Tensor]]]:
        """x [B, 1, M, T] -> per scale (logits, features)."""
        outputs = []
        for scale, discriminator in zip(SCALES, self.discriminators):
            outputs.append(discriminator(F.avg_pool2d(x, scale) if scale > 1 else x))
        return outputs


def diff_augment(real: Tensor, fake: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The same random shift, level offset and cut-out applied to both [B, 1, M, T] batches (differentiable)."""
    batch, _, mels, frames = real.shape
    shift = int(torch.randint(frames, (1,), generator=generator))
    offset = (torch.rand(batch, 1, 1, 1, generator=generator) - 0.5).to(real.device)  # [B, 1, 1, 1], in std units
    width = mels // 8
    start = torch.randint(mels - width, (batch,), generator=generator)  # [B]
    bins = torch.arange(mels)[None, :]  # [1, M]
    keep = ~((bins >= start[:, None]) & (bins < start[:, None] + width))  # [B, M]
    keep = keep[:, None, :, None].to(real.device, real.dtype)  # [B, 1, M, 1]
    augment = lambda x: torch.roll(x, shift, dims=-1) * keep + offset  # noqa: E731
    return augment(real), augment(fake)


def discriminator_loss(real: list[tuple[Tensor, list[Tensor]]], fake: list[tuple[Tensor, list[Tensor]]]) -> Tensor:
    """Hinge loss for the discriminators: real logits above +1, fake below -1, averaged over scales."""
    total = sum(F.relu(1 - r).mean() + F.relu(1 + f).mean() for (r, _), (f, _) in zip(real, fake))
    return total / len(real)


def generator_losses(real: list[tuple[Tensor, list[Tensor]]], fake: list[tuple[Tensor, list[Tensor]]]) -> tuple[Tensor, Tensor]:
    """(adversarial, feature matching) for the decoder. Feature matching is the L1 between inner feature
    maps of real and fake, relative to the real maps' mean magnitude (EnCodec), averaged over layers and scales."""
    adversarial = sum(F.relu(1 - f).mean() for f, _ in fake) / len(fake)
    matching, count = 0.0, 0
    for (_, real_maps), (_, fake_maps) in zip(real, fake):
        for r, f in zip(real_maps, fake_maps):
            r = r.detach()
            matching = matching + (f - r).abs().mean() / r.abs().mean().clamp_min(1e-5)
            count += 1
    return adversarial, matching / count
