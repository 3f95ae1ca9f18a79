"""Sound to code grid and back (CODE-01, CODE-02, CODE-07): encode, decode, preview a codebook entry.

Encoding reads the file as training does (`load_audio`: mono at the model's rate, trimmed, peak-normalised),
takes its log-mel [M, T] and runs the encoder and quantizer in chunks of `CHUNK_FRAMES` mel frames (11.9 s
at 44.1 kHz), exactly as `engine.model.vqvae.reconstruct` does, so any length fits in memory.

Decoding sums each column's per-level vectors (blends included, see `ops.embeddings`), runs the decoder on
the same chunks and crops to the source's mel frames, then inverts the log-mel (the model's waveform head, or Griffin-Lim
for files without one: `engine.model.inverter`) to the source's sample count. For an unedited grid the log-mel is `reconstruct()`'s output (the tests check it).

A preview of entry (level, index) holds that entry for `PREVIEW_SECONDS` while every other level holds its
most-used code (from the usage counts the model file records, `engine.model_health`; code 0 where
none are recorded): a typical column with only this entry changed. Every level takes part because the decoder
was only ever trained on the sum of all levels. Held constant, the column decodes to a steady sound; entries
of one level differ by what they change. 10 ms fades avoid clicks.

    Structure entry I:  e0[I]    + e1[typical] + e2[typical]
    Timbre entry I:     e0[typical] + e1[I]    + e2[typical]      held for every column of the clip
    Detail entry I:     e0[typical] + e1[typical] + e2[I]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from engine.audio.io import load_audio
from engine.audio.mel import MelSpectrogram
from engine.codes.errors import CodeEditError, ModelMismatchError
from engine.codes.grid import CodeGrid, Level, resolve_level
from engine.codes.ops import check_index, embeddings
from engine.generation.settings import InversionSettings
from engine.model_health import ModelHealth
from engine.limits import MAX_GRID_COLUMNS
from engine.model.inverter import invert
from engine.model.persist import LoadedModel

CHUNK_FRAMES = 1024  # mel frames per encoder/decoder pass, as `reconstruct()`; a multiple of downsample
PREVIEW_SECONDS = 1.0
MAX_PREVIEW_SECONDS = 30.0
FADE_SECONDS = 0.01


def check_model(loaded: LoadedModel, grid: CodeGrid) -> None:
    """Raise ModelMismatchError unless `loaded` is the model that made `grid`, and the grid's shape and timing
    are still the model's (a grid file edited by hand may keep the model's id and claim 100 levels or a hop
    of 2^40 samples, which decoding would index or allocate by)."""
    if grid.model_id != loaded.model_id:
        raise ModelMismatchError(
            f"the codes of {grid.source} were made by model '{grid.model_name}' ({grid.model_id}), "
            f"not by '{loaded.name}' ({loaded.model_id}); use '{grid.model_name}' for them"
        )
    cfg = loaded.model.cfg
    model = {"levels": cfg.levels, "codebook_size": cfg.codebook_size, "downsample": cfg.downsample, "sample_rate": loaded.mel.sample_rate, "hop_length": loaded.mel.hop_length}
    for name, value in model.items():
        if getattr(grid, name) != value:
            raise ModelMismatchError(f"the codes of {grid.source} have {name} {getattr(grid, name)}, but model '{loaded.name}', which made them, has {value}: the grid file was changed since")


def codebooks_for(loaded: LoadedModel, grid: CodeGrid) -> Tensor:
    """The model's code vectors [L, K, D], after checking that it made `grid` (what `ops.blend` needs)."""
    check_model(loaded, grid)
    return loaded.model.quantizer.codebooks().detach()


@torch.no_grad()
def encode_wave(loaded: LoadedModel, wave: np.ndarray, source: str) -> CodeGrid:
    """A mono wave [N] at the model's rate -> its code grid; `source` names it in the grid."""
    model, cfg = loaded.model.eval(), loaded.model.cfg
    device = next(model.parameters()).device
    log_mel = MelSpectrogram(loaded.mel).to(device)(torch.from_numpy(wave).to(device))  # [M, T]
    frames = log_mel.shape[-1]
    grids = [
        model.encode(log_mel[None, None, :, start : start + CHUNK_FRAMES]).indices[0]  # [L, ceil(t / downsample)]
        for start in range(0, frames, CHUNK_FRAMES)
    ]
    return CodeGrid(
        codes=torch.cat(grids, dim=-1).cpu().numpy(),  # [L, F]
        labels=cfg.labels,
        codebook_size=cfg.codebook_size,
        model_id=loaded.model_id,
        model_name=loaded.name,
        sample_rate=loaded.mel.sample_rate,
        hop_length=loaded.mel.hop_length,
        downsample=cfg.downsample,
        frames=frames,
        samples=len(wave),
        source=source,
    )


