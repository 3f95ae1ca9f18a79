"""Generated sounds as files: load a model with its prior, generate, write, record in the history; regenerate.

The CLI (`distill generate`, `distill history regenerate`), the resident engine and the TUI call these.

- Seeds: `count` sounds take seeds seed, seed + 1, ...; each seed drives its own random generator. On the
  CPU each sound is generated on its own (batch 1), so the file of seed s is the same whether it was made
  alone or among others, and a history entry can be regenerated on its own. On a GPU the prior draws
  GPU_BATCH sounds at once (`generate_audio_batch`: each still draws its own seed's numbers; the batch's
  sums may round differently, which changes a code only at a near tie).
- Names: `<model>_seed<seed>_<YYYYmmdd-HHMMSS>.<format>` in the output folder (default `outputs_dir()`;
  the model name sanitised by `engine.paths.safe_stem`),
  with `-2`, `-3`, ... added rather than overwriting a file. An explicit file path is written as given.
- Regeneration refuses, with one sentence, a model whose VQ-VAE or prior weights changed since, and runs
  with the torch thread count of the original: other counts give the same codes but round the decoder's
  sums differently, which Griffin-Lim carries into the samples (docs/generate.md, Determinism).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from engine.audio.io import write_audio
from engine.errors import DistillError
from engine.device import resolve_device
from engine.generation.pipeline import generate_audio, generate_audio_batch
from engine.generation.settings import (
    FORMAT_EXTENSIONS,
    ExportSettings,
    GenerationSettings,
    InvalidSettings,
    InversionSettings,
    check_seed,
)
from engine.library import Library
from engine.model.persist import LoadedModel, load_vqvae, weights_id
from engine.paths import free_path, outputs_dir, safe_stem, user_path
from engine.prior.bundle import PRIOR_PREFIX, load_prior
from engine.prior.model import CodePrior
from engine.store import GenerationRecord, History

MAX_GENERATE_COUNT = 1000  # sounds one `distill generate --count N` writes at most (the TUI asks for fewer a press)
GPU_BATCH = 16  # sounds the prior draws at once on a GPU (a batch costs about what one sound does there)


def load_generator(model: str | os.PathLike, device: str = "cpu") -> tuple[LoadedModel, CodePrior]:
    """A library name or model file -> (the model, its prior) on `device` (auto, cpu or cuda).

    NoPriorError names `distill train-prior`.
    """
    loaded = load_vqvae(Library().resolve(model), device=resolve_device(device))
    return loaded, load_prior(loaded)


def prior_id(loaded: LoadedModel) -> str:
    """Fingerprint of the prior's weights in `loaded` (changes whenever the prior is retrained)."""
    return weights_id(loaded.tensors, prefix=PRIOR_PREFIX)


