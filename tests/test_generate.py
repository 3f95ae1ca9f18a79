"""Generation pipeline: settings, seamless chunked inversion, determinism, lengths, files, regeneration.

Everything runs on the really trained tiny model and its really trained tiny prior (16-frame context, so
sounds longer than ~0.7 s go through the prior's sliding window).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import soundfile as sf
import torch

from engine.audio.griffinlim import mel_to_audio
from engine.audio.io import load_audio
from engine.audio.mel import MelSpectrogram
from engine.errors import DistillError
from engine.generation.files import generate_files, load_generator, make_sound_file, prior_id, regenerate, torch_threads
from engine.generation.pipeline import (
    CHUNK_FRAMES,
    chunk_bounds,
    decode_codes,
    generate_audio,
    generate_audio_batch,
    invert_mel,
    invert_mel_pieces,
    num_samples,
    sample_codes,
    stream_audio,
)
from engine.generation.settings import (
    LEGACY_INVERSION,
    ExportSettings,
    GenerationSettings,
    InvalidSettings,
    InversionSettings,
)
from engine.library import Library
from engine.model.persist import load_vqvae
from engine.model.vqvae import reconstruct
from engine.prior.bundle import NoPriorError, load_prior
from engine.store import History

SEAM_CHUNK = 128  # small chunks: many joins in a short sound


@pytest.fixture(scope="module")
def generator(tiny_prior_file):
    """(loaded model, prior) of the tiny model with its prior."""
    loaded = load_vqvae(tiny_prior_file)
    return loaded, load_prior(loaded)


@pytest.fixture
def library(home, tiny_prior_file) -> Library:
    """A fresh library holding the tiny model with its prior as 'tiny'."""
    library = Library()
    library.import_file(tiny_prior_file)
    return library


# -- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"duration_s": 0}, "duration"),
        ({"duration_s": 601}, "duration"),
        ({"duration_s": float("nan")}, "duration"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_k": -1}, "top-k"),
        ({"top_k": 2.5}, "top-k"),
        ({"top_p": 0.0}, "top-p"),
        ({"top_p": 1.01}, "top-p"),
        ({"stereo_width": 1.5}, "stereo width"),
        ({"stereo_width": -0.1}, "stereo width"),
    ],
)
def test_bad_generation_settings_are_refused_with_the_setting_named(changes, words):
    with pytest.raises(InvalidSettings, match=words) as caught:
        GenerationSettings(**changes)
    assert isinstance(caught.value, DistillError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "changes, words",
    [({"format": "aac"}, "format"), ({"bit_depth": 8}, "bit depth"), ({"sample_rate": 4000}, "sample rate"),
     ({"format": "mp3", "sample_rate": 96000}, "mp3")],
)
def test_bad_export_settings_are_refused(changes, words):
    with pytest.raises(InvalidSettings, match=words):
        ExportSettings(**changes)


def test_settings_round_trip_and_normalise_numbers():
    settings = GenerationSettings(duration_s=2, temperature=1, top_k=5, top_p=0.9, stereo_width=0)
    assert settings == GenerationSettings(2.0, 1.0, 5, 0.9, 0.0)
    assert GenerationSettings.from_dict({**settings.to_dict(), "unknown": 1}) == settings
    assert GenerationSettings.from_dict({}) == GenerationSettings()


def test_generate_audio_checks_settings_against_the_model(generator):
    loaded, prior = generator
    size = loaded.model.cfg.codebook_size
    with pytest.raises(InvalidSettings, match=f"at most {size}"):
        generate_audio(loaded, prior, duration_s=0.2, top_k=size + 1)
    with pytest.raises(InvalidSettings, match="seed"):
        generate_audio(loaded, prior, duration_s=0.2, seed=-1)
    with pytest.raises(InvalidSettings, match="sample rate"):
        generate_audio(loaded, prior, duration_s=0.2, sample_rate=1000)
    assert generate_audio(loaded, prior, duration_s=0.2, top_k=size).shape == (8820,)  # top-k = size is allowed


# -- seams ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_mel(generator, sound_folder):
    """A ~15 s log-mel decoded from a real code grid (the sound folder's clips, twice) and its sample count."""
    loaded, _ = generator
    wave = np.concatenate([load_audio(path, loaded.mel.sample_rate) for path in sorted(sound_folder.glob("*.wav"))] * 2)
    _, codes = reconstruct(loaded.model, MelSpectrogram(loaded.mel)(torch.from_numpy(wave)))  # [L, F]
    frames = len(wave) // loaded.mel.hop_length + 1
    return decode_codes(loaded, codes[None], frames), len(wave)  # [M, T]


def _around_joins(wave: np.ndarray, joins: list[int], half: int) -> list[np.ndarray]:
    return [wave[max(join - half, 0) : join + half] for join in joins]


def _rms_db(wave: np.ndarray, window: int) -> np.ndarray:
    frames = wave[: len(wave) // window * window].reshape(-1, window).astype(np.float64)  # [W, window]
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)  # [W]


def test_chunked_inversion_has_no_seam(generator, long_mel):
    """Chunks joined by crossfades against one whole-length inversion, around every join.

    Measured on this data: 122-128 dB SNR within +-16 frames of each join, RMS envelope equal to 0.0001 dB,
    largest sample step equal. The bounds leave wide room while failing any audible seam; the control
    below (chunks inverted without context and butted together) fails them by far.
    """
    loaded, _ = generator
    log_mel, n_samples = long_mel
    hop, rate = loaded.mel.hop_length, loaded.mel.sample_rate
    whole = invert_mel(log_mel, loaded, n_samples, chunk_frames=log_mel.shape[-1])  # [N]
    chunked = invert_mel(log_mel, loaded, n_samples, chunk_frames=SEAM_CHUNK)  # [N]
    bounds = chunk_bounds(log_mel.shape[-1], SEAM_CHUNK)
    joins = [b * hop for b in bounds[1:-1]]
    assert len(joins) >= 8

    for ours, reference in zip(_around_joins(chunked, joins, 16 * hop), _around_joins(whole, joins, 16 * hop)):
        snr = 10 * np.log10(np.sum(reference**2) / max(np.sum((ours - reference) ** 2), 1e-30))
        assert snr > 80.0
        assert np.abs(np.diff(ours)).max() <= 1.001 * np.abs(np.diff(reference)).max() + 1e-6
    window = rate // 100  # 10 ms
    loud = _rms_db(whole, window) > _rms_db(whole, window).max() - 60  # ignore near-silence
    dip = np.abs(_rms_db(chunked, window) - _rms_db(whole, window))[loud]
    assert dip.max() < 0.01  # dB, anywhere, joins included

    naive = np.concatenate([  # the control: each chunk's samples inverted on their own, butted together
        mel_to_audio(log_mel[:, a : b + 1], loaded.mel, length=(b - a) * hop if b < bounds[-1] else n_samples - a * hop).numpy()
        for a, b in pairwise(bounds)
    ])  # [N]
    worst = min(
        10 * np.log10(np.sum(r**2) / np.sum((o - r) ** 2))
        for o, r in zip(_around_joins(naive, joins, 16 * hop), _around_joins(whole, joins, 16 * hop))
        if np.sum(r**2) > 1e-6
    )
    assert worst < 40.0


def test_inversion_pieces_come_one_per_chunk_and_join_to_the_whole_inversion(generator, long_mel):
    loaded, _ = generator
    log_mel, n_samples = long_mel
    pieces = list(invert_mel_pieces(log_mel, loaded, n_samples, chunk_frames=SEAM_CHUNK))
    assert len(pieces) == len(chunk_bounds(log_mel.shape[-1], SEAM_CHUNK)) - 1
    assert np.array_equal(np.concatenate(pieces), invert_mel(log_mel, loaded, n_samples, chunk_frames=SEAM_CHUNK))


@pytest.mark.parametrize("rate", [None, 48000])
def test_a_streamed_sound_is_the_generated_sound_sample_for_sample(generator, rate):
    loaded, prior = generator
    duration = 1.2 * CHUNK_FRAMES * loaded.mel.hop_length / loaded.mel.sample_rate  # two chunks
    settings = dict(duration_s=duration, temperature=0.9, top_k=8, seed=5, sample_rate=rate)
    pieces = list(stream_audio(loaded, prior, **settings))
    assert len(pieces) >= 2 and all(piece.size for piece in pieces)
    assert np.array_equal(np.concatenate(pieces), generate_audio(loaded, prior, **settings))


def test_chunk_bounds_are_even_and_cover_everything():
    assert chunk_bounds(100, 512) == [0, 100]
    assert chunk_bounds(513, 512) == [0, 256, 513]
    bounds = chunk_bounds(10_000, 512)
    sizes = np.diff(bounds)
    assert bounds[0] == 0 and bounds[-1] == 10_000 and sizes.min() >= 256 and sizes.max() <= 512


def test_inversion_needs_matching_lengths(generator, long_mel):
    loaded, _ = generator
    log_mel, n_samples = long_mel
    with pytest.raises(ValueError, match="do not fit"):
        invert_mel(log_mel, loaded, n_samples + loaded.mel.hop_length)


# -- generation -------------------------------------------------------------------------------------------


def test_same_seed_same_audio_other_seed_other_audio(generator):
    loaded, prior = generator
    duration = 1.2 * CHUNK_FRAMES * loaded.mel.hop_length / loaded.mel.sample_rate  # two chunks, sliding window
    first = generate_audio(loaded, prior, duration_s=duration, temperature=0.9, top_k=8, top_p=0.95, seed=7)
    again = generate_audio(loaded, prior, duration_s=duration, temperature=0.9, top_k=8, top_p=0.95, seed=7)
    other = generate_audio(loaded, prior, duration_s=duration, temperature=0.9, top_k=8, top_p=0.95, seed=8)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)
    assert np.isfinite(first).all() and np.abs(first).max() > 1e-3


