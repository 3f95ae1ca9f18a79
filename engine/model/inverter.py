"""Log-mel -> audio for a loaded model: the one place that picks the inverter.

A model file that holds a waveform head (engine/model/waveform_head.py) decodes through it in one pass; any
other file, among them every file written before the head existed, decodes with fast Griffin-Lim
(engine/audio/griffinlim.py) at the iterations and phase start of the `InversionSettings`. Everything that
turns a model's log-mel into sound (reconstruction, code grids, previews, generation) calls `invert`.
"""

from __future__ import annotations

import torch

from engine.audio.griffinlim import mel_to_audio
from engine.generation.settings import InversionSettings
from engine.model.persist import LoadedModel


@torch.no_grad()
def invert(
    loaded: LoadedModel,
    log_mel: torch.Tensor,
    inversion: InversionSettings = InversionSettings(),
    *,
    length: int | None = None,
    first_frame: int = 0,
) -> torch.Tensor:
    """Log-mel [B, M, T] or [M, T] -> float32 wave [B, N] or [N], N = `length` or (T - 1) * hop_length.

    `inversion` and `first_frame` (where the piece starts in a longer mel, for Griffin-Lim's random phase
    start) only matter for Griffin-Lim; the head needs neither. Not peak-limited.
    """
    if loaded.head is not None:
        return loaded.head(log_mel.to(loaded.head.window.device), length=length).to(log_mel.device)
    return mel_to_audio(log_mel, loaded.mel, n_iter=inversion.iterations, phase=inversion.phase, length=length, first_frame=first_frame)
