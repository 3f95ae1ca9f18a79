"""The code grid of a slot: rows of labelled levels by columns of time, with a cursor and a selection.

              ▏0s       ▏0.25s    ▏0.5s
    Structure 12 12 40  3  3  3 17 ...     one cell per frame, its code index on a colour picked from
    Timbre     5  5 61  9  9 44 44 ...     the index (neighbouring indices get far-apart hues); the
    Detail    33  2  7  7 14~ 2~ 9 ...     labels stay put while the cells scroll under them; ~ marks
                                           a blended cell, as in `distill codes show`

The widget keeps one numpy array [levels, frames] per slot (`grids`, UNKNOWN where a code has not arrived)
and the blended cells of each (`blended`), and shows one slot at a time. It knows nothing of the engine: its
owner fills it (`start`, `put_codes`, `put_blended`) and turns its `IndexChosen` messages into requests.

Keys: arrows or hjkl move the cursor (the view scrolls to follow it), shift+arrows or `v` then arrows
select frames x levels, digits then Enter set the index under the cursor, + and - step it, tab shows
the other slot. A click moves the cursor, a shift+click extends the selection.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

SLOTS = ("A", "B")
DIGITS = frozenset("0123456789")
UNKNOWN = -1  # a cell whose code has not arrived yet
HUE_STEP = 0.618033988749895  # golden ratio conjugate: consecutive indices land far apart on the colour wheel
SELECTED_LIGHTNESS = 0.72  # selected cells show their colour in the digits, light enough on the selection's background
TICK_STEPS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds between time-axis labels
TICK_SPACING = 8  # characters from one time-axis label to the next, at least ("▏10.25s" and a space)
BLEND_MARK = "~"  # follows a blended cell, as in `distill codes show`


@lru_cache(maxsize=4096)
def code_colour(index: int, lightness: float = 0.36) -> Color:
    """The colour of code `index`: a hue from the index; the default lightness is dark enough for white digits."""
    red, green, blue = colorsys.hls_to_rgb((index * HUE_STEP) % 1.0, lightness, 0.6)
    return Color.from_rgb(255 * red, 255 * green, 255 * blue)


def tick_step(frames_per_second: float, cell_width: int) -> float:
    """Seconds between time-axis labels: the shortest step that leaves them TICK_SPACING characters apart."""
    for step in TICK_STEPS:
        if step * frames_per_second * cell_width >= TICK_SPACING:
            return step
    return TICK_STEPS[-1]


@dataclass(frozen=True)
class GridRegion:
    """Frames [start, end) of `levels` (ascending): what a swap or a blend covers."""

    levels: tuple[int, ...]
    start: int
    end: int

    def describe(self, labels: tuple[str, ...]) -> str:
        """'frames 2-5 of Timbre' (frames as the cursor counts them; `labels` of every level of the grid)."""
        if len(self.levels) == len(labels):
            which = "every level"
        else:
            first, last = labels[self.levels[0]], labels[self.levels[-1]]
            which = first if first == last else f"{first}-{last}"
        frames = f"frame {self.start}" if self.end - self.start == 1 else f"frames {self.start}-{self.end - 1}"
        return f"{frames} of {which}"


class CodeGrid(ScrollView, can_focus=True):
    """The code grid of the shown `slot`, from `grids` (slot -> array [levels, frames] of code indices)."""

    COMPONENT_CLASSES = {
        "code-grid--axis",
        "code-grid--label",
        "code-grid--label-cursor",
        "code-grid--cursor",
        "code-grid--selection",
        "code-grid--unknown",
        "code-grid--placeholder",
    }
    DEFAULT_CSS = """
    CodeGrid {
        height: auto;
        border: round $border-blurred;
        overflow-y: hidden;
        scrollbar-size-horizontal: 1;
    }
    CodeGrid:focus {
        border: round $border;
    }
    CodeGrid > .code-grid--axis {
        color: $text-muted;
    }
    CodeGrid > .code-grid--label {
        text-style: bold;
    }
    CodeGrid > .code-grid--label-cursor {
        color: $accent;
        text-style: bold;
    }
    CodeGrid > .code-grid--cursor {
        text-style: bold reverse;
    }
    CodeGrid > .code-grid--selection {
        background: $foreground 20%;
        text-style: bold;
    }
    CodeGrid > .code-grid--unknown {
        color: $text-muted;
    }
    CodeGrid > .code-grid--placeholder {
        color: $text-muted;
        text-style: italic;
    }
    """
    BINDINGS = [
        Binding("left,h", "move(0, -1)", "Move", show=False),
        Binding("right,l", "move(0, 1)", "Move", show=False),
        Binding("up,k", "move(-1, 0)", "Move", show=False),
        Binding("down,j", "move(1, 0)", "Move", show=False),
        Binding("shift+left", "move(0, -1, True)", "Select", show=False),
        Binding("shift+right", "move(0, 1, True)", "Select", show=False),
        Binding("shift+up", "move(-1, 0, True)", "Select", show=False),
        Binding("shift+down", "move(1, 0, True)", "Select", show=False),
        Binding("home", "jump(0)", "First frame", show=False),
        Binding("end", "jump(-1)", "Last frame", show=False),
        Binding("v", "toggle_selecting", "Select", show=False),
        Binding("enter", "enter_index", "Set", key_display="0-9 ⏎"),
        Binding("plus", "step_index(1)", "Step", key_display="+/-", show=False),
        Binding("minus", "step_index(-1)", "Step down", show=False),
        Binding("backspace", "forget_digit", "Erase digit", show=False),
        Binding("escape", "clear", "Clear", show=False),
        Binding("tab", "other_slot", "Other slot", show=False),
    ]

    slot: reactive[str] = reactive(SLOTS[0])

    class CursorChanged(Message):
        """The cursor, the selection, the typed index or the shown slot changed."""

    class IndexChosen(Message):
        """The user chose code `index` for cell (level, frame) of `slot`."""

        def __init__(self, slot: str, level: int, frame: int, index: int):
            super().__init__()
            self.slot, self.level, self.frame, self.index = slot, level, frame, index

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.grids: dict[str, np.ndarray] = {}
        self.blended: dict[str, set[tuple[int, int]]] = {}  # slot -> its blended cells (level, frame)
        self.labels: tuple[str, ...] = ()
        self.codebook_size = 0
        self.frames_per_second = 0.0
        self.placeholder = ""
        self.cursor = (0, 0)  # (level, frame)
        self.selection_anchor: tuple[int, int] | None = None  # the selection's other corner
        self.selecting = False  # `v` mode: moves extend the selection
        self.typed = ""  # digits of the index being typed

    # -- what the owner calls ------------------------------------------------------------------------

    def show_model(self, labels: tuple[str, ...], codebook_size: int, frames_per_second: float) -> None:
        """Label levels with `labels`, size cells for `codebook_size` and time them at `frames_per_second`."""
        self.labels, self.codebook_size, self.frames_per_second = labels, codebook_size, frames_per_second
        self._reshape()

    def show_placeholder(self, text: str) -> None:
        """What to show while the shown slot holds no grid."""
        self.placeholder = text
        self.refresh()

    def start(self, slot: str, levels: int, frames: int) -> None:
        """Give `slot` a grid of `levels` x `frames` cells, all UNKNOWN until `put_codes` fills them."""
        self.grids[slot] = np.full((levels, frames), UNKNOWN, dtype=np.int64)
        if slot == self.slot:
            self._reshape()

    def put_codes(self, slot: str, level: int, first: int, codes: list[int]) -> bool:
        """Write `codes` into `level` of `slot` from frame `first`; False when they do not fit its grid."""
        grid = self.grids.get(slot)
        if grid is None or not 0 <= level < grid.shape[0] or first < 0 or first + len(codes) > grid.shape[1]:
            return False
        grid[level, first : first + len(codes)] = codes
        if slot == self.slot:
            self.refresh()
        return True

    def put_blended(self, slot: str, first: int, runs: list[int]) -> None:
        """Mark the blended cells of `slot` given as flat (level, start, end) runs; `first` 0 starts afresh."""
        cells = set() if first == 0 else self.blended.get(slot, set())
        for level, start, end in zip(runs[0::3], runs[1::3], runs[2::3]):
            cells.update((level, frame) for frame in range(start, end))
        self.blended[slot] = cells
        if slot == self.slot:
            self.refresh()

    # -- what the owner reads ------------------------------------------------------------------------

    @property
    def shown(self) -> np.ndarray | None:
        """The grid of the shown slot, or None while it has none."""
        return self.grids.get(self.slot)

    @property
    def other_slot(self) -> str:
        """The slot that is not shown."""
        return SLOTS[1 - SLOTS.index(self.slot)]

    @property
    def code_at_cursor(self) -> int | None:
        """The code under the cursor, or None when there is none (yet)."""
        grid = self.shown
        if grid is None:
            return None
        code = int(grid[self.cursor])
        return None if code == UNKNOWN else code

    @property
    def selection(self) -> GridRegion | None:
        """The selected frames x levels, or None when nothing is selected."""
        if self.selection_anchor is None or self.shown is None:
            return None
        (level_a, frame_a), (level_b, frame_b) = self.selection_anchor, self.cursor
        levels = tuple(range(min(level_a, level_b), max(level_a, level_b) + 1))
        return GridRegion(levels, min(frame_a, frame_b), max(frame_a, frame_b) + 1)

    @property
    def edit_region(self) -> GridRegion | None:
        """The selection, or the cell under the cursor when nothing is selected; None without a grid."""
        if self.shown is None:
            return None
        level, frame = self.cursor
        return self.selection or GridRegion((level,), frame, frame + 1)

    @property
    def level_labels(self) -> tuple[str, ...]:
        """The names of the shown grid's levels."""
        grid = self.shown
        return tuple(self.label(level) for level in range(0 if grid is None else grid.shape[0]))

    def label(self, level: int) -> str:
        """The name of `level` (Structure, Timbre, ...) in the shown grid."""
        grid = self.shown
        levels = len(self.labels) if grid is None else grid.shape[0]
        return self.labels[level] if len(self.labels) == levels else f"Level {level}"

    def seconds(self, frame: int) -> float:
        """When `frame` starts, in seconds (0 while no model gives the frame rate)."""
        return frame / self.frames_per_second if self.frames_per_second else 0.0

    # -- keys and mouse ------------------------------------------------------------------------------

    def action_move(self, levels: int, frames: int, extend: bool = False) -> None:
        """Move the cursor by `levels` and `frames`; `extend` (or `v` mode) grows the selection instead."""
        if extend or self.selecting:
            self.selection_anchor = self.selection_anchor or self.cursor
        else:
            self.selection_anchor = None
        self._put_cursor(self.cursor[0] + levels, self.cursor[1] + frames)

    def action_jump(self, frame: int) -> None:
        """Move the cursor to `frame` of its level (-1: the last frame)."""
        grid = self.shown
        if grid is not None:
            self.action_move(0, (frame % grid.shape[1]) - self.cursor[1])

    def action_toggle_selecting(self) -> None:
        """Start selecting from the cursor, or drop the selection."""
        self.selecting = not self.selecting
        self.selection_anchor = self.cursor if self.selecting else None
        self._changed()

    def action_clear(self) -> None:
        """Drop the selection and the typed digits."""
        self.selecting, self.selection_anchor, self.typed = False, None, ""
        self._changed()

    def action_forget_digit(self) -> None:
        """Erase the last typed digit."""
        self.typed = self.typed[:-1]
        self._changed()

    def action_enter_index(self) -> None:
        """Choose the typed index for the cell under the cursor."""
        if self.typed and self.shown is not None:
            self.post_message(self.IndexChosen(self.slot, *self.cursor, int(self.typed)))
        self.typed = ""
        self._changed()

    def action_step_index(self, step: int) -> None:
        """Choose the next (or previous) index for the cell under the cursor, wrapping around the codebook."""
        code = self.code_at_cursor
        if code is not None and self.codebook_size:
            self.post_message(self.IndexChosen(self.slot, *self.cursor, (code + step) % self.codebook_size))

    def action_other_slot(self) -> None:
        """Show the other slot."""
        self.slot = self.other_slot

    def on_key(self, event: events.Key) -> None:
        """Digits build the index to set (as many as the largest index has)."""
        if event.character not in DIGITS or self.shown is None:
            return
        event.stop()
        event.prevent_default()
        self.typed = (self.typed if len(self.typed) < self._digits() else "") + event.character
        self._changed()

    def on_click(self, event: events.Click) -> None:
        """Put the cursor on the clicked cell; with shift, extend the selection to it."""
        offset, grid = event.get_content_offset(self), self.shown
        gutter = self._gutter()
        if offset is None or grid is None or offset.x < gutter or not 1 <= offset.y <= grid.shape[0]:
            return
        frame = (round(self.scroll_offset.x) + offset.x - gutter) // self._cell_width()
        if frame < grid.shape[1]:
            self.selection_anchor = (self.selection_anchor or self.cursor) if event.shift or self.selecting else None
            self._put_cursor(offset.y - 1, frame)

    def watch_slot(self) -> None:
        """Show the new slot's grid (typed digits were meant for the old one)."""
        self.typed = ""
        self._reshape()

    # -- layout --------------------------------------------------------------------------------------

    def _digits(self) -> int:
        """Digits of the largest index."""
        return len(str(max(self.codebook_size - 1, 0)))

    def _cell_width(self) -> int:
        """Characters per cell: the digits of the largest index and a space."""
        return self._digits() + 1

    def _gutter(self) -> int:
        """Characters of the level labels on the left."""
        grid = self.shown
        levels = 0 if grid is None else grid.shape[0]
        return max((len(self.label(level)) for level in range(levels)), default=0) + 1

    def _reshape(self) -> None:
        """Fit the scroll area, the cursor and the selection to the shown grid."""
        grid = self.shown
        if grid is None:
            self.virtual_size = Size(0, 2)  # room for the placeholder on row 1
            self.cursor, self.selection_anchor, self.selecting = (0, 0), None, False
        else:
            levels, frames = grid.shape
            self.virtual_size = Size(self._gutter() + frames * self._cell_width(), levels + 1)
            self.cursor = (min(self.cursor[0], levels - 1), min(self.cursor[1], frames - 1))
            if self.selection_anchor is not None:
                self.selection_anchor = (min(self.selection_anchor[0], levels - 1), min(self.selection_anchor[1], frames - 1))
        self._follow_cursor()
        self._changed()

    def _put_cursor(self, level: int, frame: int) -> None:
        grid = self.shown
        if grid is not None:
            self.cursor = (max(0, min(level, grid.shape[0] - 1)), max(0, min(frame, grid.shape[1] - 1)))
            self._follow_cursor()
        self._changed()

    def _follow_cursor(self) -> None:
        """Scroll just enough for the cursor's cell to be in view."""
        width = self._cell_width()
        left = self.cursor[1] * width
        view = max(width, self.size.width - self._gutter())
        x = round(self.scroll_offset.x)
        if left < x:
            x = left
        elif left + width > x + view:
            x = left + width - view
        self.scroll_to(x=x, animate=False)

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.CursorChanged())

    def on_resize(self) -> None:
        """Keep the cursor in view when the widget changes size."""
        self._follow_cursor()

    # -- drawing -------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Row 0 is the time axis, row 1 + n level n; the labels stay put while the cells scroll."""
        width, grid = self.size.width, self.shown
        if grid is None:
            text = self.placeholder if y == 1 else ""
            return Strip([Segment(f" {text}", self.get_component_rich_style("code-grid--placeholder"))]).adjust_cell_length(width, self.rich_style)
        if y > grid.shape[0]:
            return Strip.blank(width, self.rich_style)
        gutter = self._gutter()
        if y == 0:
            left, cells = Segment(" " * gutter, self.rich_style), self._axis(grid.shape[1], width - gutter)
        else:
            level = y - 1
            style = "code-grid--label-cursor" if level == self.cursor[0] else "code-grid--label"
            left = Segment(self.label(level).ljust(gutter), self.get_component_rich_style(style))
            cells = self._cells(grid, level, width - gutter)
        return Strip.join([Strip([left]), cells]).adjust_cell_length(width, self.rich_style)

    def _axis(self, frames: int, view: int) -> Strip:
        """The time axis over the visible cells: a label every `tick_step` seconds."""
        chars = [" "] * max(view, 0)
        if self.frames_per_second:
            step = tick_step(self.frames_per_second, self._cell_width())
            spacing = step * self.frames_per_second * self._cell_width()  # characters per step
            x0 = round(self.scroll_offset.x)
            tick = max(0, math.floor((x0 - TICK_SPACING) / spacing))
            while (at := round(tick * spacing)) < min(x0 + view, frames * self._cell_width()):
                for i, char in enumerate(f"▏{tick * step:g}s"):
                    if 0 <= at - x0 + i < view:
                        chars[at - x0 + i] = char
                tick += 1
        return Strip([Segment("".join(chars), self.get_component_rich_style("code-grid--axis"))])

    def _cells(self, grid: np.ndarray, level: int, view: int) -> Strip:
        """The visible cells of one level, each its index (right-aligned) and a separating space."""
        width, x0 = self._cell_width(), round(self.scroll_offset.x)
        first, last = x0 // width, min(grid.shape[1], -(-(x0 + view) // width))
        selection = self.selection
        if selection is None or level not in selection.levels:
            selected = range(0)
        else:
            selected = range(selection.start, selection.end)
        chosen = self.get_component_rich_style("code-grid--selection")
        blended = self.blended.get(self.slot, set())
        segments = []
        for frame in range(first, last):
            code = int(grid[level, frame])
            text = ("·" if code == UNKNOWN else str(code)).rjust(width - 1)
            if code == UNKNOWN:
                style = self.get_component_rich_style("code-grid--unknown")
            elif frame in selected:
                style = chosen + Style(color=code_colour(code, SELECTED_LIGHTNESS))
            else:
                style = Style(color="white", bgcolor=code_colour(code))
            if (level, frame) == self.cursor:
                style += self.get_component_rich_style("code-grid--cursor")
            segments.append(Segment(text, style))
            gap = BLEND_MARK if (level, frame) in blended else " "
            segments.append(Segment(gap, chosen if frame in selected and frame + 1 in selected else self.rich_style))
        start = x0 - first * width
        return Strip(segments).crop(start, start + max(view, 0))
