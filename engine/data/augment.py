"""Data augmentation for small datasets, in the log-mel domain (cheap, batched, runs on the training device).

`augment` draws per-item parameters from a `torch.Generator` (never the global RNG, so a seeded run is
repeatable) and applies, in this order:

1. pitch: the mel axis is stretched by a factor in 1 +- 15 % x strength (`mel_stretch`), about +- 2.4
   semitones. On the Slaney scale (linear below 1 kHz) a stretch is an exact pitch shift of the low bands,
   where drum bodies and fundamentals sit; above 1 kHz the scale is logarithmic and the stretch moves the
   top bands further than a real shift would (up to ~19 bins instead of ~4 at 15 %), so it acts as a
   pitch-plus-formant warp. Measured on 50 drum one-shots (docs/benchmarks.md): held-out L1 0.648 at 3 %,
   0.623 at 15 %, 0.625 at 30 %.
2. time stretch: the time axis is resampled by a factor in 1 +- 5 % x strength (`time_stretch`); the mask
   is resampled the same way and re-thresholded at 0.5, and the result is cropped / padded back to T.
3. time shift: frames move by up to 10 % of T x strength (`time_shift`), vacated frames become silence and
   masked. Items with padding (clips shorter than a chunk) only shift within their padding, so the start of
   a short sound (its attack) is never cut off.
4. gain: +- 6 dB x strength, added in log space and floored at silence; cells at the floor (silence) stay
   there (`apply_gain`, `shift_level`).
5. noise: on a share of the items, a noise floor at -80..-60 dB below the item's peak, scaled by strength
   (amplitude x strength, i.e. 20*log10(strength) dB lower), with a small random log-jitter per bin and
   frame, log-added (`add_noise`: logaddexp(mel, noise)).
6. EQ: a smooth random gain curve over the mel axis, up to +- 6 dB x strength (`eq_curves`: three cosines),
   as if another microphone or another kit had recorded the sound (held-out L1 0.623 -> 0.615); silence
   stays silence here too.

Finally every padding frame (mask False) is set back to `silence_value`, so neither gain, noise nor EQ leaks
into padding. The mel is a natural-log MAGNITUDE mel (`engine.audio.mel`), so d dB is d * ln(10) / 20 in log units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

LOG_PER_DB = math.log(10.0) / 20.0  # natural-log magnitude units per decibel
EQ_WAVES = 3  # cosines in a random EQ curve: broad tilts and bumps, no narrow peaks


@dataclass(frozen=True)
class AugmentRanges:
    """Ranges at strength 1 (each scales with strength); a zero / None turns that transform off."""

    gain_db: float = 6.0  # +- dB
    shift_fraction: float = 0.10  # +- fraction of T
    pitch_fraction: float = 0.15  # mel-axis stretch factor 1 +- this
    stretch_fraction: float = 0.05  # time stretch factor 1 +- this
    noise_db: tuple[float, float] | None = (-80.0, -60.0)  # noise floor relative to the item's peak
    noise_jitter: float = 0.3  # std of the per-bin, per-frame log-jitter of the noise floor
    # Share of items (at strength 1) that get a noise floor. Most must stay clean: a model that only ever
    # sees raised floors cannot reproduce true silence (measured: held-out log-mel L1 1.43 vs 0.59).
    noise_probability: float = 0.25
    eq_db: float = 6.0  # +- dB of a random smooth EQ curve over the mel axis (another microphone, another kit)


def augmentation_strength(file_count: int) -> float:
    """How hard to augment a dataset of `file_count` files: 1.0 up to 20 files, 0.2 from 500 files on.

    In between it follows a smoothstep in log(file count), so it is flat at both ends and continuous in slope:
    t = log(n / 20) / log(500 / 20), strength = 1 - 0.8 * (3t^2 - 2t^3).
    About 0.84 at 50 files, 0.60 at 100, 0.36 at 200.
    """
    if file_count <= 20:
        return 1.0
    t = min(1.0, math.log(file_count / 20) / math.log(500 / 20))
    return 1.0 - 0.8 * (3 * t * t - 2 * t * t * t)


def db_to_log(db: Tensor | float) -> Tensor | float:
    """Decibels -> natural-log magnitude units (what a gain of `db` adds to the log-mel)."""
    return db * LOG_PER_DB


def _interpolate(x: Tensor, positions: Tensor, fill: float | None) -> Tensor:
    """Linear interpolation of x [B, C, L] at fractional positions [B, K] along the last axis -> [B, C, K].

    Positions outside 0..L-1 take `fill`, or the nearest edge value when `fill` is None.
    """
    length = x.shape[-1]
    inside = (positions >= 0) & (positions <= length - 1)  # [B, K]
    pos = positions.clamp(0, length - 1)
    i0 = pos.floor().long()  # [B, K]
    i1 = (i0 + 1).clamp(max=length - 1)
    weight = (pos - i0).to(x.dtype)[:, None, :]  # [B, 1, K]
    channels = x.shape[1]
    x0 = x.gather(2, i0[:, None, :].expand(-1, channels, -1))  # [B, C, K]
    x1 = x.gather(2, i1[:, None, :].expand(-1, channels, -1))  # [B, C, K]
    out = x0 + (x1 - x0) * weight
    if fill is not None:
        out = torch.where(inside[:, None, :], out, out.new_tensor(fill))
    return out


def shift_level(mels: Tensor, offset: Tensor, silence_value: float) -> Tensor:
    """mels [B, M, T] + offset (log units, broadcast to the mels), floored at `silence_value`.

    Cells already at the floor stay there: a floored cell stands for anything at or below -100 dBFS, mostly
    digital silence, and raising it would give the sound a noise floor it never had.
    """
    at_floor = mels <= silence_value + 1e-4  # tolerance: log(1e-5) rounds differently in float32 and float64
    return torch.where(at_floor, mels, (mels + offset).clamp_min(silence_value))


def apply_gain(mels: Tensor, gain_db: Tensor, silence_value: float) -> Tensor:
    """Change each item's level: mels [B, M, T] + gain_db [B] (in dB); silence stays silence (`shift_level`)."""
    return shift_level(mels, db_to_log(gain_db).to(mels.dtype)[:, None, None], silence_value)


