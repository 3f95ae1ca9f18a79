"""Four figures for what a listener hears when a reconstruction plays next to its original.

They are computed on audio, after inversion, and independently of any model's own mel settings:

1. Both waves are RMS-matched, then the output is shifted by the whole number of hops (within
   `MAX_SHIFT_SECONDS`) that gives the lowest log-mel L1.
2. Both are resampled to 22.05 kHz and analysed with a 1024-point Hann STFT, hop 256, 128 HTK mel bands of
   magnitude, natural log, floor 1e-5; only frames whose mean log-mel is within `LOUD_RANGE` of the loudest
   frame of the original count.

- *log-mel L1*: the mean absolute difference of the two log-mels.
- *envelope L1*: the same after a 5 x 5 (bands x frames) box blur of each, edges repeated: the broad shape.
- *texture ratio*: the standard deviation of (log-mel - its blur) of the output over the original's. 1 is
  as detailed, below 1 smeared, above 1 grainier.
- *onset correlation*: the Pearson correlation of the two spectral-flux curves (the sum over bins of the
  positive frame-to-frame increase of log(1 + 100 |STFT|), 512-point Hann, hop 128): are the attacks where
  they were, as sharp as they were.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import soxr
import torch
import torch.nn.functional as F

SAMPLE_RATE = 22050
N_FFT, HOP, N_MELS, FLOOR = 1024, 256, 128, 1e-5
FLUX_FFT, FLUX_HOP = 512, 128
BLUR = 5  # bands x frames of the box blur that separates envelope from texture
LOUD_RANGE = 12.0  # frames quieter than the loudest by more than this (in mean log-mel) are left out
MAX_SHIFT_SECONDS = 0.5


@dataclass(frozen=True)
class Listening:
    """The four figures for one pair of sounds (see the module docstring)."""

    log_mel_l1: float
    envelope_l1: float
    texture_ratio: float
    onset_correlation: float

    @classmethod
    def mean(cls, items: list[Listening], weights: list[float] | None = None) -> Listening:
        """The (weighted) mean of each figure over `items`."""
        weights = np.ones(len(items)) if weights is None else np.asarray(weights, dtype=np.float64)
        values = np.array([[i.log_mel_l1, i.envelope_l1, i.texture_ratio, i.onset_correlation] for i in items])
        return cls(*(float(v) for v in weights @ values / weights.sum()))


def listening_figures(original: np.ndarray, output: np.ndarray, sample_rate: int) -> Listening:
    """The four figures for `output` [N] against `original` [N'] (mono waves at `sample_rate`)."""
    reference = _resampled(original, sample_rate)
    candidate = _resampled(output, sample_rate)[: len(reference)]
    candidate = np.pad(candidate, (0, len(reference) - len(candidate)))
    candidate = candidate * (_rms(reference) / max(_rms(candidate), 1e-12))
    ref_mel = _log_mel(reference)  # [M, T]
    candidate = _aligned(ref_mel, candidate)
    out_mel = _log_mel(candidate)[:, : ref_mel.shape[1]]  # [M, T]
    loud = _loud_frames(ref_mel)  # [T] bool
    ref_blur, out_blur = _blur(ref_mel), _blur(out_mel)
    ref_detail, out_detail = (ref_mel - ref_blur)[:, loud], (out_mel - out_blur)[:, loud]
    return Listening(
        log_mel_l1=float(np.abs(out_mel - ref_mel)[:, loud].mean()),
        envelope_l1=float(np.abs(out_blur - ref_blur)[:, loud].mean()),
        texture_ratio=float(out_detail.std() / max(ref_detail.std(), 1e-12)),
        onset_correlation=_correlation(_flux(reference), _flux(candidate)),
    )


def analysis_mel(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """The log-mel the figures are computed on (22.05 kHz, HTK mel, floor 1e-5) of a wave [N] -> [128, T]."""
    return _log_mel(_resampled(wave, sample_rate))


def _resampled(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    wave = np.asarray(wave, dtype=np.float64)
    if sample_rate == SAMPLE_RATE:
        return wave
    return soxr.resample(wave, sample_rate, SAMPLE_RATE)


def _rms(wave: np.ndarray) -> float:
    return float(np.sqrt(np.mean(wave**2))) if len(wave) else 0.0


def _aligned(ref_mel: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """`candidate` shifted by the number of hops (within MAX_SHIFT_SECONDS) whose log-mel is nearest the reference's."""
    frames = ref_mel.shape[1]
    limit = int(MAX_SHIFT_SECONDS * SAMPLE_RATE / HOP)
    padded = np.concatenate([np.zeros(limit * HOP), candidate, np.zeros(limit * HOP)])
    mel = _log_mel(padded)  # [M, T + 2 * limit (+ a few)]
    width = min(frames, mel.shape[1] - 2 * limit)
    errors = [np.abs(mel[:, s : s + width] - ref_mel[:, :width]).mean() for s in range(2 * limit + 1)]
    start = int(np.argmin(errors)) * HOP  # a shift of `limit` hops is none
    shifted = padded[start : start + len(candidate)]
    return np.pad(shifted, (0, len(candidate) - len(shifted)))


@functools.lru_cache(maxsize=1)
def _htk_filterbank() -> np.ndarray:
    """128 triangular HTK-mel filters peaking at 1 over the bins of a 1024-point STFT at 22.05 kHz, [M, F]."""
    mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = hz(np.linspace(0.0, mel(SAMPLE_RATE / 2), N_MELS + 2))  # [M + 2]
    bins = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)  # [F]
    rising = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    falling = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    return np.maximum(0.0, np.minimum(rising, falling))


def _magnitude(wave: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| of a wave [N] with a centred Hann window -> [F, T] (zero padding, so any length works)."""
    tensor = torch.from_numpy(np.asarray(wave, dtype=np.float32))
    spec = torch.stft(tensor, n_fft, hop, window=torch.hann_window(n_fft), center=True, pad_mode="constant", return_complex=True)
    return spec.abs().numpy().astype(np.float64)


def _log_mel(wave: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(_htk_filterbank() @ _magnitude(wave, N_FFT, HOP), FLOOR))  # [M, T]


def _loud_frames(log_mel: np.ndarray) -> np.ndarray:
    level = log_mel.mean(axis=0)  # [T]
    return level >= level.max() - LOUD_RANGE


def _blur(log_mel: np.ndarray) -> np.ndarray:
    """A BLUR x BLUR box blur with edges repeated, [M, T] -> [M, T]."""
    x = torch.from_numpy(log_mel)[None, None]  # [1, 1, M, T]
    x = F.pad(x, (BLUR // 2,) * 4, mode="replicate")
    return F.avg_pool2d(x, BLUR, stride=1)[0, 0].numpy()


def _flux(wave: np.ndarray) -> np.ndarray:
    compressed = np.log1p(100.0 * _magnitude(wave, FLUX_FFT, FLUX_HOP))  # [F, T]
    return np.maximum(np.diff(compressed, axis=1), 0.0).sum(axis=0)  # [T - 1]


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0
