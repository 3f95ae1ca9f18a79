"""The Codes screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from tui.screens.base import EngineScreen


class CodesScreen(EngineScreen):
    """Codes (being built)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Codes")
        yield Footer()
