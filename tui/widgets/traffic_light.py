"""The codebook-health traffic light: a coloured dot per level, green / yellow / red as the engine judges it."""

from __future__ import annotations

from rich.text import Text

LIGHT_STYLES = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}


def light_dot(light: str) -> Text:
    """A coloured dot for `light` (green, yellow or red; anything else is a dim, hollow dot)."""
    if light in LIGHT_STYLES:
        return Text("●", style=LIGHT_STYLES[light])
    return Text("○", style="dim")

