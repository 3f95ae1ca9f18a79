"""The VQ-VAE in a model file: package versions recorded, and weights from another library version refused."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import torch

from engine.audio.mel import MelConfig
from engine.errors import ModelFileError
from engine.model.config import ModelConfig
from engine.model.persist import load_vqvae, save_vqvae
from engine.model.vqvae import ConvVQVAE
from engine.modelfile import read_model_file, save_model_file

CFG = ModelConfig(n_mels=16, hidden=8, codebook_dim=4, codebook_size=4, levels=2)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    return save_vqvae(tmp_path / "m.sda", ConvVQVAE(CFG), MelConfig(n_mels=16), {"name": "m"})


def test_the_file_records_the_versions_it_was_written_with(saved):
    _, metadata = read_model_file(saved)
    assert metadata["written_with"] == {"torch": version("torch"),
                                        "vector-quantize-pytorch": version("vector-quantize-pytorch")}
    assert load_vqvae(saved).model.cfg == CFG


def rename_quantizer_weights(path, written_with: str) -> None:
    """Rewrite `path` as a vector-quantize-pytorch release with other weight names would have written it."""
    tensors, metadata = read_model_file(path)
    renamed = {key.replace("._codebook.", "._codes."): value for key, value in tensors.items()}
    assert renamed != tensors  # the model does hold the library's codebook weights
    metadata["written_with"]["vector-quantize-pytorch"] = written_with
    save_model_file(path, renamed, metadata)


def test_weights_named_by_another_vector_quantize_release_are_refused_in_one_sentence(saved):
    rename_quantizer_weights(saved, "0.9.0")
    with pytest.raises(ModelFileError) as caught:
        load_vqvae(saved)
    message = str(caught.value)
    assert message.startswith("m.sda was written with vector-quantize-pytorch 0.9.0, whose weight names differ")
    assert f"installed {version('vector-quantize-pytorch')}" in message and "\n" not in message


def test_same_release_but_mismatched_weights_is_called_a_mismatch(saved):
    rename_quantizer_weights(saved, version("vector-quantize-pytorch"))
    with pytest.raises(ModelFileError, match="^m.sda holds weights that do not match its configuration"):
        load_vqvae(saved)
