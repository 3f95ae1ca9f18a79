"""Dataset loading, split by file, masked chunks and log-mel augmentation (engine.data)."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from engine.audio.mel import MelConfig, MelSpectrogram
from engine.data import (
    AugmentRanges,
    Clip,
    SkippedFile,
    augment,
    augmentation_strength,
    load_dataset,
    make_chunks,
    split_by_file,
)
from engine.data.augment import LOG_PER_DB, add_noise, apply_gain, eq_curves, mel_stretch, time_shift, time_stretch
from engine.data.chunks import chunk_starts
from engine.data.dataset import audio_files, count_usable, default_val_fraction
from engine.errors import DatasetError

SR = 44100
NO_AUGMENT = AugmentRanges(gain_db=0.0, shift_fraction=0.0, pitch_fraction=0.0, stretch_fraction=0.0, noise_db=None, eq_db=0.0)


# --- synthetic sound files --------------------------------------------------------------------------------


def pluck(freq: float, seconds: float, sr: int = SR, decay: float = 3.0) -> np.ndarray:
    """A decaying harmonic tone (mono float32)."""
    t = np.arange(int(seconds * sr)) / sr
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (0.5 * tone * np.exp(-decay * t)).astype(np.float32)


def noise_burst(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Steady white noise (mono float32): does not decay, so trimming keeps its full length."""
    return (0.3 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


USABLE = {
    "UPPER.WAV": 1.0,
    "long.wav": 8.0,
    "pluck_a.wav": 1.0,
    "pluck_b.flac": 0.5,
    "stereo_48k.wav": 1.0,
    "sub/deeper/nested.wav": 1.0,
    "tiny.wav": 0.1,
}


@pytest.fixture(scope="module")
def sound_folder(tmp_path_factory) -> Path:
    """A folder as a user might have it: good files, nested ones, and junk of every kind."""
    root = tmp_path_factory.mktemp("sounds")
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden_dir").mkdir()
    sf.write(root / "pluck_a.wav", pluck(220, 1.0, decay=2.0), SR)
    sf.write(root / "pluck_b.flac", noise_burst(0.5, seed=1), SR)
    sf.write(root / "UPPER.WAV", noise_burst(1.0, seed=2), SR)
    stereo = np.stack([noise_burst(1.0, 48000, seed=3), noise_burst(1.0, 48000, seed=4)], axis=1)  # [N, 2]
    sf.write(root / "stereo_48k.wav", stereo, 48000)
    sf.write(root / "tiny.wav", noise_burst(0.1, seed=5), SR)
    sf.write(root / "long.wav", noise_burst(8.0, seed=6), SR)
    sf.write(root / "sub" / "deeper" / "nested.wav", noise_burst(1.0, seed=7), SR)
    sf.write(root / ".hidden_dir" / "ignored.wav", noise_burst(1.0, seed=8), SR)
    (root / "notes.txt").write_text("not a sound")
    sf.write(root / "empty.wav", np.zeros(0, dtype=np.float32), SR)
    sf.write(root / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    (root / "corrupt.wav").write_bytes(np.random.default_rng(9).bytes(4000))
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return root


@pytest.fixture(scope="module")
def mel() -> MelSpectrogram:
    return MelSpectrogram(MelConfig())


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every entry under root (hidden ones too): relative path -> (mtime_ns, sha256 or 'dir')."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            digest = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            state[path.relative_to(root).as_posix()] = (path.stat().st_mtime_ns, digest)
    return state


# --- loading ----------------------------------------------------------------------------------------------


def test_load_dataset_reports_usable_and_skipped_files(sound_folder, mel):
    before = snapshot(sound_folder)
    reported: list[SkippedFile] = []
    dataset = load_dataset(sound_folder, mel, on_skip=reported.append)

    assert snapshot(sound_folder) == before  # nothing in the user's folder is written
    assert [clip.name for clip in dataset.clips] == sorted(USABLE)  # sorted, relative, posix, hidden ignored
    assert dataset.file_count == len(USABLE)
    reasons = {s.path.name: s.reason for s in dataset.skipped}
    assert sorted(reasons) == ["corrupt.wav", "empty.wav", "notes.txt", "silent.wav"]
    assert reported == dataset.skipped  # each skipped file reported once, as it was skipped
    assert reasons["notes.txt"] == "not an audio file"
    assert "empty" in reasons["empty.wav"]
    assert "silent" in reasons["silent.wav"]
    for reason in reasons.values():
        assert reason and "/" not in reason  # short reason; the skip line names the file itself

    for clip in dataset.clips:
        expected = USABLE[clip.name]
        assert clip.path == sound_folder / clip.name
        assert clip.log_mel.dtype == torch.float32 and clip.log_mel.device.type == "cpu"
        assert clip.log_mel.shape[0] == mel.cfg.n_mels
        assert clip.log_mel.shape[1] == mel.num_frames(round(clip.duration_s * SR))
        if clip.name != "pluck_a.wav":  # steady noise: trimming keeps (almost) everything
            assert clip.duration_s == pytest.approx(expected, abs=0.02)
    assert dataset.duration_s == pytest.approx(sum(c.duration_s for c in dataset.clips))

    summary = dataset.summary()
    assert summary["file_count"] == len(USABLE)
    assert summary["files"] == sorted(USABLE)
    assert {s["name"]: s["reason"] for s in summary["skipped"]} == reasons
    assert summary["folder"] == str(sound_folder.resolve())


def test_count_usable_counts_what_training_loads(sound_folder, mel):
    assert count_usable(sound_folder, mel.cfg.sample_rate) == load_dataset(sound_folder, mel).file_count == len(USABLE)
    assert len(audio_files(sound_folder)) > len(USABLE)  # the silent, empty and corrupt sounds are not counted


def test_too_few_usable_files_names_count_and_skips(tmp_path, mel):
    for i in range(3):
        sf.write(tmp_path / f"good{i}.wav", noise_burst(0.3, seed=i), SR)
    (tmp_path / "a.txt").write_text("x")
    sf.write(tmp_path / "b.wav", np.zeros(SR // 4, dtype=np.float32), SR)
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path, mel)
    message = str(info.value)
    assert "Only 3 usable audio files" in message
    assert str(tmp_path.resolve()) in message and "need at least 5" in message
    assert "a.txt (not an audio file)" in message and "b.wav (" in message

    dataset = load_dataset(tmp_path, mel, min_files=3)  # the same folder is fine with a lower bar
    assert dataset.file_count == 3


def test_empty_missing_and_non_folder_paths(tmp_path, mel):
    with pytest.raises(DatasetError, match="Found no files"):
        load_dataset(tmp_path, mel)
    missing = tmp_path / "nope"
    with pytest.raises(DatasetError, match="does not exist") as info:
        load_dataset(missing, mel)
    assert str(missing) in str(info.value)
    a_file = tmp_path / "x.wav"
    sf.write(a_file, noise_burst(0.2), SR)
    with pytest.raises(DatasetError, match="not a folder"):
        load_dataset(a_file, mel)


def test_links_in_a_loop_and_names_that_are_not_utf8_are_skipped_with_a_reason(tmp_path, mel):
    for i in range(5):
        sf.write(tmp_path / f"good{i}.wav", noise_burst(0.3, seed=i), SR)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    sf.write(tmp_path / "raw.wav", noise_burst(0.3, seed=9), SR)
    os.rename(tmp_path / "raw.wav", os.fsencode(tmp_path) + b"/caf\xe9.wav")  # Latin-1, as an old disk may have it

    dataset = load_dataset(tmp_path, mel)

    assert [clip.name for clip in dataset.clips] == [f"good{i}.wav" for i in range(5)]
    assert {s.path.name: s.reason for s in dataset.skipped} == {
        "a": "cannot be read (Too many levels of symbolic links)",
        "b": "cannot be read (Too many levels of symbolic links)",
        "caf\ufffd.wav": "has a name that is not valid UTF-8; rename it to use it",
    }
    json.dumps(dataset.summary(), ensure_ascii=False).encode()  # shows and stores as it is


@pytest.mark.skipif(os.geteuid() == 0, reason="root may enter any folder")
def test_a_link_into_a_folder_we_may_not_enter_is_skipped(tmp_path, mel):
    for i in range(5):
        sf.write(tmp_path / f"good{i}.wav", noise_burst(0.3, seed=i), SR)
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    (tmp_path / "link").symlink_to(locked / "inner")
    locked.chmod(0)
    try:
        skipped = {s.path.name: s.reason for s in load_dataset(tmp_path, mel).skipped}
    finally:
        locked.chmod(0o755)
    assert skipped == {"link": "cannot be read (Permission denied)", "locked": "folder cannot be read (Permission denied)"}


def test_sounds_shorter_than_the_minimum_are_not_training_data(tmp_path, mel):
    for i in range(6):
        sf.write(tmp_path / f"click{i}.wav", np.full(1, 0.5, dtype=np.float32), SR)
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path, mel)
    assert str(info.value).startswith("Only 0 usable audio files")
    assert "click0.wav (too short, 0.0227 ms after trimming silence; at least 50 ms)" in str(info.value)


# --- split by file ----------------------------------------------------------------------------------------


def fake_clips(count: int) -> list[Clip]:
    return [Clip(Path(f"/d/{i}.wav"), f"{i}.wav", 1.0, torch.zeros(4, 3)) for i in range(count)]


@pytest.mark.parametrize("count, n_val", [(5, 1), (20, 4), (49, 10), (60, 9), (199, 30), (200, 20), (2, 1)])
def test_split_sizes_and_no_overlap(count, n_val):
    clips = fake_clips(count)
    train, val = split_by_file(clips, seed=3)
    assert len(val) == n_val and len(train) == count - n_val
    names_train, names_val = {c.name for c in train}, {c.name for c in val}
    assert not names_train & names_val
    assert names_train | names_val == {c.name for c in clips}
    assert [c.name for c in train] == [c.name for c in clips if c.name in names_train]  # input order kept


def test_split_is_deterministic_per_seed_and_varies_across_seeds():
    clips = fake_clips(20)
    held_out = [tuple(c.name for c in split_by_file(clips, seed=seed)[1]) for seed in range(5)]
    assert held_out[0] == tuple(c.name for c in split_by_file(clips, seed=0)[1])
    assert len(set(held_out)) > 1
    assert default_val_fraction(10) == 0.2 and default_val_fraction(100) == 0.15 and default_val_fraction(300) == 0.1
    assert len(split_by_file(clips, val_fraction=0.5)[1]) == 10
    with pytest.raises(DatasetError):
        split_by_file(fake_clips(1))


# --- chunks -----------------------------------------------------------------------------------------------

SILENCE = math.log(1e-5)


def ramp_clip(frames: int, n_mels: int = 4) -> Clip:
    """A clip whose every value is distinct, so a wrong window shows up."""
    log_mel = torch.arange(n_mels * frames, dtype=torch.float32).view(n_mels, frames)
    return Clip(Path(f"/d/{frames}.wav"), f"{frames}.wav", frames * 512 / SR, log_mel)


def test_chunk_starts_rule():
    assert chunk_starts(9, 16, 8) == [0]
    assert chunk_starts(16, 16, 8) == [0]
    assert chunk_starts(40, 16, 8) == [0, 8, 16, 24]
    assert chunk_starts(37, 16, 8) == [0, 8, 16, 21]
    assert chunk_starts(17, 16, 16) == [0, 1]


def test_make_chunks_short_exact_and_long_clips():
    clips = [ramp_clip(9), ramp_clip(16), ramp_clip(37)]
    mels, mask, clip_index = make_chunks(clips, chunk_frames=16, silence_value=SILENCE)
    assert mels.shape == (6, 4, 16) and mask.shape == (6, 16) and mask.dtype == torch.bool
    assert clip_index.tolist() == [0, 1, 2, 2, 2, 2] and clip_index.dtype == torch.long

    # short clip: real frames first, then silence, masked out
    assert torch.equal(mels[0, :, :9], clips[0].log_mel)
    assert torch.all(mels[0, :, 9:] == SILENCE)
    assert mask[0].tolist() == [True] * 9 + [False] * 7
    # exact clip: one fully real chunk
    assert torch.equal(mels[1], clips[1].log_mel) and mask[1].all()
    # long clip: slow reference for every window, and the last one ends at the clip's end
    for row, start in zip(range(2, 6), [0, 8, 16, 21]):
        assert torch.equal(mels[row], clips[2].log_mel[:, start : start + 16])
    assert torch.equal(mels[5, :, -1], clips[2].log_mel[:, -1])
    assert mask[2:].all()

    batch = make_chunks(clips, chunk_frames=16, hop_frames=16, silence_value=SILENCE)
    assert batch.clip_index.tolist() == [0, 1, 2, 2, 2]  # starts 0, 16, 21
    with pytest.raises(ValueError):
        make_chunks(clips, chunk_frames=16, hop_frames=17, silence_value=SILENCE)


# --- augmentation -----------------------------------------------------------------------------------------


def padded_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Four items of 64 frames: two fully real, two short clips padded with silence."""
    g = torch.Generator().manual_seed(seed)
    mels = torch.randn(4, 32, 64, generator=g) - 3.0  # [B, M, T] well above silence (-11.5)
    mask = torch.ones(4, 64, dtype=torch.bool)
    mask[2, 10:] = False
    mask[3, 40:] = False
    mels[~mask[:, None, :].expand_as(mels)] = SILENCE
    return mels, mask


def run_augment(mels, mask, seed, strength=1.0, ranges=AugmentRanges()):
    gen = torch.Generator().manual_seed(seed)
    return augment(mels, mask, strength=strength, generator=gen, silence_value=SILENCE, ranges=ranges)


def test_augment_strength_zero_is_identity_and_inputs_untouched():
    mels, mask = padded_batch()
    mels_copy, mask_copy = mels.clone(), mask.clone()
    out, out_mask = run_augment(mels, mask, seed=1, strength=0.0)
    assert torch.equal(out, mels) and torch.equal(out_mask, mask)
    assert out.data_ptr() != mels.data_ptr() and out_mask.data_ptr() != mask.data_ptr()

    out, out_mask = run_augment(mels, mask, seed=1, strength=1.0)
    assert out.shape == mels.shape and out_mask.shape == mask.shape and out_mask.dtype == torch.bool
    assert torch.equal(mels, mels_copy) and torch.equal(mask, mask_copy)
    assert not torch.equal(out, mels)


def test_augment_keeps_padding_silent_and_masked():
    mels, mask = padded_batch()
    for seed in range(10):
        out, out_mask = run_augment(mels, mask, seed=seed)
        assert torch.all(out.masked_select(~out_mask[:, None, :]) == SILENCE)  # no gain or noise in padding
        assert torch.all(out.masked_select(out_mask[:, None, :]) > SILENCE)
        real = mask.sum(dim=1).float()
        assert torch.all((out_mask.sum(dim=1) - real).abs() <= 0.1 * real + 2)  # stretch, within its range
        assert out_mask[2, 20:].sum() == 0  # a 10-frame sound stays near the start of its padding
        assert out_mask[2].sum() >= 9  # ...and loses none of it, attack included (shift only within padding)


def test_augment_is_deterministic_per_generator_seed():
    mels, mask = padded_batch()
    a, a_mask = run_augment(mels, mask, seed=7)
    b, b_mask = run_augment(mels, mask, seed=7)
    c, _ = run_augment(mels, mask, seed=8)
    assert torch.equal(a, b) and torch.equal(a_mask, b_mask)
    assert not torch.equal(a, c)
    torch.manual_seed(0)
    d, _ = run_augment(mels, mask, seed=7)
    torch.manual_seed(1)
    e, _ = run_augment(mels, mask, seed=7)
    assert torch.equal(d, e)  # the global RNG plays no part


def test_gain_alone_changes_level_by_expected_amount(mel):
    wave = torch.from_numpy(noise_burst(0.5))
    base, louder = mel(wave)[None], mel(2.0 * wave)[None]  # [1, M, T]; louder is +6.02 dB in the waveform
    gained = apply_gain(base, torch.tensor([20 * math.log10(2.0)]), SILENCE)
    above = base > SILENCE + 1.0
    assert torch.allclose(gained[above], louder[above], atol=1e-4)  # dB convention matches the mel
    quiet = base.clone()
    quiet[..., :3] = SILENCE  # silent frames
    assert torch.all(apply_gain(quiet, torch.tensor([6.0]), SILENCE)[..., :3] == SILENCE)  # silence stays silence

    mels, mask = padded_batch()
    out, out_mask = run_augment(mels, mask, seed=3, strength=0.5, ranges=AugmentRanges(
        shift_fraction=0.0, pitch_fraction=0.0, stretch_fraction=0.0, noise_db=None, eq_db=0.0))
    assert torch.equal(out_mask, mask)
    diff = (out - mels)[0]  # fully real item: one constant offset everywhere
    assert torch.allclose(diff, diff.mean().expand_as(diff), atol=1e-5)
    assert 0 < abs(diff.mean()) <= 6.0 * 0.5 * LOG_PER_DB + 1e-6
    assert torch.all(out[2, :, 10:] == SILENCE)


def test_time_shift_alone():
    mels, mask = padded_batch()
    out, out_mask = time_shift(mels, mask, torch.tensor([3, -2, 0, 5]), SILENCE)
    assert torch.equal(out[0, :, 3:], mels[0, :, :-3]) and torch.all(out[0, :, :3] == SILENCE)
    assert out_mask[0].tolist() == [False] * 3 + [True] * 61
    assert torch.equal(out[1, :, :-2], mels[1, :, 2:]) and not out_mask[1, -2:].any()
    assert torch.equal(out[2], mels[2]) and torch.equal(out_mask[2], mask[2])
    assert torch.equal(out_mask[3], torch.arange(64).ge(5) & torch.arange(64).lt(45))


def test_time_stretch_alone():
    mels, mask = padded_batch()
    same, same_mask = time_stretch(mels, mask, torch.ones(4), SILENCE)
    assert torch.allclose(same, mels) and torch.equal(same_mask, mask)
    out, out_mask = time_stretch(mels, mask, torch.tensor([1.0, 1.0, 2.0, 0.5]), SILENCE)
    assert out_mask[2].sum() == 20  # 10 real frames stretched x2
    assert out_mask[3].sum() == 20 and not out_mask[3, 20:].any()  # compressed, the rest is padding
    assert torch.all(out[3, :, 32:] == SILENCE)  # read past the end: silence
    assert torch.allclose(out[2, :, 2], mels[2, :, 1])  # frame j reads frame j / factor


def test_mel_stretch_moves_energy_up_or_down():
    mels = torch.full((2, 64, 5), SILENCE)
    mels[:, 40] = 0.0  # one bright band
    same = mel_stretch(mels, torch.ones(2))
    assert torch.allclose(same, mels)
    out = mel_stretch(mels, torch.tensor([1.03, 0.97]))
    assert out[0, :, 0].argmax() > 40 and out[1, :, 0].argmax() < 40


def test_eq_curves_are_smooth_and_bounded():
    amplitudes = torch.tensor([[0.0, 0.0, 0.0], [0.2, -0.1, 0.05], [0.1, 0.1, 0.1]])  # [B, K] log units
    phases = torch.tensor([[0.0, 0.0, 0.0], [0.3, 1.0, 2.0], [0.0, 0.0, 0.0]])
    curves = eq_curves(amplitudes, phases, 128)  # [B, M]
    assert curves.shape == (3, 128) and torch.equal(curves[0], torch.zeros(128))
    assert torch.all(curves.abs() <= amplitudes.abs().sum(dim=1, keepdim=True) + 1e-6)
    assert curves[2, 0] == pytest.approx(0.3)  # every cosine peaks at the lowest band with phase 0
    assert curves.diff(dim=1).abs().max() < 0.02  # broad shapes: neighbouring bands move together


def test_eq_alone_is_one_curve_per_item_within_range():
    mels, mask = padded_batch()
    ranges = AugmentRanges(gain_db=0.0, shift_fraction=0.0, pitch_fraction=0.0, stretch_fraction=0.0, noise_db=None, eq_db=6.0)
    out, out_mask = run_augment(mels, mask, seed=5, strength=0.5, ranges=ranges)
    assert torch.equal(out_mask, mask)
    change = (out - mels)[0]  # [M, T]: a fully real item, loud enough never to reach the floor
    assert torch.allclose(change, change[:, :1].expand_as(change), atol=1e-5)  # the same curve in every frame
    assert 0 < change.abs().max() <= 6.0 * 0.5 * LOG_PER_DB + 1e-5
    assert torch.all(out[2, :, 10:] == SILENCE)  # padding untouched

    mels[0, :, :4] = SILENCE  # silent frames of a real item
    out, _ = run_augment(mels, mask, seed=5, strength=0.5, ranges=ranges)
    assert torch.all(out[0, :, :4] == SILENCE)  # an EQ boost does not lift silence


def test_noise_floor_level_and_no_leak_into_padding():
    mels = torch.full((1, 8, 6), SILENCE)
    mels[0, 0, 0] = 0.0  # peak
    mask = torch.ones(1, 6, dtype=torch.bool)
    out = add_noise(mels, mask, torch.tensor([-40.0]), torch.zeros(1, 8, 6))
    floor = -40.0 * LOG_PER_DB
    assert torch.allclose(out[0, 1:, :], torch.logaddexp(torch.tensor(SILENCE), torch.tensor(floor)))

    padded, pmask = padded_batch()
    ranges = AugmentRanges(gain_db=0.0, shift_fraction=0.0, pitch_fraction=0.0, stretch_fraction=0.0, eq_db=0.0)
    noisy, noisy_mask = run_augment(padded, pmask, seed=2, ranges=ranges)
    assert torch.equal(noisy_mask, pmask)
    assert torch.all(noisy[2, :, 10:] == SILENCE) and torch.all(noisy >= padded)
    assert not torch.equal(noisy, padded)


def test_no_transform_gives_identity_and_strength_is_validated():
    mels, mask = padded_batch()
    out, out_mask = run_augment(mels, mask, seed=0, ranges=NO_AUGMENT)
    assert torch.equal(out, mels) and torch.equal(out_mask, mask)
    with pytest.raises(ValueError):
        run_augment(mels, mask, seed=0, strength=1.5)


def test_augmentation_strength_curve():
    assert augmentation_strength(5) == 1.0 and augmentation_strength(20) == 1.0
    assert augmentation_strength(500) == pytest.approx(0.2)
    assert augmentation_strength(5000) == pytest.approx(0.2)
    values = [augmentation_strength(n) for n in range(1, 1001)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a >= b for a, b in zip(values, values[1:]))  # never rises
    assert max(abs(a - b) for a, b in zip(values, values[1:])) < 0.01  # smooth: no jumps


def test_noise_reaches_only_the_chosen_share_of_items():
    """Most items must keep their clean floor: the noise probability decides how many get one."""
    mels = torch.full((400, 8, 16), SILENCE)
    mels[:, :, 4:8] = 0.0  # a loud block; the rest is true silence
    mask = torch.ones(400, 16, dtype=torch.bool)
    only_noise = dict(gain_db=0.0, shift_fraction=0.0, pitch_fraction=0.0, stretch_fraction=0.0, eq_db=0.0)
    for probability in (0.0, 0.25, 1.0):
        ranges = AugmentRanges(**only_noise, noise_probability=probability)
        out, _ = augment(mels, mask, strength=1.0, generator=torch.Generator().manual_seed(0), silence_value=SILENCE, ranges=ranges)
        noisy_share = (out[:, :, 10:] > SILENCE + 0.1).any(dim=2).any(dim=1).float().mean().item()
        assert abs(noisy_share - probability) < 0.06


def test_a_scan_past_the_entry_limit_stops_with_one_sentence(tmp_path, mel, monkeypatch):
    """A folder such as / would otherwise be walked for ever: here the limit is lowered to 12 entries."""
    monkeypatch.setattr("engine.limits.MAX_DATASET_ENTRIES", 12)
    for i in range(4):
        (tmp_path / f"folder{i}").mkdir()
        for j in range(3):
            sf.write(tmp_path / f"folder{i}" / f"s{j}.wav", noise_burst(0.1, seed=j), SR)
    with pytest.raises(DatasetError, match=f"^{tmp_path.resolve()} holds more than 12 files and folders; choose the folder that holds your sounds.$"):
        load_dataset(tmp_path, mel)
    assert audio_files(tmp_path / "folder0") == [tmp_path.resolve() / "folder0" / f"s{j}.wav" for j in range(3)]
