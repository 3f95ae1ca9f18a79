"""Asking for a line of text in a modal dialog: `push_screen(NamePrompt("Rename to", "old"), callback)` gets the text or None."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class NamePrompt(ModalScreen[str | None]):
    """An Input under `prompt`, filled with `value`; Enter or OK gives the stripped text, Escape gives None.

    A blank answer counts as cancelling unless `blank_ok` (then it gives "", e.g. to clear a description);
    whether the text is valid is for the engine to say.
    """

    DEFAULT_CSS = """
    NamePrompt { align: center middle; }
    NamePrompt > Vertical { width: 60; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    NamePrompt Input { margin: 1 0; }
    NamePrompt Horizontal { height: auto; align-horizontal: right; }
    NamePrompt Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, value: str = "", *, blank_ok: bool = False):
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.blank_ok = blank_ok

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt)
            yield Input(self.value, id="name")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _accept(self) -> None:
        """Enter in the field, or OK."""
        text = self.query_one(Input).value.strip()
        self.dismiss(text if text or self.blank_ok else None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Escape, or Cancel."""
        self.dismiss(None)
