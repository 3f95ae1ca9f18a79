"""The listening figures: each responds to the fault it names and to nothing else it should ignore."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio.listening import Listening, listening_figures

SR = 44100


def hits(seed: int = 0, seconds: float = 1.5) -> np.ndarray:
    """Noise bursts with sharp attacks and exponential decays, plus a decaying tone: drum-like material."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    wave = np.zeros(n)
    t = np.arange(n) / SR
    for start in (0.05, 0.4, 0.75, 1.1):
        i = int(start * SR)
        decay = np.exp(-(t[: n - i]) * 30)
        wave[i:] += 0.5 * rng.standard_normal(n - i) * decay + 0.3 * np.sin(2 * np.pi * 180 * t[: n - i]) * decay
    return wave.astype(np.float32)


def test_a_sound_against_itself_is_perfect_even_louder_and_late():
    wave = hits()
    figures = listening_figures(wave, wave, SR)
    assert figures.log_mel_l1 == pytest.approx(0, abs=1e-9) and figures.texture_ratio == pytest.approx(1)
    assert figures.onset_correlation == pytest.approx(1)
    late = np.concatenate([np.zeros(2048), 3 * wave])[: len(wave)]  # 46 ms late, 3x louder: aligned and matched
    shifted = listening_figures(wave, late, SR)
    assert shifted.log_mel_l1 < 0.1 and shifted.onset_correlation > 0.97


def test_smearing_lowers_texture_and_onsets_and_grain_raises_texture():
    wave = hits()
    kernel = np.hanning(4001)
    smeared = np.convolve(np.random.default_rng(1).standard_normal(len(wave)) * np.sqrt(np.convolve(wave**2, kernel / kernel.sum(), "same")), [1.0], "same")
    figures = listening_figures(wave, smeared.astype(np.float32), SR)
    assert figures.onset_correlation < 0.9 and figures.envelope_l1 > 0.05
    gate = np.repeat(np.random.default_rng(2).choice([0.1, 1.0], size=len(wave) // 512 + 1), 512)[: len(wave)]
    grain = wave * gate  # loudness jumping from frame to frame: more local detail than the original
    assert listening_figures(wave, grain, SR).texture_ratio > 1.0


def test_a_sound_that_misses_the_attacks_scores_low_on_onsets():
    wave = hits()
    steady = np.random.default_rng(3).standard_normal(len(wave)).astype(np.float32) * 0.1
    assert listening_figures(wave, steady, SR).onset_correlation < 0.3


def test_mean_weights_each_figure():
    a, b = Listening(1, 2, 3, 4), Listening(3, 4, 5, 6)
    assert Listening.mean([a, b]) == Listening(2, 3, 4, 5)
    assert Listening.mean([a, b], [3, 1]) == Listening(1.5, 2.5, 3.5, 4.5)
