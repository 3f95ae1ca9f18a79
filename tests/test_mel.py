"""Log-mel spectrogram and Griffin-Lim inversion: shapes, slow references, round-trip quality."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from engine.audio import griffinlim
from engine.audio.griffinlim import mel_to_audio, mel_to_magnitude
from engine.audio.mel import MelConfig, MelSpectrogram, hz_to_mel, mel_filterbank, mel_to_hz

SR = 44100
CFG = MelConfig()


def _pluck(seconds: float = 1.0) -> torch.Tensor:
    """Decaying 220 Hz harmonic tone after 50 ms of silence, peak 0.9."""
    t = torch.arange(int(SR * seconds), dtype=torch.float64) / SR
    wave = sum((1 / k) * torch.sin(2 * math.pi * 220 * k * t + k) * torch.exp(-t * (3 + k)) for k in range(1, 11))
    wave[: int(0.05 * SR)] = 0
    return (wave / wave.abs().max() * 0.9).float()


def _noise_burst(seconds: float = 1.0) -> torch.Tensor:
    """Silence, an exponentially decaying white-noise burst over the middle half, silence; peak 0.9."""
    generator = torch.Generator().manual_seed(1)
    wave = torch.zeros(int(SR * seconds))
    n_burst, start = int(SR * seconds / 2), int(SR * seconds / 5)
    burst = torch.randn(n_burst, generator=generator) * torch.exp(-torch.arange(n_burst) / SR * 6)
    wave[start : start + n_burst] = burst
    return wave / wave.abs().max() * 0.9


def _chord(seconds: float = 1.0) -> torch.Tensor:
    """C major triad of sines with a 20 ms attack and 200 ms release, peak 0.9."""
    t = torch.arange(int(SR * seconds), dtype=torch.float64) / SR
    envelope = torch.clamp(t / 0.02, max=1) * torch.clamp((seconds - t) / 0.2, max=1)
    wave = sum(torch.sin(2 * math.pi * f * t) for f in (261.63, 329.63, 392.0)) * envelope
    return (wave / wave.abs().max() * 0.9).float()


# ---------------------------------------------------------------- config and filterbank


def test_config_round_trips_through_json():
    cfg = MelConfig(sample_rate=22050, n_fft=1024, hop_length=256, n_mels=80, f_min=30.0, f_max=8000.0)
    assert MelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert MelConfig.from_dict({}) == MelConfig()
    assert CFG.frames_per_second == pytest.approx(44100 / 512)


@pytest.mark.parametrize(
    "bad",
    [{"n_fft": 1023}, {"hop_length": 4096}, {"f_max": 30000.0}, {"f_min": 9000.0, "f_max": 8000.0}, {"log_floor": 0}],
)
def test_config_refuses_invalid_values(bad):
    with pytest.raises(ValueError):
        MelConfig(**bad)


def test_config_refuses_unknown_keys():
    with pytest.raises(ValueError, match="n_mel"):
        MelConfig.from_dict({"n_mel": 80})


def test_slaney_scale_anchor_points():
    # 3 mels per 200 Hz up to 1 kHz (= 15 mels), then 27 mels per factor 6.4
    np.testing.assert_allclose(hz_to_mel(np.array([0.0, 200.0, 1000.0, 6400.0])), [0.0, 3.0, 15.0, 42.0])
    hz = np.array([0.0, 440.0, 999.0, 1000.0, 1001.0, 12345.0, 22050.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, rtol=1e-12)


def _reference_filterbank(cfg: MelConfig, area_normalise: bool) -> np.ndarray:
    """Slow, loop-by-loop version of the filterbank formula: triangles between mel-spaced edges."""
    edges = [float(mel_to_hz(m)) for m in np.linspace(hz_to_mel(cfg.f_min), hz_to_mel(cfg.f_max_hz), cfg.n_mels + 2)]
    weights = np.zeros((cfg.n_mels, cfg.n_fft // 2 + 1))
    for m in range(cfg.n_mels):
        lower, centre, upper = edges[m], edges[m + 1], edges[m + 2]
        for k in range(cfg.n_fft // 2 + 1):
            f = k * cfg.sample_rate / cfg.n_fft
            if lower < f <= centre:
                weights[m, k] = (f - lower) / (centre - lower)
            elif centre < f < upper:
                weights[m, k] = (upper - f) / (upper - centre)
        if area_normalise:
            weights[m] *= 2.0 / (upper - lower)
    return weights


@pytest.mark.parametrize("area_normalise", [True, False])
@pytest.mark.parametrize(
    "cfg", [MelConfig(), MelConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40, f_min=50.0, f_max=7000.0)]
)
def test_filterbank_matches_slow_reference(cfg, area_normalise):
    fast = mel_filterbank(cfg, area_normalise=area_normalise)
    assert fast.shape == (cfg.n_mels, cfg.n_fft // 2 + 1)
    np.testing.assert_allclose(fast.numpy(), _reference_filterbank(cfg, area_normalise), rtol=1e-5, atol=1e-9)


def test_filterbank_has_no_empty_filter_and_triangles_sum_to_one():
    assert (mel_filterbank(CFG).sum(dim=1) > 0).all()
    triangles = mel_filterbank(CFG, area_normalise=False)  # [M, F]
    bin_hz = np.arange(CFG.n_freqs) * SR / CFG.n_fft
    centres = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), CFG.n_mels + 2))[1:-1]
    inside = torch.from_numpy((bin_hz >= centres[0]) & (bin_hz <= centres[-1]))
    torch.testing.assert_close(triangles.sum(dim=0)[inside], torch.ones(int(inside.sum())))


# ---------------------------------------------------------------- spectrogram


def test_mel_matches_numpy_reference():
    """MelSpectrogram against a frame-by-frame numpy computation (reflect padding, Hann, |rfft|, log)."""
    cfg = MelConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)
    wave = _pluck(0.1).numpy().astype(np.float64)
    padded = np.pad(wave, cfg.n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(cfg.n_fft) / cfg.n_fft)  # periodic Hann
    filterbank = _reference_filterbank(cfg, area_normalise=True)
    frames = []
    for t in range(len(wave) // cfg.hop_length + 1):
        spectrum = np.abs(np.fft.rfft(padded[t * cfg.hop_length : t * cfg.hop_length + cfg.n_fft] * window))
        frames.append(np.log(np.maximum(filterbank @ spectrum, cfg.log_floor)))
    expected = np.stack(frames, axis=1)  # [n_mels, T]
    actual = MelSpectrogram(cfg)(torch.from_numpy(wave).float()).numpy()
    # compared as mel values: float32 FFT rounding is ~1e-6 of the loudest bin, large in log near the floor
    np.testing.assert_allclose(np.exp(actual), np.exp(expected), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n_samples", [1, 100, 511, 1023, 1024, 1025, 2047, 2048, 4097, 44101])
def test_mel_frame_count(n_samples):
    mel = MelSpectrogram(CFG)
    generator = torch.Generator().manual_seed(n_samples)
    wave = torch.randn(2, n_samples, generator=generator) * 0.1
    expected = n_samples // CFG.hop_length + 1
    assert mel(wave).shape == (2, CFG.n_mels, expected)
    assert mel(wave[0]).shape == (CFG.n_mels, expected)
    assert mel.num_frames(n_samples) == expected
    assert mel.num_samples(expected) == (expected - 1) * CFG.hop_length
    assert mel.num_frames(mel.num_samples(expected)) == expected


def test_silence_maps_to_silence_value():
    mel = MelSpectrogram(CFG)
    assert mel.silence_value == pytest.approx(math.log(1e-5))
    assert torch.all(mel(torch.zeros(5000)) == mel.silence_value)


def test_sine_peaks_in_the_mel_band_centred_nearest_its_frequency():
    t = torch.arange(SR) / SR
    log_mel = MelSpectrogram(CFG)(0.5 * torch.sin(2 * math.pi * 1000.0 * t))  # [n_mels, T]
    centres = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), CFG.n_mels + 2))[1:-1]
    assert int(log_mel.mean(dim=1).argmax()) == int(np.abs(centres - 1000.0).argmin())


def test_buffers_follow_the_module_but_are_not_saved():
    mel = MelSpectrogram(CFG)
    assert mel.state_dict() == {}
    doubled = mel.double()
    assert doubled.window.dtype == torch.float64 and doubled.filterbank.dtype == torch.float64
    assert doubled(torch.randn(3000, dtype=torch.float64)).dtype == torch.float64


# ---------------------------------------------------------------- Griffin-Lim


def _reference_griffin_lim(
    magnitude: torch.Tensor, cfg: MelConfig, n_iter: int, momentum: float, length: int
) -> torch.Tensor:
    """torchaudio's griffinlim loop on torch.stft / torch.istft, zero initial phase: magnitude [B, F, T]."""
    window = torch.hann_window(cfg.n_fft)
    pad_mode = "reflect" if length > cfg.n_fft // 2 else "constant"

    def stft(wave: torch.Tensor) -> torch.Tensor:
        return torch.stft(
            wave, cfg.n_fft, cfg.hop_length, window=window, center=True, pad_mode=pad_mode, return_complex=True
        )

    angles = torch.ones_like(magnitude, dtype=torch.complex64)
    previous = torch.tensor(0.0)
    for _ in range(n_iter):
        rebuilt = stft(torch.istft(magnitude * angles, cfg.n_fft, cfg.hop_length, window=window, length=length))
        angles = rebuilt - previous * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    return torch.istft(magnitude * angles, cfg.n_fft, cfg.hop_length, window=window, length=length)


