"""Audio file -> model -> audio: the reconstruction path used by the demo and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.audio.griffinlim import mel_to_audio
from engine.audio.io import load_audio
from engine.audio.mel import MelSpectrogram
from engine.model.persist import LoadedModel
from engine.model.vqvae import reconstruct


@dataclass
class Reconstruction:
    """One file through the model; L1 figures are mean absolute log-mel differences."""

    original: np.ndarray  # [N] the input as the model hears it (mono, resampled, trimmed, normalised)
    audio: np.ndarray  # [N] the model's output after Griffin-Lim
    indices: torch.Tensor  # [L, F]
    model_l1: float  # model output mel vs input mel
    audio_l1: float  # mel of the Griffin-Lim audio vs input mel
    ceiling_l1: float  # Griffin-Lim of the input mel itself vs input mel (the inverter's own error)


def reconstruct_file(loaded: LoadedModel, path: str | Path, n_iter: int = 32) -> Reconstruction:
    """Encode, decode and invert one audio file, measuring each stage against the input mel."""
    device = next(loaded.model.parameters()).device
    mel = MelSpectrogram(loaded.mel).to(device)
    wave = load_audio(path, loaded.mel.sample_rate)
    original = torch.from_numpy(wave).to(device)  # [N]
    target = mel(original)  # [M, T]
    recon, indices = reconstruct(loaded.model, target)  # [M, T], [L, F]
    both = mel_to_audio(torch.stack([recon, target]), loaded.mel, n_iter=n_iter, length=len(wave))  # [2, N]
    again = mel(both)  # [2, M, T]
    return Reconstruction(
        original=wave,
        audio=both[0].cpu().numpy(),
        indices=indices.cpu(),
        model_l1=float((recon - target).abs().mean()),
        audio_l1=float((again[0] - target).abs().mean()),
        ceiling_l1=float((again[1] - target).abs().mean()),
    )
