"""The Codes screen (F3) against a real engine: encode into slots, edit by keys, see other clients' edits, listen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from textual.app import App, ComposeResult
from tui_support import SNAPSHOT_SIZES, hide_port, shown_whole, wait_for

from engine.events import JobProgress
from engine.osc.client import OscClient
from engine.osc.messages import decode
from tui.app import DistillApp
from tui.screens.base import EngineMessage
from tui.widgets.code_grid import TICK_SPACING, CodeGrid, code_colour, tick_step

SIZE = (120, 40)


async def open_codes(pilot):
    """Switch to the Codes screen once the engine announced its model; the screen."""
    await wait_for(pilot, lambda: pilot.app.state.model is not None, what="the model announcement")
    await pilot.press("f3")
    return pilot.app.screen


async def encode_by_keys(pilot, slot_key: str, path) -> None:
    """Choose a slot, go to the path field, give the path and press Enter."""
    await pilot.press(slot_key, "e")
    pilot.app.screen.query_one("#codes-path").value = str(path)
    await pilot.press("enter")


def mirrors(grid: CodeGrid, engine, slot: str) -> bool:
    """Whether the widget's array for `slot` holds exactly the engine's codes."""
    ours = grid.grids.get(slot)
    return slot in engine.slots() and ours is not None and np.array_equal(ours, engine.grid(slot).codes)


def info(screen) -> str:
    """The line under the grid and the grid's border subtitle (its size and undo/redo depths)."""
    return f"{screen.query_one('#codes-info').render()} | {screen.grid.border_subtitle}"


async def test_an_index_typed_on_a_cell_reaches_the_engine_and_undo_redo_and_step_follow(served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        grid = screen.grid
        await encode_by_keys(pilot, "a", sound_folder / "pluck_1.wav")
        await encode_by_keys(pilot, "b", sound_folder / "bell_1.wav")
        await wait_for(pilot, lambda: mirrors(grid, engine, "A") and mirrors(grid, engine, "B"), what="both grids")
        assert grid.grids["A"].shape == engine.grid("A").codes.shape != engine.grid("B").codes.shape

        await pilot.press("a", "right", "right", "down")
        assert (grid.slot, grid.cursor) == ("A", (1, 2))
        size = engine.model.codebook_size
        old = int(engine.grid("A").codes[1, 2])
        new = (old + 5) % size
        await pilot.press(*str(new), "enter")
        await wait_for(pilot, lambda: grid.grids["A"][1, 2] == new, what="the new code in the TUI")
        assert engine.grid("A").codes[1, 2] == new
        assert "undo 1 · redo 0" in info(screen) and f"code {new}" in info(screen)

        await pilot.press("u")
        await wait_for(pilot, lambda: grid.grids["A"][1, 2] == old, what="the undone code")
        assert engine.grid("A").codes[1, 2] == old and "undo 0 · redo 1" in info(screen)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: grid.grids["A"][1, 2] == new, what="the redone code")
        await pilot.press("minus")
        await wait_for(pilot, lambda: grid.grids["A"][1, 2] == (new - 1) % size, what="the stepped code")
        assert engine.grid("A").codes[1, 2] == (new - 1) % size and "undo 2 · redo 0" in info(screen)
        assert mirrors(grid, engine, "A") and mirrors(grid, engine, "B")


async def test_at_80_columns_the_info_line_names_every_key_the_footer_has_no_room_for(served_engine, sound_folder):
    engine, server, _ = served_engine
    engine.encode("A", str(sound_folder / "pad_1.wav")).result()
    app = DistillApp(server.address)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_codes(pilot)
        await wait_for(pilot, lambda: mirrors(screen.grid, engine, "A"), what="the grid")
        await pilot.pause()
        line = screen.query_one("#codes-info")
        assert "r reimagine, c continue" in str(line.render()) and shown_whole(line)  # it was cut after "+/- step, r"


