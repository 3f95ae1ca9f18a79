"""A labelled input for one number the engine owns: it shows the engine's value and offers what is typed."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label


def format_number(value: float | int | None) -> str:
    """How a parameter is shown: whole numbers as they are, others to 6 significant digits ('' when unknown)."""
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def parse_number(text: str) -> int | float | str:
    """The number `text` holds (int when whole, else float); the text itself when it is no number.

    Text that is no number is still sent, so that the engine's own error message explains what it wants.
    """
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class ParamField(Horizontal):
    """`label` and an Input for the parameter `name`.

    `show(value)` displays the engine's value (not while the user is editing the field); Enter or leaving the
    field posts `ParamField.Typed` when the text differs from the value shown; `revert()` puts the engine's
    value back (after the engine refused the typed one).
    """

    DEFAULT_CSS = """
    ParamField { height: 1; margin-bottom: 1; }
    ParamField > Label { width: 14; }
    ParamField > Input { width: 1fr; }
    """

    class Typed(Message):
        """The user entered `value` for parameter `name`."""

        def __init__(self, field: ParamField, name: str, value: int | float | str):
            super().__init__()
            self.field = field
            self.name = name
            self.value = value

    def __init__(self, name: str, label: str, value: float | int | None = None):
        super().__init__(id=f"param-{name}")
        self.param = name
        self.label = label
        self.value = value
        self._shown = format_number(value)

    def compose(self) -> ComposeResult:
        yield Label(self.label)
        yield Input(self._shown, id=f"input-{self.param}", compact=True)

    @property
    def input(self) -> Input:
        """The field's Input."""
        return self.query_one(Input)

    def show(self, value: float | int) -> None:
        """The engine's value is now `value`: display it unless the user is typing another one."""
        self.value = value
        field = self.input
        if field.has_focus and field.value != self._shown:
            return
        self._display(format_number(value))

    def revert(self) -> None:
        """Display the engine's value again, dropping what was typed."""
        self._display(format_number(self.value))

    def _display(self, text: str) -> None:
        self._shown = text
        self.input.value = text

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _commit(self, event: Input.Submitted | Input.Blurred) -> None:
        """Enter, or focus left the field: offer the typed value if it changed (blank reverts)."""
        event.stop()
        text = self.input.value.strip()
        if text == self._shown:
            return
        if not text:
            self.revert()
            return
        self._shown = text
        self.post_message(self.Typed(self, self.param, parse_number(text)))