@pytest.mark.parametrize(
    ("cfg", "length"),
    [
        (CFG, 20000),  # hop divides n_fft, reflect padding
        (CFG, 700),  # shorter than n_fft // 2: zero padding
        (MelConfig(sample_rate=16000, n_fft=1024, hop_length=300, n_mels=64), 9001),  # ragged last block
    ],
)
def test_griffin_lim_matches_torch_stft_reference(cfg, length):
    wave = _pluck(1.0)[SR // 10 : SR // 10 + length]
    log_mel = MelSpectrogram(cfg)(wave)  # [n_mels, T]
    expected = _reference_griffin_lim(mel_to_magnitude(log_mel, cfg)[None], cfg, 4, 0.99, length)[0]
    actual = mel_to_audio(log_mel, cfg, n_iter=4, length=length)
    # peak ~0.9; zero initial phase leaves near-empty bins whose phase amplifies rounding: measured <= 1.9e-5
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)


def test_magnitudes_are_non_negative_and_reproduce_the_mel():
    log_mel = MelSpectrogram(CFG)(torch.stack([_pluck(), _chord()]))  # [2, n_mels, T]
    magnitude = mel_to_magnitude(log_mel, CFG)  # [2, F, T]
    assert magnitude.shape == (2, CFG.n_freqs, log_mel.shape[-1])
    assert (magnitude >= 0).all()
    remapped = torch.matmul(mel_filterbank(CFG), magnitude).clamp_min(CFG.log_floor).log()
    # measured 0.0058 (10 KL updates); the interpolated start alone gives 0.164
    assert (remapped - log_mel).abs().mean() < 0.015


