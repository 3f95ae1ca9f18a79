"""A live loss curve: a training and a validation measure per epoch, drawn with braille dots.

Each terminal cell holds 2 x 4 braille dots, so a 60 x 8 plot has 120 x 32 dots. Both curves share one
linear y axis (labelled with its top and bottom values); epochs spread evenly across the width.

    plot = LossPlot("train loss", "val L1")
    plot.add(0.91, 1.20)        # one epoch
    plot.clear()                # a new run
"""

from __future__ import annotations

import math
from itertools import pairwise

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

BRAILLE_BASE = 0x2800
# The bit of each dot in a braille cell, by (row, column) inside the cell (Unicode's dot numbering).
BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
AXIS_WIDTH = 9  # " 12.345 ┤": the axis and its labels, left of the plot


class BrailleCanvas:
    """`width` x `height` cells of (2 * width) x (4 * height) dots; y grows downwards.

    A cell takes the style of the last dot drawn into it.
    """

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.bits = [[0] * width for _ in range(height)]
        self.styles: list[list[Style | None]] = [[None] * width for _ in range(height)]

    @property
    def dots(self) -> tuple[int, int]:
        """(horizontal, vertical) number of dots."""
        return 2 * self.width, 4 * self.height

    def dot(self, x: int, y: int, style: Style | None = None) -> None:
        """Set the dot at (x, y); dots outside the canvas are ignored."""
        if 0 <= x < 2 * self.width and 0 <= y < 4 * self.height:
            row, column = y // 4, x // 2
            self.bits[row][column] |= BRAILLE_BITS[y % 4][x % 2]
            self.styles[row][column] = style

    def line(self, start: tuple[int, int], end: tuple[int, int], style: Style | None = None) -> None:
        """Set the dots of a straight line from `start` to `end` (both included)."""
        (x0, y0), (x1, y1) = start, end
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for step in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * step / steps), round(y0 + (y1 - y0) * step / steps), style)

    def is_set(self, x: int, y: int) -> bool:
        """Whether the dot at (x, y) is set."""
        return bool(self.bits[y // 4][x // 2] & BRAILLE_BITS[y % 4][x % 2])

    def rows(self) -> list[Text]:
        """One line of text per cell row (blank where no dot is set)."""
        lines = []
        for bits, styles in zip(self.bits, self.styles):
            line = Text()
            for cell, style in zip(bits, styles):
                line.append(chr(BRAILLE_BASE + cell) if cell else " ", style)
            lines.append(line)
        return lines


def plot_points(values: list[float], low: float, high: float, dots: tuple[int, int]) -> list[tuple[int, int] | None]:
    """The dot (x, y) of each value on a canvas of `dots` (None where a value is not finite).

    Values spread evenly from the left edge to the right edge; `high` is the top row, `low` the bottom.
    """
    width, height = dots
    last = max(len(values) - 1, 1)
    span = (high - low) or 1.0
    return [
        (round(index * (width - 1) / last), round((high - value) / span * (height - 1))) if math.isfinite(value) else None
        for index, value in enumerate(values)
    ]


class LossPlot(Widget):
    """Two curves (a training and a validation measure) over epochs, with a legend of the latest values."""

    COMPONENT_CLASSES = {"loss-plot--train", "loss-plot--validation", "loss-plot--axis"}
    DEFAULT_CSS = """
    LossPlot {
        height: 8;
    }
    LossPlot > .loss-plot--train {
        color: $accent;
    }
    LossPlot > .loss-plot--validation {
        color: $success;
    }
    LossPlot > .loss-plot--axis {
        color: $text-muted;
    }
    """

    def __init__(self, train_label: str, validation_label: str, *, id: str | None = None):
        super().__init__(id=id)
        self.labels = (train_label, validation_label)
        self.train: list[float] = []
        self.validation: list[float] = []

    @property
    def epochs(self) -> int:
        """How many epochs are plotted."""
        return len(self.train)

    def add(self, train: float, validation: float) -> None:
        """Add one epoch's values."""
        self.train.append(float(train))
        self.validation.append(float(validation))
        self.refresh()

    def clear(self) -> None:
        """Remove every point (a new run starts)."""
        self.train.clear()
        self.validation.clear()
        self.refresh()

    def render(self) -> RenderResult:
        axis = self.get_component_rich_style("loss-plot--axis")
        if not self.train:
            return Text(f"{self.labels[0]} and {self.labels[1]} are plotted here after each epoch", style=axis)
        styles = (self.get_component_rich_style("loss-plot--train"), self.get_component_rich_style("loss-plot--validation"))
        canvas = BrailleCanvas(max(self.size.width - AXIS_WIDTH, 2), max(self.size.height - 1, 1))
        finite = [v for v in self.train + self.validation if math.isfinite(v)] or [0.0]
        low, high = min(finite), max(finite)
        for values, style in zip((self.train, self.validation), styles):
            points = plot_points(values, low, high, canvas.dots)
            for start, end in pairwise(points):
                if start and end:
                    canvas.line(start, end, style)
            for point in points:
                if point:
                    canvas.dot(*point, style)
        lines = []
        for row, line in enumerate(canvas.rows()):
            label = f"{high:.4g}" if row == 0 else f"{low:.4g}" if row == canvas.height - 1 else ""
            lines.append(Text.assemble((f"{label:>{AXIS_WIDTH - 2}} {'┤' if label else '│'}", axis), line))
        legend = Text.assemble(
            (" " * AXIS_WIDTH, axis),
            ("━━ ", styles[0]), f"{self.labels[0]} {self.train[-1]:.4g}   ",
            ("━━ ", styles[1]), f"{self.labels[1]} {self.validation[-1]:.4g}   ",
            (f"epoch {self.epochs}", axis),
        )
        return Text("\n").join([*lines, legend])
