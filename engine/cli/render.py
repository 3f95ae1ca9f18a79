"""Plain-text rendering shared by CLI commands (health tables, training lines)."""

from __future__ import annotations

from engine.training.health import LevelHealth

LIGHT_SYMBOL = {"green": "[green]●[/green]", "yellow": "[yellow]●[/yellow]", "red": "[red]●[/red]"}


def level_line(h: LevelHealth) -> str:
    """One compact line per level: 'Structure 78% ppl 41.2 dead 14'."""
    return f"{h.label} {h.utilisation:.0%} ppl {h.perplexity:.1f} dead {h.dead}"


def health_rows(levels: list[LevelHealth], markup: bool = True) -> list[str]:
    """Aligned per-level rows with the traffic light and the plain-language verdict."""
    rows = []
    for h in levels:
        light = LIGHT_SYMBOL[h.light] if markup else f"[{h.light}]"
        rows.append(
            f"  {light} {h.label:<9} utilisation {h.utilisation:>4.0%}   perplexity {h.perplexity:>6.1f}   "
            f"dead codes {h.dead:>4}   {h.status}"
        )
    return rows