def generate_files(
    model: str | os.PathLike,
    settings: GenerationSettings,
    export: ExportSettings,
    *,
    seed: int,
    count: int = 1,
    out: str | os.PathLike | None = None,
    history: History | None = None,
    device: str = "cpu",
) -> list[GenerationRecord]:
    """Generate `count` sounds with seeds seed..seed+count-1, write them and record each in the history.

    `out`: a folder (created if needed; default `outputs_dir()`) for automatically named files, or, for a
    single sound, a file path whose extension is the export format. `device`: auto, cpu or cuda; on CUDA
    the prior draws up to GPU_BATCH sounds at once. Returns the history records in order.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_GENERATE_COUNT:
        raise InvalidSettings(f"count must be a whole number from 1 to {MAX_GENERATE_COUNT}, not {count}")
    check_seed(seed)
    check_seed(seed + count - 1)
    target = _output_target(out, export.format, count)
    loaded, prior = load_generator(model, device)
    settings.check_for(loaded.model.cfg.codebook_size)
    export = replace(export, sample_rate=export.sample_rate or loaded.mel.sample_rate)
    export.check_rate(export.sample_rate)
    history = history or History()
    fingerprint = prior_id(loaded)
    batch = batch_size(loaded)
    records = []
    for first in range(seed, seed + count, batch):
        seeds = list(range(first, min(first + batch, seed + count)))
        for each, audio in zip(seeds, generate_audio_batch(loaded, prior, settings, seeds, sample_rate=export.sample_rate)):
            path = target if target.suffix else _free_name(target, loaded.name, each, export.format)
            records.append(write_sound_file(loaded, fingerprint, settings, export, each, path, history, InversionSettings(), audio))
    return records


def regenerate(record_id: int, *, out: str | os.PathLike | None = None, history: History | None = None) -> GenerationRecord:
    """Make history entry `record_id`'s sound again (same model, prior, settings, seed and format).

    Written to `out` (a folder or a file path, as in `generate_files`), by default a new name in
    `outputs_dir()`; recorded as a new history entry, which is returned. The model is looked up by its
    recorded path, then by its name in the library; it must still hold the same VQ-VAE and prior weights.
    Runs with the entry's torch thread count, so the samples match whatever front end made it.
    """
    history = history or History()
    old = history.get(record_id)
    model = old.model_path if Path(old.model_path).is_file() else old.model_name
    loaded, prior = load_generator(model)
    if loaded.model_id != old.model_id:
        raise DistillError(f"model '{loaded.name}' is not the model of generation #{record_id} any more (its weights changed); the sound cannot be made again")
    fingerprint = prior_id(loaded)
    if fingerprint != old.prior_id:
        raise DistillError(f"the prior of model '{loaded.name}' was retrained after generation #{record_id}; the sound cannot be made again")
    target = _output_target(out, old.export.format, 1)
    path = target if target.suffix else _free_name(target, loaded.name, old.seed, old.export.format)
    with torch_threads(old.threads):
        return make_sound_file(loaded, prior, fingerprint, old.settings, old.export, old.seed, path, history, old.inversion)


def batch_size(loaded: LoadedModel) -> int:
    """Sounds the prior draws at once for `loaded`: GPU_BATCH on a GPU, 1 on the CPU (see the module docstring)."""
    return GPU_BATCH if next(loaded.model.parameters()).device.type == "cuda" else 1


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` torch CPU threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_sound_file(
    loaded: LoadedModel,
    prior: CodePrior,
    fingerprint: str,
    settings: GenerationSettings,
    export: ExportSettings,
    seed: int,
    path: Path,
    history: History,
    inversion: InversionSettings = InversionSettings(),
) -> GenerationRecord:
    """Generate one sound, write it to `path` and record it in the history (CLI, engine and TUI all use this)."""
    audio = generate_audio(loaded, prior, **settings.to_dict(), seed=seed, sample_rate=export.sample_rate, inversion=inversion)  # [N] or [N, 2]
    return write_sound_file(loaded, fingerprint, settings, export, seed, path, history, inversion, audio)


def write_sound_file(
    loaded: LoadedModel,
    fingerprint: str,
    settings: GenerationSettings,
    export: ExportSettings,
    seed: int,
    path: Path,
    history: History,
    inversion: InversionSettings,
    audio: np.ndarray,
) -> GenerationRecord:
    """Write generated `audio` ([N] or [N, 2] at the export rate) to `path` and record how it was made."""
    write_audio(path, audio, export.sample_rate, bit_depth=export.bit_depth)
    return history.add(
        model_name=loaded.name, model_path=loaded.path.resolve(), model_id=loaded.model_id, prior_id=fingerprint,
        seed=seed, threads=torch.get_num_threads(), settings=settings, export=export, path=path.resolve(), inversion=inversion,
    )


def _output_target(out: str | os.PathLike | None, file_format: str, count: int) -> Path:
    """A folder (no suffix) or a file path for the output, checked against the format and the count."""
    if out is None:
        return outputs_dir()
    target = user_path(out, "written to")
    if target.is_dir() or not target.suffix:
        return target
    extensions = FORMAT_EXTENSIONS[file_format]
    if target.suffix.lower() not in extensions:
        raise InvalidSettings(f"the output file {target.name} is to be {file_format}, so its name must end in {' or '.join(extensions)}")
    if count > 1:
        raise InvalidSettings(f"{count} sounds need an output folder, not the file {target}")
    return target


def _free_name(folder: Path, model_name: str, seed: int, file_format: str) -> Path:
    """`<model>_seed<seed>_<time>.<format>` in `folder`, with -2, -3, ... added if that file exists.

    The model's name comes from its file and is sanitised (`safe_stem`), so the sound lands in `folder`.
    """
    return free_path(folder / f"{safe_stem(model_name)}_seed{seed}_{datetime.now():%Y%m%d-%H%M%S}.{file_format}")
