"""The Codes screen: encode sounds into slots A and B, edit their code grids, decode, play and preview.

Like a patch, it only speaks the engine's OSC contract. The grid widget is filled from `/distill/grid`
messages, the replies to `/distill/grid/get` and the events every edit sends to all subscribers, so an edit
made by any client shows up live, and an edit made here is a request whose result arrives the same way:
the engine stays the one source of truth.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Label, Static

from engine.events import Decoded, Encoded, JobProgress, Playing, Previewed
from engine.osc.messages import Edited, Error, GridCodes, GridSize, LoadedModel, SlotNames
from tui.screens.base import EngineScreen
from tui.widgets.code_grid import SLOTS, CodeGrid

SAMPLES_PER_FRAME = 2048  # hop length 512 x 4 mel frames per code frame


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
        height: 1;
        padding: 0 1;
    }
    CodesScreen #codes-activity {
        color: $text-muted;
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
        Binding("u,ctrl+z", "undo", "Undo"),
        Binding("ctrl+r,ctrl+y", "redo", "Redo"),
        Binding("d", "decode", "Decode"),
        Binding("p", "play", "Play"),
        Binding("space", "preview", "Preview"),
        Binding("escape", "back_to_grid", "Back", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.depths: dict[str, tuple[int, int]] = {}  # slot -> (undo, redo) depths, as last announced
        self._fetching: set[str] = set()  # slots with a /distill/grid/get on its way

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="codes-source"):
            yield Label("Encode into A:", id="codes-source-label")
            yield Input(placeholder="path of a sound file, then Enter", id="codes-path")
        yield CodeGrid(id="codes-grid")
        yield Static(id="codes-info", markup=False)
        yield Input(id="codes-weight")
        yield Static(id="codes-activity", markup=False)
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
            case LoadedModel():
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
                if not self.grid.put_codes(slot, level, first_frame, list(codes)):
                    self._fetch(slot)
            case Edited(slot, undo_depth, redo_depth) if slot in SLOTS:
                self.depths[slot] = (undo_depth, redo_depth)
            case Decoded(slot, path) if slot in SLOTS:
                self._show_activity(f"Decoded slot {slot} to {path}")
            case Playing(path):
                self._show_activity(f"Playing {path}")
            case JobProgress(_, fraction, message) if fraction < 1.0:
                self._show_activity(f"{message}…")
            case Error("/distill/grid/get"):
                self._fetching.clear()
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
            self.grid.show_model(model.labels, model.codebook_size, model.sample_rate / SAMPLES_PER_FRAME)
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
        grid.border_subtitle = "" if codes is None else f"{codes.shape[1]} frames · undo {undo} · redo {redo}"
        parts = []
        if codes is not None:
            level, frame = grid.cursor
            code = grid.code_at_cursor
            parts.append(f"{grid.label(level)} · frame {frame} · {grid.seconds(frame):.2f} s · code {'…' if code is None else code}")
            selection = grid.selection
            if selection is not None:
                first, last = grid.label(selection.levels[0]), grid.label(selection.levels[-1])
                parts.append(f"selected frames {selection.start}-{selection.end - 1} of {first if first == last else f'{first}-{last}'}")
            if grid.typed:
                parts.append(f"new index {grid.typed} (Enter sets it)")
        self.query_one("#codes-info", Static).update(" · ".join(parts))

    def _show_activity(self, text: str) -> None:
        self.query_one("#codes-activity", Static).update(text)

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
        every_level = len(region.levels) == grid.shown.shape[0]
        self.send("/distill/swap", grid.slot, grid.other_slot, region.start, region.end, *(() if every_level else region.levels))

    def action_ask_weight(self) -> None:
        """Ask for the weight of a blend of the shown slot towards the other one."""
        grid = self.grid
        selection = grid.selection
        where = "all frames" if selection is None else f"frames {selection.start + 1}-{selection.end}"
        weight = self.query_one("#codes-weight", Input)
        weight.placeholder = f"Blend {grid.slot} towards {grid.other_slot} over {where} (every level): weight 0-1, then Enter; Esc cancels"
        weight.value = ""
        weight.add_class("-asking")
        weight.focus()

    @on(Input.Submitted, "#codes-weight")
    def _blend(self, event: Input.Submitted) -> None:
        """Blend over the selection's frames (or all of them) with the typed weight."""
        try:
            weight = float(event.value)
        except ValueError:
            self.notify(f"a blend weight is a number from 0 to 1, not {event.value!r}", severity="warning")
            return
        grid = self.grid
        selection = grid.selection
        frames = () if selection is None else (selection.start, selection.end)
        self.send("/distill/blend", grid.slot, grid.other_slot, weight, *frames)
        self.action_back_to_grid()

    def action_undo(self) -> None:
        """Undo the shown slot's last edit."""
        self.send("/distill/undo", self.grid.slot)

    def action_redo(self) -> None:
        """Redo the shown slot's last undone edit."""
        self.send("/distill/redo", self.grid.slot)

    def action_decode(self) -> None:
        """Decode the shown slot to a sound file."""
        self.send("/distill/decode", self.grid.slot)

    def action_play(self) -> None:
        """Play the shown slot (the engine decodes it first)."""
        self.send("/distill/play", self.grid.slot)

    def action_preview(self) -> None:
        """Listen to the codebook entry under the cursor on its own."""
        code = self.grid.code_at_cursor
        if code is not None:
            self._preview(self.grid.cursor[0], code)

    @work(thread=True, exclusive=True, group="preview")
    def _preview(self, level: int, index: int) -> None:
        """Have the engine write the entry's clip, then play it."""
        previewed = self.request("/distill/preview", level, index, reply=Previewed, timeout=60.0)
        if previewed is not None:
            self.send("/distill/play", str(previewed.path))
