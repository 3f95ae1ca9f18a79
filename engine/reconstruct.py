"""Audio file -> model -> audio: the reconstruction path used by the demo and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.audio.io import load_audio
from engine.audio.listening import Listening, listening_figures
from engine.audio.mel import MelSpectrogram
from engine.generation.settings import InversionSettings
from engine.model.inverter import invert
from engine.model.persist import LoadedModel
from engine.model.vqvae import reconstruct


@dataclass
class Reconstruction:
    """One file through the model; L1 figures are mean absolute log-mel differences in the model's own mels."""

    original: np.ndarray  # [N] the input as the model hears it (mono, resampled, trimmed, normalised)
    audio: np.ndarray  # [N] the model's output after inversion
    indices: torch.Tensor  # [L, F]
    model_l1: float  # model output mel vs input mel
    audio_l1: float  # mel of the inverted audio vs input mel
    ceiling_l1: float  # the input mel inverted by itself vs input mel (the inverter's own error)
    inverter: str  # which inverter made the audio (`LoadedModel.inverter`)
    heard: Listening  # the listening figures of the output audio against the input
    oracle: Listening  # the same for the input mel inverted by itself: the best the inverter allows


def reconstruct_file(loaded: LoadedModel, path: str | Path, inversion: InversionSettings | None = None) -> Reconstruction:
    """Encode, decode and invert one audio file (with the generation defaults unless `inversion` is given),
    measuring each stage against the input."""
    inversion = inversion or InversionSettings()
    device = next(loaded.model.parameters()).device
    mel = MelSpectrogram(loaded.mel).to(device)
    wave = load_audio(path, loaded.mel.sample_rate)
    original = torch.from_numpy(wave).to(device)  # [N]
    target = mel(original)  # [M, T]
    recon, indices = reconstruct(loaded.model, target)  # [M, T], [L, F]
    both = invert(loaded, torch.stack([recon, target]), inversion, length=len(wave))  # [2, N]
    again = mel(both)  # [2, M, T]
    audio, inverted = both[0].cpu().numpy(), both[1].cpu().numpy()
    rate = loaded.mel.sample_rate
    return Reconstruction(
        original=wave,
        audio=audio,
        indices=indices.cpu(),
        model_l1=float((recon - target).abs().mean()),
        audio_l1=float((again[0] - target).abs().mean()),
        ceiling_l1=float((again[1] - target).abs().mean()),
        inverter=loaded.inverter,
        heard=listening_figures(wave, audio, rate),
        oracle=listening_figures(wave, inverted, rate),
    )