def test_temperature_zero_is_greedy_whatever_the_seed(generator):
    loaded, prior = generator
    a = generate_audio(loaded, prior, duration_s=1.0, temperature=0.0, seed=1)
    b = generate_audio(loaded, prior, duration_s=1.0, temperature=0.0, seed=2)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("duration, rate", [(0.01, None), (0.37, None), (2.5, None), (0.37, 48000), (1.0, 22050)])
def test_any_duration_and_rate_gives_the_right_length(generator, duration, rate):
    loaded, prior = generator
    audio = generate_audio(loaded, prior, duration_s=duration, seed=3, sample_rate=rate)
    expected = duration * (rate or loaded.mel.sample_rate)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - expected) <= 1


def test_stereo_width_zero_is_the_mono_sound_in_both_channels(generator):
    loaded, prior = generator
    mono = generate_audio(loaded, prior, duration_s=0.8, seed=4)
    stereo = generate_audio(loaded, prior, duration_s=0.8, seed=4, stereo_width=0.0)
    wide = generate_audio(loaded, prior, duration_s=0.8, seed=4, stereo_width=1.0)
    assert stereo.shape == (len(mono), 2)
    assert np.array_equal(stereo[:, 0], mono) and np.array_equal(stereo[:, 1], mono)
    left, right = wide[:, 0].astype(np.float64), wide[:, 1].astype(np.float64)
    assert left @ right / np.sqrt((left @ left) * (right @ right)) < 0.9  # decorrelated
    np.testing.assert_allclose((left + right) / 2, mono * ((left + right) / 2 @ mono) / (mono @ mono), atol=1e-5)


