"""Edits of code grids (CODE-04, CODE-05, CODE-06): pure functions that return new grids.

Grids are immutable, so an edit never changes its inputs, and every argument is checked before anything is
built: an invalid one raises `CodeEditError` (or `ModelMismatchError`) with one sentence saying what is
allowed. The rules:

- Levels are given by index or label ("timbre"); `levels=None` means every level.
- Columns are code columns (time positions); a region is the half-open range [start, end), start < end.
- No edit changes a grid's length. Regions of different lengths are never stretched or padded: a swap's
  region must lie inside both grids; a copy's region must lie inside the source and, moved to `at`, inside
  the target; a blend's region must lie inside both grids and defaults to the columns both grids have,
  [0, min(len(a), len(b))), so the columns of a longer `a` past the end of `b` stay as they are.
- Two grids combine only if the same model made them.
- Blending at weight w gives every cell in the region the mix (1 - w) * mix_a + w * mix_b (see `grid` for
  mixes), so it composes: blending a blended grid again is exact. Weight 0 gives `a` back exactly and
  weight 1 gives `b`'s cells exactly (the same as copying `b`'s region into `a`).

    a      5  5  5  5           blend(a, b, 0.5, start=1, end=3)     5  5~ 5~ 5      Timbre row
    b      9  9  9  9           ->  cells 1, 2 decode from           mix ((5, .5), (9, .5)); shown: the
                                    0.5 * e(5) + 0.5 * e(9)          code nearest to that vector
"""

from __future__ import annotations

import numbers
import operator
from collections import defaultdict

import numpy as np
import torch
from torch import Tensor

from engine.codes.errors import CodeEditError, ModelMismatchError
from engine.codes.grid import CodeGrid, Level, Mix, resolve_levels


def set_cell(grid: CodeGrid, level: Level, column: int, index: int) -> CodeGrid:
    """`grid` with the cell (level, column) set to codebook entry `index` (dropping any blend there)."""
    level = grid.level_index(level)
    column = _integer(column, "column")
    if not 0 <= column < grid.columns:
        raise CodeEditError(f"column {column} is outside the grid of {grid.source} (columns 0-{grid.columns - 1})")
    index = check_index(index, grid.codebook_size)
    codes = grid.codes.copy()
    codes[level, column] = index
    return grid.with_cells(codes, {cell: mix for cell, mix in grid.blends.items() if cell != (level, column)})


def swap(a: CodeGrid, b: CodeGrid, start: int, end: int, levels: list[Level] | None = None) -> tuple[CodeGrid, CodeGrid]:
    """Exchange the cells of columns [start, end) (of `levels`) between `a` and `b`: returns (new a, new b)."""
    _same_model(a, b)
    start, end = check_region(start, end, a, b)
    chosen = resolve_levels(levels, a.labels)
    return _transplant(a, b, chosen, start, start, end - start), _transplant(b, a, chosen, start, start, end - start)


def copy_region(source: CodeGrid, target: CodeGrid, start: int, end: int, at: int | None = None, levels: list[Level] | None = None) -> CodeGrid:
    """`target` with columns [start, end) of `source` (of `levels`) written over its columns from `at` on.

    `at` defaults to `start` (the same position); `source` may be `target` itself to repeat a region.
    """
    _same_model(source, target)
    start, end = check_region(start, end, source)
    at = start if at is None else _integer(at, "at")
    last = target.columns - (end - start)  # the last column the region may start at in the target
    if last < 0:
        raise CodeEditError(f"a region of {end - start} columns does not fit {target.source} ({target.columns} columns)")
    if not 0 <= at <= last:
        raise CodeEditError(
            f"a region of {end - start} columns placed at column {at} does not fit {target.source} "
            f"({target.columns} columns): use at = 0-{last}"
        )
    return _transplant(target, source, resolve_levels(levels, target.labels), start, at, end - start)


def blend(
    a: CodeGrid,
    b: CodeGrid,
    weight: float,
    codebooks: Tensor,
    start: int | None = None,
    end: int | None = None,
    levels: list[Level] | None = None,
) -> CodeGrid:
    """`a` with the cells of [start, end) (of `levels`) blended towards `b` by `weight` in embedding space.

    `codebooks` [L, K, D] are the model's (`codec.codebooks_for`); they pick the code each blended cell
    shows. The region defaults to the columns both grids have (see the module docstring).
    """
    _same_model(a, b)
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not 0.0 <= weight <= 1.0:
        raise CodeEditError(f"blend weight must be a number from 0 to 1, not {weight!r}")
    if tuple(codebooks.shape[:2]) != (a.levels, a.codebook_size):
        raise ModelMismatchError(
            f"codebooks of shape {list(codebooks.shape)} do not belong to the model of {a.source} "
            f"({a.levels} levels of {a.codebook_size} codes)"
        )
    start = 0 if start is None else start
    end = min(a.columns, b.columns) if end is None else end
    start, end = check_region(start, end, a, b)
    codes = a.codes.copy()
    blends = dict(a.blends)
    for level in resolve_levels(levels, a.labels):
        mixed: dict[int, Mix] = {}  # column -> new blend whose shown code is to be found
        for column in range(start, end):
            mix_a, mix_b = a.mix(level, column), b.mix(level, column)
            mix = combine(mix_a, mix_b, float(weight))
            blends.pop((level, column), None)
            if len(mix) > 1:
                blends[(level, column)] = mix
            if mix == mix_a:
                codes[level, column] = a.codes[level, column]
            elif mix == mix_b:
                codes[level, column] = b.codes[level, column]
            else:
                mixed[column] = mix
        if mixed:
            book = codebooks[level]  # [K, D]
            vectors = torch.stack([mix_vector(book, mix) for mix in mixed.values()])  # [N, D]
            nearest = torch.cdist(vectors, book, compute_mode="donot_use_mm_for_euclid_dist").argmin(dim=-1)  # [N], exact
            codes[level, list(mixed)] = nearest.cpu().numpy()
    return a.with_cells(codes, blends)


