"""ConvVQVAE: a 1-D convolutional RVQ-VAE over log-mel spectrograms.

The mel bins are the channels and convolution runs over time, so every code column is one time position
(CODE-03: rows = levels, columns = time). Two stride-2 stages give one column per 4 mel frames, i.e.
21.5 columns per second at 44.1 kHz with a 512-sample hop: fine enough to edit regions of ~50 ms.

    log-mel [B, 1, M, T] -> normalise -> Encoder -> z [B, D, F] -> Quantizer -> q [B, D, F]
                         -> Decoder -> [B, M, T_pad] -> crop to T -> de-normalise -> recon [B, 1, M, T]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.model.config import ModelConfig
from engine.model.quantizer import Quantized, Quantizer


class ResBlock(nn.Module):
    """Dilated residual unit: x + conv1x1(gelu(conv3(gelu(x))))."""

    def __init__(self, channels: int, dilation: int, dropout: float):
        super().__init__()
        self.body = nn.Sequential(
            nn.GELU(),
            nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def res_stack(channels: int, count: int, dropout: float) -> nn.Sequential:
    """`count` residual blocks with dilations 1, 3, 9, ... for a wide receptive field."""
    return nn.Sequential(*(ResBlock(channels, 3**i, dropout) for i in range(count)))


def stages(downsample: int) -> int:
    """Number of stride-2 stages for a power-of-two downsampling factor."""
    return downsample.bit_length() - 1


class Encoder(nn.Module):
    """Normalised log-mel [B, M, T] -> latent columns [B, D, T / downsample]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden
        layers: list[nn.Module] = [nn.Conv1d(cfg.n_mels, h, 7, padding=3), res_stack(h, cfg.res_blocks, cfg.dropout)]
        for _ in range(stages(cfg.downsample)):
            layers += [nn.GELU(), nn.Conv1d(h, h, 4, stride=2, padding=1), res_stack(h, cfg.res_blocks, cfg.dropout)]
        layers += [nn.GELU(), nn.Conv1d(h, cfg.codebook_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """Quantized columns [B, D, F] -> normalised log-mel [B, M, F * downsample]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden
        layers: list[nn.Module] = [nn.Conv1d(cfg.codebook_dim, h, 3, padding=1), res_stack(h, cfg.res_blocks, cfg.dropout)]
        for _ in range(stages(cfg.downsample)):
            layers += [nn.GELU(), nn.ConvTranspose1d(h, h, 4, stride=2, padding=1), res_stack(h, cfg.res_blocks, cfg.dropout)]
        layers += [nn.GELU(), nn.Conv1d(h, cfg.n_mels, 7, padding=3)]
        self.net = nn.Sequential(*layers)

    def forward(self, q: Tensor) -> Tensor:
        return self.net(q)


class ConvVQVAE(nn.Module):
    """RVQ-VAE over log-mel spectrograms. `forward(mel) -> (recon, indices, commit_loss)`."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.quantizer = Quantizer(cfg)
        self.decoder = Decoder(cfg)

    def num_columns(self, frames: int) -> int:
        """Code columns for `frames` mel frames (the input is padded up to a multiple of `downsample`)."""
        return -(-frames // self.cfg.downsample)

    def encode(self, mel: Tensor, mask: Tensor | None = None) -> Quantized:
        """Log-mel [B, 1, M, T] (mask [B, T]) -> quantized columns, indices [B, L, F], commitment loss."""
        x = (mel.squeeze(1) - self.cfg.mel_mean) / self.cfg.mel_std  # [B, M, T]
        pad = self.num_columns(x.shape[-1]) * self.cfg.downsample - x.shape[-1]
        x = F.pad(x, (0, pad))  # [B, M, F * downsample]; zeros = the mean level
        z = self.encoder(x)  # [B, D, F]
        column_mask = None if mask is None else self._column_mask(mask)
        return self.quantizer(z, mask=column_mask)

    def decode(self, quantized: Tensor, frames: int | None = None) -> Tensor:
        """Quantized columns [B, D, F] -> log-mel [B, 1, M, frames] (default F * downsample)."""
        x = self.decoder(quantized)  # [B, M, F * downsample]
        if frames is not None:
            x = x[..., :frames]
        return (x * self.cfg.mel_std + self.cfg.mel_mean).unsqueeze(1)

    def decode_indices(self, indices: Tensor, frames: int | None = None) -> Tensor:
        """Code grid [B, L, F] -> log-mel [B, 1, M, frames]."""
        return self.decode(self.quantizer.from_indices(indices), frames)

    def forward(self, mel: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """mel [B, 1, M, T] -> (recon [B, 1, M, T], indices [B, L, ceil(T / downsample)], commit_loss [])."""
        out = self.encode(mel, mask)
        recon = self.decode(out.quantized, frames=mel.shape[-1])
        return recon, out.indices, out.commit_loss

    def _column_mask(self, mask: Tensor) -> Tensor:
        """Frame mask [B, T] -> column mask [B, F]: a column is real if any of its frames is."""
        pad = self.num_columns(mask.shape[-1]) * self.cfg.downsample - mask.shape[-1]
        padded = F.pad(mask.float(), (0, pad))  # [B, F * downsample]
        return padded.view(mask.shape[0], -1, self.cfg.downsample).amax(dim=-1) > 0  # [B, F]


@torch.no_grad()
def reconstruct(model: ConvVQVAE, mel: Tensor, chunk_frames: int = 1024) -> tuple[Tensor, Tensor]:
    """Encode and decode a whole clip's log-mel [M, T] -> (recon [M, T], indices [L, F]).

    Runs in chunks of `chunk_frames` (a multiple of `downsample`) so minutes of audio fit in memory; the
    conv receptive field is small, so joins are not audible at these lengths.
    """
    was_training = model.training
    model.eval()
    frames = mel.shape[-1]
    recons, grids = [], []
    for start in range(0, frames, chunk_frames):
        piece = mel[:, start : start + chunk_frames].unsqueeze(0).unsqueeze(0)  # [1, 1, M, t]
        recon, indices, _ = model(piece)
        recons.append(recon[0, 0])
        grids.append(indices[0])
    model.train(was_training)
    return torch.cat(recons, dim=-1), torch.cat(grids, dim=-1)
