"""A small, varied built-in dataset: percussive and tonal one-shots synthesised from a seed.

Kicks (pitch-swept sines), snares (tone + filtered noise), hats (bright short noise), toms, plucked
strings (Karplus-Strong), bells (inharmonic partials), pads (detuned saw chords) and bass notes. Each
kind comes in several variations so the model has something to learn and something to generalise to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.audio.io import write_audio

SAMPLE_RATE = 44100


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE


def _one_pole_lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    a = np.exp(-2 * np.pi * cutoff_hz / SAMPLE_RATE)
    y = np.empty_like(x)
    acc = 0.0
    for i, v in enumerate(x):  # short clips only; clarity over speed
        acc = (1 - a) * v + a * acc
        y[i] = acc
    return y


def kick(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(0.35, 0.7))
    f0, f1 = rng.uniform(120, 180), rng.uniform(40, 60)
    freq = f1 + (f0 - f1) * np.exp(-t * rng.uniform(25, 45))
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    click = rng.normal(0, 1, t.size) * np.exp(-t * 300) * 0.3
    return np.sin(phase) * np.exp(-t * rng.uniform(6, 10)) + click


def snare(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(0.25, 0.45))
    tone = np.sin(2 * np.pi * rng.uniform(170, 230) * t) * np.exp(-t * 30)
    noise = rng.normal(0, 1, t.size)
    noise = noise - _one_pole_lowpass(noise, rng.uniform(800, 1500))  # high-passed rattle
    return 0.6 * tone + 0.8 * noise * np.exp(-t * rng.uniform(12, 22))


def hat(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(0.08, 0.35))
    noise = rng.normal(0, 1, t.size)
    bright = noise - _one_pole_lowpass(noise, rng.uniform(5000, 8000))
    return bright * np.exp(-t * rng.uniform(20, 60))


def tom(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(0.4, 0.7))
    f = rng.uniform(80, 200)
    freq = f * (1 + 0.5 * np.exp(-t * 20))
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return (np.sin(phase) + 0.2 * np.sin(2 * phase)) * np.exp(-t * rng.uniform(5, 9))


def pluck(rng: np.random.Generator) -> np.ndarray:
    """Karplus-Strong plucked string."""
    freq = 110 * 2 ** (rng.integers(0, 24) / 12)
    n = int(rng.uniform(0.8, 1.6) * SAMPLE_RATE)
    period = int(SAMPLE_RATE / freq)
    buf = rng.uniform(-1, 1, period)
    out = np.empty(n)
    for i in range(n):
        out[i] = buf[i % period]
        buf[i % period] = 0.996 * 0.5 * (buf[i % period] + buf[(i + 1) % period])
    return out


def bell(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(1.2, 2.0))
    f = 220 * 2 ** (rng.integers(0, 24) / 12)
    ratios, amps = (1.0, 2.76, 5.4, 8.93), (1.0, 0.6, 0.35, 0.2)
    return sum(a * np.sin(2 * np.pi * f * r * t) * np.exp(-t * (1.5 + 2 * r)) for r, a in zip(ratios, amps))


def pad(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(1.5, 2.5))
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    chord = (1.0, 2 ** (rng.choice([3, 4]) / 12), 2 ** (7 / 12))
    saw = sum(((f * root * (1 + d) * t) % 1.0) * 2 - 1 for f in chord for d in (-0.003, 0.003))
    env = np.minimum(1, t / 0.3) * np.minimum(1, (t[-1] - t) / 0.4)
    return _one_pole_lowpass(saw, rng.uniform(1200, 3000)) * env


def bass(rng: np.random.Generator) -> np.ndarray:
    t = _t(rng.uniform(0.5, 1.0))
    f = 41.2 * 2 ** (rng.integers(0, 12) / 12)
    square = np.sign(np.sin(2 * np.pi * f * t))
    return _one_pole_lowpass(square, rng.uniform(300, 900)) * np.exp(-t * 3)


KINDS = {"kick": kick, "snare": snare, "hat": hat, "tom": tom, "pluck": pluck, "bell": bell, "pad": pad, "bass": bass}


def write_demo_dataset(folder: Path, per_kind: int = 4, seed: int = 7) -> list[Path]:
    """Write `per_kind` variations of every kind as 16-bit WAV into `folder`; returns the paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for kind, make in KINDS.items():
        for i in range(per_kind):
            audio = make(rng)
            audio = 0.9 * audio / np.max(np.abs(audio))
            paths.append(write_audio(folder / f"{kind}_{i + 1}.wav", audio.astype(np.float32), SAMPLE_RATE))
    return paths
