"""The Generate screen: sampling parameters, generating and playing sounds, presets, and the history.

The parameter fields mirror the engine's `/distill/param/*` values (another client's change shows up at
once); a value typed is sent on Enter or when the field is left, and when the engine refuses it the field
goes back to the engine's value. `o` switches the `one_shot` parameter, shown on the Sampling box. Presets and the history are lists the screen asks for and refreshes when
the engine announces a change (`/distill/preset/saved|deleted`, `/distill/generated`).

The prompt (`c` cycles through none and the filled slots, as `/distill/slots` and `/distill/encoded` announce
them) says what `g` makes: without one, new sounds (`/distill/generate`); with slot A, continuations of A for the
duration parameter (`/distill/continue`, into the first free slot), each decoded to a file (`/distill/decode`)
that the status line names, and the engine's copy check of each (`/distill/copy`) pops up as a notification.
Continuations are not in the history, which lists generations.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Label, ProgressBar, Static

from engine.codes.copies import describe_copy
from engine.events import (
    Continued,
    CopyChecked,
    CopyUnavailable,
    Decoded,
    Encoded,
    Generated,
    JobProgress,
    ParamChanged,
    Playing,
    PresetDeleted,
    PresetSaved,
)
from engine.osc.messages import Error, HistoryEntry, HistoryListEnd, PresetEntry, PresetListEnd, PresetLoaded, SlotNames, Subscribed
from tui.screens.base import EngineScreen
from tui.screens.codes import CONTINUE_SECONDS
from tui.widgets.confirm import ConfirmDialog
from tui.widgets.name_prompt import NamePrompt
from tui.widgets.param_field import ParamField
from tui.widgets.screen_bar import ScreenBar
from tui.widgets.table_rows import highlight_key, highlighted_key

PARAMS = (("temperature", "temperature"), ("top_k", "top-k"), ("top_p", "top-p"), ("duration", "duration (s)"), ("seed", "seed"))
PARAM_NAMES = {name for name, _ in PARAMS}
PARAM_PREFIX = "/distill/param/"  # the requests that set a parameter
MAX_COUNT_PER_PRESS = 100  # sounds one press of `g` may generate in a row
HISTORY_ROWS = 100  # newest generations listed


def shown_param(address: str) -> str | None:
    """The parameter a request to `address` sets when this screen has a field for it (`/distill/param/top_k` -> 'top_k')."""
    name = address.removeprefix(PARAM_PREFIX)
    return name if address.startswith(PARAM_PREFIX) and name in PARAM_NAMES else None


def prompt_text(slot: str | None) -> str:
    """What the prompt row shows: the slot `g` continues, or none (`g` generates)."""
    return "none" if slot is None else f"slot {slot}: g continues it"


def sampling_title(one_shot: int | None) -> str:
    """The Sampling box's title, which says whether sounds are one-shots (the `one_shot` parameter)."""
    return "Sampling · one-shots (o)" if one_shot else "Sampling · fixed length (o)"


class PresetTable(DataTable):
    """The presets: Enter loads one, x or Delete deletes it (once confirmed)."""

    BINDINGS = [Binding("enter", "select_cursor", "Load preset"), Binding("x,delete", "screen.delete_preset", "Delete preset")]


class HistoryTable(DataTable):
    """Generated sounds, newest first: Enter plays one."""

    BINDINGS = [Binding("enter", "select_cursor", "Play", show=False)]  # the footer shows p already


