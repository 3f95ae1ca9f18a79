"""The Codes screen: encode sounds into slots A and B, edit their code grids, decode, play and preview.

Like a patch, it only speaks the engine's OSC contract. The grid widget is filled from `/distill/grid`
messages, the replies to `/distill/grid/get` and the events every edit sends to all subscribers, so an edit
made by any client shows up live, and an edit made here is a request whose result arrives the same way:
the engine stays the one source of truth. Blended cells are marked from `/distill/grid/blended`.

Variations: `r` has the prior redraw the selection (`/distill/reimagine`, one edit that undo takes back), `c`
has it continue the shown slot into the first free slot (`/distill/continue`). The engine then checks the
result for the longest verbatim copy of a training file (`/distill/copy`), shown on a line of its own under the
grid once the first one arrives.

A swap is one edit in each slot: undoing it here undoes both halves while the other slot has not been
edited since, and names the other slot when it cannot. Playing a slot that has not changed since it was
last decoded plays that file again instead of decoding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Label, Static

from engine.codes.copies import describe_copy
from engine.events import Continued, CopyChecked, CopyUnavailable, Decoded, Encoded, JobProgress, Playing, Previewed
from engine.osc.messages import AnnouncedModel, BlendedRuns, Edited, Error, GridCodes, GridSize, ReimaginedSeed, SlotNames
from tui.screens.base import EngineScreen
from tui.widgets.code_grid import SLOTS, CodeGrid, GridRegion
from tui.widgets.screen_bar import ScreenBar

SLOT_JOBS = ("encode", "decode", "reimagine", "continue")  # the jobs on slots, each ended by its own event here
CONTINUE_SECONDS = 4.0  # how long `c` continues a slot until the engine has announced its duration parameter


@dataclass(frozen=True)
class DecodedFile:
    """A slot's last decoded file and the grid it was decoded from (as shown when the engine announced it)."""

    path: str
    codes: np.ndarray  # [levels, frames]
    blended: frozenset[tuple[int, int]]

    def holds(self, codes: np.ndarray | None, blended: set[tuple[int, int]]) -> bool:
        """Whether the file is still what the grid `codes` with `blended` cells sounds like."""
        return codes is not None and np.array_equal(self.codes, codes) and self.blended == blended


@dataclass(frozen=True)
class SwapMade:
    """A swap made here: the other slot and both slots' undo depths right after it."""

    other: str
    depth: int
    other_depth: int


