"""Log-mel spectrogram: the representation the RVQ-VAE encodes and the vocoder inverts.

The filterbank uses the Slaney mel scale (linear below 1 kHz, logarithmic above) with Slaney area
normalisation, i.e. librosa's default `librosa.filters.mel(htk=False, norm="slaney")`. Area normalisation
makes every filter's weights sum to about `n_fft / sample_rate`, so a flat spectrum gives the same mel value
in every band and the network sees comparable numbers in low and high bands.

The spectrogram is the natural log of the MAGNITUDE mel (filterbank applied to |STFT|, not |STFT|^2),
floored at `MelConfig.log_floor`. With the defaults the floor sits near white noise at -100 dBFS, so
`log(log_floor)` (`MelSpectrogram.silence_value`, about -11.51) is "silence" in this representation; at the
other end a full-scale 1 kHz sine peaks near +3.0 and white noise at -20 dBFS RMS averages about -2.2.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class MelConfig:
    """Everything needed to compute (and invert) a log-mel spectrogram; stored inside model files."""

    sample_rate: int = 44100
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float | None = None  # None: Nyquist
    log_floor: float = 1e-5

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.n_fft <= 0 or self.hop_length <= 0 or self.n_mels <= 0:
            raise ValueError(f"MelConfig sizes must be positive, got {self}.")
        if self.n_fft % 2:
            raise ValueError(f"MelConfig n_fft must be even, got {self.n_fft}.")
        if self.hop_length > self.n_fft:
            raise ValueError(f"MelConfig hop_length {self.hop_length} exceeds n_fft {self.n_fft}.")
        if not 0.0 <= self.f_min < self.f_max_hz <= self.sample_rate / 2:
            raise ValueError(
                f"MelConfig needs 0 <= f_min < f_max <= {self.sample_rate / 2} Hz, "
                f"got f_min={self.f_min}, f_max={self.f_max}."
            )
        if self.log_floor <= 0.0:
            raise ValueError(f"MelConfig log_floor must be positive, got {self.log_floor}.")

    @property
    def f_max_hz(self) -> float:
        """Upper edge of the filterbank in Hz (`f_max`, or Nyquist when it is None)."""
        return self.sample_rate / 2 if self.f_max is None else float(self.f_max)

    @property
    def n_freqs(self) -> int:
        """Number of STFT frequency bins, n_fft // 2 + 1."""
        return self.n_fft // 2 + 1

    @property
    def frames_per_second(self) -> float:
        """Mel frames per second of audio."""
        return self.sample_rate / self.hop_length

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict of the fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MelConfig:
        """Rebuild from `to_dict()` output; missing keys take defaults, unknown keys are refused."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"Unknown MelConfig keys: {', '.join(unknown)}.")
        return cls(**data)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: 3 mels per 200 Hz below 1 kHz, then 27 mels per factor of 6.4 (librosa htk=False)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3.0)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, logarithmic, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of `hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3.0)
    logarithmic = 1000.0 * np.exp((math.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, logarithmic, linear)


def mel_filterbank(cfg: MelConfig, *, area_normalise: bool = True) -> torch.Tensor:
    """Triangular filters on the Slaney mel scale, float32 `[n_mels, n_fft//2+1]`.

    Filter m rises from edge m to its centre m+1 and falls to edge m+2, the n_mels+2 edges being evenly
    spaced in mel between f_min and f_max. With `area_normalise` (Slaney norm, what `MelSpectrogram` uses)
    each row is scaled by 2 / (bandwidth in Hz); without it the triangles peak at 1 and, between the first
    and last centre, sum to 1 at every frequency.
    """
    fft_hz = np.linspace(0.0, cfg.sample_rate / 2, cfg.n_freqs)  # [F]
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(cfg.f_min), hz_to_mel(cfg.f_max_hz), cfg.n_mels + 2))  # [M+2]
    widths = np.diff(edges_hz)  # [M+1]
    offsets = edges_hz[:, None] - fft_hz[None, :]  # [M+2, F]
    rising = -offsets[:-2] / widths[:-1, None]  # [M, F]
    falling = offsets[2:] / widths[1:, None]  # [M, F]
    weights = np.maximum(0.0, np.minimum(rising, falling))  # [M, F]
    if area_normalise:
        weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return torch.from_numpy(weights).to(torch.float32)


class MelSpectrogram(torch.nn.Module):
    """Waveform `[B, N]` (or `[N]`) -> natural-log magnitude mel `[B, n_mels, T]` (or `[n_mels, T]`).

    T = N // hop_length + 1 (centred frames). Waves no longer than n_fft // 2 are zero-padded instead of
    reflect-padded, so any N >= 1 works.
    """

    def __init__(self, cfg: MelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)  # [n_fft]
        self.register_buffer("filterbank", mel_filterbank(cfg), persistent=False)  # [n_mels, F]

    @property
    def silence_value(self) -> float:
        """The log-mel value of silence: log(cfg.log_floor)."""
        return math.log(self.cfg.log_floor)

    def num_frames(self, n_samples: int) -> int:
        """Number of mel frames for a wave of `n_samples` samples."""
        return n_samples // self.cfg.hop_length + 1

    def num_samples(self, n_frames: int) -> int:
        """Wave length that `n_frames` frames stand for: (n_frames - 1) * hop_length."""
        return (n_frames - 1) * self.cfg.hop_length

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """Log-mel of `wave` `[B, N]` or `[N]`, cast to the module's dtype."""
        single = wave.dim() == 1
        if single:
            wave = wave.unsqueeze(0)  # [1, N]
        if wave.dim() != 2 or wave.shape[-1] == 0:
            raise ValueError(f"MelSpectrogram expects a non-empty [B, N] or [N] wave, got {tuple(wave.shape)}.")
        pad_mode = "reflect" if wave.shape[-1] > self.cfg.n_fft // 2 else "constant"
        spec = torch.stft(
            wave.to(self.window.dtype),
            n_fft=self.cfg.n_fft,
            hop_length=self.cfg.hop_length,
            window=self.window,
            center=True,
            pad_mode=pad_mode,
            return_complex=True,
        )  # [B, F, T]
        mel = torch.matmul(self.filterbank, spec.abs())  # [B, n_mels, T]
        log_mel = mel.clamp_min(self.cfg.log_floor).log()  # [B, n_mels, T]
        return log_mel[0] if single else log_mel
