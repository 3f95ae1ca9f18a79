"""ConvVQVAE, its quantizer wrapper, configuration and loss."""

from __future__ import annotations

import pytest
import torch

from engine.model.config import ModelConfig, adaptive_config, codebook_size_for, dead_code_threshold_for, level_labels
from engine.model.losses import masked_mel_l1, multi_scale_mel_l1, vqvae_loss
from engine.model.vqvae import ConvVQVAE, reconstruct


def tiny(levels: int = 3, **overrides) -> ConvVQVAE:
    cfg = ModelConfig(levels=levels, codebook_size=16, codebook_dim=8, hidden=16, res_blocks=1, **overrides)
    torch.manual_seed(0)
    return ConvVQVAE(cfg)


def initialise(model: ConvVQVAE) -> None:
    """One training-mode pass with plenty of vectors so k-means seeds every level."""
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 1, 128, 64) * 3 - 6)
    model.eval()


@pytest.mark.parametrize("levels", [2, 3, 4])
@pytest.mark.parametrize("frames", [1, 7, 33, 130])
def test_shapes_and_exact_pad_crop(levels, frames):
    model = tiny(levels)
    initialise(model)
    mel = torch.randn(2, 1, 128, frames)
    recon, indices, commit = model(mel)
    assert recon.shape == mel.shape
    assert indices.shape == (2, levels, -(-frames // 4))
    assert commit.ndim == 0
    assert indices.min() >= 0 and indices.max() < 16


def test_level_labels():
    assert level_labels(2) == ("Structure", "Detail")
    assert level_labels(3) == ("Structure", "Timbre", "Detail")
    assert level_labels(4) == ("Structure", "Timbre", "Texture", "Detail")
    with pytest.raises(ValueError):
        ModelConfig(levels=5)


@pytest.mark.parametrize("files,size", [(5, 64), (20, 64), (21, 128), (100, 128), (101, 256), (500, 256)])
def test_codebook_size_adapts_to_dataset(files, size):
    assert codebook_size_for(files) == size
    model_cfg, train_cfg = adaptive_config(files)
    assert model_cfg.codebook_size == size
    vectors_per_batch = train_cfg.batch_size * train_cfg.chunk_frames // model_cfg.downsample
    # the dead-code threshold must sit below the mean EMA count a code receives per batch
    assert model_cfg.dead_code_threshold < vectors_per_batch / size


def test_explicit_codebook_size_wins():
    assert adaptive_config(300, codebook_size=64)[0].codebook_size == 64
    assert dead_code_threshold_for(256, 512) == 0.5


def test_quantizer_invariant_output_from_indices():
    """In eval mode, the codes looked up from the indices are exactly the quantized output."""
    model = tiny()
    initialise(model)
    z = torch.randn(3, 8, 20)
    out = model.quantizer(z)
    assert torch.allclose(model.quantizer.from_indices(out.indices), out.quantized, atol=1e-5)
    per_level = model.quantizer.level_embeddings(out.indices)  # [B, L, D, F]
    assert per_level.shape == (3, 3, 8, 20)
    assert torch.allclose(per_level.sum(dim=1), out.quantized, atol=1e-5)


def test_decode_indices_matches_forward():
    model = tiny()
    initialise(model)
    mel = torch.randn(1, 1, 128, 50) * 3 - 6
    recon, indices, _ = model(mel)
    assert torch.allclose(model.decode_indices(indices, frames=50), recon, atol=1e-5)


def test_reconstruct_long_clip_in_chunks():
    model = tiny()
    initialise(model)
    mel = torch.randn(128, 2100) * 3 - 6
    recon, indices = reconstruct(model, mel, chunk_frames=1024)
    assert recon.shape == (128, 2100)
    assert indices.shape == (3, 1024 // 4 * 2 + -(-52 // 4))


def test_kmeans_needs_a_training_pass_and_uses_it():
    model = tiny()
    assert not model.quantizer.initialised
    initialise(model)
    assert model.quantizer.initialised
    books = model.quantizer.codebooks()  # [L, K, D]
    # with enough vectors k-means does not sample duplicates
    for level in books:
        assert torch.unique(level, dim=0).shape[0] == level.shape[0]


def test_loss_is_reconstruction_plus_commitment_only():
    recon = torch.randn(2, 1, 128, 40)
    target = torch.randn(2, 1, 128, 40)
    commit = torch.tensor(0.123)
    total, reconstruction = vqvae_loss(recon, target, commit)
    assert torch.isclose(total, reconstruction + commit)
    assert torch.isclose(vqvae_loss(target, target, commit)[0], commit)  # perfect recon: nothing but commitment


def test_loss_ignores_padding():
    target = torch.randn(2, 1, 128, 40)
    recon = target + 0.1
    mask = torch.ones(2, 40, dtype=torch.bool)
    mask[:, 30:] = False
    changed = recon.clone()
    changed[..., 30:] += 100.0
    assert torch.isclose(multi_scale_mel_l1(recon, target, mask), multi_scale_mel_l1(changed, target, mask))
    assert torch.isclose(masked_mel_l1(recon, target, mask), torch.tensor(0.1), atol=1e-5)


def test_multi_scale_sees_broad_shape():
    """Noise that averages out costs less at coarse scales than a broad offset of the same size."""
    target = torch.zeros(1, 1, 128, 64)
    noise = torch.sign(torch.randn_like(target)) * 0.5
    offset = torch.full_like(target, 0.5)
    assert masked_mel_l1(target + noise, target) == pytest.approx(masked_mel_l1(target + offset, target).item())
    assert multi_scale_mel_l1(target + noise, target) < multi_scale_mel_l1(target + offset, target)


def test_the_private_initted_buffer_we_rely_on_is_still_there():
    """`Quantizer.initialised` reads vector-quantize-pytorch's private `_codebook.initted`, and model files
    store it: an upgrade that renames or drops it must fail here, not in a user's model file (see the lock)."""
    model = tiny()
    state = model.state_dict()
    for level, layer in enumerate(model.quantizer.rvq.layers):
        initted = layer._codebook.initted
        assert isinstance(initted, torch.Tensor) and initted.numel() == 1 and initted.dtype == torch.bool
        assert not bool(initted)
        assert f"quantizer.rvq.layers.{level}._codebook.initted" in state
    assert not model.quantizer.initialised
    initialise(model)
    assert model.quantizer.initialised
    assert all(bool(value) for key, value in model.state_dict().items() if key.endswith("._codebook.initted"))