class CodesScreen(EngineScreen):
    """Slots A and B as code grids, and the edits, decoding and listening that work on them."""

    DEFAULT_CSS = """
    CodesScreen #codes-source {
        height: 3;
    }
    CodesScreen #codes-source Label {
        width: auto;
        padding: 1 1 0 1;
    }
    CodesScreen #codes-path {
        width: 1fr;
    }
    CodesScreen #codes-info, CodesScreen #codes-activity {
        height: auto;
        padding: 0 1;
    }
    CodesScreen #codes-activity {
        color: $text-muted;
    }
    CodesScreen #codes-copy {
        display: none;
        height: auto;
        max-height: 2;
        padding: 0 1;
    }
    CodesScreen #codes-copy.-shown {
        display: block;
    }
    CodesScreen #codes-weight {
        display: none;
    }
    CodesScreen #codes-weight.-asking {
        display: block;
    }
    """
    BINDINGS = [
        Binding("a", "show_slot('A')", "Slot", key_display="a/b"),
        Binding("b", "show_slot('B')", "Slot B", show=False),
        Binding("e", "focus_path", "Encode"),
        Binding("s", "swap", "Swap"),
        Binding("w", "ask_weight", "Blend"),
        Binding("u,ctrl+z", "undo", "Undo", key_display="u"),
        Binding("ctrl+r,ctrl+y", "redo", "Redo", key_display="^r"),
        Binding("d", "decode", "Decode"),
        Binding("p", "play", "Play"),
        Binding("space", "preview", "Hear code", key_display="␣"),
        Binding("r", "reimagine", "Reimagine"),  # last: at 80 columns the info line names r and c instead
        Binding("c", "continue_slot", "Continue"),
        Binding("escape", "back_to_grid", "Back", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.depths: dict[str, tuple[int, int]] = {}  # slot -> (undo, redo) depths, as last announced
        self.decoded: dict[str, DecodedFile] = {}  # slot -> its last decoded file
        self.swaps: dict[str, SwapMade] = {}  # slot -> the swap made here that is its last edit
        self._swap_sent: tuple[str, str] | None = None  # a swap asked for, until both its edits are announced
        self._swap_depths: dict[str, int] = {}  # the undo depths its edits announced so far
        self._swap_changed: set[str] = set()  # its slots whose changed cells have arrived (alike regions change none)
        self._fetching: set[str] = set()  # slots with a /distill/grid/get on its way

    def compose(self) -> ComposeResult:
        yield Header()
        yield ScreenBar("codes")
        with Horizontal(id="codes-source"):
            yield Label("Encode into A:", id="codes-source-label")
            yield Input(placeholder="path of a sound file, then Enter", id="codes-path")
        yield CodeGrid(id="codes-grid")
        yield Static(id="codes-info", markup=False)
        yield Input(id="codes-weight")
        yield Static(id="codes-activity", markup=False)
        yield Static(id="codes-copy", markup=False)
        yield Footer(compact=True)

    @property
    def grid(self) -> CodeGrid:
        """The grid widget."""
        return self.query_one(CodeGrid)

    def on_mount(self) -> None:
        """Show the loaded model's levels and ask which slots are filled."""
        self._show_model()
        self.grid.focus()
        self.send("/distill/slots")

    # -- engine messages ----------------------------------------------------------------------------

    def engine_message(self, record, tag: str | None) -> None:
        """Keep the grids and the undo depths as the engine announces them; say what jobs did."""
        match record:
            case AnnouncedModel():
                self._show_model()
                self.send("/distill/slots")
            case SlotNames(slots):
                for name in set(slots) & set(SLOTS):
                    self._fetch(name)
            case Encoded(slot, _, frames) if slot in SLOTS:
                self.depths[slot] = (0, 0)
                self._fetching.discard(slot)  # a grid asked for before this encoding is out of date
                self._fetch(slot)
                self._show_activity(f"Encoded {frames} frames into slot {slot}")
            case GridSize(slot, levels, frames) if slot in SLOTS:
                self._fetching.discard(slot)
                self.grid.start(slot, levels, frames)
            case GridCodes(slot, level, first_frame, codes) if slot in SLOTS:
                if self._swap_sent is not None and slot in self._swap_sent:
                    self._swap_changed.add(slot)
                if not self.grid.put_codes(slot, level, first_frame, list(codes)):
                    self._fetch(slot)
            case BlendedRuns(slot, first_index, values) if slot in SLOTS:
                self.grid.put_blended(slot, first_index, list(values))
            case Edited(slot, undo_depth, redo_depth) if slot in SLOTS:
                self.depths[slot] = (undo_depth, redo_depth)
                self._swap_edited(slot, undo_depth)
            case Decoded(slot, path) if slot in SLOTS:
                codes = self.grid.grids.get(slot)
                if codes is not None:
                    self.decoded[slot] = DecodedFile(str(path), codes.copy(), frozenset(self.grid.blended.get(slot, set())))
                self._show_activity(f"Decoded slot {slot} to {path}")
            case Continued(source, slot, frames, seed):
                shown = "" if slot in SLOTS else f" (this screen shows {' and '.join(SLOTS)} only)"
                self._show_activity(f"Continued slot {source} into slot {slot}: {frames} frames, seed {seed}{shown}")
            case ReimaginedSeed(slot, seed):
                self._show_activity(f"Reimagined in slot {slot} with seed {seed} (u undoes it)")
            case CopyChecked(slot, columns, distinct, seconds, file):
                self._show_copy(f"Slot {slot}: {describe_copy(columns, distinct, seconds, file)}")
            case CopyUnavailable(reason):
                self._show_copy(f"No copy check: {reason}")
            case Playing(path):
                self._show_activity(f"Playing {path}")
            case JobProgress("copy", fraction, message) if fraction < 1.0:  # the copy check's line, not the activity's
                self._show_copy(f"{message}…")
            case JobProgress(job, fraction, message) if job in SLOT_JOBS and fraction < 1.0:
                self._show_activity(f"{message}…")
            case Error("/distill/grid/get"):
                self._fetching.clear()
            case Error("/distill/swap"):
                self._swap_sent = None  # refused: there is no swap to undo
        self._show_info()

    def _fetch(self, slot: str) -> None:
        """Ask for the whole grid of `slot`, unless that is already on its way."""
        if slot not in self._fetching:
            self._fetching.add(slot)
            self.send("/distill/grid/get", slot)

    # -- showing ------------------------------------------------------------------------------------

    def _show_model(self) -> None:
        model = self.app.state.model
        if model is None:
            self.grid.show_model((), 0, 0.0)
        else:
            self.grid.show_model(model.labels, model.codebook_size, model.columns_per_second)
        self._show_placeholder()

    def _show_placeholder(self) -> None:
        if self.app.state.model is None:
            self.grid.show_placeholder("No model loaded: load one in the Library (F1).")
        else:
            self.grid.show_placeholder(f"Slot {self.grid.slot} is empty: press e, type the path of a sound file and Enter to encode it.")

    def _show_info(self) -> None:
        """The slot, its size and undo/redo depths on the grid's border; the cursor, selection and typing below."""
        grid = self.grid
        codes = grid.shown
        undo, redo = self.depths.get(grid.slot, ("?", "?"))
        grid.border_title = "Slot " + "".join(f"[reverse] {slot} [/]" if slot == grid.slot else f" {slot} " for slot in SLOTS)
        marked = " · ~ blended" if grid.blended.get(grid.slot) else ""
        grid.border_subtitle = "" if codes is None else f"{codes.shape[1]} frames · undo {undo} · redo {redo}{marked}"
        parts = []
        if codes is not None:
            level, frame = grid.cursor
            code = grid.code_at_cursor
            parts.append(f"{grid.label(level)} · frame {frame} · {grid.seconds(frame):.2f} s · code {'…' if code is None else code}")
            selection = grid.selection
            if selection is not None:
                parts.append(f"selected {selection.describe(grid.level_labels)}")
            elif not grid.typed:
                parts.append("v or shift+arrows select, +/- step, r reimagine, c continue")  # keys the footer has no room for
            if grid.typed:
                parts.append(f"new index {grid.typed} (Enter sets it)")
        self.query_one("#codes-info", Static).update(" · ".join(parts))

    def _show_activity(self, text: str) -> None:
        self.query_one("#codes-activity", Static).update(text)

    def _show_copy(self, text: str) -> None:
        """The last variation's copy check, on its own line (shown from the first one on)."""
        line = self.query_one("#codes-copy", Static)
        line.update(text)
        line.add_class("-shown")

    @on(CodeGrid.CursorChanged)
    def _cursor_changed(self) -> None:
        """Follow the grid: the slot to encode into, its placeholder and the info line."""
        self.query_one("#codes-source-label", Label).update(f"Encode into {self.grid.slot}:")
        self._show_placeholder()
        self._show_info()

    # -- requests -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#codes-path")
    def _encode(self, event: Input.Submitted) -> None:
        """Encode the file into the shown slot; its grid arrives with `/distill/encoded`."""
        if event.value.strip():
            self.send("/distill/encode", self.grid.slot, str(Path(event.value.strip()).expanduser()))
            self.grid.focus()

    @on(CodeGrid.IndexChosen)
    def _set_cell(self, event: CodeGrid.IndexChosen) -> None:
        self.send("/distill/cell/set", event.slot, event.level, event.frame, event.index)

    def action_show_slot(self, slot: str) -> None:
        """Show slot A or B."""
        self.grid.slot = slot

    def action_focus_path(self) -> None:
        """Go to the path of the sound file to encode."""
        self.query_one("#codes-path", Input).focus()

    def action_back_to_grid(self) -> None:
        """Leave the path or the blend weight for the grid."""
        self.query_one("#codes-weight", Input).remove_class("-asking")
        self.grid.focus()

    def action_swap(self) -> None:
        """Exchange the selection (or the cell under the cursor) with the same frames and levels of the other slot."""
        grid = self.grid
        region = grid.edit_region
        if region is None:
            return
        self._swap_sent, self._swap_depths, self._swap_changed = (grid.slot, grid.other_slot), {}, set()
        self.send("/distill/swap", grid.slot, grid.other_slot, region.start, region.end, *self._levels(region))

    def _swap_edited(self, slot: str, depth: int) -> None:
        """An edit of `slot` was announced: once both edits of the swap sent are, remember it for undo.

        A swap of alike regions changes no cell and adds no undo step: there is nothing to undo in pairs."""
        if self._swap_sent is not None and slot in self._swap_sent and slot not in self._swap_changed:
            self._swap_sent = None
        if self._swap_sent is None or slot not in self._swap_sent:
            self.swaps.pop(slot, None)  # another edit: the swap is no longer this slot's last one
            return
        self._swap_depths[slot] = depth
        if len(self._swap_depths) == 2:
            a, b = self._swap_sent
            self.swaps[a] = SwapMade(b, self._swap_depths[a], self._swap_depths[b])
            self.swaps[b] = SwapMade(a, self._swap_depths[b], self._swap_depths[a])
            self._swap_sent = None

    def action_reimagine(self) -> None:
        """Have the prior redraw the selection (or the cell under the cursor), its frames and levels, given the frames
        before; the new cells arrive as any edit's do, and undo takes them back."""
        grid = self.grid
        region = grid.edit_region
        if region is None:
            return
        self.send("/distill/reimagine", grid.slot, region.start, region.end, *self._levels(region))
        self._show_activity(f"Reimagining {region.describe(grid.level_labels)} of slot {grid.slot}…")

    def action_continue_slot(self) -> None:
        """Have the prior go on from the shown slot for `duration` seconds into a new slot (the first free one)."""
        if self.grid.shown is None:
            return
        seconds = self.app.state.params.get("duration", CONTINUE_SECONDS)
        self.send("/distill/continue", self.grid.slot, float(seconds))
        self._show_activity(f"Continuing slot {self.grid.slot} by {seconds:g} s…")

    def _levels(self, region: GridRegion) -> tuple[int, ...]:
        """The levels to send for `region`: none when it covers every level (the engine's default)."""
        return () if len(region.levels) == self.grid.shown.shape[0] else region.levels

    def blend_region(self) -> GridRegion | None:
        """What a blend covers: the selection, or every frame both slots have, of every level."""
        grid = self.grid
        if grid.shown is None:
            return None
        other = grid.grids.get(grid.other_slot)
        frames = grid.shown.shape[1] if other is None else min(grid.shown.shape[1], other.shape[1])
        return grid.selection or GridRegion(tuple(range(grid.shown.shape[0])), 0, frames)

    def action_ask_weight(self) -> None:
        """Ask for the weight of a blend of the shown slot towards the other one."""
        grid, region = self.grid, self.blend_region()
        if region is None:
            return
        weight = self.query_one("#codes-weight", Input)
        where = region.describe(grid.level_labels)
        weight.placeholder = f"Blend {grid.slot} towards {grid.other_slot} over {where}: weight 0-1, then Enter; Esc cancels"
        weight.value = ""
        weight.add_class("-asking")
        weight.focus()

    @on(Input.Submitted, "#codes-weight")
    def _blend(self, event: Input.Submitted) -> None:
        """Blend the region the prompt named (the selection's frames and levels, or all) with the typed weight."""
        try:
            weight = float(event.value)
        except ValueError:
            self.notify(f"a blend weight is a number from 0 to 1, not {event.value!r}", severity="warning")
            return
        grid, region = self.grid, self.blend_region()
        if region is not None:
            self.send("/distill/blend", grid.slot, grid.other_slot, weight, region.start, region.end, *self._levels(region))
        self.action_back_to_grid()

    def action_undo(self) -> None:
        """Undo the shown slot's last edit; both halves of a swap made here while the other slot is unchanged."""
        slot = self.grid.slot
        swap = self.swaps.pop(slot, None)
        depth = self.depths.get(slot, (None, None))[0]
        self.send("/distill/undo", slot)
        if swap is None or swap.depth != depth:
            return
        self.swaps.pop(swap.other, None)
        if self.depths.get(swap.other, (None, None))[0] == swap.other_depth:
            self.send("/distill/undo", swap.other)
            self._show_activity(f"Undid the swap in both slots, {slot} and {swap.other}")
        else:
            self._show_activity(f"Undid {slot}'s half of the swap; {swap.other} was edited since and keeps its half")

    def action_redo(self) -> None:
        """Redo the shown slot's last undone edit."""
        self.send("/distill/redo", self.grid.slot)

    def action_decode(self) -> None:
        """Decode the shown slot to a sound file."""
        self.send("/distill/decode", self.grid.slot)

    def action_play(self) -> None:
        """Play the shown slot: its last decoded file while the grid is unchanged, else decoded afresh."""
        slot = self.grid.slot
        last = self.decoded.get(slot)
        if last is not None and last.holds(self.grid.grids.get(slot), self.grid.blended.get(slot, set())):
            self.send("/distill/play", last.path)
        else:
            self.send("/distill/play", slot)

    def action_preview(self) -> None:
        """Listen to the codebook entry under the cursor on its own."""
        code = self.grid.code_at_cursor
        if code is not None:
            self._preview(self.grid.cursor[0], code)

    @work(thread=True, exclusive=True, group="preview")
    def _preview(self, level: int, index: int) -> None:
        """Have the engine write the entry's clip, then play it."""
        previewed = self.request("/distill/preview", level, index, reply=Previewed, timeout=60.0)
        if previewed is not None:  # named here too: without an audio output the file is all there is
            self.app.call_from_thread(self._show_activity, f"Code {index} of {self.grid.label(level)} on its own: {previewed.path}")
            self.send("/distill/play", str(previewed.path))
