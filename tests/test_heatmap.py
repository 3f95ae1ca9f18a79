"""The usage heatmap's glyphs and legend, defined once in the engine and drawn by the CLI and the terminal app."""

from __future__ import annotations

from engine.heatmap import SHADES, heatmap_text, legend_text, usage_kinds


def test_each_code_is_shaded_by_its_share_of_an_even_use():
    assert usage_kinds([8, 4, 2, 1, 1, 0]) == ["heavy", "used", "used", "light", "light", "dead"]  # an even share is 16/6
    assert usage_kinds([5, 5, 5, 5]) == ["used"] * 4  # evenly used: no code stands out
    assert usage_kinds([0, 0]) == ["dead", "dead"]


def test_the_text_heatmap_has_one_row_per_level_and_width_then_the_legend():
    text = heatmap_text([[8, 4, 2, 1, 1, 0], [0, 3, 3, 0, 0, 0]], ("Structure", "Timbre"), width=4)
    assert text.splitlines() == [
        "Structure    0 │█▓▓░│",
        "             4 │░·│",
        "Timbre       0 │·██·│",
        "             4 │··│",
        legend_text(),
    ]
    assert legend_text() == "█ heavily used (≥ 2× an even share)   ▓ used   ░ lightly used (< 0.5× an even share)   · dead (never used)"


def test_the_terminal_app_draws_the_engines_glyphs():
    from tui.widgets import usage_heatmap

    assert usage_heatmap.SHADES is SHADES and usage_heatmap.usage_kinds is usage_kinds
