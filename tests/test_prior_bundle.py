"""The prior inside the model file: round trip, the VQ-VAE left untouched, and models without a prior."""

from __future__ import annotations

import shutil

import pytest
import torch

from engine.errors import DistillError
from engine.model.persist import load_vqvae, weights_id
from engine.modelfile import read_model_file
from engine.prior.bundle import NoPriorError, load_prior, save_prior
from engine.prior.config import PriorConfig
from engine.prior.model import CodePrior


def prior_for(loaded, seed: int = 0, **overrides) -> CodePrior:
    torch.manual_seed(seed)
    cfg = loaded.model.cfg
    settings = {"levels": cfg.levels, "codebook_size": cfg.codebook_size, "context": 16, "d_model": 32, "n_layers": 1, "n_heads": 2}
    return CodePrior(PriorConfig(**(settings | overrides))).eval()


def test_round_trip_keeps_the_vqvae_and_its_id(tmp_path, tiny_model_file):
    path = shutil.copy(tiny_model_file, tmp_path / "copy.sda")
    before_tensors, before_meta = read_model_file(path)
    original = load_vqvae(path)
    prior = prior_for(original)
    save_prior(path, prior, {"history": [{"epoch": 1}], "memorisation": {"flagged": False}})

    loaded = load_vqvae(path)  # still loads: prior.* is ignored by the VQ-VAE
    after_tensors, after_meta = read_model_file(path)
    vqvae_keys = [k for k in before_tensors if k.startswith("vqvae.")]
    assert all(torch.equal(before_tensors[k], after_tensors[k]) for k in vqvae_keys)
    assert loaded.model_id == original.model_id == after_meta["model_id"] == weights_id(after_tensors)
    assert {k: v for k, v in after_meta.items() if k != "prior"} == {k: v for k, v in before_meta.items() if k != "prior"}
    record = after_meta["prior"]
    assert record["config"] == prior.cfg.to_dict() and record["history"] == [{"epoch": 1}]
    assert record["model_id"] == original.model_id and record["params"] == prior.num_params()

    again = load_prior(loaded)
    codes = torch.randint(0, prior.cfg.codebook_size, (2, 3, 16))
    assert not again.training
    assert torch.equal(again(codes), prior(codes))
    gen = lambda p: p.generate(20, generator=torch.Generator().manual_seed(4))
    assert torch.equal(gen(again), gen(prior))


def test_a_new_prior_replaces_the_old_one(tmp_path, tiny_model_file):
    path = shutil.copy(tiny_model_file, tmp_path / "copy.sda")
    loaded = load_vqvae(path)
    save_prior(path, prior_for(loaded, d_model=32), {})
    save_prior(path, prior_for(loaded, d_model=16, n_heads=1), {})
    tensors, _ = read_model_file(path)
    reloaded = load_prior(load_vqvae(path))
    assert reloaded.cfg.d_model == 16
    assert sum(t.numel() for k, t in tensors.items() if k.startswith("prior.")) == reloaded.num_params()


def test_model_without_prior_is_a_clear_error(tiny_model_file):
    with pytest.raises(DistillError, match=r"^model 'tiny' has no prior yet: run `distill train-prior tiny`$") as caught:
        load_prior(load_vqvae(tiny_model_file))
    assert isinstance(caught.value, NoPriorError)


def test_a_prior_that_does_not_fit_the_vqvae_is_refused(tmp_path, tiny_model_file):
    path = shutil.copy(tiny_model_file, tmp_path / "copy.sda")
    loaded = load_vqvae(path)
    with pytest.raises(ValueError, match="does not fit"):
        save_prior(path, prior_for(loaded, codebook_size=32), {})
    with pytest.raises(DistillError, match="another VQ-VAE"):
        save_prior(path, prior_for(loaded), {"model_id": "0" * 16})
    assert read_model_file(path)[1]["prior"] is None
