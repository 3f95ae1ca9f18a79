"""The line under the header naming the five screens and their keys, so F1-F5 stay in sight at any width.

    F1 Library   F2 Train   F3 Codes   F4 Generate   F5 Health        (the shown screen highlighted)

The footer lists the shown screen's own keys; at 80 columns it has no room left for F1-F5, so they live here.
A click on a name switches to that screen too.
"""

from __future__ import annotations

from textual.widgets import Static

# (mode, key, name) in key order; the app binds the keys from this table.
SCREENS = (
    ("library", "f1", "Library"),
    ("train", "f2", "Train"),
    ("codes", "f3", "Codes"),
    ("generate", "f4", "Generate"),
    ("health", "f5", "Health"),
)


class ScreenBar(Static):
    """The five screens with their keys; `current` (a mode name) is highlighted."""

    DEFAULT_CSS = """
    ScreenBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str):
        items = []
        for mode, key, name in SCREENS:
            label = f" {key.upper()} {name} "
            style = "bold reverse" if mode == current else "bold"
            items.append(f"[{style} @click=app.switch_mode('{mode}')]{label}[/]")
        super().__init__("  ".join(items))