def test_a_model_without_a_prior_says_to_train_one(home, tiny_model_file):
    Library().import_file(tiny_model_file)
    with pytest.raises(NoPriorError, match="run `distill train-prior tiny`"):
        load_generator("tiny")
    with pytest.raises(NoPriorError):
        generate_files("tiny", GenerationSettings(duration_s=0.2), ExportSettings(), seed=0)


# -- files, history, regeneration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_format, rate, depth, width, subtype",
    [
        ("wav", None, 16, None, "PCM_16"),
        ("wav", 48000, 24, 0.5, "PCM_24"),
        ("wav", 22050, 32, None, "FLOAT"),
        ("flac", 48000, 24, 1.0, "PCM_24"),
        ("ogg", 32000, 16, 0.3, "VORBIS"),
        ("mp3", 44100, 16, None, "MPEG_LAYER_III"),
    ],
)
def test_files_are_written_readable_and_recorded(library, tmp_path, file_format, rate, depth, width, subtype):
    settings = GenerationSettings(duration_s=0.6, stereo_width=width)
    export = ExportSettings(format=file_format, sample_rate=rate, bit_depth=depth)
    [record] = generate_files("tiny", settings, export, seed=11, out=tmp_path)
    info = sf.info(record.path)
    expected_rate = rate or 44100
    assert record.path.parent == tmp_path and record.path.suffix == f".{file_format}"
    assert record.path.name.startswith("tiny_seed11_")
    assert (info.samplerate, info.channels, info.subtype) == (expected_rate, 1 if width is None else 2, subtype)
    assert abs(info.frames - 0.6 * expected_rate) <= 1
    data, _ = sf.read(record.path, dtype="float32", always_2d=True)
    assert np.abs(data).max() <= 1.0 and np.abs(data).max() > 1e-3
    assert History().get(record.id) == record
    assert record.export.sample_rate == expected_rate and record.seed == 11 and record.settings == settings


