"""The facts `/distill/model/info` reports about one model, as an aligned key/value panel."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

# (key, label) in the order shown; facts the engine adds later are shown after these, under their own key.
FACTS = (
    ("description", "description"),
    ("tags", "tags"),
    ("created", "created"),
    ("levels", "levels"),
    ("codebook_size", "codebook size"),
    ("codebook_dim", "codebook dim"),
    ("hidden", "hidden"),
    ("sample_rate", "sample rate"),
    ("dataset", "dataset"),
    ("files", "files"),
    ("duration_s", "duration"),
    ("epochs", "epochs"),
    ("best_val_l1", "best val L1"),
    ("health", "health"),
    ("has_prior", "prior"),
    ("prior_val_perplexity", "prior val ppl"),
    ("size_bytes", "size"),
)
LABELS = dict(FACTS)


def describe(key: str, value: object) -> str:
    """One fact as text: sizes in kB/MB, durations in seconds, times in UTC, the prior as yes/no, numbers to 4 digits."""
    if key == "size_bytes" and isinstance(value, (int, float)):
        return human_size(value)
    if key == "duration_s" and isinstance(value, (int, float)):
        return f"{value:.1f} s"
    if key == "sample_rate" and isinstance(value, int):
        return f"{value} Hz"
    if key == "created" and isinstance(value, str):
        return timestamp(value)
    if key in ("tags", "prior_val_perplexity") and isinstance(value, str):  # comma-joined lists
        return ", ".join(value.split(","))
    if key == "has_prior":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def timestamp(created: str) -> str:
    """An ISO 8601 timestamp as 'YYYY-MM-DD HH:MM UTC' (the text itself when it is no timestamp)."""
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return created
    if moment.tzinfo is None:  # the engine writes UTC; an older record may lack the offset
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def human_size(size: float) -> str:
    """A byte count as B, kB, MB or GB (one decimal above bytes)."""
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


class ModelDetails(Static):
    """Shows one model's facts (`show`), or a hint when there is none (`clear`)."""

    DEFAULT_CSS = """
    ModelDetails { padding: 0 1; }
    """

    def show(self, name: str, facts: dict[str, object], loaded: bool) -> None:
        """Display `facts` (key -> value, as reported) of model `name`; `loaded` marks the engine's model."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        title = Text(name, style="bold")
        if loaded:
            title.append("  (loaded)", style="green")
        shown = {key: value for key, value in facts.items() if value != ""}  # an empty description or tag list says nothing
        keys = [key for key, _ in FACTS if key in shown] + [key for key in shown if key not in LABELS]
        for key in keys:
            table.add_row(LABELS.get(key, key), describe(key, shown[key]))
        self.update(Group(title, Text(""), table))

    def clear(self, hint: str) -> None:
        """Show `hint` instead of a model."""
        self.update(Text(hint, style="dim"))

