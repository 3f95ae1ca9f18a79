"""The Health screen: how the loaded model uses its codebooks, level by level.

For the loaded model it asks `/distill/health` (per level: utilisation, perplexity, dead codes and a
plain-language verdict) and `/distill/health/usage <level>` (how often each code was used in training),
and shows each level as a traffic light, its verdict and a heatmap with one cell per code. Everything is
asked again whenever a model is loaded, by this or any other client.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Static

from engine.osc.messages import AnnouncedModel, Error, HealthLevel, UsageEnd, UsagePage
from tui.screens.base import EngineScreen
from tui.widgets.screen_bar import ScreenBar
from tui.widgets.traffic_light import light_dot
from tui.widgets.usage_heatmap import UsageHeatmap, UsageLegend

LIGHT_ORDER = ("green", "yellow", "red")  # the overall light is the worst level's
WHAT_IS_COUNTED = "counted over every training file, unaugmented, as `distill health` does"  # the Train screen counts batches


class LevelPanel(Vertical):
    """One level: its traffic light and verdict on one line, its usage heatmap below."""

    DEFAULT_CSS = """
    LevelPanel {
        height: auto;
        margin-bottom: 1;
    }
    LevelPanel > .level-verdict {
        height: 1;
    }
    """

    def __init__(self, label: str, codebook_size: int):
        super().__init__()
        self.label, self.codebook_size = label, codebook_size
        self.light = self.status = ""
        self.verdict = Static(Text.assemble(light_dot(""), f" {label}  waiting for the engine…"), classes="level-verdict")
        self.heatmap = UsageHeatmap([0] * codebook_size)

    def compose(self) -> ComposeResult:
        yield self.verdict
        yield self.heatmap

    def show_health(self, utilisation: float, perplexity: float, dead: int, status: str, light: str) -> None:
        """Show the level's verdict and figures."""
        self.light, self.status = light, status
        self.verdict.update(
            Text.assemble(
                light_dot(light), f" {self.label:<10} ", (status, "bold"),
                (f"  ·  {utilisation:.0%} of {self.codebook_size} codes used  ·  perplexity {perplexity:.1f}  ·  {dead} dead", "dim"),
            )
        )

    def show_usage(self, counts: list[int]) -> None:
        """Show how often each code was used."""
        self.heatmap.show(counts)


class HealthScreen(EngineScreen):
    """Codebook health of the loaded model: a traffic light, a verdict and a usage heatmap per level."""

    BINDINGS = [Binding("r", "refresh_health", "Refresh")]
    DEFAULT_CSS = """
    HealthScreen #health-summary {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    HealthScreen #health-levels {
        padding: 0 1;
    }
    HealthScreen UsageLegend {
        padding: 0 1;
    }
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.panels: dict[int, LevelPanel] = {}
        self._usage: dict[int, list[int]] = {}  # pages of counts collected per level until its end message

    def compose(self) -> ComposeResult:
        yield Header()
        yield ScreenBar("health")
        yield Static(id="health-summary")
        yield VerticalScroll(id="health-levels")
        yield UsageLegend()
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh_health()

    def action_refresh_health(self) -> None:
        """Ask the engine again for the loaded model's health and code usage."""
        model = self.app.state.model
        container = self.query_one("#health-levels", VerticalScroll)
        container.remove_children()
        self.panels = {}
        self._usage = {}
        if model is None:
            self._summary("No model is loaded: load one in the Library (F1) to see its codebook health.")
            return
        self.panels = {level: LevelPanel(label, model.codebook_size) for level, label in enumerate(model.labels)}
        container.mount(*self.panels.values())
        self._show_overall()
        self.send("/distill/health")
        for level in self.panels:
            self.send("/distill/health/usage", level)

    def engine_message(self, record, tag: str | None) -> None:
        match record:
            case AnnouncedModel():
                self.action_refresh_health()
            case HealthLevel(level) if level in self.panels:
                self.panels[level].show_health(record.utilisation, record.perplexity, record.dead, record.status, record.light)
                self._show_overall()
            case UsagePage(level, first, counts) if level in self.panels:
                page = self._usage.setdefault(level, [])
                page.extend([0] * (first + len(counts) - len(page)))
                page[first : first + len(counts)] = counts
            case UsageEnd(level, codebook_size) if level in self.panels:
                counts = self._usage.pop(level, [])
                self.panels[level].show_usage((counts + [0] * codebook_size)[:codebook_size])
            case Error("/distill/health" | "/distill/health/usage", message):
                self._summary(f"No codebook health to show for this model: {message}")

    def _show_overall(self) -> None:
        model = self.app.state.model
        judged = [panel for panel in self.panels.values() if panel.light in LIGHT_ORDER]
        worst = max(judged, key=lambda panel: LIGHT_ORDER.index(panel.light), default=None)
        if worst is None:
            verdict = "asking the engine…"
        elif worst.light == "green":
            verdict = "every level is healthy"
        else:
            verdict = f"worst level: {worst.label}, {worst.status.lower()}"
        self.query_one("#health-summary", Static).update(
            Text.assemble(
                light_dot(worst.light if worst else ""), " ", (model.name, "bold"),
                f"  ·  {model.levels} levels × {model.codebook_size} codes  ·  {verdict}  ·  {WHAT_IS_COUNTED}",
            )
        )

    def _summary(self, text: str) -> None:
        self.query_one("#health-summary", Static).update(text)
