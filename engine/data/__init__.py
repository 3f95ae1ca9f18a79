"""Training data: load a sound folder (`dataset`), cut log-mels into masked chunks (`chunks`), augment (`augment`)."""

from engine.data.augment import AugmentRanges, augment, augmentation_strength
from engine.data.chunks import ChunkBatch, make_chunks
from engine.data.dataset import Clip, Dataset, SkippedFile, load_dataset, split_by_file

__all__ = [
    "AugmentRanges",
    "ChunkBatch",
    "Clip",
    "Dataset",
    "SkippedFile",
    "augment",
    "augmentation_strength",
    "load_dataset",
    "make_chunks",
    "split_by_file",
]
