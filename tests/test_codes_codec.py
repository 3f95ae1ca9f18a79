"""Encoding, decoding and previews with a really trained tiny model, and the blend-smoothness measurement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.audio.io import load_audio
from engine.audio.mel import MelSpectrogram
from engine.codes import codec, ops
from engine.codes.errors import CodeEditError, ModelMismatchError
from engine.codes.measure import measure_pairs
from engine.model.persist import load_vqvae, save_vqvae
from engine.model.vqvae import reconstruct


@pytest.fixture(scope="module")
def loaded(tiny_model_file):
    return load_vqvae(tiny_model_file)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory, loaded):
    """The same architecture with slightly different weights: another model id."""
    model = load_vqvae(loaded.path).model
    with torch.no_grad():
        model.decoder.net[0].weight.add_(0.01)
    path = save_vqvae(tmp_path_factory.mktemp("foreign") / "other.sda", model, loaded.mel, {"name": "other"})
    return load_vqvae(path)


def test_decoding_an_unedited_grid_matches_reconstruct(loaded, sound_folder):
    for path in sorted(sound_folder.glob("*.wav"))[:4]:
        grid = codec.encode_file(loaded, path)
        mel = MelSpectrogram(loaded.mel)(torch.from_numpy(load_audio(path, loaded.mel.sample_rate)))  # [M, T]
        recon, indices = reconstruct(loaded.model, mel, chunk_frames=codec.CHUNK_FRAMES)
        assert np.array_equal(grid.codes, indices.numpy())
        assert torch.allclose(codec.decode_mel(loaded, grid), recon, atol=1e-5)
        assert (grid.source, grid.model_id, grid.model_name, grid.labels) == (path.name, loaded.model_id, "tiny", ("Structure", "Timbre", "Detail"))


# lengths in samples: 1 sample, one hop either side, odd, and 1025 mel frames (two chunks, the last of 1 frame)
@pytest.mark.parametrize("samples", [1, 511, 512, 513, 12345, 1024 * 512 + 7])
def test_encode_decode_shapes_and_time_axis(loaded, samples):
    wave = (0.3 * np.sin(np.arange(samples) * 0.05) * np.random.default_rng(0).uniform(0.5, 1, samples)).astype(np.float32)
    grid = codec.encode_wave(loaded, wave, "tone.wav")
    frames = samples // 512 + 1
    assert (grid.frames, grid.samples, grid.codes.shape) == (frames, samples, (3, -(-frames // 4)))
    assert grid.time_of(grid.columns) >= grid.duration > grid.time_of(grid.columns - 1) - grid.column_seconds
    assert codec.decode_mel(loaded, grid).shape == (128, frames)
    audio = codec.decode_wave(loaded, grid)
    assert audio.shape == (samples,) and audio.dtype == np.float32 and np.isfinite(audio).all()
    if frames > codec.CHUNK_FRAMES:  # the chunk boundary decodes as reconstruct() does
        mel = MelSpectrogram(loaded.mel)(torch.from_numpy(wave))
        assert torch.allclose(codec.decode_mel(loaded, grid), reconstruct(loaded.model, mel)[0], atol=1e-5)


def test_a_foreign_models_grid_is_refused(loaded, foreign, sound_folder):
    grid = codec.encode_file(loaded, sound_folder / "kick_1.wav")
    assert foreign.model_id != loaded.model_id
    message = f"the codes of kick_1.wav were made by model 'tiny' \\({loaded.model_id}\\), not by 'other' \\({foreign.model_id}\\); use 'tiny' for them"
    for call in (codec.decode_mel, codec.decode_wave, codec.codebooks_for):
        with pytest.raises(ModelMismatchError, match=message):
            call(foreign, grid)
    with pytest.raises(ModelMismatchError, match="different models"):
        ops.swap(grid, codec.encode_file(foreign, sound_folder / "kick_1.wav"), 0, 2)


def test_blend_decodes_from_blended_embeddings(loaded, sound_folder):
    a = codec.encode_file(loaded, sound_folder / "pad_1.wav")
    b = codec.encode_file(loaded, sound_folder / "bell_1.wav")
    books = codec.codebooks_for(loaded, a)
    half = ops.blend(a, b, 0.5, books, 5, 15)
    assert half.blends  # off-codebook cells exist ...
    nearest = half.with_cells(half.codes, {})  # ... and decoding them differs from decoding the shown codes
    assert not torch.allclose(codec.decode_mel(loaded, half), codec.decode_mel(loaded, nearest))
    assert torch.equal(codec.decode_mel(loaded, ops.blend(a, b, 0.0, books)), codec.decode_mel(loaded, a))
    quantized = ops.embeddings(a, books).sum(dim=0)  # [D, F]: the decoder's input is the quantizer's output
    assert torch.allclose(quantized, loaded.model.quantizer.from_indices(torch.from_numpy(a.codes.copy())[None])[0], atol=1e-6)


def test_preview_is_audible_for_every_level(loaded):
    """Every entry gives a distinct, faded clip of the asked length; each level's most-used entry is clearly
    audible, and so is every Timbre and Detail entry (some Structure entries stand for near-silence)."""
    seconds, typical = 0.5, codec.typical_codes(loaded)
    for level in ("structure", 1, "Detail"):
        row = loaded.model.cfg.labels.index(level.capitalize()) if isinstance(level, str) else level
        clips = [codec.preview_wave(loaded, level, index, seconds) for index in range(loaded.model.cfg.codebook_size)]
        for clip in clips:
            assert clip.shape == (round(seconds * 44100 / 2048) * 2048 - 512,) and np.isfinite(clip).all()
            assert clip[0] == 0.0 and clip[-1] == 0.0  # faded in and out
        assert len({clip.tobytes() for clip in clips}) == len(clips)  # every entry sounds different
        assert np.abs(clips[typical[row]]).max() > 0.01  # above -40 dBFS
        if row > 0:
            assert min(np.abs(clip).max() for clip in clips) > 0.01


def test_preview_context_is_the_most_used_codes(loaded):
    usage = loaded.metadata["health"]["usage"]
    assert codec.typical_codes(loaded) == [int(np.argmax(row)) for row in usage]
    with pytest.raises(CodeEditError, match="code index 16 is outside the codebook"):
        codec.preview_wave(loaded, 0, 16)
    with pytest.raises(CodeEditError, match="level 'texture' does not exist"):
        codec.preview_wave(loaded, "texture", 0)
    with pytest.raises(CodeEditError, match="a preview lasts"):
        codec.preview_wave(loaded, 0, 0, seconds=0)


def test_blend_at_half_steps_less_across_region_edges_than_a_hard_swap(loaded, sound_folder):
    """CODE-06 by measurement: see engine.codes.measure and docs/codes.md for the figure."""
    grids = [codec.encode_file(loaded, path) for path in sorted(sound_folder.glob("*.wav"))]
    results = measure_pairs(loaded, grids)
    assert len(results) >= 30
    mean = {name: np.mean([r[name] for r in results]) for name in results[0]}
    assert mean["blend 0.5"] < 0.8 * mean["swap"]
    assert mean["blend 0.25"] < mean["blend 0.5"] < mean["blend 0.75"] < mean["swap"]  # smoother the closer to a
    assert sum(r["blend 0.5"] < r["swap"] for r in results) > len(results) / 2
