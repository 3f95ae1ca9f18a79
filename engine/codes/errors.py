"""Errors of the code-grid tools; each message is one sentence that reaches the user as it is."""

from engine.errors import DistillError


class CodeFileError(DistillError):
    """A code grid file is missing, not JSON, not a distill code grid, of another version or damaged."""


class CodeEditError(DistillError):
    """A level, column, region, codebook index or blend weight is out of range, or there is nothing to undo."""


class ModelMismatchError(DistillError):
    """A grid meets a model (or another grid) that was not made by the same model."""
