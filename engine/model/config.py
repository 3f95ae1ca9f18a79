"""Model and training configuration, stored as JSON inside every model file and used to rebuild the model.

`adaptive_config(file_count)` picks the defaults a dataset of that size needs (VQVAE-02): codebook size
64 / 128 / 256, a faster EMA for fewer files, and a dead-code threshold that sits safely below the number
of vectors each code receives per batch (otherwise live codes would be reset every step).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.records import JsonRecord

LEVEL_LABELS: dict[int, tuple[str, ...]] = {
    2: ("Structure", "Detail"),
    3: ("Structure", "Timbre", "Detail"),
    4: ("Structure", "Timbre", "Texture", "Detail"),
}


def level_labels(levels: int) -> tuple[str, ...]:
    """The plain-language name of each quantizer level, coarse to fine."""
    if levels not in LEVEL_LABELS:
        raise ValueError(f"levels must be 2, 3 or 4, not {levels}")
    return LEVEL_LABELS[levels]


@dataclass
class ModelConfig(JsonRecord):
    """Everything needed to rebuild a `ConvVQVAE` (saved in the model file)."""

    n_mels: int = 128
    levels: int = 3  # residual quantizer levels, 2-4
    codebook_size: int = 64
    codebook_dim: int = 128
    hidden: int = 256  # channels of the conv stacks
    downsample: int = 4  # mel frames per code column (power of two): 512-sample hop -> 21.5 columns/s
    res_blocks: int = 2  # residual blocks per resolution
    commitment_weight: float = 0.25
    ema_decay: float = 0.8
    dead_code_threshold: float = 1.0  # EMA cluster size below which a code is re-seeded from the batch
    kmeans_iters: int = 10
    dropout: float = 0.05
    mel_mean: float = -6.0  # normalisation of log-mel input, measured on the training set
    mel_std: float = 3.0

    def __post_init__(self) -> None:
        level_labels(self.levels)  # validates 2..4
        if self.codebook_size < 2:
            raise ValueError("codebook_size must be at least 2")
        if self.downsample < 1 or self.downsample & (self.downsample - 1):
            raise ValueError(f"downsample must be a power of two, not {self.downsample}")

    @property
    def labels(self) -> tuple[str, ...]:
        """Level labels for this configuration."""
        return level_labels(self.levels)


@dataclass
class TrainConfig(JsonRecord):
    """Training hyper-parameters (saved in the model file's history, not needed to run the model)."""

    batch_size: int = 16
    chunk_frames: int = 128  # mel frames per training chunk (~1.5 s at 44.1 kHz / hop 512)
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    epochs: int | None = None
    minutes: float | None = None
    seed: int = 0
    checkpoint_seconds: float = 120.0  # also written after every epoch
    val_fraction: float | None = None  # None: adapts to dataset size
    augmentation: float | None = None  # None: adapts to dataset size
    waveform_head: bool = False  # also train the experimental waveform head (opt-in; see engine/training/vocoder.py)


DEFAULT_MINUTES = 10.0  # training budget when neither epochs nor minutes are given
CODEBOOK_SIZE_STEPS = ((20, 64), (100, 128))  # (up to this many files, codes); more files: LARGE_CODEBOOK_SIZE
LARGE_CODEBOOK_SIZE = 256


def codebook_size_for(file_count: int) -> int:
    """VQVAE-02: 64 codes for <= 20 files, 128 for <= 100, 256 above (CODEBOOK_SIZE_STEPS)."""
    for most_files, size in CODEBOOK_SIZE_STEPS:
        if file_count <= most_files:
            return size
    return LARGE_CODEBOOK_SIZE


def codebook_size_rule() -> str:
    """How the codebook size adapts to a dataset, in words ("64 up to 20 files, 128 up to 100, 256 above")."""
    steps = [f"{size} up to {files}" + (" files" if i == 0 else "") for i, (files, size) in enumerate(CODEBOOK_SIZE_STEPS)]
    return ", ".join(steps) + f", {LARGE_CODEBOOK_SIZE} above"


def dead_code_threshold_for(codebook_size: int, vectors_per_batch: int) -> float:
    """A threshold well below the mean EMA count a code gets per batch (vectors / codes).

    With 16 chunks x 32 columns = 512 vectors and 256 codes each code sees 2 vectors per batch on average;
    a threshold of 2 would re-seed half the live codebook every step. We use a quarter of the mean, at most 2.
    """
    return min(2.0, 0.25 * vectors_per_batch / codebook_size)


def adaptive_config(
    file_count: int,
    *,
    levels: int = ModelConfig.levels,
    codebook_dim: int = ModelConfig.codebook_dim,
    codebook_size: int | None = None,
    commitment_weight: float = ModelConfig.commitment_weight,
    hidden: int = ModelConfig.hidden,
    train: TrainConfig | None = None,
) -> tuple[ModelConfig, TrainConfig]:
    """Model and training defaults for a dataset of `file_count` usable files."""
    train = train or TrainConfig()
    size = codebook_size or codebook_size_for(file_count)
    vectors_per_batch = train.batch_size * (train.chunk_frames // ModelConfig.downsample)
    model = ModelConfig(
        levels=levels,
        codebook_size=size,
        codebook_dim=codebook_dim,
        commitment_weight=commitment_weight,
        hidden=hidden,
        ema_decay=0.8 if file_count <= 20 else 0.9 if file_count <= 100 else 0.95,
        dead_code_threshold=dead_code_threshold_for(size, vectors_per_batch),
    )
    return model, train
