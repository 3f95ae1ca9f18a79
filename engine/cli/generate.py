"""`distill generate`, `distill presets ...` and `distill history ...`: new sounds from a model's prior.

Settings of `generate` come from the defaults, then the `--preset`, then the flags given; the seed defaults
to a random one, shown in every file name and kept in the history.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from engine.cli.options import add_device_option
from engine.generation.settings import BIT_DEPTHS, FORMATS, MAX_DURATION_S, GenerationSettings, format_of

# GenerationSettings field -> the flag that sets it (shared by `generate` and `presets save`)
_SOUND_FLAGS = {
    "duration_s": "--duration",
    "temperature": "--temperature",
    "top_k": "--top-k",
    "top_p": "--top-p",
    "stereo_width": "--stereo-width",
    "one_shot": "--one-shot",
}
_DEFAULTS = GenerationSettings()
_HISTORY_LIMIT = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `generate`, `presets` and `history`."""
    p = subparsers.add_parser("generate", help="make new sounds with a model (after `distill train-prior`)")
    p.add_argument("model", metavar="MODEL", help="a model's name in the library, or a model file; it must have learned to generate (`distill train-prior`)")
    _add_sound_options(p)
    p.add_argument("--preset", metavar="NAME", help="start from a saved preset; flags given override it")
    p.add_argument("--seed", type=int, help="first random seed (default: a random one); same seed, same sound")
    p.add_argument("--count", type=int, default=1, metavar="N", help="how many sounds, with seeds SEED, SEED+1, ... (default 1)")
    p.add_argument("--out", type=Path, metavar="PATH|DIR", help="output folder (default: the outputs folder) or file")
    p.add_argument("--format", choices=FORMATS, help="file format (default: the --out file's extension, else wav)")
    p.add_argument("--sample-rate", type=int, metavar="R", help="sample rate in Hz (default: the model's)")
    p.add_argument("--bit-depth", type=int, choices=BIT_DEPTHS, default=16, help="16, 24 or 32 (float) bits (default 16)")
    add_device_option(p, "generation")
    p.set_defaults(func=run_generate)

    presets = subparsers.add_parser("presets", help="named generation settings")
    presets.set_defaults(func=lambda args: presets.print_help() or 2)
    actions = presets.add_subparsers(dest="presets_command", metavar="ACTION")
    action = actions.add_parser("list", help="list the presets")
    action.set_defaults(func=list_presets)
    action = actions.add_parser("save", help="save settings under a name (replaces a preset of that name)")
    action.add_argument("name", metavar="NAME")
    _add_sound_options(action)
    action.set_defaults(func=save_preset)
    action = actions.add_parser("show", help="show one preset")
    action.add_argument("name", metavar="NAME")
    action.set_defaults(func=show_preset)
    action = actions.add_parser("delete", help="delete a preset")
    action.add_argument("name", metavar="NAME")
    action.set_defaults(func=delete_preset)

    history = subparsers.add_parser("history", help="every sound generated, and how to make it again")
    history.set_defaults(func=lambda args: history.print_help() or 2)
    actions = history.add_subparsers(dest="history_command", metavar="ACTION")
    action = actions.add_parser("list", help="the latest generations, newest first")
    action.add_argument("--limit", type=_positive_int, default=_HISTORY_LIMIT, help=f"how many (default {_HISTORY_LIMIT})")
    action.set_defaults(func=list_history)
    action = actions.add_parser("show", help="everything about one generation")
    action.add_argument("id", type=int, metavar="ID")
    action.set_defaults(func=show_history)
    action = actions.add_parser("regenerate", help="make a generation's sound again, sample for sample")
    action.add_argument("id", type=int, metavar="ID")
    action.add_argument("--out", type=Path, metavar="PATH|DIR", help="output folder (default: the outputs folder) or file")
    action.set_defaults(func=regenerate_history)


def _add_sound_options(parser: argparse.ArgumentParser) -> None:
    """The flags of the GenerationSettings fields; None when not given, so presets and defaults show through."""
    parser.add_argument(_SOUND_FLAGS["duration_s"], type=float, metavar="S", help=f"seconds (default {_DEFAULTS.duration_s:g})")
    parser.add_argument(_SOUND_FLAGS["temperature"], type=float, metavar="T", help="randomness: 0 always takes the likeliest code, higher is wilder (default 1.0)")
    parser.add_argument(_SOUND_FLAGS["top_k"], type=int, metavar="K", help="choose only among the K likeliest codes; 0 = no limit (default 0)")
    parser.add_argument(_SOUND_FLAGS["top_p"], type=float, metavar="P", help="choose only among the likeliest codes that together make up P of the chance; 1 = no limit (default 1.0)")
    parser.add_argument(_SOUND_FLAGS["stereo_width"], type=float, metavar="W", help="write a stereo file of width 0 (the same in both channels) to 1 (widest); default: a mono file")
    parser.add_argument(
        _SOUND_FLAGS["one_shot"], action="store_const", const=True,
        help=f"one sound of natural length: the model ends it where it learnt that your sounds end (--duration is then the cap, at most {MAX_DURATION_S:g} s)",
    )


def _settings(args: argparse.Namespace, base: GenerationSettings) -> GenerationSettings:
    """`base` with the sound flags that were given."""
    given = {field: getattr(args, flag[2:].replace("-", "_")) for field, flag in _SOUND_FLAGS.items()}
    return GenerationSettings.from_dict({**base.to_dict(), **{k: v for k, v in given.items() if v is not None}})