def time_shift(mels: Tensor, mask: Tensor, shift: Tensor, silence_value: float) -> tuple[Tensor, Tensor]:
    """Move each item `shift` [B] frames later (negative: earlier); vacated frames are silence and masked."""
    frames = mels.shape[-1]
    source = torch.arange(frames, device=mels.device)[None, :] - shift.to(mels.device)[:, None]  # [B, T]
    shifted = _interpolate(mels, source.to(mels.dtype), silence_value)  # [B, M, T]
    shifted_mask = _interpolate(mask[:, None, :].to(mels.dtype), source.to(mels.dtype), 0.0)[:, 0] > 0.5
    return shifted, shifted_mask


def time_stretch(mels: Tensor, mask: Tensor, factor: Tensor, silence_value: float) -> tuple[Tensor, Tensor]:
    """Stretch each item in time by `factor` [B] (> 1: longer/slower), cropped or silence-padded back to T.

    Output frame j reads input frame j / factor by linear interpolation; the mask is interpolated the same
    way and re-thresholded at 0.5.
    """
    frames = mels.shape[-1]
    source = torch.arange(frames, device=mels.device, dtype=mels.dtype)[None, :] / factor.to(mels)[:, None]
    stretched = _interpolate(mels, source, silence_value)  # [B, M, T]
    stretched_mask = _interpolate(mask[:, None, :].to(mels.dtype), source, 0.0)[:, 0] >= 0.5  # [B, T]
    return stretched, stretched_mask


def mel_stretch(mels: Tensor, factor: Tensor) -> Tensor:
    """Approximate pitch shift: stretch the mel axis of mels [B, M, T] by `factor` [B] around bin 0.

    Output bin k reads input bin k / factor (factor > 1 moves energy up); bins past the top repeat the top
    bin. See the module docstring for how far this is from a true pitch shift.
    """
    n_mels = mels.shape[1]
    source = torch.arange(n_mels, device=mels.device, dtype=mels.dtype)[None, :] / factor.to(mels)[:, None]
    by_frame = mels.transpose(1, 2)  # [B, T, M]: interpolate along the mel axis
    return _interpolate(by_frame, source, None).transpose(1, 2).contiguous()  # [B, M, T]


def eq_curves(amplitudes: Tensor, phases: Tensor, n_mels: int) -> Tensor:
    """Smooth gain curves over the mel axis: sum_k a_k cos(pi k x + phase_k), x in 0..1, k = 1..K.

    amplitudes, phases [B, K] (log units, radians) -> [B, M] in log units.
    """
    k = torch.arange(1, amplitudes.shape[1] + 1, device=amplitudes.device, dtype=amplitudes.dtype)  # [K]
    x = torch.linspace(0.0, 1.0, n_mels, device=amplitudes.device, dtype=amplitudes.dtype)  # [M]
    waves = torch.cos(math.pi * k[None, :, None] * x[None, None, :] + phases[:, :, None])  # [B, K, M]
    return (amplitudes[:, :, None] * waves).sum(dim=1)


