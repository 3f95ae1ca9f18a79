"""Limits the engine holds every client and every file to, so that hostile or damaged input fails with one sentence.

Clients' numbers travel over OSC, where Pd and Max have 32-bit integers. Files are checked before anything is
allocated from what they declare: sound files by their header (`engine.audio.io`), model files by the sizes
their metadata declares (`engine.modelfile`), code grids by their columns (`engine.codes.codec`). The bounds
are generous for real use and far below what exhausts a machine's memory.
"""

MAX_OSC_SEED = 2**31 - 1  # seeds the engine takes from clients and picks: they travel as OSC "i" (int32); the CLI and the history take up to generation.settings.MAX_HISTORY_SEED
MAX_TRAIN_MINUTES = 24 * 60
MAX_HISTORY_LIST = 1000  # generations `Engine.generations()` lists at most
MAX_CLEAN_AGE_DAYS = 36500  # `distill outputs clean --older-than` takes 0 to 100 years

# Sound files: the header's duration and sample count (frames x channels) are checked before any sample is read.
MAX_AUDIO_SECONDS = 20 * 60
MAX_AUDIO_SAMPLES = 2**27  # 512 MB as float32: 20 minutes of 44.1 kHz stereo fit, 8 channels at 192 kHz do not
MIN_AUDIO_SECONDS = 0.05  # a training file shorter than this (after trimming) is skipped: too short to learn from

# Dataset folders: a scan stops with an error past this many files and folders (a folder such as / would never end).
MAX_DATASET_ENTRIES = 100_000

# Code grids: 65,536 columns are about 50 minutes at 21.5 columns per second.
MAX_GRID_COLUMNS = 2**16

# Model files: the sizes their metadata may declare, per section ("prior.config" is metadata["prior"]["config"]),
# as (lowest, highest); a file outside them is refused on load, import and listing.
MODEL_FILE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "config": {
        "n_mels": (1, 512), "levels": (2, 4), "codebook_size": (2, 4096), "codebook_dim": (1, 1024),
        "hidden": (1, 1024), "downsample": (1, 64), "res_blocks": (0, 16), "kmeans_iters": (0, 1000),
    },
    "mel": {"sample_rate": (1000, 384000), "n_fft": (2, 16384), "hop_length": (1, 16384), "n_mels": (1, 512)},
    "waveform_head": {"dim": (1, 1024), "blocks": (1, 32), "expansion": (1, 8)},
    "prior.config": {
        "levels": (1, 4), "codebook_size": (2, 4096), "context": (2, 8192), "d_model": (1, 2048),
        "n_layers": (1, 64), "n_heads": (1, 64), "head_expansion": (1, 16),
    },
}
MAX_METADATA_DEPTH = 32  # nesting of a model file's metadata JSON (real files use 5)

# Model descriptions and tags, stored in the model file and shown and searched by every front end.
MAX_DESCRIPTION_CHARS = 2000
MAX_TAGS = 32
MAX_TAG_CHARS = 40  # printable characters, no commas (facts list tags comma-joined)
