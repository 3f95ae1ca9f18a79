"""The Health screen against a real engine: a traffic light, verdict and usage heatmap per level, following
the loaded model; plus the heatmap's shading and a snapshot."""

from __future__ import annotations

import shutil

import pytest
import torch
from tui_support import SNAPSHOT_SIZES, hide_port, wait_for

from engine.heatmap import usage_kinds
from engine.modelfile import read_model_metadata, update_model_metadata
from engine.osc.client import OscClient
from engine.training.health import level_health
from tui.app import DistillApp
from tui.screens.health import HealthScreen
from tui.widgets.usage_heatmap import UsageHeatmap

SIZE = (120, 40)
LABELS = ("Structure", "Timbre", "Detail")
# Usage of the 16 codes of each level, chosen to give one green, one yellow and one red level, and every shade.
USAGE = [
    [40, 40, 10, 10, 10, 10, 10, 10, 2, 2, 1, 0, 0, 0, 0, 0],  # 11 of 16 used: healthy
    [30, 20, 5, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # 6 of 16: some codes underused
    [50, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # 2 of 16: collapse
]
# What each level's heatmap must show (worked out by hand from the even share of each level).
SHADED = ["██▓▓▓▓▓▓░░░·····", "██▓▓▓░··········", "█··▓············"]


@pytest.fixture
def checked_model(tmp_path, tiny_prior_file):
    """The tiny model with known codebook usage recorded, as model `checked`."""
    path = shutil.copy(tiny_prior_file, tmp_path / "checked.sda")
    metadata = read_model_metadata(path)
    health = level_health(torch.tensor(USAGE), LABELS)
    metadata.update(name="checked", health={"levels": [h.to_dict() for h in health], "usage": USAGE})
    return update_model_metadata(path, metadata)


def shown(heatmap: UsageHeatmap) -> str:
    """The heatmap's cells as text, index column left out."""
    lines = heatmap.render().plain.splitlines()
    return "".join(line.split("│", 1)[1] for line in lines)


def test_codes_are_shaded_by_their_share_of_the_levels_use():
    assert usage_kinds([8, 4, 2, 1, 1, 0]) == ["heavy", "used", "used", "light", "light", "dead"]  # an even share is 16/6
    assert usage_kinds([5, 5, 5, 5]) == ["used"] * 4  # evenly used: no code stands out
    assert usage_kinds([0, 0]) == ["dead", "dead"]


async def open_health(pilot, app) -> HealthScreen:
    await wait_for(pilot, lambda: app.state.model is not None, what="the loaded model")
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen), what="the Health screen")
    return app.screen


async def wait_for_levels(pilot, screen: HealthScreen, name: str) -> None:
    await wait_for(
        pilot,
        lambda: app_model(screen) == name and len(screen.panels) == 3 and all(p.status and any(p.heatmap.counts) for p in screen.panels.values()),
        what=f"{name}'s health and usage",
    )


def app_model(screen: HealthScreen) -> str | None:
    return screen.app.state.model.name if screen.app.state.model else None


async def test_each_level_shows_its_light_verdict_and_heatmap(served_engine, checked_model):
    engine, server, _ = served_engine
    engine.load_model(str(checked_model))
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_health(pilot, app)
        await wait_for_levels(pilot, screen, "checked")
        panels = [screen.panels[level] for level in range(3)]
        assert [p.label for p in panels] == list(LABELS)
        assert [p.light for p in panels] == ["green", "yellow", "red"]
        assert [p.status for p in panels] == ["Healthy", "Some codes underused", "Codebook collapse detected"]
        assert [p.heatmap.counts for p in panels] == USAGE
        assert [shown(p.heatmap) for p in panels] == SHADED
        assert "69% of 16 codes used" in str(panels[0].verdict.render())
        assert "worst level: Detail" in str(screen.query_one("#health-summary").render())
        assert "every training file, unaugmented" in str(screen.query_one("#health-summary").render())  # not the live batches


async def test_a_model_loaded_by_another_client_replaces_the_levels(served_engine, checked_model):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_health(pilot, app)
        await wait_for_levels(pilot, screen, engine.model.name)
        tiny_counts = [p.heatmap.counts for p in screen.panels.values()]
        patch = OscClient(server.address)
        patch.request("/distill/model/load", str(checked_model), reply="/distill/model/loaded", timeout=30)
        patch.close()
        await wait_for_levels(pilot, screen, "checked")
        await wait_for(pilot, lambda: [p.heatmap.counts for p in screen.panels.values()] == USAGE, what="the new usage")
        assert tiny_counts != USAGE


async def test_a_model_without_recorded_health_says_so(served_engine, checked_model):
    engine, server, _ = served_engine
    metadata = read_model_metadata(checked_model)
    del metadata["health"]
    engine.load_model(str(update_model_metadata(checked_model, metadata)))
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_health(pilot, app)
        summary = screen.query_one("#health-summary")
        await wait_for(pilot, lambda: "No codebook health" in str(summary.render()), what="the explanation")
        await wait_for(pilot, lambda: app._notifications, what="the engine's error as a notification")


@SNAPSHOT_SIZES
def test_health_screen_snapshot(snap_compare, size, served_engine, checked_model):
    engine, server, _ = served_engine
    engine.load_model(str(checked_model))
    app = DistillApp(server.address)

    async def show_health(pilot):
        screen = await open_health(pilot, app)
        await wait_for_levels(pilot, screen, "checked")
        hide_port(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=show_health)
