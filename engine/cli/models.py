"""`distill models ...`: list, show, search, tag, describe, rename, delete, import and export the models in the library."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.options import show_help
from engine.errors import LibraryError
from engine.library import Library, ModelEntry
from engine.model_health import ModelHealth

EMPTY_LIBRARY = "No models yet. Train one with `distill train FOLDER --name NAME` or run `distill demo`."
_TABLE_HEADERS = ("NAME", "CODES", "FILES", "DURATION", "PRIOR", "HEALTH", "CREATED")
_RIGHT_ALIGNED = {2, 3}  # FILES, DURATION
_FIRST_FILES_SHOWN = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `models` command and its actions."""
    parser = subparsers.add_parser(
        "models", help="list, search and manage the models in the library", description=__doc__
    )
    parser.set_defaults(func=lambda args: show_help(parser))
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")

    action = actions.add_parser("list", help="list every model in the library")
    action.set_defaults(func=list_models)

    action = actions.add_parser("show", help="show everything about one model")
    action.add_argument("model", metavar="MODEL", help="a model's name in the library (any case), or a model file")
    action.set_defaults(func=show_model)

    action = actions.add_parser("search", help="find models by name, description, tags or training files")
    action.add_argument("words", nargs="+", metavar="WORD", help="words to find; each matches as a prefix")
    action.set_defaults(func=search_models)

    action = actions.add_parser("delete", help="delete a model from the library")
    action.add_argument("name", metavar="NAME")
    action.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    action.set_defaults(func=delete_model)

    action = actions.add_parser("rename", help="rename a model")
    action.add_argument("old", metavar="OLD")
    action.add_argument("new", metavar="NEW")
    action.set_defaults(func=rename_model)

    action = actions.add_parser("tag", help="add tags to a model (or remove them with --remove), to find it by them")
    action.add_argument("name", metavar="NAME")
    action.add_argument("tags", nargs="*", metavar="TAG", help="tags to add, such as drums or vinyl (none: show the model's tags)")
    action.add_argument("--remove", action="store_true", help="remove these tags instead")
    action.set_defaults(func=tag_model)

    action = actions.add_parser("describe", help="set the description of a model, to find it by its words")
    action.add_argument("name", metavar="NAME")
    action.add_argument("text", nargs="+", metavar="TEXT", help='the new description (quote it, or "" to clear it)')
    action.set_defaults(func=describe_model)

    action = actions.add_parser("import", help="copy a model file into the library")
    action.add_argument("file", metavar="FILE", help="a .sda model file")
    action.add_argument("--name", metavar="N", help="name in the library (default: the model's own name)")
    action.set_defaults(func=import_model)

    action = actions.add_parser("export", help="copy a model out of the library, to share it or keep it safe")
    action.add_argument("name", metavar="NAME")
    action.add_argument("file", metavar="FILE", help="destination file, or a folder to put NAME.sda in")
    action.set_defaults(func=export_model)


def list_models(args: argparse.Namespace) -> int:
    """`distill models list`: a table of every model, and a warning for each unreadable file."""
    library = Library()
    _warn_problems(library)
    entries = library.list()
    print("\n".join(format_table(entries)) if entries else EMPTY_LIBRARY)
    return 0


def search_models(args: argparse.Namespace) -> int:
    """`distill models search WORD...`: a table of the models matching every word."""
    query = " ".join(args.words)
    entries = Library().search(query)
    print("\n".join(format_table(entries)) if entries else f"No models match '{query}'.")
    return 0


def show_model(args: argparse.Namespace) -> int:
    """`distill models show MODEL`: everything the model file says about itself."""
    print("\n".join(format_details(Library().find(args.model))))
    return 0


def delete_model(args: argparse.Namespace) -> int:
    """`distill models delete NAME`: asks first on a terminal; elsewhere `--yes` is required."""
    library = Library()
    entry = library.get(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise LibraryError(f"not deleting '{entry.name}' without confirmation; add --yes to delete it")
        try:
            answer = input(f"Delete model '{entry.name}' ({entry.path})? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    library.delete(entry.name)
    print(f"Deleted '{entry.name}'.")
    return 0


def rename_model(args: argparse.Namespace) -> int:
    """`distill models rename OLD NEW`."""
    library = Library()
    old = library.get(args.old).name
    entry = library.rename(old, args.new)
    print(f"Renamed '{old}' to '{entry.name}'.")
    return 0


def tag_model(args: argparse.Namespace) -> int:
    """`distill models tag NAME [TAG...] [--remove]`: prints the model's tags afterwards."""
    library = Library()
    if not args.tags:
        entry = library.get(args.name)
    elif args.remove:
        entry = library.edit_tags(args.name, remove=args.tags)
    else:
        entry = library.edit_tags(args.name, add=args.tags)
    print(f"'{entry.name}' is tagged {', '.join(entry.tags)}." if entry.tags else f"'{entry.name}' has no tags.")
    return 0


def describe_model(args: argparse.Namespace) -> int:
    """`distill models describe NAME TEXT...`: the words of TEXT joined by spaces."""
    entry = Library().set_description(args.name, " ".join(args.text))
    print(f"'{entry.name}' is described as: {entry.description}" if entry.description else f"'{entry.name}' has no description now.")
    return 0


def import_model(args: argparse.Namespace) -> int:
    """`distill models import FILE [--name N]`."""
    entry = Library().import_file(args.file, name=args.name)
    print(f"Imported '{entry.name}' ({entry.path}).")
    return 0


def export_model(args: argparse.Namespace) -> int:
    """`distill models export NAME FILE`."""
    library = Library()
    name = library.get(args.name).name
    destination = library.export(name, args.file)
    print(f"Exported '{name}' to {destination}.")
    return 0


def format_table(entries: list[ModelEntry]) -> list[str]:
    """The lines of an aligned table with one model per row, under a header row."""
    rows = [_TABLE_HEADERS] + [
        (
            entry.name,
            f"{_or_dash(entry.levels)}x{_or_dash(entry.codebook_size)}",
            _or_dash(entry.file_count),
            format_duration(entry.duration_s),
            "yes" if entry.has_prior else "no",
            entry.health_summary or "-",
            entry.created[:10] or "-",
        )
        for entry in entries
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_TABLE_HEADERS))]
    return [
        "  ".join(
            cell.rjust(width) if column in _RIGHT_ALIGNED else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths))
        ).rstrip()
        for row in rows
    ]


