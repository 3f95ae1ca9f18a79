"""A learned inverter: log-mel -> STFT magnitude and phase -> one inverse STFT (Vocos-style).

Griffin-Lim guesses a phase by iterating, which smears attacks (it caps the onset correlation near 0.7) and
needs dozens of STFT pairs per decode. `WaveformHead` predicts the phase instead, in one pass (Siuzdak 2023,
"Vocos", `vocos/heads.py` `ISTFTHead`):

    log-mel [B, M, T] -> normalise -> Conv1d(k7) -> HeadConfig.blocks x ConvNeXt block -> LayerNorm
        -> Linear -> [B, 2F, T] = (log-magnitude, angle) per frame
        -> S = min(exp(log-magnitude), MAX_MAGNITUDE) * (cos(angle) + i sin(angle))   [B, F, T]
        -> istft(S, n_fft, hop, Hann, center=True) -> wave [B, N], N = (T - 1) * hop or `length`

The inverse STFT uses the analysis's own window, hop and centred framing (`MelSpectrogram`), so frame t of
the head's spectrogram lands on the samples frame t of the mel was computed from. The input is the log-mel
the decoder produces, so edited, blended and generated grids all go through the same head. Every layer is a
convolution over time with a receptive field of `receptive_frames` frames, so chunked decoding with that
much context on each side is seamless.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from engine.audio.mel import MelConfig
from engine.records import JsonRecord

MAX_MAGNITUDE = 1e3  # Vocos clips exp(log-magnitude) at 1e2 for n_fft 1024; a full-scale sine peaks at n_fft / 4 = 512 here
KERNEL = 7  # ConvNeXt depthwise kernel, frames


@dataclass
class HeadConfig(JsonRecord):
    """Everything needed to rebuild a `WaveformHead` (stored in the model file's metadata)."""

    dim: int = 256  # channels of the ConvNeXt blocks (training uses the VQ-VAE's `hidden`)
    blocks: int = 4
    expansion: int = 3  # the blocks' inner width is dim * expansion
    mel_mean: float = -6.0  # input normalisation, the VQ-VAE's (ModelConfig.mel_mean / mel_std)
    mel_std: float = 3.0


class ConvNeXtBlock(nn.Module):
    """x + gamma * Linear(GELU(Linear(LayerNorm(depthwise conv(x))))), on [B, C, T] (ConvNeXt, as in Vocos)."""

    def __init__(self, dim: int, expansion: int):
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, KERNEL, padding=KERNEL // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.inner = nn.Sequential(nn.Linear(dim, dim * expansion), nn.GELU(), nn.Linear(dim * expansion, dim))
        self.gamma = nn.Parameter(torch.full((dim,), 1.0 / 8))  # layer scale: small residual updates at first

    def forward(self, x: Tensor) -> Tensor:
        y = self.depthwise(x).transpose(1, 2)  # [B, T, C]
        y = self.inner(self.norm(y)) * self.gamma  # [B, T, C]
        return x + y.transpose(1, 2)


class WaveformHead(nn.Module):
    """Log-mel [B, M, T] (or [M, T]) -> waveform [B, N] (or [N]); see the module docstring."""

    def __init__(self, cfg: HeadConfig, mel: MelConfig):
        super().__init__()
        self.cfg, self.mel = cfg, mel
        self.embed = nn.Conv1d(mel.n_mels, cfg.dim, KERNEL, padding=KERNEL // 2)
        self.blocks = nn.Sequential(*(ConvNeXtBlock(cfg.dim, cfg.expansion) for _ in range(cfg.blocks)))
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.out = nn.Linear(cfg.dim, 2 * mel.n_freqs)
        self.register_buffer("window", torch.hann_window(mel.n_fft), persistent=False)  # [n_fft]

    @property
    def receptive_frames(self) -> int:
        """Frames on each side of a frame that its output depends on."""
        return (KERNEL // 2) * (1 + self.cfg.blocks)

    def spectrogram(self, log_mel: Tensor) -> Tensor:
        """Log-mel [B, M, T] -> complex STFT [B, F, T] with the predicted magnitude and phase."""
        x = (log_mel - self.cfg.mel_mean) / self.cfg.mel_std  # [B, M, T]
        x = self.blocks(self.embed(x))  # [B, C, T]
        x = self.out(self.norm(x.transpose(1, 2))).transpose(1, 2)  # [B, 2F, T]
        log_magnitude, angle = x.float().chunk(2, dim=1)  # [B, F, T] each
        magnitude = log_magnitude.exp().clamp(max=MAX_MAGNITUDE)  # [B, F, T]
        return torch.complex(magnitude * torch.cos(angle), magnitude * torch.sin(angle))  # [B, F, T]

    def forward(self, log_mel: Tensor, length: int | None = None) -> Tensor:
        """Log-mel [B, M, T] or [M, T] -> wave [B, N] or [N], N = `length` or (T - 1) * hop_length.

        `length`, when given, must give T frames (length // hop_length + 1 == T), as for Griffin-Lim.
        """
        single = log_mel.dim() == 2
        batched = log_mel.unsqueeze(0) if single else log_mel  # [B, M, T]
        if batched.dim() != 3 or batched.shape[1] != self.mel.n_mels or batched.shape[2] == 0:
            raise ValueError(f"Expected a log-mel of shape [B, {self.mel.n_mels}, T] or [{self.mel.n_mels}, T], got {tuple(log_mel.shape)}.")
        frames, hop = batched.shape[-1], self.mel.hop_length
        length = (frames - 1) * hop if length is None else length
        if length < 1 or length // hop + 1 != frames:
            raise ValueError(f"length {length} does not fit {frames} frames: it must be >= 1 and give length // {hop} + 1 == {frames}.")
        spec = self.spectrogram(batched)  # [B, F, T]
        wave = torch.istft(spec, self.mel.n_fft, hop, window=self.window, center=True, length=length)  # [B, N]
        return wave[0] if single else wave
