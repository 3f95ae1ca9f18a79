"""Prior configuration, stored as JSON in the model file's `metadata["prior"]` and used to rebuild the prior.

`adaptive_prior_config(file_count, levels, codebook_size)` sizes the transformer for the dataset the way
`engine.model.config.adaptive_config` sizes the VQ-VAE: a few files give a few thousand code frames even
with augmentation, which a large transformer would learn by heart, so small collections get a small,
strongly regularised prior and large ones a deeper one. Widths stay modest because sampling runs one step
per frame at batch 1, where every weight is read once per frame: generation speed grows with the size.

    files      d_model  layers  heads  dropout  parameters (3 levels, codebook size the VQ-VAE picks)
    <= 20      128      3       4      0.2      0.90 M (64 codes)
    <= 100     160      4       5      0.15     1.77 M (128 codes)
    > 100      192      6       6      0.1      3.61 M (256 codes)
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.limits import MODEL_FILE_RANGES
from engine.records import JsonRecord

HEAD_DIM = 32  # attention head size used when a width is chosen without a head count
DEFAULT_PRIOR_MINUTES = 10.0  # prior training budget when neither epochs nor minutes are given
# (most files, d_model, n_layers, dropout) by dataset size, the last row for every larger dataset
PRIOR_SIZES = ((20, 128, 3, 0.2), (100, 160, 4, 0.15), (None, 192, 6, 0.1))


@dataclass
class PriorConfig(JsonRecord):
    """Everything needed to rebuild a `CodePrior` (saved in the model file)."""

    levels: int = 3  # quantizer levels of the VQ-VAE it models
    codebook_size: int = 64  # codes per level
    context: int = 256  # positions the transformer sees: ~11.9 s of audio at 21.5 code frames per second
    d_model: int = 128
    n_layers: int = 3
    n_heads: int = 4
    dropout: float = 0.2
    head_expansion: int = 2  # hidden size of each level head's MLP, as a multiple of d_model
    end_head: bool = False  # predicts where a sound ends (one-shots); priors trained before it existed have none

    def __post_init__(self) -> None:
        """ValueError naming the first size outside the ranges a model file may declare (so that no prior is
        trained, or saved, that distill would then refuse to load), or heads that do not divide d_model."""
        for key, (low, high) in MODEL_FILE_RANGES["prior.config"].items():
            if not low <= getattr(self, key) <= high:
                raise ValueError(f"the prior's {key} must be from {low:g} to {high:g}, not {getattr(self, key)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"the prior's d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")


@dataclass
class PriorTrainConfig(JsonRecord):
    """Prior training hyper-parameters (saved in the model file's prior history, not needed to sample)."""

    batch_size: int = 16  # windows per step
    learning_rate: float = 1e-3
    weight_decay: float = 0.1  # on matrices and embeddings (nanoGPT's split), not on norms or biases
    grad_clip: float = 1.0
    warmup_steps: int = 50  # linear learning-rate warm-up, then constant
    epochs: int | None = None
    minutes: float | None = None
    seed: int = 0
    checkpoint_seconds: float = 120.0  # also written after every epoch
    variants: int = 1  # augmented copies of each training file, on top of the file itself
    strength: float = 1.0  # augmentation strength of those copies (engine.data.augment)
    gap_columns: int = 4  # silent code frames after every sound (~0.19 s), so the prior learns where sounds end
    min_epoch_windows: int = 128  # at least this many windows per epoch (else small sets validate more than they train)


def adaptive_prior_config(file_count: int, levels: int, codebook_size: int) -> PriorConfig:
    """Prior size for a dataset of `file_count` usable files (see the table in the module docstring)."""
    d_model, n_layers, dropout = next(row[1:] for row in PRIOR_SIZES if row[0] is None or file_count <= row[0])
    return PriorConfig(
        levels=levels, codebook_size=codebook_size, d_model=d_model, n_layers=n_layers,
        n_heads=d_model // HEAD_DIM, dropout=dropout, end_head=True,
    )


def prior_size_rule(column: int) -> str:
    """How `adaptive_prior_config` picks d_model (column 1) or n_layers (column 2), for help texts."""
    values = [row[column] for row in PRIOR_SIZES]
    return f"{min(values)} to {max(values)}, by the number of sounds"


def augmentation_variants(file_count: int, strength: float) -> int:
    """Augmented copies per training file: 8 x the augmentation strength, at least 1.

    With `engine.data.augment.augmentation_strength` that is 8 copies up to 20 files, 5 at 100, 2 from 500.
    """
    return max(1, round(8 * strength))