def add_noise(mels: Tensor, mask: Tensor, level_db: Tensor, jitter: Tensor) -> Tensor:
    """Log-add a noise floor `level_db` [B] dB below each item's peak (over real frames), plus `jitter`.

    mels [B, M, T], mask [B, T], jitter [B, M, T] in log units (0 gives a flat floor).
    """
    masked = torch.where(mask[:, None, :], mels, mels.new_tensor(-math.inf))  # [B, M, T]
    peak = masked.amax(dim=(1, 2))  # [B]
    peak = torch.where(torch.isfinite(peak), peak, mels.amin(dim=(1, 2)))  # all-padding item: harmless floor
    floor = (peak + db_to_log(level_db).to(mels))[:, None, None] + jitter  # [B, M, T]
    return torch.logaddexp(mels, floor)


def augment(
    mels: Tensor,
    mask: Tensor,
    *,
    strength: float,
    generator: torch.Generator,
    silence_value: float,
    ranges: AugmentRanges = AugmentRanges(),
) -> tuple[Tensor, Tensor]:
    """Randomly augment a batch: mels [B, M, T] and mask [B, T] (True = real frame) -> new (mels, mask).

    `strength` in [0, 1] scales every range (see `augmentation_strength`); 0 returns exact copies. All
    randomness comes from `generator`, which may live on another device than the batch. The inputs are not
    modified, and padding frames (mask False) are `silence_value` in the output.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}")
    if strength == 0.0:
        return mels.clone(), mask.clone()
    batch, n_mels, frames = mels.shape
    device = mels.device

    def uniform(low: float, high: float) -> Tensor:  # [B] on the batch's device, drawn from `generator`
        u = torch.rand(batch, generator=generator, device=generator.device).to(device)
        return low + (high - low) * u

    # Draw every parameter, in a fixed order, even for transforms that end up off: the stream stays aligned.
    pitch = 1.0 + ranges.pitch_fraction * strength * uniform(-1.0, 1.0)  # [B]
    stretch = 1.0 + ranges.stretch_fraction * strength * uniform(-1.0, 1.0)  # [B]
    shift_u = uniform(0.0, 1.0)  # [B]
    gain_db = ranges.gain_db * strength * uniform(-1.0, 1.0)  # [B]
    low_db, high_db = ranges.noise_db or (0.0, 0.0)
    noise_db = uniform(low_db, high_db) + 20.0 * math.log10(strength)  # [B]
    noise_on = uniform(0.0, 1.0) < ranges.noise_probability * strength  # [B]
    eq_amplitude = torch.stack([uniform(-1.0, 1.0) for _ in range(EQ_WAVES)], dim=1) * db_to_log(ranges.eq_db * strength) / EQ_WAVES
    eq_phase = torch.stack([uniform(0.0, 2 * math.pi) for _ in range(EQ_WAVES)], dim=1)  # [B, K]

    out, out_mask = mels, mask
    if ranges.pitch_fraction > 0:
        out = mel_stretch(out, pitch)
    if ranges.stretch_fraction > 0:
        out, out_mask = time_stretch(out, out_mask, stretch, silence_value)
    max_shift = round(ranges.shift_fraction * strength * frames)
    if max_shift > 0:
        shift = _draw_shift(out_mask, shift_u, max_shift)
        out, out_mask = time_shift(out, out_mask, shift, silence_value)
    if ranges.gain_db > 0:
        out = apply_gain(out, gain_db, silence_value)
    if ranges.noise_db is not None:
        jitter = torch.randn(batch, n_mels, frames, generator=generator, device=generator.device)
        noisy = add_noise(out, out_mask, noise_db, ranges.noise_jitter * jitter.to(device, mels.dtype))
        out = torch.where(noise_on[:, None, None], noisy, out)
    if ranges.eq_db > 0:
        out = shift_level(out, eq_curves(eq_amplitude, eq_phase, n_mels)[:, :, None], silence_value)

    out = torch.where(out_mask[:, None, :], out, out.new_tensor(silence_value))  # padding stays silence
    return out, out_mask.clone() if out_mask is mask else out_mask


def _draw_shift(mask: Tensor, u: Tensor, max_shift: int) -> Tensor:
    """Integer shifts [B] in -max_shift..max_shift from uniforms u [B]; padded items stay inside their padding.

    An item with padding may move only as far as its leading / trailing padding allows, so no real frame
    of a short sound is pushed out; a fully real item may move the whole range.
    """
    frames = mask.shape[-1]
    idx = torch.arange(frames, device=mask.device)
    any_real = mask.any(dim=1)  # [B]
    first = torch.where(mask, idx, frames).amin(dim=1)  # [B] first real frame
    last = torch.where(mask, idx, -1).amax(dim=1)  # [B] last real frame
    padded = any_real & ((first > 0) | (last < frames - 1))  # [B]
    low = torch.where(padded, (-first).clamp(min=-max_shift), torch.full_like(first, -max_shift))  # [B]
    high = torch.where(padded, (frames - 1 - last).clamp(max=max_shift), torch.full_like(first, max_shift))
    span = (high - low + 1).to(u.dtype)
    return low + (u * span).floor().long().clamp(max=(high - low))  # [B] uniform in low..high
