"""Log-mel -> waveform: non-negative mel inversion, then fast Griffin-Lim.

Two steps, both batched and run on the device of the input (nothing leaves the device inside a loop):

1. `mel_to_magnitude`: mel magnitudes back to linear STFT magnitudes. The starting guess reads each band
   as a flat spectral density (mel value / filter area) and interpolates linearly between band centres,
   which is non-negative by construction and exact for spectra that are linear between centres. A few
   multiplicative updates for the generalised KL divergence (Lee & Seung 2001, "Algorithms for non-negative
   matrix factorization", with the filterbank held fixed) then make the magnitudes reproduce the mel: they
   stay non-negative without clamping and weigh errors relatively, which suits a log representation.
   Against the clamped pseudo-inverse it cut the round-trip log-mel error of tonal test sounds by up to 70%
   (660 Hz pluck 0.35 -> 0.10, 220 Hz pluck 0.37 -> 0.23, triad 0.22 -> 0.19) and left noise unchanged.
2. `mel_to_audio`: fast Griffin-Lim (Perraudin, Balazs & Sondergaard 2013, "A fast Griffin-Lim algorithm"),
   the loop torchaudio's and librosa's `griffinlim` run. The STFT pair is written out with `torch.fft` and
   reused buffers (see `_StftPair`): 32 iterations on 4 s of 44.1 kHz audio take ~75 ms on 2 CPU threads
   against ~190 ms with `torch.stft`/`torch.istft`, which it matches to float rounding (the tests check).

Phase starts at zero (torchaudio's `rand_init=False`) or, with `phase="random"`, uniformly random
(torchaudio's `rand_init=True`, made deterministic): frame t starts from row t mod RANDOM_PHASE_PERIOD of a
fixed table drawn once from a seeded CPU generator, so a piece of a longer mel starts exactly as the same
frames do in the whole (`first_frame`) and chunked inversion stays seamless. On generated drum and tonal
sounds the random start ends closer at every iteration count: 24 iterations from it come within 0.003
log-mel L1 of 32 from zero (docs/benchmarks.md, "Generation").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from engine.audio.mel import MelConfig, mel_filterbank

NNLS_ITERATIONS = 10
PHASES = ("zero", "random")  # where Griffin-Lim's phase starts
RANDOM_PHASE_SEED = 0  # the random start is the same on every run and device
RANDOM_PHASE_PERIOD = 512  # frames (~6 s) before the random start repeats
_NOLA_TOLERANCE = 1e-11  # the envelope torch.istft refuses to divide by


@dataclass(frozen=True)
class _Inverse:
    """Per-(config, device) constants for inversion. The matrices are sparse (COO): each FFT bin lies in at
    most two filters, so sparse products are about 4x faster than dense ones here."""

    interpolate: torch.Tensor  # [F, n_mels] starting guess: band densities, linearly interpolated
    filterbank: torch.Tensor  # [n_mels, F] the forward (area-normalised) filterbank
    update: torch.Tensor  # [F, n_mels] filterbank^T divided by each bin's total weight (0 where unused)
    window: torch.Tensor  # [n_fft], dense


@functools.lru_cache(maxsize=8)
def _inverse(cfg: MelConfig, device: torch.device) -> _Inverse:
    filterbank = mel_filterbank(cfg)  # [M, F]
    triangles = mel_filterbank(cfg, area_normalise=False)  # [M, F]
    areas = filterbank.sum(dim=1, keepdim=True)  # [M, 1], > 0: no filter is empty
    column_weight = filterbank.sum(dim=0, keepdim=True)  # [1, F], 0 at DC and at Nyquist
    update = torch.where(column_weight > 0, filterbank / column_weight.clamp_min(1e-30), 0.0)  # [M, F]
    return _Inverse(
        interpolate=(triangles / areas).T.to_sparse().coalesce().to(device),
        filterbank=filterbank.to_sparse().coalesce().to(device),
        update=update.T.to_sparse().coalesce().to(device),
        window=torch.hann_window(cfg.n_fft).to(device),
    )


@torch.no_grad()
def mel_to_magnitude(log_mel: torch.Tensor, cfg: MelConfig, *, n_iter: int = NNLS_ITERATIONS) -> torch.Tensor:
    """Non-negative linear STFT magnitudes whose mel reproduces `exp(log_mel)`.

    `log_mel` is `[B, n_mels, T]` or `[n_mels, T]`; returns float32 `[B, F, T]` or `[F, T]`, F = n_fft//2+1.
    `n_iter` KL multiplicative updates refine the interpolated starting guess (0: the guess itself).
    No gradient flows through it.
    """
    single = log_mel.dim() == 2
    batched = _batched(log_mel, cfg)  # [B, M, T]
    batch, n_mels, n_frames = batched.shape
    mel = batched.float().exp().transpose(0, 1).reshape(n_mels, batch * n_frames)  # [M, B*T]
    inverse = _inverse(cfg, mel.device)
    magnitude = torch.sparse.mm(inverse.interpolate, mel)  # [F, B*T]
    for _ in range(n_iter):
        ratio = mel / torch.sparse.mm(inverse.filterbank, magnitude).clamp_min(1e-30)  # [M, B*T]
        magnitude.mul_(torch.sparse.mm(inverse.update, ratio))  # [F, B*T]
    magnitude = magnitude.view(-1, batch, n_frames).transpose(0, 1)  # [B, F, T]
    return magnitude[0] if single else magnitude


@torch.no_grad()
def mel_to_audio(
    log_mel: torch.Tensor,
    cfg: MelConfig,
    *,
    n_iter: int = 32,
    momentum: float = 0.99,
    length: int | None = None,
    phase: str = "zero",
    first_frame: int = 0,
) -> torch.Tensor:
    """Waveform whose log-mel approximates `log_mel`, by fast Griffin-Lim.

    `log_mel` is `[B, n_mels, T]` or `[n_mels, T]` (as `MelSpectrogram` returns); the result is float32
    `[B, N]` or `[N]` on the same device, N = `length` or, when None, (T - 1) * hop_length. `length`
    must give T frames (length // hop_length + 1 == T), as the length of the wave the mel came from does.
    `momentum` 0 is plain Griffin-Lim; `phase` is where the phase starts ("zero" or "random", see the module
    docstring) and `first_frame` the index of the first frame within a longer mel this piece was cut from.
    The output is not peak-limited, and no gradient flows through it.
    """
    if n_iter < 0:
        raise ValueError(f"n_iter must be >= 0, got {n_iter}.")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}.")
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}.")
    single = log_mel.dim() == 2
    batched = _batched(log_mel, cfg)  # [B, M, T]
    n_frames = batched.shape[-1]
    length = (n_frames - 1) * cfg.hop_length if length is None else length
    if length < 1 or length // cfg.hop_length + 1 != n_frames:
        raise ValueError(
            f"length {length} does not fit {n_frames} frames: it must be >= 1 and give "
            f"length // {cfg.hop_length} + 1 == {n_frames}."
        )
    magnitude = mel_to_magnitude(batched, cfg).transpose(1, 2).contiguous()  # [B, T, F]
    stft = _StftPair(_inverse(cfg, magnitude.device).window, cfg.hop_length, magnitude.shape[0], n_frames, length)
    spec = magnitude.to(torch.complex64)  # [B, T, F], zero phase
    if phase == "random":
        rows = torch.arange(first_frame, first_frame + n_frames) % RANDOM_PHASE_PERIOD  # [T]
        start = _random_phase(magnitude.shape[-1])[rows].to(magnitude.device)  # [T, F], unit complex
        spec.mul_(start)  # the same start for every item of a batch

    # Fast Griffin-Lim: t_n = c_n + a (c_n - c_{n-1}) with c_n the projection of t_{n-1}; only the phase of
    # t_n is kept, and t_n is proportional to c_n - a / (1 + a) c_{n-1}. Buffers are reused: see _StftPair.
    beta = momentum / (1.0 + momentum)
    rebuilt, previous = torch.empty_like(spec), torch.empty_like(spec)  # [B, T, F]
    gain = torch.empty_like(magnitude)  # [B, T, F]
    for step in range(n_iter):
        stft.project(spec, out=rebuilt)
        if step == 0:
            spec.copy_(rebuilt)
        else:
            torch.sub(rebuilt, previous, alpha=beta, out=spec)
        # gain = |S| / |spec|, so spec * gain has the target magnitude and the new phase
        torch.mul(spec.real, spec.real, out=gain).addcmul_(spec.imag, spec.imag).add_(1e-32).rsqrt_().mul_(magnitude)
        spec.mul_(gain)
        rebuilt, previous = previous, rebuilt
    wave = stft.inverse(spec).clone()  # [B, N], detached from the reused buffer
    return wave[0] if single else wave


@functools.lru_cache(maxsize=4)
def _random_phase(bins: int) -> torch.Tensor:
    """The fixed table of random unit phasors: complex64 [RANDOM_PHASE_PERIOD, bins], on the CPU."""
    generator = torch.Generator().manual_seed(RANDOM_PHASE_SEED)
    angles = torch.rand(RANDOM_PHASE_PERIOD, bins, generator=generator) * (2 * torch.pi)  # [P, F]
    return torch.polar(torch.ones_like(angles), angles)


def _batched(log_mel: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """`[n_mels, T]` or `[B, n_mels, T]` -> `[B, n_mels, T]`, refusing other shapes."""
    batched = log_mel.unsqueeze(0) if log_mel.dim() == 2 else log_mel
    if batched.dim() != 3 or batched.shape[1] != cfg.n_mels or batched.shape[2] == 0:
        raise ValueError(
            f"Expected a log-mel of shape [B, {cfg.n_mels}, T] or [{cfg.n_mels}, T], got {tuple(log_mel.shape)}."
        )
    return batched


class _StftPair:
    """`torch.stft(center=True)` and `torch.istft(center=True, length=N)`, frames first (`[B, T, F]`).

    Written out with `torch.fft` and buffers reused across calls: Griffin-Lim calls the pair dozens of times,
    `torch.istft` recomputes the window envelope on every call, and on CPU each fresh multi-megabyte tensor
    costs a page fault per page. Padding is reflect, or zeros for waves too short to reflect, as in
    `MelSpectrogram`. Results of `inverse` are views of a buffer that the next call overwrites.
    """

    def __init__(self, window: torch.Tensor, hop: int, batch: int, n_frames: int, length: int) -> None:
        n_fft = window.numel()
        self.window, self.hop, self.length = window, hop, length
        self.half = n_fft // 2
        self.reflect = length > self.half
        self.frames = window.new_empty(batch, n_frames, n_fft)  # [B, T, n_fft]
        self.summed = window.new_empty(batch, n_frames + -(-n_fft // hop) - 1, hop)  # [B, T + r - 1, hop]
        self.padded = window.new_zeros(batch, length + n_fft)  # [B, N + n_fft]
        self.wave = self.padded[:, self.half : self.half + length]  # [B, N], view
        squared = (window * window).expand(1, n_frames, n_fft)  # [1, T, n_fft]
        envelope = _overlap_add(squared, hop, window.new_empty(1, *self.summed.shape[1:]))  # [1, ...]
        envelope = envelope[0, self.half : self.half + length]  # [N]
        if envelope.min() < _NOLA_TOLERANCE:
            raise ValueError(f"hop_length {hop} is too large for a Hann window of {n_fft}: frames do not overlap.")
        self.inv_envelope = 1.0 / envelope  # [N]

    def inverse(self, spec: torch.Tensor) -> torch.Tensor:
        """spec `[B, T, F]` -> wave `[B, N]`, a view into the padded buffer."""
        torch.fft.irfft(spec, n=self.window.numel(), dim=-1, out=self.frames)
        self.frames.mul_(self.window)  # [B, T, n_fft]
        summed = _overlap_add(self.frames, self.hop, self.summed)  # [B, (T - 1) * hop + n_fft]
        return torch.mul(summed[:, self.half : self.half + self.length], self.inv_envelope, out=self.wave)

    def project(self, spec: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """stft(istft(spec)) into `out` `[B, T, F]`: the consistent spectrogram nearest to `spec`."""
        self.inverse(spec)
        if self.reflect:
            self.padded[:, : self.half] = self.wave[:, 1 : self.half + 1].flip(-1)
            self.padded[:, self.half + self.length :] = self.wave[:, -self.half - 1 : -1].flip(-1)
        torch.mul(self.padded.unfold(-1, self.window.numel(), self.hop), self.window, out=self.frames)
        return torch.fft.rfft(self.frames, dim=-1, out=out)


def _overlap_add(frames: torch.Tensor, hop: int, out: torch.Tensor) -> torch.Tensor:
    """Sum frames `[B, T, n_fft]` placed every `hop` samples -> `[B, (T - 1) * hop + n_fft]`.

    Works in `out` `[B, T + r - 1, hop]`, r = ceil(n_fft / hop): block j of every frame lands j hops later.
    """
    batch, n_frames, n_fft = frames.shape
    out.zero_()
    for start in range(0, n_fft, hop):
        block, width = start // hop, min(hop, n_fft - start)
        out[:, block : block + n_frames, :width] += frames[:, :, start : start + width]
    return out.view(batch, -1)[:, : (n_frames - 1) * hop + n_fft]