async def test_the_activity_line_keeps_to_the_slots_jobs(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        activity = screen.query_one("#codes-activity")
        for record in (JobProgress("decode", 0.0, "decoding A"), JobProgress("generate", 0.0, "making generation #1 again")):
            app.post_message(EngineMessage(record))
        await pilot.pause()
        assert str(activity.render()) == "decoding A…"  # a generation ends on the Generate screen: it stayed "…" here


async def test_a_selection_swaps_with_the_other_slot_and_blends_towards_it(served_engine, sound_folder):
    engine, server, _ = served_engine
    engine.encode("A", str(sound_folder / "pad_1.wav")).result()
    engine.encode("B", str(sound_folder / "bell_1.wav")).result()
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)  # the slots were filled before: the screen asks for them
        grid = screen.grid
        await wait_for(pilot, lambda: mirrors(grid, engine, "A") and mirrors(grid, engine, "B"), what="both grids")
        a, b = engine.grid("A").codes.copy(), engine.grid("B").codes.copy()

        await pilot.press("right", "shift+right", "shift+right", "shift+down")  # frames 1-3 of Structure and Timbre
        assert grid.selection.levels == (0, 1) and (grid.selection.start, grid.selection.end) == (1, 4)
        assert "selected frames 1-3 of Structure-Timbre" in info(screen)
        await pilot.press("s")
        a[0:2, 1:4], b[0:2, 1:4] = b[0:2, 1:4], a[0:2, 1:4].copy()
        await wait_for(pilot, lambda: np.array_equal(grid.grids["A"], a) and np.array_equal(grid.grids["B"], b), what="the swapped region")
        assert np.array_equal(engine.grid("A").codes, a) and np.array_equal(engine.grid("B").codes, b)

        await pilot.press("w")
        assert screen.focused is screen.query_one("#codes-weight")
        prompt = screen.query_one("#codes-weight").placeholder
        assert "over frames 1-3 of Structure-Timbre:" in prompt  # the selection as the status line says it
        await pilot.press("0", ".", "5", "enter")
        await wait_for(pilot, lambda: screen.depths.get("A") == (2, 0), what="the blend's edit")
        blended = engine.grid("A")
        assert blended.blends and {cell for cell in blended.blends} <= {(level, frame) for level in (0, 1) for frame in (1, 2, 3)}
        assert np.array_equal(blended.codes[:, :1], a[:, :1]) and np.array_equal(blended.codes[:, 4:], a[:, 4:])
        assert np.array_equal(blended.codes[2], a[2])  # Detail was not selected: the blend kept to the swap's levels
        await wait_for(pilot, lambda: mirrors(grid, engine, "A"), what="the blended codes")
        await wait_for(pilot, lambda: grid.blended.get("A") == set(blended.blends), what="the blend marks")
        level, frame = next(iter(blended.blends))
        cell = grid._cell_width()
        row = str(grid.render_line(1 + level).text)
        assert row[grid._gutter() + frame * cell + cell - 1] == "~"  # the mark follows the blended cell
        assert "~ blended" in info(screen)
        assert screen.focused is grid


async def test_undo_after_a_swap_restores_both_slots_and_p_replays_an_unchanged_slot(served_engine, sound_folder):
    engine, server, audio = served_engine
    engine.encode("A", str(sound_folder / "pad_1.wav")).result()
    engine.encode("B", str(sound_folder / "bell_1.wav")).result()
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        grid = screen.grid
        await wait_for(pilot, lambda: mirrors(grid, engine, "A") and mirrors(grid, engine, "B"), what="both grids")
        a, b = engine.grid("A").codes.copy(), engine.grid("B").codes.copy()
        await pilot.press("right", "shift+right", "s")
        await wait_for(pilot, lambda: screen.depths.get("A") == (1, 0) and screen.depths.get("B") == (1, 0), what="the swap in both")
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.depths.get("A") == (0, 1) and screen.depths.get("B") == (0, 1), what="both halves undone")
        assert np.array_equal(engine.grid("A").codes, a) and np.array_equal(engine.grid("B").codes, b)
        assert "A and B" in str(screen.query_one("#codes-activity").render())

        files = set(engine.out_dir.glob("*.wav"))
        await pilot.press("p")
        await wait_for(pilot, lambda: len(audio.played) == 1 and "A" in screen.decoded, what="the slot decoded and playing")
        await pilot.press("p")
        await wait_for(pilot, lambda: len(audio.played) == 2, what="the slot playing again")
        assert len(set(engine.out_dir.glob("*.wav")) - files) == 1  # nothing changed: no second file
        assert audio.played[0] == audio.played[1]


async def test_a_swap_of_alike_regions_changes_nothing_so_undo_keeps_to_the_shown_slot(served_engine, sound_folder):
    engine, server, _ = served_engine
    for slot in ("A", "B"):
        engine.encode(slot, str(sound_folder / "pad_1.wav")).result()
    edited = {slot: (int(engine.grid("A").codes[0, 3]) + step) % 16 for slot, step in (("A", 1), ("B", 2))}
    for slot, index in edited.items():  # the same sound in both, each with an edit of its own at frame 3
        engine.set_cell(slot, 0, 3, index)
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        grid = screen.grid
        await pilot.press("b")
        await wait_for(pilot, lambda: mirrors(grid, engine, "A") and mirrors(grid, engine, "B"), what="both grids")
        await pilot.press("s")  # frame 0 is alike in both: the swap changes no cell and adds no undo step
        await wait_for(pilot, lambda: screen.depths.get("A") == (1, 0) and screen.depths.get("B") == (1, 0), what="the swap's news")
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.depths.get("B") == (0, 1), what="B's own edit undone")
        await pilot.pause(0.3)
        assert engine.grid("A").codes[0, 3] == edited["A"]  # A's edit was no half of a swap: it stays
        assert "A" not in str(screen.query_one("#codes-activity").render())