def format_details(entry: ModelEntry) -> list[str]:
    """The lines of `distill models show`: summary, config, mel settings, dataset, training, health."""
    metadata = entry.metadata
    lines = [entry.name]
    lines += _aligned(
        [
            ("path", f"{entry.path} ({format_size(entry.size_bytes)})"),
            ("created", entry.created or "-"),
            ("description", entry.description or "-"),
            ("tags", ", ".join(entry.tags) or "-"),
            ("prior", "yes" if entry.has_prior else "no"),
        ]
    )
    for title, key in (("Config", "config"), ("Mel", "mel")):
        section = metadata.get(key)
        if isinstance(section, dict) and section:
            lines += ["", title, *_aligned([(name, _value(value)) for name, value in section.items()])]
    lines += ["", "Dataset", *_aligned(_dataset_rows(entry))]
    lines += ["", "Training", *_aligned(_training_rows(metadata.get("training")))]
    lines += ["", "Health", *_health_lines(metadata)]
    return lines


def format_duration(seconds: float | None) -> str:
    """`31.5s`, `2m05s` or `1h02m`; `-` when unknown."""
    if seconds is None:
        return "-"
    if round(seconds, 1) < 60:
        return f"{seconds:.1f}s"
    minutes, whole_seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{whole_seconds:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def format_size(size_bytes: int) -> str:
    """A file size in B, KB, MB or GB (powers of 1024)."""
    size = float(size_bytes)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _dataset_rows(entry: ModelEntry) -> list[tuple[str, str]]:
    dataset = entry.metadata.get("dataset")
    dataset = dataset if isinstance(dataset, dict) else {}
    files = [name for name in dataset.get("files") or [] if isinstance(name, str)]
    count = entry.file_count if entry.file_count is not None else len(files)
    rows = [
        ("folder", str(dataset.get("folder") or "-")),
        ("files", f"{count} ({format_duration(entry.duration_s)} in all)"),
    ]
    if files:
        shown = ", ".join(files[:_FIRST_FILES_SHOWN])
        more = len(files) - _FIRST_FILES_SHOWN
        rows.append(("first files", f"{shown}, and {more} more" if more > 0 else shown))
    return rows


def _training_rows(training: object) -> list[tuple[str, str]]:
    if not isinstance(training, dict) or not training:
        return [("trained", "no record")]
    # Every plain value the trainer recorded (its keys vary between versions), then the last epoch.
    rows = []
    for key, value in training.items():
        if key == "seconds" and _is_number(value):
            rows.append(("time", format_duration(value)))
        elif value is not None and not isinstance(value, (dict, list)):
            rows.append((key.replace("_", " "), _value(value)))
    history = training.get("history")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        last = history[-1]
        rows.append(
            (
                "last epoch",
                f"{_value(last.get('epoch', '-'))}: train loss {_value(last.get('train_loss', '-'))},"
                f" val loss {_value(last.get('val_loss', '-'))}",
            )
        )
    return rows


def _health_lines(metadata: dict) -> list[str]:
    levels = ModelHealth.from_metadata(metadata).levels
    if not levels:
        return ["  no health report"]
    rows = [
        (
            f"level {level.level}", level.label, level.status, f"utilisation {level.utilisation:.0%}",
            f"perplexity {_value(level.perplexity)}", f"dead codes {level.dead}",
        )
        for level in levels
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _aligned(rows: list[tuple[str, str]]) -> list[str]:
    """`key  value` lines, indented, with the values lined up."""
    width = max((len(key) for key, _ in rows), default=0)
    return [f"  {key.ljust(width)}  {value}" for key, value in rows]


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def _warn_problems(library: Library) -> None:
    for reason in library.problems().values():
        print(f"warning: {reason}", file=sys.stderr)
