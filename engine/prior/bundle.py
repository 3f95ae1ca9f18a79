"""The prior inside the model file: weights under `prior.`, settings and history in `metadata["prior"]`.

The VQ-VAE's tensors and every other metadata key are carried over untouched, so the file's `model_id`
(a fingerprint of the `vqvae.` tensors only) does not change and `load_vqvae` keeps working; it ignores
`prior.*`. `metadata["prior"]` is None until a prior is trained, then:

    {"format_version": 1, "config": PriorConfig.to_dict(), "model_id": <the VQ-VAE it was trained on>,
     "params": N, ...info from the trainer: "history", "memorisation", "train_config", ...}
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import DistillError, ModelFileError
from engine.model.config import ModelConfig
from engine.model.persist import LoadedModel, weights_id
from engine.modelfile import read_model_file, save_model_file
from engine.prior.config import PriorConfig
from engine.prior.model import CodePrior

PRIOR_PREFIX = "prior."
PRIOR_FORMAT_VERSION = 1


class NoPriorError(DistillError):
    """The model has no prior yet (train one with `distill train-prior`)."""


def save_prior(model_path: str | os.PathLike, prior: CodePrior, info: dict) -> None:
    """Write `prior`'s weights and `metadata["prior"]` (its config plus `info`) into the model file, atomically.

    The file is read again here so that nothing written meanwhile is lost; an earlier prior is replaced. A
    prior whose levels or codebook size do not match the file's VQ-VAE is refused (ValueError), and so is a
    file whose VQ-VAE changed since `info["model_id"]` was taken, when given (DistillError).
    """
    path = Path(model_path)
    tensors, metadata = read_model_file(path)
    vqvae = ModelConfig.from_dict(metadata.get("config") or {})
    if (prior.cfg.levels, prior.cfg.codebook_size) != (vqvae.levels, vqvae.codebook_size):
        raise ValueError(
            f"a prior over {prior.cfg.levels} x {prior.cfg.codebook_size} codes does not fit {path.name}, "
            f"whose VQ-VAE has {vqvae.levels} x {vqvae.codebook_size}"
        )
    model_id = metadata.get("model_id") or weights_id(tensors)
    if info.get("model_id", model_id) != model_id:
        raise DistillError(f"{path.name} holds another VQ-VAE than the one this prior was trained on; the prior was not saved")
    kept = {name: tensor for name, tensor in tensors.items() if not name.startswith(PRIOR_PREFIX)}
    kept.update({PRIOR_PREFIX + name: tensor.detach() for name, tensor in prior.state_dict().items()})
    record = {**info, "format_version": PRIOR_FORMAT_VERSION, "config": prior.cfg.to_dict(), "model_id": model_id, "params": prior.num_params()}
    save_model_file(path, kept, {**metadata, "prior": record})


def load_prior(loaded: LoadedModel) -> CodePrior:
    """The prior stored with `loaded`, in eval mode on the device of its tensors.

    NoPriorError (a DistillError) when the model has none; ModelFileError when the stored prior is
    unreadable or belongs to another VQ-VAE.
    """
    record = loaded.metadata.get("prior")
    if not record:
        raise NoPriorError(f"model '{loaded.name}' has no prior yet: run `distill train-prior {loaded.name}`")
    name = loaded.path.name
    if record.get("format_version") != PRIOR_FORMAT_VERSION:
        raise ModelFileError(f"{name} holds a prior of format version {record.get('format_version')}; this distill reads version {PRIOR_FORMAT_VERSION}")
    if record.get("model_id") != loaded.model_id:
        raise ModelFileError(f"{name} holds a prior trained on another VQ-VAE; run `distill train-prior {loaded.name} --restart`")
    try:
        cfg = PriorConfig.from_dict(record["config"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{name} has no usable prior configuration ({error})") from error
    state = {key[len(PRIOR_PREFIX):]: tensor for key, tensor in loaded.tensors.items() if key.startswith(PRIOR_PREFIX)}
    prior = CodePrior(cfg)
    try:
        prior.load_state_dict(state)
    except RuntimeError as error:
        first_line = str(error).splitlines()[0]
        raise ModelFileError(f"{name} holds prior weights that do not match its configuration ({first_line})") from error
    device = next(iter(state.values())).device
    return prior.to(device).eval()