class GenerateScreen(EngineScreen):
    """Parameters, buttons and presets on the left; the history on the right; job progress below."""

    DEFAULT_CSS = """
    GenerateScreen #generate { height: 1fr; }
    GenerateScreen #controls { width: 40; }
    GenerateScreen #sampling { height: auto; border: round $primary; padding: 1 1 0 1; }
    GenerateScreen.-short #sampling { padding: 0 1; }
    GenerateScreen.-short ParamField { margin-bottom: 0; }
    GenerateScreen #prompt-row { height: 1; margin-bottom: 1; }
    GenerateScreen.-short #prompt-row { margin-bottom: 0; }
    GenerateScreen #prompt-row > Label { width: 14; }
    GenerateScreen #buttons { height: 3; }
    GenerateScreen #buttons Button { min-width: 10; margin-right: 1; }
    GenerateScreen DataTable { height: 1fr; border: round $primary; }
    GenerateScreen DataTable:focus { border: round $accent; }
    GenerateScreen #job { height: auto; padding: 0 1; }
    GenerateScreen #job-progress { width: auto; margin-right: 2; }
    GenerateScreen #generate-status { width: 1fr; height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("g", "generate", "Generate"),
        Binding("o", "toggle_one_shot", "One-shot"),
        Binding("c", "cycle_prompt", "Prompt", show=False),  # the footer has no room at 80 columns: the prompt row names it
        Binding("p", "play", "Play"),
        Binding("s", "stop", "Stop"),  # playback and a batch
        Binding("R", "replay", "Replay"),
        Binding("S", "save_preset", "Save preset"),
        Binding("escape", "focus_history", "History", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._presets: list[PresetEntry] = []  # presets received so far
        self._history: list[HistoryEntry] = []  # history entries received so far
        self._paths: dict[str, str] = {}  # history id -> its file
        self._select_path: str | None = None  # highlight this file when the history next arrives
        self._batch: tuple[int, int] | None = None  # (made, asked for) while generating `count` sounds
        self._tag: str | None = None  # this screen's generations are sent with it, so their answers are told apart
        self._slots: list[str] = []  # the filled slots, as the engine announced them
        self._prompt: str | None = None  # the slot `g` continues (None: `g` generates)

    def compose(self) -> ComposeResult:
        params = self.app.state.params
        yield Header()
        yield ScreenBar("generate")
        with Horizontal(id="generate"):
            with Vertical(id="controls"):
                with Vertical(id="sampling") as sampling:
                    sampling.border_title = sampling_title(params.get("one_shot"))
                    for name, label in PARAMS:
                        yield ParamField(name, label, params.get(name))
                    yield ParamField("count", "count", 1)
                    with Horizontal(id="prompt-row"):
                        yield Label("prompt (c)")
                        yield Static(prompt_text(None), id="prompt")
                    with Horizontal(id="buttons"):
                        yield Button("Generate", id="generate-button", variant="primary")
                        yield Button("Play", id="play-button")
                        yield Button("Stop", id="stop-button")
                presets = PresetTable(id="presets", cursor_type="row")
                presets.border_title = "Presets"
                presets.add_columns("preset", "temp", "top-k", "top-p", "dur")
                yield presets
            history = HistoryTable(id="history", cursor_type="row", zebra_stripes=True)
            history.border_title = "History"
            history.add_columns("#", "model", "seed", "dur", "temp", "top-k", "top-p", "file")  # the file name tells when
            yield history
        with Horizontal(id="job"):
            yield ProgressBar(total=1.0, show_eta=False, id="job-progress")
            yield Static("", id="generate-status")
        yield Footer()

    def on_mount(self) -> None:
        self._tag = self.app.link.new_tag()
        self.query_one("#history").focus()
        if self.app.state.connected:
            self.refresh_lists()

    def refresh_lists(self) -> None:
        """Ask for the presets, the history and the filled slots again."""
        self.send("/distill/preset/list")
        self.send("/distill/history/list", HISTORY_ROWS)
        self.send("/distill/slots")

    # -- hearing ----------------------------------------------------------------------------------------------

    def engine_message(self, record, tag: str | None) -> None:
        """Keep the fields, lists and status line up to date with what the engine says."""
        match record:
            case ParamChanged(name, value) if name in PARAM_NAMES:
                self._field(name).show(value)
            case ParamChanged("one_shot"):
                self._show_one_shot()
            case Error(address) if shown_param(address):
                self._field(shown_param(address)).revert()
            case Subscribed():
                self.refresh_lists()
            case Generated(path) if tag is None:  # any client's sound, this screen's too: the history changed
                self._select_path = str(path)
                self.send("/distill/history/list", HISTORY_ROWS)
                if self._batch is None:
                    self._status(f"generated {path.name}")
            case Generated(path) if tag == self._tag:  # the answer to this screen's own request
                self._sound_arrived(path.name)
            case Continued(source, slot, _, seed) if tag == self._tag:  # a continuation asked for here: make it heard
                self._status(f"continued slot {source} into slot {slot} with seed {seed}; decoding…")
                self.send("/distill/decode", slot, tag=self._tag)
            case Decoded(slot, path) if tag == self._tag:
                self._sound_arrived(f"{path.name} (slot {slot})")
            case CopyChecked(slot, columns, distinct, seconds, file) if tag == self._tag:  # the check of a continuation made here
                self.notify(f"slot {slot}: {describe_copy(columns, distinct, seconds, file)}", title="copy check")
            case CopyUnavailable(reason) if tag == self._tag:
                self.notify(reason, title="copy check", severity="warning")
            case SlotNames(slots):
                self._slots += [slot for slot in slots if slot not in self._slots]
            case Encoded(slot) if slot not in self._slots:  # filled by any client (a continuation too)
                self._slots.append(slot)
            case Error() if tag == self._tag:
                self._batch = None  # the engine refused: the rest of a batch would be refused too
                self._status("")
            case JobProgress(job, fraction, message) if job != "copy":  # a copy check ends in a notification, after the sound
                self.query_one("#job-progress", ProgressBar).update(progress=fraction)
                if self._batch is None:
                    self._status(f"{job}: {message}")
            case Playing(path):
                self._status(f"playing {path.name}")
            case PresetSaved() | PresetDeleted():
                self.send("/distill/preset/list")
            case PresetLoaded(name):
                self._status(f"preset {name} loaded")
            case PresetEntry():
                self._presets.append(record)
            case PresetListEnd():
                self._fill_presets(self._presets)
                self._presets = []
            case HistoryEntry():
                self._history.append(record)
            case HistoryListEnd():
                self._fill_history(self._history)
                self._history = []

    def _show_one_shot(self) -> None:
        self.query_one("#sampling").border_title = sampling_title(self.app.state.params.get("one_shot"))

    def _field(self, name: str) -> ParamField:
        return self.query_one(f"#param-{name}", ParamField)

    # -- showing ---------------------------------------------------------------------------------------------

    def _fill_presets(self, presets: list[PresetEntry]) -> None:
        table = self.query_one("#presets", DataTable)
        keep = highlighted_key(table)
        table.clear()
        for p in presets:
            table.add_row(p.name, f"{p.temperature:.3g}", str(p.top_k), f"{p.top_p:.3g}", f"{p.duration:.3g}", key=p.name)
        highlight_key(table, keep)

    def _fill_history(self, entries: list[HistoryEntry]) -> None:
        table = self.query_one("#history", DataTable)
        keep = highlighted_key(table)
        table.clear()
        self._paths = {}
        for e in entries:
            key = str(e.id)
            self._paths[key] = str(e.path)
            table.add_row(key, e.model, str(e.seed), f"{e.duration:.3g}", f"{e.temperature:.3g}", str(e.top_k), f"{e.top_p:.3g}", e.path.name, key=key)
            if str(e.path) == self._select_path:
                keep = key
        self._select_path = None
        highlight_key(table, keep)

    def _sound_arrived(self, name: str) -> None:
        """Say which sound arrived, and ask for the batch's next one."""
        if self._batch is None:
            self._status(f"generated {name}")
            return
        made, count = self._batch[0] + 1, self._batch[1]
        self._status(f"generated {name}" if count == 1 else f"generated {made} of {count}: {name}")
        self._batch = (made, count) if made < count else None
        if self._batch is not None:
            self._generate_next()

    def _status(self, text: str) -> None:
        self.query_one("#generate-status", Static).update(text)

    # -- the user ---------------------------------------------------------------------------------------------

    @on(ParamField.Typed)
    def _typed(self, event: ParamField.Typed) -> None:
        """A value was typed: the count is the TUI's own, the rest go to the engine."""
        if event.name != "count":
            self.send(f"{PARAM_PREFIX}{event.name}", event.value)
        elif isinstance(event.value, int) and 1 <= event.value <= MAX_COUNT_PER_PRESS:
            event.field.show(event.value)
        else:
            self.notify(f"count must be a whole number from 1 to {MAX_COUNT_PER_PRESS}, not {event.value}", severity="error")
            event.field.revert()

    @on(Button.Pressed, "#generate-button")
    def action_generate(self) -> None:
        """Generate `count` sounds in a row with the current parameters, or continue the prompt slot `count` times (each
        asked for when the last arrives)."""
        if self._batch is not None:
            made, count = self._batch
            self.notify(f"still generating: {made} of {count} sounds made", severity="warning")
            return
        self._batch = (0, int(self._field("count").value))
        self._generate_next()

    def _generate_next(self) -> None:
        made, count = self._batch
        if self._prompt is None:
            self._status(f"generating sound {made + 1} of {count}…")
            self.send("/distill/generate", tag=self._tag)
        else:
            self._status(f"continuing slot {self._prompt}: sound {made + 1} of {count}…")
            self.send("/distill/continue", self._prompt, float(self.app.state.params.get("duration", CONTINUE_SECONDS)), tag=self._tag)

    def action_cycle_prompt(self) -> None:
        """Choose what `g` makes: new sounds (no prompt) or continuations of a filled slot, the next one each press."""
        choices = [None, *self._slots]
        if len(choices) == 1:
            self.notify("no slot holds a grid yet: encode a sound on the Codes screen (F3)", severity="warning")
            return
        self._prompt = choices[(choices.index(self._prompt) + 1) % len(choices)]
        self.query_one("#prompt", Static).update(prompt_text(self._prompt))

    def action_toggle_one_shot(self) -> None:
        """Switch one-shots on or off: on, a sound ends by itself where the prior learnt sounds end (at most `duration`)."""
        self.send(f"{PARAM_PREFIX}one_shot", 0 if self.app.state.params.get("one_shot") else 1)

    @on(Button.Pressed, "#play-button")
    def action_play(self) -> None:
        """Play the highlighted sound of the history (the newest after generating)."""
        key = self._history_selection()
        if key is not None:
            self.send("/distill/play", self._paths[key])

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a history row plays it."""
        self.send("/distill/play", self._paths[event.row_key.value])

    @on(Button.Pressed, "#stop-button")
    def action_stop(self) -> None:
        """Stop every sound the engine plays, and the rest of a batch (the sound being made still arrives)."""
        self.send("/distill/stop")
        if self._batch is not None:
            made, count = self._batch
            self._batch = None
            self._status(f"stopped after {made + 1} of {count} sounds")
        else:
            self._status("stopped")

    def action_replay(self) -> None:
        """Make the highlighted history sound again (same model, seed and settings) as a new file."""
        key = self._history_selection()
        if key is not None:
            self.send("/distill/history/replay", int(key), tag=self._tag)
            self._status(f"replaying #{key}…")

    def _history_selection(self) -> str | None:
        key = highlighted_key(self.query_one("#history", DataTable))
        if key is None:
            self.notify("nothing generated yet: press g", severity="warning")
        return key

    def action_save_preset(self) -> None:
        """Save the current parameters as a preset (asks for its name)."""

        def save(name: str | None) -> None:
            if name:
                self.send("/distill/preset/save", name)

        self.app.push_screen(NamePrompt("Save the current settings as preset:", highlighted_key(self.query_one("#presets", DataTable)) or ""), save)

    @on(DataTable.RowSelected, "#presets")
    def _preset_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a preset loads it (the engine announces every parameter it sets)."""
        self.send("/distill/preset/load", event.row_key.value)

    def action_delete_preset(self) -> None:
        """Delete the highlighted preset, once confirmed."""
        name = highlighted_key(self.query_one("#presets", DataTable))
        if name is None:
            return

        def delete(yes: bool | None) -> None:
            if yes:
                self.send("/distill/preset/delete", name)

        self.app.push_screen(ConfirmDialog(f"Delete preset '{name}'?", yes="Delete"), delete)

    def action_focus_history(self) -> None:
        """Leave a field for the history (so that the screen's keys work again)."""
        self.query_one("#history").focus()

