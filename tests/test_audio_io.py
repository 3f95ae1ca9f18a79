"""load_audio / write_audio on real files: formats, mono mixing, resampling, trimming, levels, bad files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.audio.io import AUDIO_EXTENSIONS, TRIM_MARGIN_S, load_audio, resample, resample_pieces, write_audio
from engine.errors import AudioFileError

SR = 44100


def _sine(freq: float, seconds: float, sample_rate: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _noise(seconds: float, amplitude: float, seed: int = 0, sample_rate: int = SR) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(int(seconds * sample_rate))).astype(np.float32)


def _pluck(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    wave = sum((1 / k) * np.sin(2 * np.pi * 330 * k * t) for k in range(1, 8)) * np.exp(-t * 5)
    return (0.6 * wave / np.max(np.abs(wave))).astype(np.float32)


def _peak_frequency(audio: np.ndarray, sample_rate: int) -> float:
    """Frequency of the largest FFT bin (Hann window, 8x zero padding)."""
    n = len(audio)
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(n), n=8 * n))
    return float(np.argmax(spectrum) * sample_rate / (8 * n))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_raw(path: Path, audio: np.ndarray, sample_rate: int = SR, subtype: str = "FLOAT") -> Path:
    """Write a test input with soundfile directly (float samples unless told otherwise)."""
    sf.write(path, audio, sample_rate, subtype=subtype)
    return path


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("extension", [".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"])
def test_every_format_reads_back(tmp_path, extension):
    audio = _sine(440.0, 1.0)
    path = write_audio(tmp_path / f"tone{extension}", audio, SR)
    assert path == tmp_path / f"tone{extension}" and path.suffix.lower() in AUDIO_EXTENSIONS
    loaded = load_audio(path, SR, normalise="none", trim=False)
    assert loaded.dtype == np.float32 and loaded.ndim == 1
    assert abs(len(loaded) - len(audio)) <= 0.01 * len(audio)  # lossy codecs may pad
    assert abs(_peak_frequency(loaded, SR) - 440.0) < 1.0
    if extension in (".wav", ".flac", ".aiff", ".aif"):
        np.testing.assert_allclose(loaded, audio, atol=1e-4)  # 16-bit PCM
    else:
        assert np.max(np.abs(loaded)) == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize(
    ("extension", "bit_depth", "subtype"),
    [
        (".wav", 16, "PCM_16"),
        (".wav", 24, "PCM_24"),
        (".wav", 32, "FLOAT"),
        (".flac", 24, "PCM_24"),
        (".flac", 32, "PCM_24"),
        (".aiff", 24, "PCM_24"),
        (".ogg", 24, "VORBIS"),
        (".mp3", 16, "MPEG_LAYER_III"),
    ],
)
def test_write_subtype_follows_extension_and_bit_depth(tmp_path, extension, bit_depth, subtype):
    path = write_audio(tmp_path / f"out{extension}", _sine(440.0, 0.5), SR, bit_depth=bit_depth)
    assert sf.info(path).subtype == subtype


def test_stereo_file_is_mixed_to_mono(tmp_path):
    left, right = _sine(440.0, 0.5, amplitude=0.6), _noise(0.5, 0.1)
    path = _write_raw(tmp_path / "stereo.wav", np.stack([left, right], axis=1))
    loaded = load_audio(path, SR, normalise="none", trim=False)
    np.testing.assert_allclose(loaded, (left + right) / 2, atol=1e-6)


def test_write_keeps_channels(tmp_path):
    stereo = np.stack([_sine(440.0, 0.25), _sine(660.0, 0.25)], axis=1)  # [N, 2]
    read, rate = sf.read(write_audio(tmp_path / "stereo.flac", stereo, SR, bit_depth=24), dtype="float32")
    assert rate == SR and read.shape == stereo.shape
    np.testing.assert_allclose(read, stereo, atol=1e-5)


@pytest.mark.parametrize("file_rate", [22050, 48000])
def test_other_rates_are_resampled(tmp_path, file_rate):
    path = _write_raw(tmp_path / f"tone_{file_rate}.wav", _sine(440.0, 1.0, file_rate), file_rate)
    loaded = load_audio(path, SR, normalise="none", trim=False)
    assert abs(len(loaded) - SR) <= 1  # still one second
    assert abs(_peak_frequency(loaded, SR) - 440.0) < 1.0
    assert np.max(np.abs(loaded)) == pytest.approx(0.5, abs=0.01)


# ---------------------------------------------------------------- trimming and levels


def test_trim_removes_leading_and_trailing_silence(tmp_path):
    burst = _noise(0.3, 0.5)
    quiet = _noise(0.5, 0.5 * 10 ** (-70 / 20), seed=1)  # -70 dB below the burst: under the -60 dB threshold
    path = _write_raw(tmp_path / "burst.wav", np.concatenate([quiet, burst, quiet]))
    loaded = load_audio(path, SR, normalise="none")
    margin = round(TRIM_MARGIN_S * SR)
    assert abs(len(loaded) - (len(burst) + 2 * margin)) <= 10  # a burst's edge sample can fall under -60 dB
    untrimmed = load_audio(path, SR, normalise="none", trim=False)
    assert len(untrimmed) == 2 * len(quiet) + len(burst)
    assert len(load_audio(path, SR, normalise="none", trim_db=-80.0)) == len(untrimmed)  # floor now counts


def test_trim_never_trims_to_nothing(tmp_path):
    click = np.zeros(SR, dtype=np.float32)
    click[SR // 2] = 0.5
    loaded = load_audio(_write_raw(tmp_path / "click.wav", click), SR, normalise="none")
    assert len(loaded) == 1 + 2 * round(TRIM_MARGIN_S * SR)
    assert np.max(np.abs(loaded)) == pytest.approx(0.5)


def test_peak_normalisation(tmp_path):
    loaded = load_audio(_write_raw(tmp_path / "pluck.wav", 0.1 * _pluck()), SR)
    assert np.max(np.abs(loaded)) == pytest.approx(0.95, rel=1e-5)


def test_loudness_normalisation_reaches_minus_20_dbfs_rms(tmp_path):
    loaded = load_audio(_write_raw(tmp_path / "quiet.wav", _sine(440.0, 1.0, amplitude=0.01)), SR, normalise="loudness")
    assert np.sqrt(np.mean(np.square(loaded, dtype=np.float64))) == pytest.approx(0.1, rel=1e-3)


def test_loudness_normalisation_limits_the_peak(tmp_path):
    spiky = _noise(1.0, 0.001)
    spiky[SR // 2] = 0.8  # RMS ~0.0045: reaching -20 dBFS RMS would put this click far above full scale
    loaded = load_audio(_write_raw(tmp_path / "spiky.wav", spiky), SR, normalise="loudness", trim=False)
    assert np.max(np.abs(loaded)) == pytest.approx(0.99, rel=1e-5)
    assert np.sqrt(np.mean(np.square(loaded, dtype=np.float64))) < 0.1


def test_no_normalisation_keeps_the_level(tmp_path):
    loaded = load_audio(_write_raw(tmp_path / "tone.wav", _sine(440.0, 0.5, amplitude=0.3)), SR, normalise="none")
    assert np.max(np.abs(loaded)) == pytest.approx(0.3, rel=1e-4)


# ---------------------------------------------------------------- bad files


def _missing(folder: Path) -> Path:
    return folder / "missing_take.wav"


def _text_as_wav(folder: Path) -> Path:
    path = folder / "notes_not_audio.wav"
    path.write_text("these are my notes, not a sound\n")
    return path


def _zero_length(folder: Path) -> Path:
    return _write_raw(folder / "zero_length.wav", np.zeros(0, dtype=np.float32), subtype="PCM_16")


def _all_zeros(folder: Path) -> Path:
    return _write_raw(folder / "all_zeros.wav", np.zeros(SR, dtype=np.float32), subtype="PCM_16")


def _truncated_header(folder: Path) -> Path:
    whole = _write_raw(folder / "whole.wav", _sine(440.0, 0.1), subtype="PCM_16").read_bytes()
    path = folder / "truncated_header.wav"
    path.write_bytes(whole[:20])
    return path


def _not_finite(folder: Path) -> Path:
    audio = _sine(440.0, 0.1)
    audio[100] = np.nan
    return _write_raw(folder / "has_nan.wav", audio)


def _folder(folder: Path) -> Path:
    path = folder / "a_folder.wav"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_missing, "does not exist"),
        (_text_as_wav, "Cannot read"),
        (_zero_length, "empty"),
        (_all_zeros, "silent"),
        (_truncated_header, "Cannot read"),
        (_not_finite, "NaN"),
        (_folder, "not a file"),
    ],
)
def test_bad_files_raise_audio_file_error_naming_the_file(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(AudioFileError) as caught:
        load_audio(path, SR)
    message = str(caught.value)
    assert path.name in message and reason in message
    assert message.endswith(".") and "\n" not in message


def test_loading_never_changes_the_file(tmp_path):
    paths = [write_audio(tmp_path / f"take{ext}", _pluck(0.5), SR) for ext in (".wav", ".flac", ".ogg", ".mp3")]
    paths.append(_write_raw(tmp_path / "take_48k.wav", _sine(440.0, 0.5, 48000), 48000))
    before = {path: (_digest(path), path.stat().st_mtime_ns) for path in paths}
    for path in paths:
        load_audio(path, SR, normalise="loudness")
    assert {path: (_digest(path), path.stat().st_mtime_ns) for path in paths} == before
    assert sorted(os.listdir(tmp_path)) == sorted(path.name for path in paths)


# ---------------------------------------------------------------- writing


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = write_audio(tmp_path / "out.wav", _pluck(), SR)
    assert os.listdir(tmp_path) == ["out.wav"]
    before = _digest(path)
    # MP3 has no 96 kHz mode: the failed write must leave the existing file and no debris behind
    write_audio(tmp_path / "out.mp3", _pluck(), SR)
    before_mp3 = _digest(tmp_path / "out.mp3")
    with pytest.raises(AudioFileError, match="out.mp3"):
        write_audio(tmp_path / "out.mp3", _pluck(), 96000)
    assert sorted(os.listdir(tmp_path)) == ["out.mp3", "out.wav"]
    assert _digest(tmp_path / "out.mp3") == before_mp3 and _digest(path) == before


@pytest.mark.parametrize(("bit_depth", "tolerance"), [(16, 1e-4), (32, 1e-6)])
def test_write_scales_loud_audio_down_instead_of_clipping(tmp_path, bit_depth, tolerance):
    loud = 3.0 * _pluck()  # peak 1.8
    original = loud.copy()
    path = write_audio(tmp_path / "loud.wav", loud, SR, bit_depth=bit_depth)
    read, _ = sf.read(path, dtype="float32")
    np.testing.assert_allclose(read, loud * (0.999 / np.max(np.abs(loud))), atol=tolerance)
    np.testing.assert_array_equal(loud, original)  # the caller's array is untouched


def test_write_leaves_quiet_audio_alone(tmp_path):
    quiet = 0.5 * _pluck()
    read, _ = sf.read(write_audio(tmp_path / "quiet.wav", quiet, SR, bit_depth=32), dtype="float32")
    np.testing.assert_array_equal(read, quiet)


def test_write_refuses_unknown_extension(tmp_path):
    with pytest.raises(AudioFileError) as caught:
        write_audio(tmp_path / "out.xyz", _pluck(), SR)
    message = str(caught.value)
    assert "out.xyz" in message and ".wav" in message and ".flac" in message
    assert os.listdir(tmp_path) == []


def lying_wav(path: Path, sample_rate: int) -> Path:
    """A real 16-bit stereo WAV of 2048 frames (8 KB) whose header claims `sample_rate`."""
    sf.write(path, np.full((2048, 2), 0.5, dtype=np.float32), 44100, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[24:28] = sample_rate.to_bytes(4, "little")
    data[28:32] = (sample_rate * 4).to_bytes(4, "little")  # the byte rate agrees, as a careful liar's would
    path.write_bytes(bytes(data))
    return path


def test_a_header_declaring_a_huge_duration_is_refused_before_reading(tmp_path):
    """At 1 Hz, 2048 frames last 34 minutes: resampled to 44.1 kHz they would take gigabytes."""
    path = lying_wav(tmp_path / "liar.wav", 1)
    assert os.path.getsize(path) < 10_000
    with pytest.raises(AudioFileError, match=r"liar\.wav' is too long: its header declares 34\.1 minutes in 2 channels"):
        load_audio(path, 44100)


def test_a_header_within_the_limits_reads_as_before(tmp_path):
    path = lying_wav(tmp_path / "slow.wav", 8000)
    assert load_audio(path, 8000, trim=False).shape == (2048,)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_a_file_we_may_not_read_says_permission_denied(tmp_path):
    path = write_audio(tmp_path / "private.wav", np.full(4410, 0.5, dtype=np.float32), 44100)
    path.chmod(0)
    with pytest.raises(AudioFileError, match=r"^Cannot read '.*private\.wav' \(Permission denied\)\.$"):
        load_audio(path, 44100)


def test_a_name_that_is_not_utf8_is_one_sentence(tmp_path):
    path = write_audio(tmp_path / "ok.wav", np.full(4410, 0.5, dtype=np.float32), 44100)
    latin1 = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.wav")
    os.rename(path, latin1)
    with pytest.raises(AudioFileError, match="caf\ufffd.wav' has a name that is not valid UTF-8; rename it to use it"):
        load_audio(latin1, 44100)


@pytest.mark.parametrize("rates", [(22050, 48000), (48000, 44100), (44100, 44100)])
def test_resampling_in_pieces_gives_the_one_shot_samples(rates):
    wave = np.random.default_rng(1).standard_normal(30011).astype(np.float32) * 0.1
    pieces = np.array_split(wave, [7, 5000, 5001, 20000])
    streamed = list(resample_pieces(pieces, *rates))
    assert all(piece.size for piece in streamed)
    assert np.array_equal(np.concatenate(streamed), resample(wave, *rates))
