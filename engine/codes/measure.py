"""How abruptly the spectrum changes at the edges of an edited region (the CODE-06 measurement).

The boundary step of a decoded log-mel [M, T] at a region edge (a column boundary c, frame f = c *
downsample) is the mean over the mel bins of |mean of the column before f - mean of the column after f|:
how far the spectrum moves across the edge, with frame-to-frame ripple averaged out within each column.
A region's step is the mean over its inner edges (start if > 0, end if < columns). It is measured on the
model's decoded log-mel, before Griffin-Lim, so it describes the codes and the decoder, not the phase
reconstruction.

    python -m engine.codes.measure MODEL SOUND [SOUND ...]

puts the middle third of every other sound into every sound (every ordered pair; the middle third of the
shorter grid, all levels) by a hard swap and by blends at 0.25, 0.5 and 0.75, and prints the mean step of
each, the untouched sounds' own step at the same edges for reference, and how often blend 0.5 is smoother.
"""

from __future__ import annotations

import argparse
import itertools

import torch
from torch import Tensor

from engine.codes import codec, ops
from engine.codes.grid import CodeGrid
from engine.model.persist import LoadedModel

BLEND_WEIGHTS = (0.25, 0.5, 0.75)
MIN_COLUMNS = 6  # a pair is measured only if both grids have this many columns (~0.28 s)


def boundary_step(log_mel: Tensor, grid: CodeGrid, start: int, end: int) -> float:
    """Mean step of a decoded log-mel [M, T] across the inner edges of region [start, end) of `grid`."""
    width = grid.downsample
    edges = [column * width for column in (start, end) if 0 < column < grid.columns]
    if not edges:
        raise ValueError(f"region [{start}, {end}) has no inner edge in a grid of {grid.columns} columns")
    steps = [(log_mel[:, f - width : f].mean(dim=1) - log_mel[:, f : f + width].mean(dim=1)).abs().mean() for f in edges]
    return float(torch.stack(steps).mean())


def measure_edit(loaded: LoadedModel, a: CodeGrid, b: CodeGrid, start: int, end: int, weights=BLEND_WEIGHTS) -> dict[str, float]:
    """Boundary step of `a` untouched ("original"), with [start, end) from `b` ("swap"), and blended ("blend W")."""
    books = codec.codebooks_for(loaded, a)
    edits = {"original": a, "swap": ops.copy_region(b, a, start, end)}
    edits.update({f"blend {w:g}": ops.blend(a, b, w, books, start, end) for w in weights})
    return {name: boundary_step(codec.decode_mel(loaded, grid), grid, start, end) for name, grid in edits.items()}


def middle_third(a: CodeGrid, b: CodeGrid) -> tuple[int, int] | None:
    """The region measured for a pair: the middle third of the shorter grid (None if it is too short)."""
    columns = min(a.columns, b.columns)
    return (columns // 3, 2 * columns // 3) if columns >= MIN_COLUMNS else None


def measure_pairs(loaded: LoadedModel, grids: list[CodeGrid]) -> list[dict[str, float]]:
    """`measure_edit` over the middle third of every ordered pair of grids that is long enough."""
    return [measure_edit(loaded, a, b, *middle_third(a, b)) for a, b in itertools.permutations(grids, 2) if middle_third(a, b)]


def main(argv: list[str] | None = None) -> int:
    """Print the mean boundary step of each kind of edit over every ordered pair of the given sounds."""
    from engine.library import Library
    from engine.model.persist import load_vqvae

    parser = argparse.ArgumentParser(prog="python -m engine.codes.measure", description=__doc__.splitlines()[0])
    parser.add_argument("model", help="library name or model file path")
    parser.add_argument("sounds", nargs="+", help="sound files")
    args = parser.parse_args(argv)
    loaded = load_vqvae(Library().resolve(args.model))
    results = measure_pairs(loaded, [codec.encode_file(loaded, path) for path in args.sounds])
    if not results:
        parser.error(f"no pair of sounds is long enough ({MIN_COLUMNS} columns)")
    means = {name: sum(r[name] for r in results) / len(results) for name in results[0]}
    print(f"model '{loaded.name}', {len(results)} ordered pairs: mean boundary step (log-mel, mean over bins)")
    for name, value in means.items():
        print(f"  {name:<11} {value:.3f}  {'#' * round(40 * value / max(means.values()))}")
    smoother = sum(r["blend 0.5"] < r["swap"] for r in results)
    print(f"blend 0.5 steps less than the hard swap in {smoother} of {len(results)} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
