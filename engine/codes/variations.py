"""Variations of a code grid drawn by the prior: a region or some levels re-imagined, or the sound continued.

    reimagine(grid, prior, 10, 30, ["timbre", "detail"], settings, seed)   # same rhythm and envelope, new colour
    reimagine(grid, prior, 10, 30, None, settings, seed)                  # columns 10-29 redrawn given 0-9
    continue_codes(grid, prior, 2.0, 15, settings, seed)                  # columns 0-14, then 2 s more
    vary(grid, prior, "timbre", settings, seed)                           # one variation of a kind (a note's)

Both draw with `CodePrior` given what comes before (`CodePrior.resample`, `CodePrior.generate` with a prompt),
with the settings' temperature, top-k and top-p, from a CPU generator seeded by `seed`: the same seed gives
the same grid. The prior sees only the past, so a re-imagined region is drawn without regard to the columns
after it, which are kept as they were; blended cells that are redrawn lose their blend.

Variations on a key (`vary`, what `Engine.vary` makes every note play) come in KINDS: "timbre" redraws
Timbre and the finer levels of the whole grid (same rhythm and envelope, new colour); "continue" keeps the
first quarter of the grid (at least one column: the attack) and draws the rest to the grid's length. Key
k's n-th note uses seed `variation_seed(k, n)`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from engine.codes.errors import CodeEditError
from engine.codes.grid import CodeGrid, Level, resolve_levels
from engine.codes.ops import check_region
from engine.generation.settings import MAX_DURATION_S, GenerationSettings
from engine.prior.model import CodePrior


KINDS = ("timbre", "continue")
CONTINUE_KEEP = 0.25  # share of the grid a "continue" variation keeps


def variation_seed(key: int, count: int) -> int:
    """The seed of key `key`'s (0-127) `count`-th variation: different for every key and count."""
    return count * 128 + key


def vary(grid: CodeGrid, prior: CodePrior, kind: str, settings: GenerationSettings, seed: int) -> CodeGrid:
    """One variation of `grid` of `kind` (one of KINDS, see the module docstring), as long as `grid`."""
    if kind == "timbre":
        if grid.levels < 2:
            raise CodeEditError(f"{grid.source} has a single level, so its timbre cannot be redrawn on its own; use continue")
        return reimagine(grid, prior, 0, grid.columns, list(range(1, grid.levels)), settings, seed)
    if kind == "continue":
        keep = max(1, round(grid.columns * CONTINUE_KEEP))
        if keep >= grid.columns:
            raise CodeEditError(f"{grid.source} is a single column, too short to continue")
        return reimagine(grid, prior, keep, grid.columns, None, settings, seed)
    raise CodeEditError(f"a variation is one of {', '.join(KINDS)}, not {kind!r}")


def reimagine(
    grid: CodeGrid, prior: CodePrior, start: int, end: int, levels: list[Level] | None, settings: GenerationSettings, seed: int
) -> CodeGrid:
    """`grid` with `levels` (default all) of columns [start, end) drawn anew by `prior` (see the module docstring)."""
    start, end = check_region(start, end, grid)
    chosen = resolve_levels(levels, grid.labels)
    codes = torch.from_numpy(grid.codes.copy())[None]  # [1, L, F]
    drawn = prior.resample(
        codes, start, end, list(chosen), temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
        generator=torch.Generator().manual_seed(seed),
    )[0]  # [L, F]
    blends = {cell: mix for cell, mix in grid.blends.items() if not (cell[0] in chosen and start <= cell[1] < end)}
    return grid.with_cells(drawn.numpy(), blends)


def check_continuation(grid: CodeGrid, seconds: float, from_column: int | None) -> int:
    """The column a continuation of `grid` starts after (`from_column`, default all), or CodeEditError when it
    or `seconds` is out of range."""
    from_column = grid.columns if from_column is None else from_column
    if isinstance(from_column, bool) or not isinstance(from_column, (int, np.integer)) or not 1 <= from_column <= grid.columns:
        raise CodeEditError(f"a continuation starts after column 1 to {grid.columns} of {grid.source}, not {from_column!r}")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_DURATION_S:
        raise CodeEditError(f"a continuation lasts more than 0 and at most {MAX_DURATION_S:g} seconds, not {seconds!r}")
    return int(from_column)


def continue_codes(grid: CodeGrid, prior: CodePrior, seconds: float, from_column: int | None, settings: GenerationSettings, seed: int) -> CodeGrid:
    """The first `from_column` columns of `grid` (default all), then `seconds` more drawn by `prior`."""
    from_column = check_continuation(grid, seconds, from_column)
    new_columns = max(1, round(seconds / grid.column_seconds))
    prompt = torch.from_numpy(grid.codes[:, :from_column].copy())[None]  # [1, L, from_column]
    drawn = prior.generate(
        new_columns, prompt=prompt, temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
        generator=torch.Generator().manual_seed(seed),
    )[0]  # [L, new_columns]
    codes = np.concatenate([grid.codes[:, :from_column], drawn.numpy()], axis=1)  # [L, from_column + new_columns]
    frames = codes.shape[1] * grid.downsample
    blends = {cell: mix for cell, mix in grid.blends.items() if cell[1] < from_column}
    return dataclasses.replace(
        grid, codes=codes, frames=frames, samples=(frames - 1) * grid.hop_length, blends=blends, source=f"{grid.source} (continued)"
    )