def encode_file(loaded: LoadedModel, path: str | os.PathLike) -> CodeGrid:
    """Any readable sound file -> its code grid (AudioFileError if it cannot be used)."""
    return encode_wave(loaded, load_audio(path, loaded.mel.sample_rate), Path(path).name)


@torch.no_grad()
def decode_mel(loaded: LoadedModel, grid: CodeGrid) -> Tensor:
    """The model's log-mel [M, frames] for a grid (ModelMismatchError if another model made it; CodeEditError
    past `MAX_GRID_COLUMNS` columns, checked before any work)."""
    if grid.columns > MAX_GRID_COLUMNS:
        raise CodeEditError(
            f"{grid.source} has {grid.columns} columns ({grid.duration / 60:.0f} minutes); distill decodes at most "
            f"{MAX_GRID_COLUMNS} ({MAX_GRID_COLUMNS * grid.column_seconds / 60:.0f} minutes)"
        )
    model = loaded.model.eval()
    quantized = embeddings(grid, codebooks_for(loaded, grid)).sum(dim=0)  # [D, F]
    columns = CHUNK_FRAMES // grid.downsample
    pieces = [
        model.decode(quantized[None, :, start // grid.downsample : start // grid.downsample + columns], min(CHUNK_FRAMES, grid.frames - start))[0, 0]
        for start in range(0, grid.frames, CHUNK_FRAMES)
    ]  # each [M, t]
    return torch.cat(pieces, dim=-1)  # [M, frames]


def decode_wave(loaded: LoadedModel, grid: CodeGrid, inversion: InversionSettings = InversionSettings()) -> np.ndarray:
    """A grid -> float32 audio [samples] at the model's rate (not peak-limited; `write_audio` scales)."""
    log_mel = decode_mel(loaded, grid)  # [M, T]
    return invert(loaded, log_mel, inversion, length=grid.samples).cpu().numpy()


def typical_codes(loaded: LoadedModel) -> list[int]:
    """The most-used code of every level by the model's recorded usage counts (0 where none are recorded)."""
    levels = loaded.model.cfg.levels
    usage = ModelHealth.from_metadata(loaded.metadata).usage
    if len(usage) != levels:
        return [0] * levels
    return [int(np.argmax(counts)) for counts in usage]


@torch.no_grad()
def preview_wave(loaded: LoadedModel, level: Level, index: int, seconds: float = PREVIEW_SECONDS) -> np.ndarray:
    """A clip [N] that lets a person hear codebook entry `index` of `level` (built as the module doc says)."""
    model, cfg = loaded.model.eval(), loaded.model.cfg
    level = resolve_level(level, cfg.labels)
    index = check_index(index, cfg.codebook_size)
    if not 0 < seconds <= MAX_PREVIEW_SECONDS:
        raise CodeEditError(f"a preview lasts more than 0 and at most {MAX_PREVIEW_SECONDS:g} seconds, not {seconds}")
    books = model.quantizer.codebooks()  # [L, K, D]
    context = typical_codes(loaded)
    codes = [index if other == level else context[other] for other in range(cfg.levels)]
    vector = sum(books[other, code] for other, code in enumerate(codes))  # [D]
    columns = max(1, round(seconds * loaded.mel.sample_rate / loaded.samples_per_column))
    log_mel = model.decode(vector[None, :, None].expand(1, -1, columns))[0, 0]  # [M, columns * downsample]
    inversion = InversionSettings()
    wave = invert(loaded, log_mel, inversion).cpu().numpy()  # [N]
    fade = min(round(FADE_SECONDS * loaded.mel.sample_rate), len(wave) // 2)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)) ** 2  # [fade]
    wave[:fade] *= ramp
    wave[len(wave) - fade :] *= ramp[::-1]
    return wave