@pytest.mark.parametrize(
    ("make", "bound"),
    [
        (_pluck, 0.30),  # measured 0.232 (0.258 at 24 iterations, 0.293 at 16)
        (_noise_burst, 0.26),  # measured 0.201 (0.209, 0.213)
        (_chord, 0.25),  # measured 0.192 (0.179, 0.218)
    ],
)
def test_round_trip_log_mel_error(make, bound):
    """Mean |log-mel(original) - log-mel(griffin-lim)| over all frames and bands, natural log, floor 1e-5."""
    mel = MelSpectrogram(CFG)
    wave = make()
    log_mel = mel(wave)
    rebuilt = mel_to_audio(log_mel, CFG, n_iter=32, length=wave.numel())
    assert rebuilt.shape == wave.shape
    assert (mel(rebuilt) - log_mel).abs().mean() < bound


def test_griffin_lim_is_deterministic_and_batch_independent():
    log_mel = MelSpectrogram(CFG)(torch.stack([_pluck(0.5), _noise_burst(0.5), _chord(0.5)]))  # [3, n_mels, T]
    batched = mel_to_audio(log_mel, CFG, n_iter=8)  # [3, N]
    assert torch.equal(batched, mel_to_audio(log_mel, CFG, n_iter=8))
    for item in range(3):
        torch.testing.assert_close(batched[item], mel_to_audio(log_mel[item], CFG, n_iter=8), atol=1e-6, rtol=0)


def test_a_random_phase_start_is_fixed_batch_independent_and_as_close_in_fewer_iterations():
    sounds = torch.stack([_pluck(0.5), _noise_burst(0.5), _chord(0.5)])  # [3, N]
    mel = MelSpectrogram(CFG)
    log_mel = mel(sounds)  # [3, n_mels, T]
    randomised = mel_to_audio(log_mel, CFG, n_iter=24, phase="random", length=sounds.shape[-1])  # [3, N]
    assert torch.equal(randomised, mel_to_audio(log_mel, CFG, n_iter=24, phase="random", length=sounds.shape[-1]))
    torch.testing.assert_close(randomised[1], mel_to_audio(log_mel[1], CFG, n_iter=24, phase="random", length=sounds.shape[-1]), atol=1e-6, rtol=0)
    zero = mel_to_audio(log_mel, CFG, n_iter=32, length=sounds.shape[-1])  # [3, N]
    for item in range(3):
        random_error = (mel(randomised[item]) - log_mel[item]).abs().mean()
        zero_error = (mel(zero[item]) - log_mel[item]).abs().mean()
        assert random_error < zero_error + 0.015  # measured: pluck +0.011, noise +0.007, chord -0.10
    with pytest.raises(ValueError, match="phase"):
        mel_to_audio(log_mel, CFG, n_iter=1, phase="linear")


def test_output_length_and_shape_rules():
    log_mel = MelSpectrogram(CFG)(_chord(0.25)).requires_grad_()  # [n_mels, T], N = 11025; as a decoder's output
    n_frames = log_mel.shape[-1]
    assert mel_to_audio(log_mel, CFG, n_iter=1).shape == ((n_frames - 1) * CFG.hop_length,)
    assert mel_to_audio(log_mel, CFG, n_iter=1, length=11025).shape == (11025,)
    assert mel_to_audio(log_mel[None], CFG, n_iter=0).shape == (1, (n_frames - 1) * CFG.hop_length)
    with pytest.raises(ValueError, match="frames"):
        mel_to_audio(log_mel, CFG, length=11025 + CFG.hop_length)
    with pytest.raises(ValueError, match="128"):
        mel_to_audio(log_mel[:100], CFG)
    with pytest.raises(ValueError, match="momentum"):
        mel_to_audio(log_mel, CFG, momentum=1.0)


def test_inverse_constants_are_cached_per_config_and_device():
    log_mel = MelSpectrogram(CFG)(_chord(0.1))
    mel_to_audio(log_mel, CFG, n_iter=1)
    hits = griffinlim._inverse.cache_info().hits
    mel_to_audio(log_mel, CFG, n_iter=1)
    assert griffinlim._inverse.cache_info().hits > hits