def test_count_makes_consecutive_seeds_each_as_made_alone(library, tmp_path):
    settings = GenerationSettings(duration_s=0.5)
    batch = generate_files("tiny", settings, ExportSettings(), seed=20, count=3, out=tmp_path / "batch")
    alone = generate_files("tiny", settings, ExportSettings(), seed=21, out=tmp_path / "alone.wav")[0]
    assert [r.seed for r in batch] == [20, 21, 22]
    assert len({r.path for r in batch}) == 3 and all(r.path.exists() for r in batch)
    assert np.array_equal(sf.read(batch[1].path)[0], sf.read(alone.path)[0])
    assert alone.path == (tmp_path / "alone.wav").resolve()


def test_output_paths_are_checked(library, tmp_path):
    with pytest.raises(InvalidSettings, match="x.wav is to be flac, so its name must end in .flac"):
        generate_files("tiny", GenerationSettings(duration_s=0.2), ExportSettings(format="flac"), seed=0, out=tmp_path / "x.wav")
    with pytest.raises(InvalidSettings, match="need an output folder"):
        generate_files("tiny", GenerationSettings(duration_s=0.2), ExportSettings(), seed=0, count=2, out=tmp_path / "x.wav")
    first, second = (generate_files("tiny", GenerationSettings(duration_s=0.2), ExportSettings(), seed=0, out=tmp_path)[0] for _ in range(2))
    assert first.path != second.path  # same seed within a second: a new name, nothing overwritten


@pytest.mark.parametrize("file_format, width", [("wav", 0.7), ("flac", None)])
def test_regenerating_a_history_entry_reproduces_the_file(library, tmp_path, file_format, width):
    """Made with 2 threads (as by another front end), regenerated from a process that uses 1."""
    settings = GenerationSettings(duration_s=8.0, temperature=0.8, top_p=0.9, stereo_width=width)
    export = ExportSettings(format=file_format, sample_rate=48000, bit_depth=24)
    with torch_threads(2):
        [original] = generate_files("tiny", settings, export, seed=123, out=tmp_path / "first")
    assert original.threads == 2 and torch.get_num_threads() == 1
    again = regenerate(original.id, out=tmp_path / "again")
    assert torch.get_num_threads() == 1
    assert again.id != original.id and again.path != original.path
    assert (again.seed, again.threads, again.settings, again.export, again.model_id, again.prior_id) == (
        original.seed, original.threads, original.settings, original.export, original.model_id, original.prior_id)
    first_audio, first_rate = sf.read(original.path, dtype="int32")
    again_audio, again_rate = sf.read(again.path, dtype="int32")
    assert first_rate == again_rate == 48000
    assert np.array_equal(first_audio, again_audio)
    if file_format == "wav":
        assert original.path.read_bytes() == again.path.read_bytes()


