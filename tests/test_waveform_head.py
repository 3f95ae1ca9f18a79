"""The waveform head: shapes, its training loss, the model file naming it, and Griffin-Lim for older files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.audio.griffinlim import mel_to_audio
from engine.audio.mel import MelConfig
from engine.codes.codec import decode_mel, decode_wave, encode_file
from engine.errors import ModelFileError
from engine.generation.pipeline import invert_mel
from engine.model.config import ModelConfig
from engine.model.inverter import invert
from engine.model.persist import HEAD_PREFIX, load_vqvae, save_vqvae
from engine.model.vqvae import ConvVQVAE
from engine.model.waveform_head import HeadConfig, WaveformHead
from engine.modelfile import read_model_file, save_model_file
from engine.reconstruct import reconstruct_file
from engine.audio.listening import Listening
from engine.training import vocoder
from engine.training.checkpoint import load_checkpoint
from engine.training.trainer import Trainer, TrainRequest, train
from engine.training.vocoder import head_wins, stft_loss

MEL = MelConfig()
SMALL = HeadConfig(dim=16, blocks=2)


def test_the_head_turns_t_frames_into_the_samples_they_came_from():
    torch.manual_seed(0)
    head = WaveformHead(SMALL, MEL).eval()
    log_mel = torch.randn(2, MEL.n_mels, 40) - 6  # [B, M, T]
    with torch.no_grad():
        assert head(log_mel).shape == (2, 39 * MEL.hop_length)
        assert head(log_mel, length=39 * MEL.hop_length + 100).shape == (2, 39 * MEL.hop_length + 100)
        assert head(log_mel[0]).shape == (39 * MEL.hop_length,)
        assert head.spectrogram(log_mel).shape == (2, MEL.n_freqs, 40)
    with pytest.raises(ValueError, match="does not fit 40 frames"):
        head(log_mel, length=40 * MEL.hop_length)
    with pytest.raises(ValueError, match="Expected a log-mel"):
        head(log_mel[:, :100])


def test_a_frame_reaches_only_its_receptive_field():
    torch.manual_seed(0)
    head = WaveformHead(SMALL, MEL).eval()
    log_mel = torch.randn(1, MEL.n_mels, 60) - 6
    changed = log_mel.clone()
    changed[..., 30] += 3.0
    with torch.no_grad():
        diff = (head.spectrogram(changed) - head.spectrogram(log_mel)).abs().amax(dim=(0, 1))  # [T]
    reach = head.receptive_frames
    assert diff[30 - reach : 30 + reach + 1].min() >= 0 and diff[30] > 0
    assert diff[: 30 - reach].max() == 0 and diff[30 + reach + 1 :].max() == 0


def test_the_stft_loss_is_zero_for_the_same_wave_and_grows_with_a_smeared_attack():
    torch.manual_seed(0)
    wave = torch.zeros(1, 8192)
    wave[0, 4000:4400] = torch.randn(400)  # a click
    smeared = torch.nn.functional.conv1d(wave[None], torch.ones(1, 1, 257) / 257, padding=128)[0]  # [1, N]
    assert float(stft_loss(wave, wave)) == 0.0
    assert float(stft_loss(smeared, wave)) > 0.1


def tiny_loaded(tmp_path, head: WaveformHead | None):
    torch.manual_seed(0)
    cfg = ModelConfig(hidden=16, codebook_dim=8, codebook_size=4, levels=2)
    path = save_vqvae(tmp_path / "m.sda", ConvVQVAE(cfg), MEL, {"name": "m"}, head=head)
    return path, load_vqvae(path)


def test_chunked_decoding_through_the_head_is_seamless(tmp_path):
    _, loaded = tiny_loaded(tmp_path, WaveformHead(SMALL, MEL))
    frames = 300
    log_mel = torch.randn(MEL.n_mels, frames) - 6
    n_samples = (frames - 1) * MEL.hop_length
    whole = invert_mel(log_mel, loaded, n_samples, chunk_frames=frames)  # [N]
    chunked = invert_mel(log_mel, loaded, n_samples, chunk_frames=128)  # [N]
    assert np.abs(whole).max() > 0
    np.testing.assert_allclose(chunked, whole, atol=1e-4 * np.abs(whole).max())


def test_a_file_with_a_head_names_it_and_decodes_with_it(tmp_path):
    torch.manual_seed(1)
    path, loaded = tiny_loaded(tmp_path, WaveformHead(SMALL, MEL))
    metadata = read_model_file(path)[1]
    assert metadata["inverter"] == "waveform-head" and metadata["waveform_head"] == SMALL.to_dict()
    assert loaded.inverter == "waveform-head" and not loaded.head.training
    log_mel = torch.randn(MEL.n_mels, 20) - 6
    with torch.no_grad():
        torch.testing.assert_close(invert(loaded, log_mel), loaded.head(log_mel))


def test_a_file_written_before_the_head_decodes_with_griffin_lim(tmp_path):
    path, _ = tiny_loaded(tmp_path, None)
    tensors, metadata = read_model_file(path)
    del metadata["inverter"], metadata["waveform_head"]  # as files written before the head existed
    save_model_file(path, tensors, metadata)
    loaded = load_vqvae(path)
    assert loaded.head is None and loaded.inverter == "griffin-lim"
    log_mel = torch.randn(MEL.n_mels, 20) - 6
    torch.testing.assert_close(invert(loaded, log_mel), mel_to_audio(log_mel, MEL, n_iter=24, phase="random"))


def test_a_file_naming_an_unknown_inverter_is_refused_in_one_sentence(tmp_path):
    path, _ = tiny_loaded(tmp_path, None)
    tensors, metadata = read_model_file(path)
    save_model_file(path, tensors, {**metadata, "inverter": "hifigan"})
    with pytest.raises(ModelFileError, match=r"m.sda names an inverter this version does not know \('hifigan'"):
        load_vqvae(path)


def test_a_file_whose_head_weights_are_missing_is_refused_in_one_sentence(tmp_path):
    path, _ = tiny_loaded(tmp_path, WaveformHead(SMALL, MEL))
    tensors, metadata = read_model_file(path)
    save_model_file(path, {k: v for k, v in tensors.items() if not k.startswith("head.")}, metadata)
    with pytest.raises(ModelFileError, match="names a waveform head whose weights or settings do not load"):
        load_vqvae(path)


def test_the_head_is_chosen_when_it_wins_three_of_the_four_figures():
    griffin_lim = Listening(log_mel_l1=1.0, envelope_l1=1.0, texture_ratio=0.9, onset_correlation=0.7)
    assert head_wins(Listening(0.9, 0.9, 0.95, 0.6), griffin_lim)  # only the onsets worse
    assert not head_wins(Listening(0.9, 0.9, 0.8, 0.6), griffin_lim)  # two of four
    assert not head_wins(griffin_lim, griffin_lim)  # a tie keeps Griffin-Lim


def test_default_training_builds_no_head_and_names_griffin_lim(home, sound_folder):
    trainer = Trainer(TrainRequest(dataset=sound_folder, name="plain", codebook_size=16, codebook_dim=16, hidden=32, epochs=1, device="cpu", seed=1))
    loaded = load_vqvae(trainer.run().path)
    assert trainer.head is None and trainer.head_training is None
    assert loaded.head is None and loaded.inverter == loaded.metadata["inverter"] == "griffin-lim"
    assert not any(key.startswith(HEAD_PREFIX) for key in loaded.tensors)
    training = loaded.metadata["training"]
    assert "inverters" not in training and "head_seconds" not in training["phases"]
    assert loaded.metadata["train_config"]["waveform_head"] is False
    assert not any("head_losses" in h for h in training["history"])
    tensors, info = load_checkpoint(trainer.ckpt_path)
    assert "head" not in tensors and "head_seconds" not in info


def test_a_model_trained_with_the_head_names_the_inverter_training_chose(home, sound_folder):
    request = TrainRequest(dataset=sound_folder, name="asked", codebook_size=16, codebook_dim=16, hidden=32, epochs=1, device="cpu", seed=1, waveform_head=True)
    loaded = load_vqvae(train(request).path)
    training = loaded.metadata["training"]
    assert set(training["inverters"]) == {"inverter", "waveform-head", "griffin-lim"}
    assert loaded.inverter == loaded.metadata["inverter"] == training["inverters"]["inverter"]
    assert (loaded.head is None) == (loaded.inverter == "griffin-lim")
    assert training["phases"]["head_seconds"] > 0
    assert all(set(h["head_losses"]) == {"head_stft", "head_mel"} for h in training["history"])


def test_a_model_trained_with_its_head_chosen_decodes_with_it(home, sound_folder, monkeypatch):
    choose = vocoder.choose_inverter
    monkeypatch.setattr(vocoder, "choose_inverter", lambda *args: {**choose(*args), "inverter": "waveform-head"})
    request = TrainRequest(dataset=sound_folder, name="headed", codebook_size=16, codebook_dim=16, hidden=32, epochs=1, device="cpu", seed=1, waveform_head=True)
    loaded = load_vqvae(train(request).path)
    assert loaded.metadata["inverter"] == "waveform-head" and loaded.head.cfg.dim == 32
    file = sorted(sound_folder.iterdir())[0]
    assert reconstruct_file(loaded, file).inverter == "waveform-head"
    grid = encode_file(loaded, file)
    wave = decode_wave(loaded, grid)  # [N]
    with torch.no_grad():
        np.testing.assert_allclose(wave, loaded.head(decode_mel(loaded, grid), length=grid.samples).numpy(), atol=1e-6)
    griffin_lim = decode_wave(dataclasses.replace(loaded, head=None), grid)
    assert griffin_lim.shape == wave.shape and not np.allclose(wave, griffin_lim, atol=1e-3)
