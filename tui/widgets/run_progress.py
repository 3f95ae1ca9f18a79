"""The live view of one training run: a status (wrapped, never cut off), a line of the epoch's further
losses (only shown while there are some), a progress bar, an optional loss curve, a table with a row per
level under an optional caption (what its figures are measured on), and the run's warnings in a box that
only shows while there are some."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, Static

from tui.widgets.loss_plot import LossPlot


class RunProgress(Vertical):
    """Progress of a training run (VQ-VAE or prior), fed epoch by epoch from the engine's events."""

    DEFAULT_CSS = """
    RunProgress {
        height: auto;
    }
    RunProgress > .run-status {
        height: auto;
    }
    RunProgress > .run-detail {
        height: auto;
        display: none;
        color: $text-muted;
    }
    RunProgress > .run-detail.-shown {
        display: block;
    }
    RunProgress > ProgressBar {
        height: 1;
    }
    RunProgress > DataTable {
        height: auto;
        max-height: 6;
    }
    RunProgress > .run-caption {
        color: $text-muted;
    }
    RunProgress > .run-warnings {
        height: auto;
        display: none;
        background: $error 25%;
        color: $text;
        text-style: bold;
        padding: 0 1;
    }
    RunProgress > .run-warnings.-shown {
        display: block;
    }
    """

    def __init__(
        self, idle: str, columns: tuple[str, ...], plot: LossPlot | None = None, caption: str = "", *, id: str | None = None
    ):
        """`idle`: the status before any run; `columns`: the per-level table's headings; `plot`: the loss curve;
        `caption`: a line above the table saying what its figures measure."""
        super().__init__(id=id)
        self.status = Static(idle, classes="run-status")
        self.details = Static(classes="run-detail", markup=False)
        self._detail_items: list[str] = []
        self.bar = ProgressBar(total=100, show_eta=False)
        self.plot = plot
        self.caption = Static(caption, classes="run-caption") if caption else None
        self.table = DataTable(cursor_type="none", zebra_stripes=True)
        self.table.add_columns(*columns)
        self.warnings = Static(classes="run-warnings")
        self._warning_lines: list[str] = []
        self.running = False

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.details
        yield self.bar
        if self.plot is not None:
            yield self.plot
        if self.caption is not None:
            yield self.caption
        yield self.table
        yield self.warnings

    def start(self, status: str) -> None:
        """A new run started: clear everything from the last one."""
        self.running = True
        self.status.update(status)
        self.bar.update(progress=0)
        if self.plot is not None:
            self.plot.clear()
        self.table.clear()
        self._show_warnings([])
        self._show_details("", [])

    def epoch(self, fraction: float, status: Text | str, losses: tuple[float, float] | None = None) -> None:
        """One epoch finished: `fraction` of the budget is done; its per-level rows and warnings follow."""
        self.running = True
        self.status.update(status)
        self.bar.update(progress=100 * fraction)
        if self.plot is not None and losses is not None:
            self.plot.add(*losses)
        self._show_warnings([])
        self._show_details("", [])

    def detail(self, title: str, name: str, value: str) -> None:
        """Add one figure of the latest epoch to the details line (`title: name value · ...`)."""
        self._show_details(title, [*self._detail_items, f"{name} {value}"])

    def level(self, level: int, cells: tuple) -> None:
        """Show (or replace) the row of `level`."""
        key = str(level)
        if key in self.table.rows:
            for column, value in zip(self.table.columns, cells):
                self.table.update_cell(key, column, value)
        else:
            self.table.add_row(*cells, key=key)

    def warn(self, message: str) -> None:
        """Add a warning of the latest epoch."""
        self._show_warnings([*self._warning_lines, message])

    def finish(self, status: str, complete: bool) -> None:
        """The run ended (`complete`: its whole budget was used, so the bar is full)."""
        self.running = False
        self.status.update(status)
        if complete:
            self.bar.update(progress=100)

    def say(self, status: str) -> None:
        """Replace the status line (e.g. while stopping)."""
        self.status.update(status)

    def _show_details(self, title: str, items: list[str]) -> None:
        self._detail_items = items
        self.details.update(f"{title}: {'  ·  '.join(items)}" if items else "")
        self.details.set_class(bool(items), "-shown")

    def _show_warnings(self, lines: list[str]) -> None:
        self._warning_lines = lines
        self.warnings.update("\n".join(f"⚠ {line}" for line in lines))
        self.warnings.set_class(bool(lines), "-shown")
