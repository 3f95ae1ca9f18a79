"""Errors that reach the user as one plain sentence (CLI message, OSC error, TUI notification)."""


class DistillError(Exception):
    """Base class: the message is a complete sentence naming the problem; no traceback is shown."""


class AudioFileError(DistillError):
    """An audio file is missing, unreadable, empty or silent."""


class DatasetError(DistillError):
    """A dataset folder cannot be used for training (missing, or too few usable files)."""


class ModelFileError(DistillError):
    """A model file is missing, truncated, corrupt, of another format version or not a model at all."""


class LibraryError(DistillError):
    """A library operation failed (unknown name, name taken, bad import)."""