def test_an_entry_made_with_other_inversion_settings_is_made_again_with_them(library, tmp_path):
    loaded, prior = load_generator("tiny")
    settings, export = GenerationSettings(duration_s=1.0), ExportSettings(sample_rate=loaded.mel.sample_rate)
    old = make_sound_file(loaded, prior, prior_id(loaded), settings, export, 5, tmp_path / "old.wav", History(), LEGACY_INVERSION)
    today = make_sound_file(loaded, prior, prior_id(loaded), settings, export, 5, tmp_path / "today.wav", History())
    assert old.inversion == LEGACY_INVERSION and today.inversion == InversionSettings()
    assert old.path.read_bytes() != today.path.read_bytes()
    again = regenerate(old.id, out=tmp_path / "again")
    assert again.inversion == LEGACY_INVERSION
    assert again.path.read_bytes() == old.path.read_bytes()


def test_regeneration_refuses_a_changed_model_or_prior(library, tmp_path):
    [record] = generate_files("tiny", GenerationSettings(duration_s=0.2), ExportSettings(), seed=1, out=tmp_path)
    history = History()
    fields = {"model_name": record.model_name, "model_path": record.model_path, "seed": 1, "threads": 1,
              "settings": record.settings, "export": record.export, "path": record.path, "inversion": record.inversion}
    changed_model = history.add(**fields, model_id="0" * 16, prior_id=record.prior_id)
    changed_prior = history.add(**fields, model_id=record.model_id, prior_id="0" * 16)
    with pytest.raises(DistillError, match="weights changed"):
        regenerate(changed_model.id, out=tmp_path)
    with pytest.raises(DistillError, match="prior of model 'tiny' was retrained"):
        regenerate(changed_prior.id, out=tmp_path)
    assert record.prior_id == prior_id(load_vqvae(library.resolve("tiny")))


def test_a_batch_draws_each_seed_s_own_codes_and_sounds(generator):
    loaded, prior = generator
    settings = GenerationSettings(duration_s=1.0, temperature=0.9, top_k=8)
    columns = loaded.model.num_columns(num_samples(1.0, loaded.mel.sample_rate) // loaded.mel.hop_length + 1)
    batch = sample_codes(prior, columns, settings, [3, 4, 5])  # [3, L, F]
    alone = torch.cat([sample_codes(prior, columns, settings, seed) for seed in (3, 4, 5)])  # [3, L, F]
    assert torch.equal(batch, alone) and not torch.equal(batch[0], batch[1])
    sounds = generate_audio_batch(loaded, prior, settings, [3, 4], sample_rate=48000)
    for seed, sound in zip((3, 4), sounds):
        single = generate_audio(loaded, prior, **settings.to_dict(), seed=seed, sample_rate=48000)
        assert sound.shape == single.shape and np.allclose(sound, single, atol=1e-4)
    with pytest.raises(ValueError, match="2 generators for a batch of 3"):
        prior.generate(4, batch=3, generator=[torch.Generator(), torch.Generator()])


def test_count_in_batches_writes_and_records_every_seed(library, tmp_path, monkeypatch):
    import engine.generation.files as files

    monkeypatch.setattr(files, "batch_size", lambda loaded: 3)  # as on a GPU, in batches of 3
    settings = GenerationSettings(duration_s=0.3, temperature=0.8)
    records = generate_files("tiny", settings, ExportSettings(), seed=20, count=5, out=tmp_path / "batched")
    assert [r.seed for r in records] == [20, 21, 22, 23, 24]
    assert [r.id for r in History().list()] == [5, 4, 3, 2, 1]
    loaded, prior = load_generator("tiny")
    for record in records:
        single = generate_audio(loaded, prior, **settings.to_dict(), seed=record.seed)
        assert np.allclose(sf.read(record.path, dtype="float32")[0], single / max(1.0, np.abs(single).max() / 0.999), atol=1e-3)
