"""The Generate screen against a real engine: parameters both ways, generating, playing, presets, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input
from tui_support import SNAPSHOT_SIZES, hide_port, shown_whole, wait_for

from engine.events import Generated
from engine.osc.client import OscClient
from tui.app import DistillApp
from tui.screens.base import EngineMessage
from tui.screens.generate import GenerateScreen
from tui.widgets.confirm import ConfirmDialog
from tui.widgets.name_prompt import NamePrompt

SIZE = (120, 40)


def field(app: DistillApp, name: str) -> Input:
    return app.screen.query_one(f"#input-{name}", Input)


def table_rows(app: DistillApp, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def status(app: DistillApp) -> str:
    return str(app.screen.query_one("#generate-status").content)


def set_param(server, name: str, value) -> None:
    """Set an engine parameter as another client would."""
    other = OscClient(server.address)
    try:
        other.request(f"/distill/param/{name}", value, reply=f"/distill/param/{name}")
    finally:
        other.close()


async def open_generate(pilot, app: DistillApp) -> None:
    """Connect, then switch to the Generate screen (F4) with its parameters shown."""
    await wait_for(pilot, lambda: app.state.connected and "duration" in app.state.params, what="the connection")
    await pilot.press("f4")
    assert isinstance(app.screen, GenerateScreen)
    await wait_for(pilot, lambda: field(app, "duration").value != "", what="the parameters")


async def type_into(pilot, app: DistillApp, name: str, text: str) -> None:
    """Replace what field `name` holds by `text`, typed, and press Enter."""
    field(app, name).focus()
    await pilot.press("end", *["backspace"] * len(field(app, name).value), *text, "enter")


@pytest.fixture
def short_sounds(served_engine):
    """The served engine generating 0.5 s sounds (quick even with the tiny model)."""
    engine, server, audio = served_engine
    engine.set_param("duration", 0.5)
    return engine, server, audio


async def test_a_typed_temperature_reaches_the_engine(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        assert field(app, "temperature").value == "1"
        await type_into(pilot, app, "temperature", "0.5")
        await wait_for(pilot, lambda: engine.params.temperature == 0.5, what="the engine's temperature")
        await type_into(pilot, app, "top_k", "4")
        field(app, "top_k").value = "5"  # typed, not entered: leaving the field sends it too
        await pilot.press("escape")
        await wait_for(pilot, lambda: engine.params.top_k == 5, what="the engine's top-k")
        assert field(app, "temperature").value == "0.5"


async def test_a_refused_value_is_a_notification_and_the_field_reverts(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        for typed in ("-1", "warm"):
            await type_into(pilot, app, "temperature", typed)
            await wait_for(pilot, lambda: field(app, "temperature").value == "1", what=f"the field to revert from {typed}")
        notes = [n for n in app._notifications if n.severity == "error"]
        assert [n.title for n in notes] == ["/distill/param/temperature"] * 2
        assert "warm" in notes[1].message
        assert engine.params.temperature == 1.0


async def test_a_parameter_set_by_another_client_shows_in_its_field(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        set_param(server, "top_p", 0.9)
        await wait_for(pilot, lambda: field(app, "top_p").value == "0.9", what="the new top-p")


async def test_count_two_generates_two_sounds_into_the_history(short_sounds):
    engine, server, _ = short_sounds
    app = DistillApp(server.address)
    first = engine.params.seed  # random: the engine starts from a random seed
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        await type_into(pilot, app, "count", "2")
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: len(table_rows(app, "history")) == 2, timeout=60, what="two history rows")
        await wait_for(pilot, lambda: status(app).startswith("generated 2 of 2: "), what="the end of the batch")
        records = engine.generations(10)
        assert [str(record.id) for record in records] == [row[0] for row in table_rows(app, "history")]
        assert [Path(row[-1]).name for row in table_rows(app, "history")] == [record.path.name for record in records]
        assert all(record.path.is_file() for record in records)
        assert {record.seed for record in records} == {first, first + 1}
        assert field(app, "seed").value == str(first + 2)  # the engine advanced it, and said so


async def test_a_batch_counts_only_its_own_sounds_while_another_client_generates(short_sounds):
    engine, server, _ = short_sounds
    app = DistillApp(server.address)
    other = OscClient(server.address)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_generate(pilot, app)
            await type_into(pilot, app, "count", "2")
            other.send("/distill/generate", 0.5, 999)  # queued before the batch: they arrive during it
            other.send("/distill/generate", 0.5, 999)
            await pilot.press("escape", "g")
            await wait_for(pilot, lambda: len(engine.generations(10)) == 4 and app.screen._batch is None, timeout=60, what="all four sounds")
            await pilot.pause(0.5)
            own = sorted((r for r in engine.generations(10) if r.seed != 999), key=lambda r: r.seed)
            assert len(own) == 2 and own[1].seed == own[0].seed + 1  # two asked for, no more, no fewer
            assert status(app) == f"generated 2 of 2: {own[1].path.name}"  # the batch ended with its own second sound
            other.expect("/distill/generated", 30)
    finally:
        other.close()


async def test_stop_ends_a_batch_after_the_sound_being_made(short_sounds):
    engine, server, _ = short_sounds
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        await type_into(pilot, app, "count", "100")
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: len(engine.generations(100)) >= 1, timeout=60, what="the first sound")
        await pilot.press("s")
        made = len(engine.generations(100))
        await pilot.pause(2.0)  # the sound being made may still arrive; none is asked for after it
        assert len(engine.generations(100)) <= made + 1 < 100
        assert "of 100" not in status(app)


async def test_a_count_that_is_no_whole_number_is_refused_here(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        await type_into(pilot, app, "count", "0")
        assert field(app, "count").value == "1"
        assert "count must be" in next(n for n in app._notifications if n.severity == "error").message


async def test_play_enter_and_replay(short_sounds):
    engine, server, audio = short_sounds
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        await pilot.press("p")  # nothing generated yet: a warning, no crash
        assert not audio.played
        await pilot.press("g")
        await wait_for(pilot, lambda: len(table_rows(app, "history")) == 1, timeout=60, what="the sound")
        await pilot.press("p")
        await wait_for(pilot, lambda: len(audio.played) == 1, what="the sound to play")
        await wait_for(pilot, lambda: status(app).startswith("playing "), what="the playing status")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(audio.played) == 2, what="Enter to play it again")
        await pilot.press("R")
        await wait_for(pilot, lambda: len(table_rows(app, "history")) == 2, timeout=60, what="the replayed sound")
        first, again = engine.generations(2)[::-1]
        assert again.seed == first.seed and again.path != first.path
        assert table_rows(app, "history")[0][0] == str(again.id)  # the new sound is highlighted: p plays it
        assert app.screen.query_one("#history", DataTable).cursor_row == 0


async def test_at_80_columns_the_status_names_the_whole_file(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_generate(pilot, app)
        app.post_message(EngineMessage(Generated(Path("/out/tiny_seed1234567890_20261205-130944-12.wav"), 4.0, 1234567890)))
        await wait_for(pilot, lambda: "20261205-130944-12.wav" in status(app), what="the status")
        await pilot.pause()
        assert shown_whole(app.screen.query_one("#generate-status"))  # it showed only "generated", the name wrapped out of sight


async def test_save_load_and_delete_a_preset(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        set_param(server, "temperature", 0.7)
        await wait_for(pilot, lambda: field(app, "temperature").value == "0.7", what="the temperature")
        await pilot.press("S")
        assert isinstance(app.screen, NamePrompt)
        await pilot.press(*"soft", "enter")
        await wait_for(pilot, lambda: [row[:2] for row in table_rows(app, "presets")] == [["soft", "0.7"]], what="the saved preset")
        assert [preset.name for preset in engine.presets()] == ["soft"]
        set_param(server, "temperature", 1.5)
        await wait_for(pilot, lambda: field(app, "temperature").value == "1.5", what="another temperature")
        app.screen.query_one("#presets").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: field(app, "temperature").value == "0.7", what="the preset's temperature")
        assert engine.params.temperature == pytest.approx(0.7)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: table_rows(app, "presets") == [], what="the preset to go")
        assert engine.presets() == []


@SNAPSHOT_SIZES
def test_generate_snapshot(snap_compare, size, served_engine):
    engine, server, _ = served_engine
    engine.set_param("seed", 7)  # the engine starts from a random one
    for name, temperature, top_k in (("soft", 0.6, 4), ("wild", 1.4, 0)):
        engine.set_param("temperature", temperature)
        engine.set_param("top_k", top_k)
        engine.save_preset(name)
    engine.set_param("top_p", 0.95)
    app = DistillApp(server.address)

    async def presets_arrived(pilot) -> None:
        await open_generate(pilot, app)
        await wait_for(pilot, lambda: len(table_rows(app, "presets")) == 2, what="the presets")
        hide_port(app)

    assert snap_compare(app, terminal_size=size, run_before=presets_arrived)


async def test_o_switches_one_shots_on_and_off_and_the_sampling_box_says_so(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        sampling = app.screen.query_one("#sampling")
        assert "fixed length" in sampling.border_title
        await pilot.press("o")
        await wait_for(pilot, lambda: engine.params.one_shot == 1 and "one-shots" in sampling.border_title, what="one-shots on")
        set_param(server, "one_shot", 0)  # another client switches them off: the title follows
        await wait_for(pilot, lambda: "fixed length" in sampling.border_title, what="one-shots off")
        await pilot.press("o")
        await wait_for(pilot, lambda: engine.params.one_shot == 1, what="one-shots on again")


async def test_c_chooses_a_slot_as_the_prompt_and_g_then_continues_it(short_sounds, sound_folder):
    engine, server, _ = short_sounds
    engine.encode("A", str(sound_folder / "pad_1.wav")).result()
    prompt_codes = engine.grid("A").codes.copy()  # [L, F]
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await open_generate(pilot, app)
        prompt = app.screen.query_one("#prompt")
        assert str(prompt.render()) == "none"
        await pilot.press("c")
        await wait_for(pilot, lambda: str(prompt.render()) == "slot A: g continues it", what="slot A as the prompt")
        await pilot.press("g")
        await wait_for(pilot, lambda: "(slot B)" in status(app), timeout=60, what="the continuation, decoded")
        grown = engine.grid("B").codes
        assert grown.shape[1] > prompt_codes.shape[1] and (grown[:, : prompt_codes.shape[1]] == prompt_codes).all()
        assert [path for path in engine.out_dir.glob("*.wav") if path.name in status(app)]  # the status names the decoded file
        notes = await wait_for(pilot, lambda: [n for n in app._notifications if "longest verbatim copy" in n.message], timeout=60, what="the copy check")
        assert notes[0].message.startswith("slot B: ")
        assert table_rows(app, "history") == []  # a continuation is no generation
        await pilot.press("c")  # the continuation's slot is a prompt too, then none again
        await wait_for(pilot, lambda: str(prompt.render()) == "slot B: g continues it", what="slot B as the prompt")
        await pilot.press("c")
        await wait_for(pilot, lambda: str(prompt.render()) == "none", what="no prompt")