def run_generate(args: argparse.Namespace) -> int:
    """Generate, write, record; print one path per file."""
    from engine.generation.files import generate_files
    from engine.generation.settings import ExportSettings
    from engine.store import Presets

    base = Presets().get(args.preset).settings if args.preset else _DEFAULTS
    settings = _settings(args, base)
    export = ExportSettings(format=args.format or format_of(args.out), sample_rate=args.sample_rate, bit_depth=args.bit_depth)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    records = generate_files(args.model, settings, export, seed=seed, count=args.count, out=args.out, device=args.device)
    for record in records:
        print(record.path)
    return 0


def list_presets(args: argparse.Namespace) -> int:
    """`distill presets list`."""
    from engine.store import Presets

    presets = Presets().list()
    if not presets:
        print("No presets yet. Save one with `distill presets save NAME --temperature T ...`.")
        return 0
    rows = [(preset.name, *_settings_cells(preset.settings)) for preset in presets]
    print("\n".join(_table(("NAME", "SECONDS", "TEMP", "TOP-K", "TOP-P", "WIDTH"), rows)))
    return 0


def save_preset(args: argparse.Namespace) -> int:
    """`distill presets save NAME [flags]`: the defaults with the flags given."""
    from engine.store import Presets

    preset, replaced = Presets().save(args.name, _settings(args, _DEFAULTS))
    print(f"{'Replaced' if replaced else 'Saved'} preset '{preset.name}': {_describe(preset.settings)}.")
    return 0


def show_preset(args: argparse.Namespace) -> int:
    """`distill presets show NAME`."""
    from engine.store import Presets

    preset = Presets().get(args.name)
    print(preset.name)
    print("\n".join(_aligned([*_settings_rows(preset.settings), ("updated", preset.updated)])))
    return 0


def delete_preset(args: argparse.Namespace) -> int:
    """`distill presets delete NAME`."""
    from engine.store import Presets

    Presets().delete(args.name)
    print(f"Deleted preset '{args.name}'.")
    return 0


def list_history(args: argparse.Namespace) -> int:
    """`distill history list [--limit N]`."""
    from engine.store import History

    records = History().list(args.limit)
    if not records:
        print("Nothing generated yet. Try `distill generate MODEL`.")
        return 0
    rows = [
        (str(r.id), r.created[:16].replace("T", " "), r.model_name, str(r.seed), *_settings_cells(r.settings), str(r.path))
        for r in records
    ]
    print("\n".join(_table(("ID", "CREATED (UTC)", "MODEL", "SEED", "SECONDS", "TEMP", "TOP-K", "TOP-P", "WIDTH", "FILE"), rows)))
    return 0


def show_history(args: argparse.Namespace) -> int:
    """`distill history show ID`."""
    from engine.store import History

    r = History().get(args.id)
    exists = "" if r.path.exists() else " (missing)"
    print(f"generation #{r.id}")
    print("\n".join(_aligned([
        ("created", r.created),
        ("model", f"{r.model_name} ({r.model_path})"),
        ("model id", r.model_id),
        ("prior id", r.prior_id),
        ("seed", str(r.seed)),
        ("threads", str(r.threads)),
        *_settings_rows(r.settings),
        ("format", f"{r.export.format}, {r.export.sample_rate} Hz, {r.export.bit_depth}-bit"),
        ("file", f"{r.path}{exists}"),
    ])))
    return 0


def regenerate_history(args: argparse.Namespace) -> int:
    """`distill history regenerate ID [--out PATH|DIR]`: print the new file's path."""
    import sys

    from engine.generation.files import regenerate
    from engine.outputs import gone_note
    from engine.store import History

    note = gone_note(History().get(args.id))
    if note is not None:
        print(f"note: {note}", file=sys.stderr)
    print(regenerate(args.id, out=args.out).path)
    return 0


def _positive_int(text: str) -> int:
    """argparse type: a whole number of 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _settings_cells(settings: GenerationSettings) -> tuple[str, ...]:
    """Seconds, temperature, top-k, top-p, width as table cells."""
    width = "mono" if settings.stereo_width is None else f"{settings.stereo_width:g}"
    return f"{settings.duration_s:g}", f"{settings.temperature:g}", str(settings.top_k), f"{settings.top_p:g}", width


def _settings_rows(settings: GenerationSettings) -> list[tuple[str, str]]:
    """(label, value) rows of the settings, with what "off" means spelled out."""
    seconds, temperature, top_k, top_p, width = _settings_cells(settings)
    return [
        ("duration", f"{seconds} s"),
        ("temperature", temperature + (" (greedy)" if settings.temperature == 0 else "")),
        ("top-k", top_k + (" (off)" if settings.top_k == 0 else "")),
        ("top-p", top_p + (" (off)" if settings.top_p == 1 else "")),
        ("stereo width", width),
        *([("one-shot", f"yes (ends by itself, at most {seconds} s)")] if settings.one_shot else []),
    ]


def _describe(settings: GenerationSettings) -> str:
    """One line: 'duration 4 s, temperature 0.8, ...'."""
    return ", ".join(f"{label} {value}" for label, value in _settings_rows(settings))


def _aligned(rows: list[tuple[str, str]]) -> list[str]:
    """Indented 'label   value' lines."""
    width = max(len(label) for label, _ in rows)
    return [f"  {label.ljust(width)}  {value}" for label, value in rows]


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns under a header row."""
    table = [headers, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
