"""Codebook usage of one level as a heatmap: one cell per code, shaded by how much the code is used.

The glyphs, the kinds of use and the legend are `engine.heatmap`'s, shared with `distill health`; here they
get their colours.
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from engine.heatmap import LEGEND, SHADES, usage_kinds

ROW_CODES = (64, 32, 16, 8)  # codes per row: the widest that fits
INDEX_WIDTH = 6  # "1024 │"


class UsageShades(Widget):
    """What the heatmap and its legend share: one colour per kind of use, set in CSS."""

    COMPONENT_CLASSES = {f"usage-heatmap--{kind}" for kind in SHADES} | {"usage-heatmap--index"}
    DEFAULT_CSS = """
    UsageShades > .usage-heatmap--heavy {
        color: $success;
    }
    UsageShades > .usage-heatmap--used {
        color: $success 70%;
    }
    UsageShades > .usage-heatmap--light {
        color: $warning;
    }
    UsageShades > .usage-heatmap--dead {
        color: $error;
    }
    UsageShades > .usage-heatmap--index {
        color: $text-muted;
    }
    """

    def shade_styles(self) -> dict[str, Style]:
        """The style of each kind of use."""
        return {kind: self.get_component_rich_style(f"usage-heatmap--{kind}") for kind in SHADES}


class UsageHeatmap(UsageShades):
    """The codes of one level in rows of up to 64 cells, each row led by the index of its first code."""

    DEFAULT_CSS = """
    UsageHeatmap {
        height: auto;
    }
    """

    def __init__(self, counts: list[int] | None = None, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.counts: list[int] = list(counts or [])

    def show(self, counts: list[int]) -> None:
        """Show these usage counts (one per code)."""
        self.counts = list(counts)
        self.refresh(layout=True)

    def row_codes(self, width: int) -> int:
        """How many codes one row holds at `width` cells."""
        return next((n for n in ROW_CODES if INDEX_WIDTH + n <= width), ROW_CODES[-1])

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, math.ceil(len(self.counts) / self.row_codes(width)))

    def render(self) -> RenderResult:
        index_style = self.get_component_rich_style("usage-heatmap--index")
        if not self.counts:
            return Text("no usage recorded", style=index_style)
        styles = self.shade_styles()
        kinds = usage_kinds(self.counts)
        per_row = self.row_codes(self.size.width)
        lines = []
        for first in range(0, len(kinds), per_row):
            line = Text(f"{first:>{INDEX_WIDTH - 2}} │", style=index_style)
            for kind in kinds[first:first + per_row]:
                line.append(SHADES[kind], styles[kind])
            lines.append(line)
        return Text("\n").join(lines)


class UsageLegend(UsageShades):
    """One line naming each shade of `UsageHeatmap`, in the same colours."""

    DEFAULT_CSS = """
    UsageLegend {
        height: auto;
    }
    """

    def render(self) -> RenderResult:
        styles = self.shade_styles()
        line = Text()
        for kind, meaning in LEGEND:
            line.append(SHADES[kind], styles[kind])
            line.append(f" {meaning}   ")
        return line
