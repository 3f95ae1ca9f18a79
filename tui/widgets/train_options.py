"""The training options as a small form that mirrors the engine's options (`/distill/train/option`).

The engine holds the options; this form shows what it announces. A value typed into a field is offered on
Enter or when the field loses focus (as `TrainOptions.Edited`, which the screen sends); when the engine
refuses it, `revert()` puts the engine's values back.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from tui.widgets.param_field import format_number, parse_number

# (key, label, tooltip) in the order the form shows them.
OPTIONS = (
    ("levels", "levels", "Quantizer levels, coarse to fine: 2, 3 or 4."),
    ("codebook_size", "codebook size", "Codes per level; auto (0) adapts it to the number of sounds."),
    ("codebook_dim", "code dim", "Size of each code vector."),
    ("commitment_weight", "commitment", "How strongly the encoder is pulled towards its codes; lower it if codes collapse."),
    ("hidden", "hidden", "Convolution channels: smaller trains faster and reconstructs less well."),
    ("minutes", "minutes", "Training time budget; default (0) is the trainer's default budget."),
    ("seed", "seed", "Random seed of the run: the same seed and data train the same model."),
)
OPTION_KEYS = tuple(key for key, _, _ in OPTIONS)
ZERO_SHOWN = {"codebook_size": "auto", "minutes": "default"}  # what 0 means for these, shown as the empty field's placeholder


class TrainOptions(Vertical):
    """A field per training option, and a note line (e.g. what the adaptive defaults were based on)."""

    DEFAULT_CSS = """
    TrainOptions {
        height: auto;
    }
    TrainOptions > Grid {
        grid-size: 6;
        grid-columns: 14 10;
        grid-rows: 1;
        grid-gutter: 0 1;
        height: auto;
    }
    TrainOptions Label {
        width: 100%;
        text-align: right;
    }
    TrainOptions > #options-note {
        color: $text-muted;
    }
    """

    @dataclass
    class Edited(Message):
        """The user typed a new value for option `key`."""

        key: str
        value: float | int | str

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.known: dict[str, float | int] = {}  # as the engine last announced them
        self._offered: dict[str, str] = {}  # the text each field last showed or offered, so it is offered once

    def compose(self) -> ComposeResult:
        with Grid():
            for key, label, tooltip in OPTIONS:
                yield Label(label)
                yield Input(placeholder=ZERO_SHOWN.get(key, ""), type="number", compact=True, id=f"option-{key}", tooltip=tooltip)
        yield Static("Choose a sound folder to see the defaults adapted to it.", id="options-note")

    def field(self, key: str) -> Input:
        """The input of option `key`."""
        return self.query_one(f"#option-{key}", Input)

    def show(self, key: str, value: float | int) -> None:
        """Show the engine's value of option `key` (a 0 that means "auto" or "default" as that word)."""
        if key not in OPTION_KEYS:
            return
        self.known[key] = value
        self._offered[key] = "" if key in ZERO_SHOWN and value == 0 else format_number(value)
        self.field(key).value = self._offered[key]

    def note(self, text: str) -> None:
        """Show `text` under the fields."""
        self.query_one("#options-note", Static).update(text)

    def revert(self) -> None:
        """Put the engine's values back into every field (the engine refused a typed value)."""
        for key, value in self.known.items():
            self.show(key, value)

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _offer(self, event: Input.Submitted | Input.Blurred) -> None:
        """Offer a field's new text (once); an emptied field shows the engine's value again."""
        key = (event.input.id or "").removeprefix("option-")
        if key not in OPTION_KEYS:
            return
        text = event.value.strip()
        if text == self._offered.get(key):
            return
        if not text and key in self.known:
            self.show(key, self.known[key])
        elif text:
            self._offered[key] = text
            self.post_message(self.Edited(key, parse_number(text)))
