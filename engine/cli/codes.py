"""Show and edit code grids: the codes a model turned a sound into (`distill encode`), one row per level.

Edits change the grid file in place (blend and continue write a new one) and remember what they did in the
file, so `distill codes undo FILE` works at any later time. Levels are given by number or name
(`--level timbre`); columns by number or, ending in `s`, by time (`--start 0.5s` is the column edge nearest
0.5 s). `distill decode` turns a grid back into sound.
"""

# `distill encode`, `decode`, `preview` and `codes show|set|swap|copy|blend|reimagine|continue|undo|redo`.
# Edits go through `engine.codes.slots.Slots`, the same calls the resident engine makes.

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.options import add_device_option

if TYPE_CHECKING:  # imported lazily at run time, so `distill --help` stays fast
    from engine.codes.grid import CodeGrid
    from engine.codes.slots import Slots
    from engine.model.persist import LoadedModel

DEFAULT_SHOW_WIDTH = 100  # characters, when the terminal's width is unknown


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `encode`, `decode`, `preview` and `codes`."""
    p = subparsers.add_parser("encode", help="turn a sound into a grid of codes you can edit")
    p.add_argument("model", metavar="MODEL", help="a model's name in the library, or a model file")
    p.add_argument("input", metavar="SOUND", type=Path, help="a sound file (wav, flac, ogg, mp3, aiff)")
    p.add_argument("--out", type=Path, metavar="FILE", help="code grid file to write (default: the sound's name with .json, in the outputs folder)")
    add_device_option(p, "the model")
    p.set_defaults(func=run_encode)

    p = subparsers.add_parser("decode", help="turn a code grid back into a sound")
    p.add_argument("model", metavar="MODEL", help="the model that made the codes: its name in the library, or a model file")
    p.add_argument("codes", metavar="CODES", type=Path, help="code grid file")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="sound file to write (.wav, .flac, .ogg, .mp3, .aiff)")
    add_device_option(p, "the model and the inversion")
    p.set_defaults(func=run_decode)

    p = subparsers.add_parser("preview", help="hear one code on its own: write a short clip of it")
    p.add_argument("model", metavar="MODEL", help="a model's name in the library, or a model file")
    p.add_argument("--level", required=True, help="level number or name (structure, timbre, detail, ...)")
    p.add_argument("--index", type=int, required=True, metavar="CODE", help="which code of that level (from 0)")
    p.add_argument("--seconds", type=float, default=1.0, metavar="S", help="clip length (default 1)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="sound file to write")
    p.set_defaults(func=run_preview)

    codes = subparsers.add_parser("codes", help="show and edit code grids: swap, copy, blend, redraw; undo and redo", description=__doc__)
    codes.set_defaults(func=lambda args: codes.print_help() or 2)
    actions = codes.add_subparsers(dest="codes_command", metavar="ACTION")

    a = actions.add_parser("show", help="print a grid with its level names and a time line")
    a.add_argument("file", metavar="FILE", type=Path)
    a.add_argument("--width", type=int, help="characters per line (default: the terminal's width)")
    a.set_defaults(func=run_show)

    a = actions.add_parser("set", help="set one cell")
    a.add_argument("file", metavar="FILE", type=Path)
    a.add_argument("--level", required=True, help="level number or name")
    a.add_argument("--frame", "--column", dest="column", type=int, required=True, help="column (position in time, from 0)")
    a.add_argument("--index", type=int, required=True, metavar="CODE", help="the code to put there (from 0)")
    a.set_defaults(func=run_set)

    a = actions.add_parser("swap", help="exchange a region between two grids (both files change)")
    _two_grids(a, "A", "B")
    _region_arguments(a, required=True)
    a.set_defaults(func=run_swap)

    a = actions.add_parser("copy", help="copy a region of SOURCE into TARGET (TARGET changes)")
    _two_grids(a, "SOURCE", "TARGET")
    _region_arguments(a, required=True)
    a.add_argument("--at", help="first TARGET column to write (default: --start)")
    a.set_defaults(func=run_copy)

    a = actions.add_parser("blend", help="move A's sound part of the way towards B's, into a new file")
    _two_grids(a, "A", "B")
    a.add_argument("--weight", type=float, required=True, help="0 keeps A, 1 gives B, 0.5 is halfway")
    _region_arguments(a, required=False)
    a.add_argument("--out", type=Path, required=True, help="grid file to write (A's history plus this blend)")
    a.add_argument("--model", help="the model that made the grids (default: found in the library)")
    a.set_defaults(func=run_blend)

    a = actions.add_parser("reimagine", help="let the model redraw a region or some levels (same rhythm, new colour: --levels timbre detail)")
    a.add_argument("file", metavar="FILE", type=Path)
    _region_arguments(a, required=True)
    _drawing_arguments(a)
    a.set_defaults(func=run_reimagine)

    a = actions.add_parser("continue", help="let the model carry on from a grid, into a new file")
    a.add_argument("file", metavar="FILE", type=Path)
    a.add_argument("--seconds", type=float, required=True, help="how much to add")
    a.add_argument("--from", dest="from_column", help="continue after this column or time (default: the end)")
    a.add_argument("--out", type=Path, required=True, help="grid file to write (a new grid, without FILE's history)")
    _drawing_arguments(a)
    a.set_defaults(func=run_continue)

    for name, verb in (("undo", "undo the last edit"), ("redo", "redo the last undone edit")):
        a = actions.add_parser(name, help=f"{verb} of a grid file")
        a.add_argument("file", metavar="FILE", type=Path)
        a.set_defaults(func=run_undo_redo)


def _two_grids(parser: argparse.ArgumentParser, first: str, second: str) -> None:
    """Two positional grid files."""
    parser.add_argument("first", metavar=first, type=Path, help="code grid file")
    parser.add_argument("second", metavar=second, type=Path, help="code grid file")


def _region_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    """--start, --end and --levels."""
    default = "" if required else " (default: the columns both grids have)"
    parser.add_argument("--start", required=required, help=f"first column, or a time like 0.5s{default}")
    parser.add_argument("--end", required=required, help=f"column after the last one, or a time{default}")
    parser.add_argument("--levels", nargs="+", metavar="LEVEL", help="only these levels (numbers or names; default all)")


def _drawing_arguments(parser: argparse.ArgumentParser) -> None:
    """How the prior draws: the model, a seed and the sampling settings."""
    parser.add_argument("--model", help="the model that made the grid (default: found in the library)")
    parser.add_argument("--seed", type=int, help="random seed (default: a random one, printed); same seed, same result")
    parser.add_argument("--temperature", type=float, default=1.0, help="0 is the most likely codes, higher is wilder (default 1)")
    parser.add_argument("--top-k", type=int, default=0, help="draw only from the k most likely codes (default 0: off)")
    parser.add_argument("--top-p", type=float, default=1.0, help="draw only from the most likely codes holding this share (default 1: off)")


# -- encode / decode / preview -------------------------------------------------------------------------


def run_encode(args: argparse.Namespace) -> int:
    """Encode a sound file and write its grid (by default `<sound>.json` in the outputs folder, never over a file)."""
    from engine.codes.codec import encode_file
    from engine.codes.grid import save_codes
    from engine.paths import free_path, outputs_dir, safe_stem

    loaded = _load_model(args.model, args.device)
    grid = encode_file(loaded, args.input)
    out = args.out or free_path(outputs_dir() / f"{safe_stem(args.input.stem)}.json")
    save_codes(out, grid)
    print(
        f"encoded {grid.source} with model '{loaded.name}': {grid.levels} levels ({', '.join(grid.labels)}) x "
        f"{grid.columns} columns of {grid.column_seconds * 1000:.1f} ms ({grid.duration:.2f} s) -> {out}"
    )
    return 0


def run_decode(args: argparse.Namespace) -> int:
    """Decode a grid file to audio and say how long the decode took."""
    import time

    from engine.audio.io import write_audio
    from engine.codes.codec import decode_wave
    from engine.codes.grid import load_codes

    loaded = _load_model(args.model, args.device)
    grid = load_codes(args.codes).grid
    started = time.perf_counter()
    wave = decode_wave(loaded, grid)
    seconds = time.perf_counter() - started
    write_audio(args.out, wave, grid.sample_rate)
    print(
        f"decoded {grid.duration:.2f} s of audio in {seconds:.2f} s "
        f"({seconds / grid.duration:.3f} s per second of audio) -> {args.out}"
    )
    return 0


def run_preview(args: argparse.Namespace) -> int:
    """Write the preview clip of one codebook entry."""
    from engine.audio.io import write_audio
    from engine.codes.codec import preview_wave
    from engine.codes.grid import resolve_level

    loaded = _load_model(args.model)
    wave = preview_wave(loaded, args.level, args.index, args.seconds)
    write_audio(args.out, wave, loaded.mel.sample_rate)
    label = loaded.model.cfg.labels[resolve_level(args.level, loaded.model.cfg.labels)]
    print(f"wrote {args.out}: {len(wave) / loaded.mel.sample_rate:.2f} s of {label} code {args.index} of model '{loaded.name}'")
    return 0


def _load_model(name_or_path: str, device: str = "cpu") -> LoadedModel:
    """The model meant by a library name or a file path, on `device` (auto, cpu or cuda)."""
    from engine.device import resolve_device
    from engine.library import Library
    from engine.model.persist import load_vqvae

    return load_vqvae(Library().resolve(name_or_path), device=resolve_device(device))


# -- codes ... -----------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    """Print a grid file: a summary line, its history and the grid in pages."""
    from engine.codes.grid import load_codes

    saved = load_codes(args.file)
    grid = saved.grid
    width = args.width or shutil.get_terminal_size((DEFAULT_SHOW_WIDTH, 24)).columns
    print(
        f"{args.file}: {grid.source}, {grid.levels} levels x {grid.columns} columns of {grid.column_seconds * 1000:.1f} ms "
        f"({grid.duration:.2f} s), model '{grid.model_name}' ({grid.model_id})"
    )
    if saved.undo or saved.redo:
        last = f" (last: {saved.undo[-1].description})" if saved.undo else ""
        print(f"history: {len(saved.undo)} edit(s) to undo{last}, {len(saved.redo)} to redo")
    if grid.blends:
        print(f"~ marks a blended cell ({len(grid.blends)}); it shows the code nearest to its blended vector")
    print()
    print("\n".join(grid_lines(grid, width)))
    return 0


def grid_lines(grid: CodeGrid, width: int) -> list[str]:
    """The grid as text pages of at most `width` characters: column and time axes, then one row per level.

    A cell is its code right-aligned, followed by '~' when blended. Axis labels sit at every `step`-th
    column, `step` being the smallest of 1, 2, 5, 10, 20, 50, ... that leaves room for the widest label.
    """
    cell = len(str(grid.codebook_size - 1)) + 2  # a space, the digits, the blend mark
    margin = max(len(label) for label in (*grid.labels, "time (s)")) + 1
    widest = max(len(str(grid.columns - 1)), len(f"{grid.time_of(grid.columns - 1):.2f}")) + 1
    step = next(s for s in _steps() if s * cell >= widest)
    per_page = max(1, (width - margin) // (step * cell)) * step  # a multiple of step: pages start on a tick
    lines: list[str] = []
    for first in range(0, grid.columns, per_page):
        shown = range(first, min(first + per_page, grid.columns))
        if lines:
            lines.append("")
        ticks = shown[::step]
        lines.append("column".ljust(margin) + "".join(f" {c}".ljust(step * cell) for c in ticks).rstrip())
        lines.append("time (s)".ljust(margin) + "".join(f" {grid.time_of(c):.2f}".ljust(step * cell) for c in ticks).rstrip())
        for level, label in enumerate(grid.labels):
            cells = "".join(f"{grid.codes[level, c]:>{cell - 1}}{'~' if (level, c) in grid.blends else ' '}" for c in shown)
            lines.append(label.ljust(margin) + cells.rstrip())
    return lines


def _steps():
    """1, 2, 5, 10, 20, 50, ..."""
    scale = 1
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


def run_set(args: argparse.Namespace) -> int:
    """Set one cell of a grid file."""
    slots, name = _open(args.file)
    slots.set_cell(name, args.level, args.column, args.index)
    return _save_and_report(slots, name, args.file)


def run_swap(args: argparse.Namespace) -> int:
    """Exchange a region between two grid files."""
    slots, a = _open(args.first)
    b = _load_into(slots, args.second, a)
    grid = slots.grid(a)
    slots.swap(a, b, _column(args.start, grid), _column(args.end, grid), args.levels)
    _save_and_report(slots, a, args.first)
    return _save_and_report(slots, b, args.second)


def run_copy(args: argparse.Namespace) -> int:
    """Copy a region of one grid file into another."""
    slots, source = _open(args.first)
    target = _load_into(slots, args.second, source)
    grid = slots.grid(source)
    at = None if args.at is None else _column(args.at, slots.grid(target))
    slots.copy(source, target, _column(args.start, grid), _column(args.end, grid), at, args.levels)
    return _save_and_report(slots, target, args.second)


def run_blend(args: argparse.Namespace) -> int:
    """Blend grid A towards grid B and write the result (with A's history plus the blend) to --out."""
    from engine.codes.codec import codebooks_for

    slots, a = _open(args.first)
    b = _load_into(slots, args.second, a)
    grid = slots.grid(a)
    loaded = _load_model(args.model) if args.model else _model_of(grid)
    start = None if args.start is None else _column(args.start, grid)
    end = None if args.end is None else _column(args.end, grid)
    slots.blend(a, b, args.weight, codebooks_for(loaded, grid), start, end, args.levels)
    return _save_and_report(slots, a, args.out)


def run_reimagine(args: argparse.Namespace) -> int:
    """Redraw a region (or some of its levels) of a grid file with the prior, as one undoable edit."""
    slots, name = _open(args.file)
    grid = slots.grid(name)
    loaded, prior, settings, seed = _drawing(args, grid)
    start, end = _column(args.start, grid), _column(args.end, grid)
    slots.reimagine(name, prior, start, end, args.levels, settings, seed)
    _save_and_report(slots, name, args.file)
    _report_copy(loaded, slots.grid(name), f"columns {start}-{end - 1} redrawn")
    return 0


def run_continue(args: argparse.Namespace) -> int:
    """Write a new grid file that goes on from FILE (from its end or an earlier column) for --seconds more."""
    from engine.codes.grid import load_codes, save_codes
    from engine.codes.variations import continue_codes

    grid = load_codes(args.file).grid
    loaded, prior, settings, seed = _drawing(args, grid)
    from_column = grid.columns if args.from_column is None else _column(args.from_column, grid)
    new = continue_codes(grid, prior, args.seconds, from_column, settings, seed)
    save_codes(args.out, new)
    print(f"continued {grid.source} after column {from_column} for {args.seconds:g} s: {new.columns} columns ({new.duration:.2f} s) -> {args.out}")
    _report_copy(loaded, new, f"the first {from_column} are the prompt")
    return 0


def _report_copy(loaded: LoadedModel, grid: CodeGrid, drawn: str) -> None:
    """Print the longest verbatim copy of a training file in `grid` (memorisation), or why it cannot be checked."""
    from engine.codes.copies import TrainingCodes
    from engine.errors import DistillError

    try:
        copy = TrainingCodes.of(loaded).longest_copy(grid.codes)
    except DistillError as error:
        print(f"note: {error}")
        return
    print(f"{copy.describe(grid.column_seconds)}; the grid has {grid.columns} columns, {drawn}")


def _drawing(args: argparse.Namespace, grid: CodeGrid):
    """(model, prior, settings, seed) for a reimagine or continue; the seed is random (and printed) unless given."""
    import secrets

    from engine.generation.settings import GenerationSettings
    from engine.prior.bundle import load_prior

    loaded = _load_model(args.model) if args.model else _model_of(grid)
    settings = GenerationSettings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    settings.check_for(grid.codebook_size)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    if args.seed is None:
        print(f"seed {seed}")
    return loaded, load_prior(loaded), settings, seed


def run_undo_redo(args: argparse.Namespace) -> int:
    """Undo or redo the last edit of a grid file."""
    slots, name = _open(args.file)
    undo, redo = slots.edit_history(name)
    if args.codes_command == "undo":
        slots.undo(name)  # raises when there is nothing to undo, before undo[-1] is read
        done = undo[-1]
    else:
        slots.redo(name)
        done = redo[0]
    slots.save(name, args.file)
    undo, redo = slots.edit_history(name)
    print(f"{args.codes_command}: {done}; {len(undo)} edit(s) to undo, {len(redo)} to redo -> {args.file}")
    return 0


def _open(path: Path) -> tuple[Slots, str]:
    """A fresh `Slots` holding the grid file at `path` under the slot name `str(path)`."""
    from engine.codes.slots import Slots

    slots = Slots()
    slots.load(str(path), path)
    return slots, str(path)


def _load_into(slots: Slots, path: Path, first: str) -> str:
    """Load a second grid file into `slots`; the same file twice is refused."""
    from engine.codes.errors import CodeEditError

    if Path(first).resolve() == path.resolve():
        raise CodeEditError(f"'{path}' was given twice; name two different grid files")
    slots.load(str(path), path)
    return str(path)


def _save_and_report(slots: Slots, name: str, path: Path) -> int:
    """Write slot `name` to `path` and print its last edit."""
    slots.save(name, path)
    undo, _ = slots.edit_history(name)
    print(f"{undo[-1] if undo else 'nothing changed'} -> {path}")
    return 0


def _column(text: str, grid: CodeGrid) -> int:
    """A column given as an index ('12') or a time ('0.5s')."""
    from engine.codes.errors import CodeEditError

    try:
        return grid.column_at(float(text[:-1])) if text.endswith("s") else int(text)
    except ValueError:
        raise CodeEditError(f"'{text}' is neither a column number nor a time like 0.5s") from None


def _model_of(grid: CodeGrid) -> LoadedModel:
    """The library model that made `grid`, found by its id."""
    from engine.errors import LibraryError
    from engine.library import Library
    from engine.model.persist import load_vqvae

    for entry in Library().list():
        if entry.metadata.get("model_id") == grid.model_id:
            return load_vqvae(entry.path)
    raise LibraryError(
        f"no model in the library has id {grid.model_id} (model '{grid.model_name}' made {grid.source}); "
        "name it with --model NAME_OR_FILE"
    )
