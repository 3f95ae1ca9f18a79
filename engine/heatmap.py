"""Codebook usage as a heatmap: one glyph per code, from dead to heavily used; `distill health` and the terminal
app both draw it with these glyphs and this legend.

A code's use is compared with an even share of its level's traffic (total uses / codebook size):

    █ heavily used   at least HEAVY_FROM even shares
    ▓ used           in between
    ░ lightly used   under LIGHT_BELOW of an even share
    · dead           never used

Nothing here imports torch, so the terminal app can use it without loading a model library.
"""

from __future__ import annotations

HEAVY_FROM = 2.0
LIGHT_BELOW = 0.5
SHADES = {"heavy": "█", "used": "▓", "light": "░", "dead": "·"}  # kind of use -> its glyph
LEGEND = (
    ("heavy", f"heavily used (≥ {HEAVY_FROM:g}× an even share)"),
    ("used", "used"),
    ("light", f"lightly used (< {LIGHT_BELOW:g}× an even share)"),
    ("dead", "dead (never used)"),
)
ROW_CODES = 64  # codes per row of the text heatmap
LABEL_WIDTH = 9  # "Structure"


def usage_kind(count: int, even_share: float) -> str:
    """heavy, used, light or dead: how `count` uses compare with `even_share`."""
    if count <= 0:
        return "dead"
    if count >= HEAVY_FROM * even_share:
        return "heavy"
    if count < LIGHT_BELOW * even_share:
        return "light"
    return "used"


def usage_kinds(counts: list[int]) -> list[str]:
    """The kind of every code of one level, from its usage counts."""
    even_share = sum(counts) / len(counts) if counts else 0.0
    return [usage_kind(count, even_share) for count in counts]


def legend_text() -> str:
    """The legend on one line: '█ heavily used (≥ 2× an even share)   ▓ used   ...'."""
    return "   ".join(f"{SHADES[kind]} {meaning}" for kind, meaning in LEGEND)


def heatmap_text(counts: list[list[int]], labels: tuple[str, ...], width: int = ROW_CODES) -> str:
    """Usage counts `[L][K]` as text: per level, rows of `width` glyphs led by the label and the first code's
    index, then the legend."""
    lines = []
    for label, row in zip(labels, counts):
        glyphs = [SHADES[kind] for kind in usage_kinds([int(count) for count in row])]
        for start in range(0, len(glyphs), width):
            name = label if start == 0 else ""
            lines.append(f"{name:<{LABEL_WIDTH}} {start:>4} │{''.join(glyphs[start:start + width])}│")
    lines.append(legend_text())
    return "\n".join(lines)