def combine(mix_a: Mix, mix_b: Mix, weight: float) -> Mix:
    """The mix (1 - weight) * mix_a + weight * mix_b, canonical; a single code comes back as `((code, 1.0),)`."""
    weights: dict[int, float] = defaultdict(float)
    for code, share in mix_a:
        weights[code] += (1.0 - weight) * share
    for code, share in mix_b:
        weights[code] += weight * share
    mix = tuple(sorted((code, share) for code, share in weights.items() if share > 0.0))
    return ((mix[0][0], 1.0),) if len(mix) == 1 else mix


def mix_vector(codebook: Tensor, mix: Mix) -> Tensor:
    """The embedding of a mix: codebook [K, D] -> sum(weight * codebook[code]) [D]."""
    codes = torch.tensor([code for code, _ in mix], device=codebook.device)  # [n]
    weights = torch.tensor([share for _, share in mix], dtype=codebook.dtype, device=codebook.device)  # [n]
    return weights @ codebook[codes]  # [D]


def embeddings(grid: CodeGrid, codebooks: Tensor) -> Tensor:
    """Per-level code vectors of a grid, blends included: codebooks [L, K, D] -> [L, D, F].

    For a grid without blends this equals `Quantizer.level_embeddings(codes)`, and the sum over levels is
    the quantized input of the decoder.
    """
    codes = torch.tensor(grid.codes, device=codebooks.device)  # [L, F]
    vectors = codebooks[torch.arange(grid.levels, device=codebooks.device)[:, None], codes]  # [L, F, D]
    for (level, column), mix in grid.blends.items():
        vectors[level, column] = mix_vector(codebooks[level], mix)
    return vectors.transpose(1, 2)  # [L, D, F]


def check_index(index: int, codebook_size: int) -> int:
    """`index` as an int if it is a codebook entry (0..codebook_size-1), else CodeEditError."""
    index = _integer(index, "code index")
    if not 0 <= index < codebook_size:
        raise CodeEditError(f"code index {index} is outside the codebook (0-{codebook_size - 1})")
    return index


def _transplant(target: CodeGrid, source: CodeGrid, levels: tuple[int, ...], start: int, at: int, length: int) -> CodeGrid:
    """`target` with source columns [start, start + length) of `levels`, blends included, written at `at`."""
    rows = np.array(levels)[:, None]  # [l, 1]
    codes = target.codes.copy()
    codes[rows, np.arange(at, at + length)] = source.codes[rows, np.arange(start, start + length)]
    blends = {(level, column): mix for (level, column), mix in target.blends.items() if not (level in levels and at <= column < at + length)}
    for (level, column), mix in source.blends.items():
        if level in levels and start <= column < start + length:
            blends[(level, column - start + at)] = mix
    return target.with_cells(codes, blends)


def _same_model(a: CodeGrid, b: CodeGrid) -> None:
    if a.model_id != b.model_id:
        raise ModelMismatchError(
            f"the grids come from different models: {a.source} from '{a.model_name}' ({a.model_id}), "
            f"{b.source} from '{b.model_name}' ({b.model_id})"
        )


def check_region(start: int, end: int, *grids: CodeGrid) -> tuple[int, int]:
    """(start, end) as ints if 0 <= start < end <= the columns of every grid, else CodeEditError."""
    start, end = _integer(start, "start"), _integer(end, "end")
    limit = min(grid.columns for grid in grids)
    if not 0 <= start < end <= limit:
        sizes = ", ".join(f"{grid.source} has {grid.columns}" for grid in grids)
        raise CodeEditError(f"region [{start}, {end}) does not fit: it needs 0 <= start < end <= {limit} ({sizes} columns)")
    return start, end


def _integer(value: object, what: str) -> int:
    """`value` as an int (ints and numpy integers only, not bools or floats), else CodeEditError."""
    if isinstance(value, bool):
        raise CodeEditError(f"{what} must be a whole number, not {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise CodeEditError(f"{what} must be a whole number, not {value!r}") from None

