"""The Generate screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from tui.screens.base import EngineScreen


class GenerateScreen(EngineScreen):
    """Generate (being built)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Generate")
        yield Footer()
