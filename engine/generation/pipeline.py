"""New sounds from a trained prior: seed and settings -> code grid -> log-mel -> audio of any length.

    seed, settings -> CodePrior.generate -> codes [1, L, F]        any F: the prior slides its context window
    codes -> ConvVQVAE.decode_indices -> log-mel [M, T]              one pass (a small conv net)
    log-mel -> the model's inverter (waveform head or Griffin-Lim) in chunks, crossfaded -> wave [N]
    wave -> resample (soxr) -> optional stereo width -> float32 [N] or [N, 2]

One-shots (`GenerationSettings.one_shot`): the prior's end head (`engine.prior.model`), trained on where
the training files end, stops sampling when it places a frame after the end of the sound; the sound is the
frames before it, and `duration_s` is only the cap. A prior trained before the end head existed cannot make
one-shots and says so (`check_one_shot`).

Chunked inversion (`invert_mel`): Griffin-Lim's buffers grow with the length (10 minutes would need ~2 GB),
so the log-mel is inverted in chunks of about CHUNK_FRAMES frames (a 4 s sound is one chunk). Each chunk is
inverted with CONTEXT_FRAMES extra frames on both sides; neighbours are then crossfaded with a raised-cosine
(equal-gain) ramp of CROSSFADE_FRAMES centred on their boundary. Griffin-Lim is iterative and its phase
depends on the whole input, but the influence of a chunk's edge fades within a few dozen frames: measured on
12 s of demo sounds in 256-frame chunks, the middle of the shared region correlated 0.33-0.70 between
neighbours with 8 context frames, 0.82-1.0 with 32 and 0.997-1.0 with 64; with 64 the joined audio matches
one whole-length inversion to 122-128 dB SNR around the joins. So the crossfaded signals are the same
signal, equal-gain is the right crossfade, and no level dip or discontinuity is left (tests/test_generate.py
measures it). The extra frames cost 2 x 64 / 512 = 25% more inversion on long sounds, none on short ones.
A waveform head sees only `WaveformHead.receptive_frames` (15) frames either side, well inside the context,
so its chunks match a whole-length inversion to float rounding and the same crossfade joins them.

Determinism: the seed drives a CPU `torch.Generator` that makes every draw of the prior; Griffin-Lim starts
from a phase fixed per frame index (`InversionSettings`: random by default, or zero; a chunk starts exactly
as its frames do in the whole, which keeps the joins seamless) and the chunk layout depends only on the
length, so the same seed and settings give the same samples on the same machine with the same thread count. Another thread count gives the same codes,
but the decoder's convolutions round differently (~2e-6) and Griffin-Lim carries that into the samples
(measured: at most 0.003 on a peak of 0.6, 8 s, 1 against 2 threads).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

import numpy as np
import torch

from engine.audio.io import resample, resample_pieces
from engine.audio.stereo import widen
from engine.errors import DistillError
from engine.generation.settings import GenerationSettings, InversionSettings, check_sample_rate, check_seed
from engine.model.inverter import invert
from engine.model.persist import LoadedModel
from engine.prior.model import CodePrior

CHUNK_FRAMES = 512  # mel frames inverted at once (~5.9 s at 44.1 kHz, hop 512); chunks are 256..512 frames
CONTEXT_FRAMES = 64  # extra frames inverted on each side of a chunk (~0.74 s)
CROSSFADE_FRAMES = 32  # length of the crossfade centred on each boundary (~0.37 s), inside the context


@torch.no_grad()
def generate_audio(
    loaded: LoadedModel,
    prior: CodePrior,
    *,
    duration_s: float = 4.0,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int = 0,
    stereo_width: float | None = None,
    sample_rate: int | None = None,
    inversion: InversionSettings = InversionSettings(),
    one_shot: bool = False,
) -> np.ndarray:
    """One new sound from `prior` and `loaded`'s decoder: float32 `[N]`, or `[N, 2]` when `stereo_width` is set.

    `sample_rate` (default: the model's) is the rate of the result, N = round(duration_s * sample_rate)
    (within a sample). temperature >= 0 (0: greedy), top_k in [0, codebook size] (0: off), top_p in (0, 1]
    (1: off), stereo_width None (mono) or in [0, 1]; `inversion` says how the mel becomes audio. Bad values
    raise `InvalidSettings` before any work. The same seed and settings give the same samples on the same
    machine.
    """
    settings = GenerationSettings(duration_s, temperature, top_k, top_p, stereo_width, one_shot)
    return generate_audio_batch(loaded, prior, settings, [seed], sample_rate=sample_rate, inversion=inversion)[0]


@torch.no_grad()
def generate_audio_batch(
    loaded: LoadedModel,
    prior: CodePrior,
    settings: GenerationSettings,
    seeds: Sequence[int],
    *,
    sample_rate: int | None = None,
    inversion: InversionSettings = InversionSettings(),
) -> list[np.ndarray]:
    """`generate_audio` for each of `seeds` with the same settings, the prior drawing all of them in one batch.

    Each seed drives its own CPU generator, so a sound draws the random numbers it draws alone, and one seed
    gives exactly `generate_audio`'s sound. In a larger batch the prior's matrix products may round
    differently, which changes a code only where two are within rounding of a tie; on a GPU a batch costs
    about what one sound does (bench/generate.py --batch). One-shots end at their own lengths, so they are
    drawn one by one. Decoding and inversion run per sound.
    """
    out_rate = loaded.mel.sample_rate if sample_rate is None else check_sample_rate(sample_rate)
    sounds = []
    for log_mel, n_samples in _log_mels(loaded, prior, settings, seeds):
        wave = resample(invert_mel(log_mel, loaded, n_samples, inversion), loaded.mel.sample_rate, out_rate)  # [N']
        sounds.append(wave if settings.stereo_width is None else widen(wave, settings.stereo_width, out_rate))
    return sounds


@torch.no_grad()
def stream_audio(
    loaded: LoadedModel,
    prior: CodePrior,
    *,
    duration_s: float = 4.0,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int = 0,
    sample_rate: int | None = None,
    inversion: InversionSettings = InversionSettings(),
    one_shot: bool = False,
    chunk_frames: int = CHUNK_FRAMES,
) -> Iterator[np.ndarray]:
    """The mono sound `generate_audio` makes, in float32 pieces [n_i] as its inversion chunks are done.

    The codes and the log-mel are made first (as a whole); then each chunk of `invert_mel_pieces` is
    resampled as a stream (`resample_pieces`: the samples of the one-shot `resample`), so the pieces
    join to `generate_audio`'s result sample for sample when `chunk_frames` is the same
    (CHUNK_FRAMES). Settings are checked before any work, as in `generate_audio`.
    """
    settings = GenerationSettings(duration_s, temperature, top_k, top_p, one_shot=one_shot)
    out_rate = loaded.mel.sample_rate if sample_rate is None else check_sample_rate(sample_rate)
    [(log_mel, n_samples)] = _log_mels(loaded, prior, settings, [seed])  # [M, T]
    pieces = invert_mel_pieces(log_mel, loaded, n_samples, inversion, chunk_frames=chunk_frames)
    yield from resample_pieces(pieces, loaded.mel.sample_rate, out_rate)


def _log_mels(loaded: LoadedModel, prior: CodePrior, settings: GenerationSettings, seeds: Sequence[int]) -> list[tuple[torch.Tensor, int]]:
    """Checks, then per seed: the log-mel [M, T] its codes decode to and its length in samples at the model's rate."""
    cfg = loaded.model.cfg
    settings.check_for(cfg.codebook_size)
    if not seeds:
        raise ValueError("no seeds to generate with")
    for seed in seeds:
        check_seed(seed)
    if (prior.cfg.levels, prior.cfg.codebook_size) != (cfg.levels, cfg.codebook_size):
        raise ValueError(
            f"a prior over {prior.cfg.levels} x {prior.cfg.codebook_size} codes cannot drive a model with "
            f"{cfg.levels} x {cfg.codebook_size} codes"
        )
    if settings.one_shot:
        check_one_shot(prior, loaded.name)
    n_samples = num_samples(settings.duration_s, loaded.mel.sample_rate)
    frames = n_samples // loaded.mel.hop_length + 1
    columns = loaded.model.num_columns(frames)
    batches = [[seed] for seed in seeds] if settings.one_shot else [list(seeds)]  # one-shots end at their own lengths
    mels = []
    for batch in batches:
        codes = sample_codes(prior, columns, settings, batch)  # [B, L, F]; fewer columns when a one-shot ended
        for row in codes:
            if codes.shape[-1] < columns:
                length = codes.shape[-1] * cfg.downsample
                mels.append((decode_codes(loaded, row[None], length), (length - 1) * loaded.mel.hop_length))
            else:
                mels.append((decode_codes(loaded, row[None], frames), n_samples))
    return mels


def num_samples(duration_s: float, sample_rate: int) -> int:
    """Samples in `duration_s` seconds at `sample_rate`, at least one."""
    return max(1, round(duration_s * sample_rate))


def sample_codes(prior: CodePrior, n_columns: int, settings: GenerationSettings, seed: int | Sequence[int]) -> torch.Tensor:
    """`n_columns` new code columns -> LongTensor [B, L, n_columns], one row per seed (B = 1 for one seed).

    Each seed seeds its own CPU generator, which seeds sampling on any device (see `engine.prior.sampling`).
    A one-shot (one seed only) may end sooner: then fewer columns come back.
    """
    seeds = [seed] if isinstance(seed, int) else list(seed)
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    return prior.generate(
        n_columns, batch=len(seeds), temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
        generator=generators, one_shot=settings.one_shot,
    )  # [B, L, n_columns] or fewer


def check_one_shot(prior: CodePrior, model_name: str) -> None:
    """DistillError unless `prior` has the end head that one-shots need."""
    if prior.end is None:
        raise DistillError(
            f"the prior of model '{model_name}' was trained before one-shots existed; "
            f"train it again (`distill train-prior {model_name} --restart`) to make one-shots"
        )


@torch.no_grad()
def decode_codes(loaded: LoadedModel, codes: torch.Tensor, frames: int) -> torch.Tensor:
    """Code grid [1, L, F] -> log-mel [M, frames] (frames <= F * downsample), on the model's device."""
    device = next(loaded.model.parameters()).device
    return loaded.model.decode_indices(codes.to(device), frames)[0, 0]  # [M, frames]


def chunk_bounds(frames: int, chunk_frames: int = CHUNK_FRAMES) -> list[int]:
    """Boundaries [0, b1, ..., frames] of ceil(frames / chunk_frames) chunks of near-equal size.

    Equal sizes keep every chunk longer than chunk_frames / 2, so no short last chunk sits inside its
    neighbour's context.
    """
    count = -(-frames // chunk_frames)
    return [round(i * frames / count) for i in range(count + 1)]


def invert_mel(
    log_mel: torch.Tensor,
    loaded: LoadedModel,
    n_samples: int,
    inversion: InversionSettings = InversionSettings(),
    *,
    chunk_frames: int = CHUNK_FRAMES,
) -> np.ndarray:
    """Log-mel [M, T] -> float32 wave [n_samples], `loaded`'s inverter in chunks joined by crossfades (module doc).

    T must be n_samples // hop_length + 1, as for `invert`. `chunk_frames` >= frames gives one
    whole-length inversion (the reference the seam tests compare against).
    """
    return np.concatenate(list(invert_mel_pieces(log_mel, loaded, n_samples, inversion, chunk_frames=chunk_frames)))


def invert_mel_pieces(
    log_mel: torch.Tensor,
    loaded: LoadedModel,
    n_samples: int,
    inversion: InversionSettings = InversionSettings(),
    *,
    chunk_frames: int = CHUNK_FRAMES,
) -> Iterator[np.ndarray]:
    """`invert_mel` as each chunk is inverted: consecutive float32 pieces [n_i] whose concatenation is its wave.

    A piece ends where the next chunk's crossfade begins, since only the next chunk changes samples after
    that; so the first piece comes after one chunk's inversion and the pieces join exactly as `invert_mel`'s
    chunks do, sample for sample.
    """
    hop, frames = loaded.mel.hop_length, log_mel.shape[-1]
    if frames != n_samples // hop + 1:
        raise ValueError(f"{frames} mel frames do not fit {n_samples} samples (expected {n_samples // hop + 1}).")
    if chunk_frames < 4 * CROSSFADE_FRAMES:
        raise ValueError(f"chunk_frames must be at least {4 * CROSSFADE_FRAMES}, got {chunk_frames}.")
    fade = CROSSFADE_FRAMES * hop
    rise = (0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)).astype(np.float32)  # [fade] 0 -> 1
    wave = np.zeros(n_samples, dtype=np.float32)  # [N]
    done = 0  # samples of the wave handed out
    for start, stop in pairwise(chunk_bounds(frames, chunk_frames)):
        first, last = max(start - CONTEXT_FRAMES, 0), min(stop + CONTEXT_FRAMES, frames)
        length = n_samples - first * hop if last == frames else (last - first - 1) * hop
        piece = invert(loaded, log_mel[:, first:last], inversion, first_frame=first, length=length).cpu().numpy()  # [length]
        offset = first * hop  # sample of the whole wave where the piece begins
        if start > 0:  # fade in across the boundary with the previous chunk
            ramp_at = start * hop - fade // 2 - offset
            piece[:ramp_at] = 0.0
            piece[ramp_at : ramp_at + fade] *= rise
        final = n_samples  # samples of the wave no later chunk changes
        if stop < frames:  # fade out across the boundary with the next chunk: exactly 1 - its fade-in
            ramp_at = stop * hop - fade // 2 - offset
            piece[ramp_at : ramp_at + fade] *= 1.0 - rise
            piece[ramp_at + fade :] = 0.0
            final = offset + ramp_at
        wave[offset : offset + length] += piece
        yield wave[done:final].copy()  # [final - done]
        done = final
