"""The stereo width control: mono at width 0, decorrelated, balanced and mono-compatible above it."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from engine.audio.stereo import hilbert_kernel, widen
from engine.demo_sounds import SAMPLE_RATE, bass, bell, kick, pad

RATE = SAMPLE_RATE


def _sounds() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    sounds = {name: make(rng).astype(np.float32) for name, make in (("kick", kick), ("bell", bell), ("pad", pad), ("bass", bass))}
    sounds["noise"] = rng.standard_normal(RATE).astype(np.float32) * 0.3
    return sounds


def _correlation(left: np.ndarray, right: np.ndarray) -> float:
    left, right = left.astype(np.float64), right.astype(np.float64)
    return float(left @ right / np.sqrt((left @ left) * (right @ right)))


@pytest.mark.parametrize("name", ["kick", "bell", "noise"])
def test_width_zero_is_the_mono_sound_in_both_channels(name):
    mono = _sounds()[name]
    stereo = widen(mono, 0.0, RATE)
    assert stereo.shape == (len(mono), 2) and stereo.dtype == np.float32
    assert np.array_equal(stereo[:, 0], mono) and np.array_equal(stereo[:, 1], mono)


@pytest.mark.parametrize("name", ["kick", "bell", "pad", "bass", "noise"])
def test_wider_is_less_correlated_balanced_power_preserving_and_mono_compatible(name):
    mono = _sounds()[name].astype(np.float64)
    correlations = []
    for width in (0.25, 0.5, 0.75, 1.0):
        stereo = widen(mono, width, RATE).astype(np.float64)
        left, right = stereo[:, 0], stereo[:, 1]
        correlations.append(_correlation(left, right))
        assert abs(10 * np.log10((left @ left) / (right @ right))) < 0.05  # dB: no lean to a side
        assert (left @ left + right @ right) / 2 == pytest.approx(mono @ mono, rel=1e-4)  # not louder
        mid = (left + right) / 2
        gain = mid @ mono / (mono @ mono)
        np.testing.assert_allclose(mid, gain * mono, atol=1e-5)  # mono sum: the input, scaled, no comb
    assert all(a > b for a, b in pairwise(correlations))
    assert correlations[0] < 0.999


def test_broadband_correlation_follows_the_width_formula():
    noise = _sounds()["noise"]
    for width in (0.25, 0.5, 1.0):
        stereo = widen(noise, width, RATE)
        expected = (1 - width**2) / (1 + width**2)
        assert _correlation(stereo[:, 0], stereo[:, 1]) == pytest.approx(expected, abs=0.03)


@pytest.mark.parametrize("rate", [22050, 44100, 48000, 96000])
def test_side_is_a_quarter_turn_above_the_bass_and_rolls_off_below(rate):
    kernel = hilbert_kernel(rate)
    assert np.allclose(kernel, -kernel[::-1])  # odd symmetry: purely imaginary response
    spectrum = np.fft.rfft(np.roll(np.pad(kernel, (0, (1 << 18) - len(kernel))), -(len(kernel) // 2)))
    freqs = np.fft.rfftfreq(1 << 18, 1 / rate)
    at = lambda hz: spectrum[np.argmin(np.abs(freqs - hz))]
    for hz in (400, 1000, 5000, min(15000, rate * 0.35)):
        assert abs(at(hz)) == pytest.approx(1.0, abs=0.02)
        assert abs(at(hz).real) < 1e-9  # a 90 degree turn
    assert abs(at(50)) < 0.3


def test_bad_width_or_shape_is_refused():
    with pytest.raises(ValueError, match="width"):
        widen(np.zeros(10, np.float32), 1.5, RATE)
    with pytest.raises(ValueError, match="mono"):
        widen(np.zeros((10, 2), np.float32), 0.5, RATE)
    assert np.array_equal(widen(np.zeros(100, np.float32), 1.0, RATE), np.zeros((100, 2), np.float32))
