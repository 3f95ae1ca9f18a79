"""Turning a trained ConvVQVAE into a model file and back (PERS-01).

The file holds the VQ-VAE weights under `vqvae.`, the waveform head's under `head.` when it has one (and,
once trained, the prior's under `prior.`); the JSON metadata holds the model config, mel settings, which
inverter turns its log-mels into audio (`inverter`, with the head's config under `waveform_head`), dataset
summary, training history and codebook health. Files without an `inverter` field (written before the head
existed) decode with Griffin-Lim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from engine.audio.mel import MelConfig
from engine.errors import ModelFileError
from engine.library import stated_name
from engine.model.config import ModelConfig
from engine.model.vqvae import ConvVQVAE
from engine.model.waveform_head import HeadConfig, WaveformHead
from engine.modelfile import read_model_file, save_model_file

VQVAE_PREFIX = "vqvae."
HEAD_PREFIX = "head."
INVERTERS = ("griffin-lim", "waveform-head")  # the metadata's `inverter`; absent means griffin-lim
RECORDED_PACKAGES = ("torch", "vector-quantize-pytorch")  # whose versions a model file records: our weight names are theirs


@dataclass
class LoadedModel:
    """A model file read back: the VQ-VAE in eval mode, its mel settings and all metadata."""

    path: Path
    model: ConvVQVAE
    mel: MelConfig
    metadata: dict
    tensors: dict  # every tensor in the file, for parts loaded later (the prior)
    head: WaveformHead | None = None  # the learned inverter, in eval mode; None: Griffin-Lim

    @property
    def inverter(self) -> str:
        """Which of INVERTERS turns this model's log-mels into audio."""
        return INVERTERS[1] if self.head is not None else INVERTERS[0]

    @property
    def model_id(self) -> str:
        """Fingerprint of the VQ-VAE weights: code grids remember it and refuse other models."""
        return self.metadata.get("model_id") or weights_id(self.tensors)

    @property
    def samples_per_column(self) -> int:
        """Audio samples one code column stands for (mel hop x the model's downsample)."""
        return self.mel.hop_length * self.model.cfg.downsample

    @property
    def name(self) -> str:
        """The model's name (the file name when the file names itself nothing valid: `stated_name`)."""
        return stated_name(self.metadata, self.path)


def weights_id(tensors: dict, prefix: str = VQVAE_PREFIX) -> str:
    """sha256 (16 hex digits) over the names and bytes of the tensors under `prefix` (default: the VQ-VAE's,
    so renames and priors keep a model's id)."""
    digest = hashlib.sha256()
    for key in sorted(k for k in tensors if k.startswith(prefix)):
        digest.update(key.encode())
        digest.update(tensors[key].detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def package_versions() -> dict[str, str]:
    """The installed versions of `RECORDED_PACKAGES` ("unknown" for one that is not installed as a package)."""
    found = {}
    for package in RECORDED_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def save_vqvae(
    path: str | Path, model: ConvVQVAE, mel: MelConfig, metadata: dict, extra_tensors: dict | None = None, *, head: WaveformHead | None = None
) -> Path:
    """Write the model, its waveform head if any, and its metadata (config, mel settings, inverter and package
    versions are filled in here) atomically."""
    tensors = {VQVAE_PREFIX + k: v.detach() for k, v in model.state_dict().items()}
    if head is not None:
        tensors.update({HEAD_PREFIX + k: v.detach() for k, v in head.state_dict().items()})
    tensors.update(extra_tensors or {})
    metadata = {
        **metadata, "config": model.cfg.to_dict(), "mel": mel.to_dict(), "model_id": weights_id(tensors),
        "written_with": package_versions(), "inverter": INVERTERS[head is not None],
        "waveform_head": None if head is None else head.cfg.to_dict(),
    }
    return save_model_file(path, tensors, metadata)


def load_vqvae(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Read a model file and rebuild its VQ-VAE; a mismatch between weights and config is a ModelFileError."""
    path = Path(path)
    tensors, metadata = read_model_file(path, device=device)
    try:
        cfg = ModelConfig.from_dict(metadata["config"])
        mel = MelConfig.from_dict(metadata["mel"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path.name} has no usable model configuration ({error})") from error
    model = ConvVQVAE(cfg).to(device)
    state = {k[len(VQVAE_PREFIX):]: v for k, v in tensors.items() if k.startswith(VQVAE_PREFIX)}
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ModelFileError(_mismatch_message(path, metadata, error)) from error
    model.eval()
    return LoadedModel(path, model, mel, metadata, tensors, _load_head(path, metadata, tensors, mel, device))


def _load_head(path: Path, metadata: dict, tensors: dict, mel: MelConfig, device: str | torch.device) -> WaveformHead | None:
    """The waveform head the metadata names, in eval mode; None for Griffin-Lim (and files without the field)."""
    inverter = metadata.get("inverter", INVERTERS[0])
    if inverter not in INVERTERS:
        raise ModelFileError(f"{path.name} names an inverter this version does not know ({inverter!r}; known: {', '.join(INVERTERS)})")
    if inverter == INVERTERS[0]:
        return None
    try:
        head = WaveformHead(HeadConfig.from_dict(metadata["waveform_head"]), mel).to(device)
        head.load_state_dict({k[len(HEAD_PREFIX):]: v for k, v in tensors.items() if k.startswith(HEAD_PREFIX)})
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"{path.name} names a waveform head whose weights or settings do not load ({str(error).splitlines()[0]})") from error
    return head.eval()


def _mismatch_message(path: Path, metadata: dict, error: RuntimeError) -> str:
    """One sentence for weights that do not load: a different vector-quantize-pytorch, or a damaged file."""
    written = metadata.get("written_with")
    written = written.get("vector-quantize-pytorch") if isinstance(written, dict) else None
    installed = package_versions()["vector-quantize-pytorch"]
    if isinstance(written, str) and written != installed:
        return (
            f"{path.name} was written with vector-quantize-pytorch {written}, whose weight names differ from the "
            f"installed {installed}; install {written} (pip install vector-quantize-pytorch=={written}) to read it"
        )
    first_line = str(error).splitlines()[0]
    return f"{path.name} holds weights that do not match its configuration ({first_line})"
