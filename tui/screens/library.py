"""The Library screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from tui.screens.base import EngineScreen


class LibraryScreen(EngineScreen):
    """Library (being built)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Library")
        yield Footer()
