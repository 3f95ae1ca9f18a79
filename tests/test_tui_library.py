"""The Library screen against a real engine: listing, searching, details, load, rename and delete."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input
from tui_support import SNAPSHOT_SIZES, hide_port, wait_for

from engine.modelfile import read_model_metadata, update_model_metadata
from engine.osc.client import OscClient
from tui.app import DistillApp
from tui.screens.library import LOADED_MARK, LibraryScreen
from tui.widgets.confirm import ConfirmDialog
from tui.widgets.model_details import ModelDetails
from tui.widgets.name_prompt import NamePrompt

SIZE = (120, 40)


@pytest.fixture
def library(served_engine, tiny_prior_file, tiny_model_file):
    """The served engine with two library models: 'tiny' (loaded, with a prior) and 'plain' (no prior)."""
    engine, server, audio = served_engine
    engine.library.import_file(tiny_prior_file)
    engine.library.import_file(tiny_model_file, "plain")
    return engine, server, audio


def rows(app: DistillApp) -> list[list[str]]:
    """The models table as shown: [mark, name] per row."""
    table = app.screen.query_one("#models", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def names(app: DistillApp) -> list[str]:
    return [name for _, name in rows(app)]


def details_text(app: DistillApp) -> str:
    """What the details panel shows, as plain text."""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(ModelDetails).content)
    return console.export_text()


def fact(text: str, label: str) -> str:
    """The value on the details line starting with `label`."""
    for line in text.splitlines():
        if line.strip().startswith(label + "  "):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"no '{label}' line in:\n{text}")


async def highlight(pilot, app: DistillApp, name: str) -> None:
    """Move the cursor onto model `name` and wait for its details."""
    table = app.screen.query_one("#models", DataTable)
    table.move_cursor(row=table.get_row_index(name))
    await wait_for(pilot, lambda: details_text(app).startswith(name) and "levels" in details_text(app), what=f"details of {name}")


async def test_lists_the_library_and_marks_the_loaded_model(library):
    _, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LibraryScreen)
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        assert rows(app) == [["", "plain"], [LOADED_MARK, "tiny"]]


async def test_details_show_the_config_and_whether_there_is_a_prior(library):
    _, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "tiny")
        text = details_text(app)
        assert "(loaded)" in text.splitlines()[0]
        assert (fact(text, "levels"), fact(text, "codebook size"), fact(text, "prior")) == ("3", "16", "yes")
        await highlight(pilot, app, "plain")
        text = details_text(app)
        assert "(loaded)" not in text
        assert fact(text, "prior") == "no"


async def test_search_filters_the_list_as_you_type(library):
    engine, server, _ = library
    engine.library.set_description("plain", "dry drum hits")
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await pilot.press("slash", *"dru")
        assert app.screen.query_one("#search", Input).has_focus
        await wait_for(pilot, lambda: names(app) == ["plain"], what="the search result")
        await pilot.press(*"mz")
        await wait_for(pilot, lambda: names(app) == [], what="no match")
        assert "no model matches" in details_text(app)
        for _ in range(5):
            await pilot.press("backspace")
        await wait_for(pilot, lambda: names(app) == ["plain", "tiny"], what="every model again")


async def test_enter_loads_the_highlighted_model(library):
    engine, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        await pilot.press("enter")
        await wait_for(pilot, lambda: engine.model.name == "plain", what="the engine to load 'plain'")
        await wait_for(pilot, lambda: rows(app) == [[LOADED_MARK, "plain"], ["", "tiny"]], what="the mark to move")
        await wait_for(pilot, lambda: "(loaded)" in details_text(app), what="the details to say loaded")


async def test_rename_asks_for_the_new_name(library):
    engine, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        await pilot.press("r")
        assert isinstance(app.screen, NamePrompt)
        assert app.screen.query_one(Input).value == "plain"
        await pilot.press(*["backspace"] * 5, *"bells", "enter")
        await wait_for(pilot, lambda: names(app) == ["bells", "tiny"], what="the renamed model")
        assert [entry.name for entry in engine.library.list()] == ["bells", "tiny"]
        assert app.screen.query_one("#models", DataTable).cursor_row == 0  # still on the renamed model
        await pilot.press("r", "escape")
        assert isinstance(app.screen, LibraryScreen)
        assert [entry.name for entry in engine.library.list()] == ["bells", "tiny"]


async def test_tags_and_description_are_edited_in_place(library):
    engine, server, _ = library
    engine.library.edit_tags("plain", add=["drums", "dry"])
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        await pilot.press("t")
        assert isinstance(app.screen, NamePrompt)
        assert app.screen.query_one(Input).value == "drums, dry"
        await pilot.press("end", *["backspace"] * 3, *"wet, kit", "enter")  # "dry" removed, "wet" and "kit" added
        await wait_for(pilot, lambda: fact(details_text(app), "tags") == "drums, wet, kit", what="the new tags")
        assert engine.library.get("plain").tags == ["drums", "wet", "kit"]
        await pilot.press("e", *"tight 909 hits", "enter")
        await wait_for(pilot, lambda: fact(details_text(app), "description") == "tight 909 hits", what="the description")
        assert engine.library.get("plain").description == "tight 909 hits"
        await pilot.press("e", "backspace", "enter")  # the whole text is selected: blank clears it
        await wait_for(pilot, lambda: engine.library.get("plain").description == "", what="the description cleared")
        await pilot.press("t", "escape")
        assert isinstance(app.screen, LibraryScreen)
        assert engine.library.get("plain").tags == ["drums", "wet", "kit"]


async def test_delete_only_after_confirmation(library):
    engine, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: names(app) == ["tiny"], what="the list without 'plain'")
        assert [entry.name for entry in engine.library.list()] == ["tiny"]


async def test_changes_by_another_client_show_up(library):
    _, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        other = OscClient(server.address)
        try:
            other.send("/distill/model/rename", "plain", "pads")
            await wait_for(pilot, lambda: names(app) == ["pads", "tiny"], what="the rename by another client")
            other.send("/distill/model/delete", "pads")
            await wait_for(pilot, lambda: names(app) == ["tiny"], what="the deletion by another client")
        finally:
            other.close()


async def test_details_follow_a_prior_trained_meanwhile(library):
    engine, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        assert fact(details_text(app), "prior") == "no"
        engine.prior_train_start("plain", epochs=1, context=16, d_model=32, n_layers=1, seed=1)
        await wait_for(pilot, lambda: "prior" in details_text(app) and fact(details_text(app), "prior") == "yes", timeout=60, what="the new prior")


async def test_a_refused_rename_is_a_notification_and_changes_nothing(library):
    _, server, _ = library
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "plain")
        await pilot.press("r", *["backspace"] * 5, *"tiny", "enter")
        notes = await wait_for(pilot, lambda: [n for n in app._notifications if n.severity == "error"], what="the engine's refusal")
        assert notes[0].title == "/distill/model/rename"
        assert names(app) == ["plain", "tiny"]


def pin_volatile_facts(path) -> None:
    """Give a library model fixed facts where runs and machines differ (time, temp paths, trained numbers).

    Every number the training measured is replaced, since the file's size (which the details show) depends on
    how long their JSON text is. Only the library copy is changed: the engine runs the model it loaded.
    """
    metadata = read_model_metadata(path)
    level = {"utilisation": 1.0, "perplexity": 12.0, "dead": 0, "status": "Healthy", "light": "green"}
    metadata.update(
        created="2026-01-02T03:04:05+00:00",
        dataset={"folder": "/sounds/demo", "file_count": 8, "duration_s": 7.25},
        training={"epochs": 2, "best_val_l1": 0.25},
        health={"levels": [{"level": index, "label": label, **level} for index, label in enumerate(("Structure", "Timbre", "Detail"))]},
        prior={"config": metadata["prior"]["config"], "val_perplexity": [9.0, 10.0, 11.0]},
        config={**metadata["config"], "mel_mean": -8.0, "mel_std": 4.0},
    )
    update_model_metadata(path, metadata)


@SNAPSHOT_SIZES
def test_library_snapshot(snap_compare, size, library):
    engine, server, _ = library
    pin_volatile_facts(engine.library.get("tiny").path)
    app = DistillApp(server.address)

    async def details_arrived(pilot) -> None:
        await wait_for(pilot, lambda: len(rows(app)) == 2, what="two models")
        await highlight(pilot, app, "tiny")
        hide_port(app)

    assert snap_compare(app, terminal_size=size, run_before=details_arrived)
