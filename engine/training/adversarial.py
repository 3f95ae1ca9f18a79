"""The second training phase: the decoder fine-tuned against log-mel discriminators, codes frozen.

The first phase (spectral) learns the encoder, codebooks and decoder with the multi-scale L1 loss and picks
its best epoch by held-out L1. The second phase (adversarial) starts from those weights, keeps the encoder and
the quantizer as they are (so the code grid a model gives for a sound does not change, and the prior learns
the same codes), and trains only the decoder with

    loss = RECONSTRUCTION * multi-scale L1 + adversarial hinge + FEATURE_MATCHING * feature matching

against `MultiScaleMelDiscriminator`, which learns at the same time (see engine/model/discriminator.py).
The L1 term keeps the output on the original's envelope; the other two restore the detail L1 averages away.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.model.discriminator import MultiScaleMelDiscriminator, diff_augment, discriminator_loss, generator_losses
from engine.model.losses import multi_scale_mel_l1
from engine.model.vqvae import ConvVQVAE

SHARE = 0.3  # of the training budget, at its end
RECONSTRUCTION = 1.0
FEATURE_MATCHING = 2.0
LEARNING_RATE = 2e-4
BETAS = (0.5, 0.9)


@dataclass
class AdversarialLosses:
    """One step's losses (floats), summed over an epoch for the report."""

    reconstruction: float = 0.0
    adversarial: float = 0.0
    feature_matching: float = 0.0
    discriminator: float = 0.0

    def add(self, other: AdversarialLosses) -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)

    def scaled(self, factor: float) -> dict[str, float]:
        return {key: value * factor for key, value in vars(self).items()}


class AdversarialPhase:
    """The discriminators and both optimizers of the second phase; `step` trains one batch."""

    def __init__(self, model: ConvVQVAE, device: torch.device, generator: torch.Generator):
        self.model = model
        self.generator = generator
        self.discriminator = MultiScaleMelDiscriminator().to(device)
        self.decoder_optimizer = torch.optim.AdamW(model.decoder.parameters(), lr=LEARNING_RATE, betas=BETAS)
        self.discriminator_optimizer = torch.optim.AdamW(self.discriminator.parameters(), lr=LEARNING_RATE, betas=BETAS)
        freeze_codes(model)

    def step(self, mels: torch.Tensor, mask: torch.Tensor, grad_clip: float) -> tuple[AdversarialLosses, torch.Tensor]:
        """One discriminator step and one decoder step on log-mels [B, 1, M, T] with frame mask [B, T].

        Returns the losses and the (frozen) code indices [B, L, F] of the batch.
        """
        cfg = self.model.cfg
        with torch.no_grad():
            codes = self.model.encode(mels, mask)  # quantized [B, D, F], indices [B, L, F]
        recon = self.model.decode(codes.quantized, frames=mels.shape[-1])  # [B, 1, M, T]
        keep = mask[:, None, None, :]  # [B, 1, 1, T]: padding shows the original (silence) to both sides
        real = (mels - cfg.mel_mean) / cfg.mel_std
        fake = (torch.where(keep, recon, mels) - cfg.mel_mean) / cfg.mel_std

        real_aug, fake_aug = diff_augment(real, fake.detach(), self.generator)
        d_loss = discriminator_loss(self.discriminator(real_aug), self.discriminator(fake_aug))
        self.discriminator_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), grad_clip)
        self.discriminator_optimizer.step()

        real_aug, fake_aug = diff_augment(real, fake, self.generator)
        adversarial, matching = generator_losses(self.discriminator(real_aug), self.discriminator(fake_aug))
        reconstruction = multi_scale_mel_l1(recon, mels, mask)
        loss = RECONSTRUCTION * reconstruction + adversarial + FEATURE_MATCHING * matching
        self.decoder_optimizer.zero_grad(set_to_none=True)
        self.discriminator.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.decoder.parameters(), grad_clip)
        self.decoder_optimizer.step()
        values = (reconstruction, adversarial, matching, d_loss)
        return AdversarialLosses(*(float(v.detach()) for v in values)), codes.indices

    def state_dict(self) -> dict:
        """Everything a checkpoint needs to continue the phase."""
        return {
            "discriminator": self.discriminator.state_dict(),
            "decoder_optimizer": self.decoder_optimizer.state_dict(),
            "discriminator_optimizer": self.discriminator_optimizer.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.decoder_optimizer.load_state_dict(state["decoder_optimizer"])
        self.discriminator_optimizer.load_state_dict(state["discriminator_optimizer"])


def freeze_codes(model: ConvVQVAE) -> None:
    """Stop the encoder and the quantizer from learning: no gradients, no EMA codebook updates, no dropout."""
    for part in (model.encoder, model.quantizer):
        part.requires_grad_(False)
        part.eval()