async def test_what_another_client_encodes_and_edits_shows_up_live(served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    other = OscClient(server.address)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_codes(pilot)
            grid = screen.grid
            await pilot.press("b")
            assert grid.shown is None and "Slot B is empty" in str(grid.render_line(1).text)
            other.request("/distill/encode", "B", str(sound_folder / "kick_1.wav"), reply="/distill/encoded", timeout=30)
            await wait_for(pilot, lambda: mirrors(grid, engine, "B"), what="the other client's grid")
            new = (int(engine.grid("B").codes[2, 3]) + 1) % engine.model.codebook_size
            other.request("/distill/cell/set", "B", "Detail", 3, new, reply="/distill/edited")
            await wait_for(pilot, lambda: grid.grids["B"][2, 3] == new, what="the other client's edit")
            assert "undo 1 · redo 0" in info(screen)
            assert f"{new:>2}" in str(grid.render_line(3).text)
    finally:
        other.close()


async def test_decode_play_and_preview_the_code_under_the_cursor(served_engine, sound_folder):
    engine, server, audio = served_engine
    engine.encode("A", str(sound_folder / "tom_1.wav")).result()
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        grid = screen.grid
        await wait_for(pilot, lambda: mirrors(grid, engine, "A"), what="the grid")
        activity = screen.query_one("#codes-activity")

        await pilot.press("d")
        decoded = await wait_for(pilot, lambda: "Decoded slot A to " in str(activity.render()) and str(activity.render()), what="the decoded file")
        assert sf.info(decoded.removeprefix("Decoded slot A to ")).frames == engine.grid("A").samples

        await pilot.press("p")
        await wait_for(pilot, lambda: len(audio.played) == 1, what="the slot playing")
        assert audio.played[0] == (engine.grid("A").samples, engine.model.sample_rate, 1.0)

        await pilot.press("down", "right", "space")
        await wait_for(pilot, lambda: len(audio.played) == 2, what="the preview playing")
        level, code = engine.model.labels[1], int(engine.grid("A").codes[1, 1])
        clips = list(engine.out_dir.glob(f"*_{level}{code}_*.wav"))
        assert len(clips) == 1 and audio.played[1][0] == sf.info(clips[0]).frames

        audio.available, audio.unavailable_reason = False, "no device"  # the file is all there is: its path is shown
        await pilot.press("right", "space")
        code = int(engine.grid("A").codes[1, 2])
        await wait_for(pilot, lambda: f"Code {code} of {level} on its own: " in str(activity.render()), what="the clip's path")
        assert Path(str(activity.render()).split(": ", 1)[1]).is_file() and len(audio.played) == 2


async def test_the_grid_times_columns_at_the_rate_the_engine_announces(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        assert screen.grid.seconds(86) == 86 * engine.model.samples_per_column / engine.model.sample_rate

        # a model of half the hop (or downsample) announces twice the columns per second
        record, _ = decode("/distill/model/loaded", ["other", 3, 64, 44100, 0, engine.model.samples_per_column // 2])
        app.state.apply(record)
        screen.engine_message(record, None)
        assert screen.grid.seconds(86) == 86 * (engine.model.samples_per_column // 2) / 44100


class GridAlone(App):
    """The widget on its own, with a long synthetic grid (no engine)."""

    def compose(self) -> ComposeResult:
        yield CodeGrid()

    def on_mount(self) -> None:
        grid = self.query_one(CodeGrid)
        grid.show_model(("Structure", "Timbre", "Detail"), 64, 21.5)
        grid.start("A", 3, 500)
        for level in range(3):
            grid.put_codes("A", level, 0, [(7 * frame + level) % 64 for frame in range(500)])
        grid.focus()


async def test_the_view_follows_the_cursor_and_keys_and_clicks_select():
    app = GridAlone()
    async with app.run_test(size=(80, 12)) as pilot:
        grid = app.query_one(CodeGrid)
        assert grid.code_at_cursor == 0 and grid.grids["A"][2, 499] == (7 * 499 + 2) % 64
        assert not grid.put_codes("A", 0, 499, [1, 2]) and not grid.put_codes("B", 0, 0, [1])
        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor == (0, 499) and grid.scroll_offset.x == grid.max_scroll_x > 0
        assert str(grid.render_line(1).text).rstrip().endswith(f"{(7 * 499) % 64:>2}")
        await pilot.press("home", "down")
        await pilot.pause()
        assert grid.cursor == (1, 0) and grid.scroll_offset.x == 0
        line = str(grid.render_line(0).text)
        assert line.index("▏0s") == 10 and line.index("▏0.25s") == 10 + round(0.25 * 21.5 * 3)

        await pilot.press("v", "l", "l", "j", "h")
        assert (grid.selection.levels, grid.selection.start, grid.selection.end) == ((1, 2), 0, 2)
        await pilot.press("escape", "k")
        assert grid.selection is None and grid.cursor == (1, 1)

        await pilot.click(CodeGrid, offset=(1 + 10 + 3 * 4, 1 + 3))  # border, labels, then the fifth cell of Detail
        assert grid.cursor == (2, 4) and grid.selection is None
        await pilot.click(CodeGrid, offset=(1 + 10 + 3 * 6, 1 + 2), shift=True)
        assert (grid.selection.levels, grid.selection.start, grid.selection.end) == ((1, 2), 4, 7)


def test_neighbouring_indices_get_clearly_different_colours_and_axis_labels_do_not_touch():
    for index in range(1023):
        first, second = code_colour(index).get_truecolor(), code_colour(index + 1).get_truecolor()
        assert sum(abs(x - y) for x, y in zip(first, second)) > 60, index
    for frames_per_second in (5.0, 21.5, 43.0, 100.0):
        for cell_width in (2, 3, 5):
            assert tick_step(frames_per_second, cell_width) * frames_per_second * cell_width >= TICK_SPACING


def paint(engine, slot: str, pattern: np.ndarray) -> None:
    """Set every cell of `slot` to `pattern` in exactly two edits per cell, whatever the cells held."""
    for (level, frame), target in np.ndenumerate(pattern):
        current = int(engine.grid(slot).codes[level, frame])
        detour = next(index for index in range(engine.model.codebook_size) if index not in (current, target))
        engine.set_cell(slot, level, frame, detour)
        engine.set_cell(slot, level, frame, int(target))


@SNAPSHOT_SIZES
def test_snapshot_of_a_grid_with_cursor_and_selection(snap_compare, size, served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)

    async def run_before(pilot) -> None:
        screen = await open_codes(pilot)
        engine.encode("A", str(sound_folder / "bell_1.wav")).result()
        await wait_for(pilot, lambda: mirrors(screen.grid, engine, "A"), what="the grid")
        levels, frames = engine.grid("A").codes.shape
        pattern = (3 * np.arange(frames) + 5 * np.arange(levels)[:, None]) % engine.model.codebook_size
        paint(engine, "A", pattern)  # what a trained model encodes may vary from machine to machine
        await wait_for(pilot, lambda: screen.depths.get("A") == (2 * pattern.size, 0) and mirrors(screen.grid, engine, "A"), what="the pattern")
        await pilot.press("right", "right", "shift+right", "shift+down", "1")
        hide_port(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_r_reimagines_the_selection_and_c_continues_the_slot_into_a_new_one(served_engine, sound_folder):
    engine, server, _ = served_engine
    engine.set_param("duration", 0.5)
    engine.encode("A", str(sound_folder / "pad_1.wav")).result()
    before = engine.grid("A").codes.copy()  # [L, F]
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_codes(pilot)
        grid = screen.grid
        await wait_for(pilot, lambda: mirrors(grid, engine, "A"), what="slot A")
        await pilot.press("a", "down", "shift+right", "shift+right", "shift+down")  # Timbre and Detail of frames 0-2
        await pilot.press("r")
        await wait_for(pilot, lambda: engine.edit_history("A")[0] and mirrors(grid, engine, "A"), what="the reimagined cells")
        after = engine.grid("A").codes
        assert np.array_equal(after[0], before[0]) and np.array_equal(after[1:, 3:], before[1:, 3:])  # kept as it was
        assert "Timbre" in engine.edit_history("A")[0][-1] and "undo 1" in info(screen)
        await wait_for(pilot, lambda: "with seed" in str(screen.query_one("#codes-activity").render()), what="the seed")
        copy_line = screen.query_one("#codes-copy")
        await wait_for(pilot, lambda: copy_line.display and "Slot A: longest verbatim copy of a training file:" in str(copy_line.render()), what="the copy check")
        await pilot.press("u")
        await wait_for(pilot, lambda: np.array_equal(grid.grids["A"], before), what="the undone reimagining")

        await pilot.press("c")
        await wait_for(pilot, lambda: "B" in engine.slots() and mirrors(grid, engine, "B"), what="the continuation in slot B")
        assert engine.grid("B").columns > before.shape[1] and np.array_equal(engine.grid("B").codes[:, : before.shape[1]], before)
        await wait_for(pilot, lambda: "into slot B" in str(screen.query_one("#codes-activity").render()), what="the report")
        await wait_for(pilot, lambda: "Slot B: longest verbatim copy" in str(copy_line.render()), what="the continuation's copy check")
