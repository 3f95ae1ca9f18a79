"""The Train screen against a real engine: folder defaults, options both ways, a short run, the prior, and a
snapshot; plus the loss plot's drawing."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_support import SNAPSHOT_SIZES, hide_port, shown_whole, wait_for

from engine.demo_sounds import write_demo_dataset
from engine.events import TrainJobDone
from engine.library import Library
from engine.osc.client import OscClient
from engine.osc.messages import TrainEpoch, TrainLevel, TrainLoss, TrainWarning
from tui.app import DistillApp
from tui.screens.base import EngineMessage
from tui.screens.health import HealthScreen
from tui.screens.train import TrainScreen
from tui.widgets.loss_plot import BrailleCanvas, plot_points
from tui.widgets.run_progress import RunProgress
from tui.widgets.train_options import OPTION_KEYS, TrainOptions

SIZE = (120, 40)
FAST = {"hidden": 8, "codebook_dim": 8, "codebook_size": 16, "minutes": 1}  # an epoch in about a second


# -- the loss plot's drawing -------------------------------------------------------------------------


def test_braille_dots_land_in_the_right_cell_and_bit():
    canvas = BrailleCanvas(2, 2)  # 4 x 8 dots
    canvas.dot(0, 0)
    canvas.dot(3, 7)
    canvas.dot(9, 9)  # outside: ignored
    assert [row.plain for row in canvas.rows()] == ["⠁ ", " ⢀"]


def test_a_line_sets_every_dot_between_its_ends_and_no_other():
    canvas = BrailleCanvas(4, 2)
    canvas.line((0, 7), (7, 0))
    dots = {(x, y) for x in range(8) for y in range(8) if canvas.is_set(x, y)}
    assert dots == {(i, 7 - i) for i in range(8)}


def test_points_span_the_canvas_from_first_to_last_epoch_and_from_high_to_low():
    points = plot_points([5.0, 3.0, float("nan"), 1.0], low=1.0, high=5.0, dots=(31, 9))
    assert points[0] == (0, 0)  # first epoch, highest value: top left
    assert points[-1] == (30, 8)  # last epoch, lowest value: bottom right
    assert points[1] == (10, 4)
    assert points[2] is None  # not finite: not drawn


# -- the screen against the engine --------------------------------------------------------------------


async def open_train(pilot, app) -> TrainScreen:
    await wait_for(pilot, lambda: app.state.connected, what="connection")
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(app.screen, TrainScreen), what="the Train screen")
    options = app.screen.query_one(TrainOptions)
    await wait_for(pilot, lambda: set(options.known) == set(OPTION_KEYS), what="the engine's training options")
    return app.screen


async def choose_folder(pilot, screen: TrainScreen, folder: str) -> None:
    await pilot.click("#folder")
    screen.query_one("#folder").value = ""
    await pilot.press(*folder, "enter")
    note = screen.query_one("#options-note")
    await wait_for(pilot, lambda: "usable sound files" in str(note.render()), what="the folder's defaults")


async def set_option(pilot, screen: TrainScreen, key: str, value) -> None:
    await pilot.click(f"#option-{key}")
    screen.query_one(f"#option-{key}").value = ""
    await pilot.press(*str(value), "enter")


async def test_a_chosen_folder_shows_its_defaults_and_an_edited_option_reaches_the_engine(served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        await choose_folder(pilot, screen, str(sound_folder))
        options = screen.query_one(TrainOptions)
        assert "8 usable sound files" in str(screen.query_one("#options-note").render())
        assert options.known == {key: getattr(engine.train_options, key) for key in OPTION_KEYS}
        assert engine.train_options.minutes > 0  # the defaults set a real budget
        assert screen.query_one("#name").value == sound_folder.name  # named after its folder
        await set_option(pilot, screen, "seed", 7)
        await wait_for(pilot, lambda: engine.train_options.seed == 7, what="the new seed in the engine")
        await wait_for(pilot, lambda: options.known["seed"] == 7, what="the engine's announcement")


async def test_before_a_folder_the_options_say_auto_and_default_and_the_prior_panel_knows_the_loaded_prior(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        assert engine.train_options.codebook_size == 0 and engine.train_options.minutes == 0
        for key, word in (("codebook_size", "auto"), ("minutes", "default")):
            field = screen.query_one(f"#option-{key}", Input)
            assert field.value == "" and field.placeholder == word  # not "0"
        assert screen.query_one("#option-levels", Input).value == str(engine.train_options.levels)
        status = str(screen.query_one("#prior-run", RunProgress).status.render())
        assert "tiny has a prior" in status and "press p" not in status  # the loaded model has one already


async def test_at_80x24_every_option_field_and_the_screen_keys_are_in_sight(served_engine):
    from tui.widgets.screen_bar import ScreenBar

    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_train(pilot, app)
        await pilot.pause()
        for key in OPTION_KEYS:
            region = screen.query_one(f"#option-{key}").region
            assert region.width >= 8 and region.right <= 80, (key, region)  # "minutes" was cut off at 80 columns
        assert "F5 Health" in str(screen.query_one(ScreenBar).render())
        prior_status = screen.query_one("#prior-run", RunProgress).status
        prior_status.scroll_visible(animate=False)
        await pilot.pause()
        assert "asking first" in str(prior_status.render()) and shown_whole(prior_status)
        app.post_message(EngineMessage(TrainJobDone("train", "kit", False)))
        model_status = screen.query_one("#model-run", RunProgress).status
        await wait_for(pilot, lambda: "p: train its prior" in str(model_status.render()), what="the end of a run")
        model_status.scroll_visible(animate=False)
        await pilot.pause()
        assert shown_whole(model_status)


async def test_a_silent_file_is_not_counted_as_a_sound_to_train_on(served_engine, sound_folder, tmp_path):
    import shutil

    import numpy as np
    import soundfile as sf

    folder = tmp_path / "with-silence"
    shutil.copytree(sound_folder, folder)
    sf.write(folder / "silence.wav", np.zeros(44100, dtype=np.float32), 44100)
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        await choose_folder(pilot, screen, str(folder))
        assert "8 usable sound files" in str(screen.query_one("#options-note").render())  # 9 files, one silent


async def test_esc_leaves_the_minutes_field_and_t_then_starts_training(served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        await choose_folder(pilot, screen, str(sound_folder))
        for key, value in FAST.items():
            engine.train_option(key, value)
        await wait_for(pilot, lambda: screen.query_one(TrainOptions).known["hidden"] == FAST["hidden"], what="the fast options")
        sent, send = [], app.link.send
        app.link.send = lambda address, *values, **tagged: (sent.append((address, *values)), send(address, *values, **tagged))
        await pilot.click("#option-minutes")
        screen.query_one("#option-minutes").value = ""
        await pilot.press("2", "escape")
        assert not isinstance(app.focused, Input)  # Esc left the field
        await pilot.press("t")
        run = screen.query_one("#model-run", RunProgress)
        await wait_for(pilot, lambda: run.running, timeout=30, what="the run the t key started")
        assert ("/distill/train/option", "minutes", 2) in sent  # Esc offered the typed minutes first
        assert [s for s in sent if s[0] == "/distill/train/start"] == [("/distill/train/start", str(sound_folder), sound_folder.name)]
        assert engine.train_options.minutes == 2
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the run")


async def test_a_refused_option_is_a_notification_and_the_field_shows_the_engines_value_again(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        await set_option(pilot, screen, "levels", 9)
        notes = await wait_for(pilot, lambda: [n for n in app._notifications if n.severity == "error"], what="the engine's refusal")
        assert "levels" in notes[0].message
        await wait_for(pilot, lambda: screen.query_one("#option-levels").value == str(engine.train_options.levels), what="the field reverted")
        assert len(app._notifications) == 1  # shown once, by the app


async def test_an_option_set_by_another_client_shows_up(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        patch = OscClient(server.address)
        patch.request("/distill/train/option", "hidden", 48, reply="/distill/train/option")
        patch.close()
        await wait_for(pilot, lambda: screen.query_one("#option-hidden").value == "48", what="the patch's value")


async def test_a_short_run_shows_epochs_and_levels_and_stops_when_asked(served_engine, sound_folder):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        await choose_folder(pilot, screen, str(sound_folder))
        for key, value in FAST.items():
            await set_option(pilot, screen, key, value)
        await wait_for(pilot, lambda: all(getattr(engine.train_options, k) == v for k, v in FAST.items()), what="the fast options")
        screen.set_focus(None)
        await pilot.press("t")
        run = screen.query_one("#model-run", RunProgress)
        plot = run.plot
        await wait_for(pilot, lambda: plot.epochs >= 1 and run.table.row_count == 3, timeout=60, what="the first epoch with its levels")
        assert run.running and 0 < run.bar.progress < 100
        labels = [run.table.get_row_at(i)[1] for i in range(3)]
        assert labels == ["Structure", "Timbre", "Detail"]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the run")
        assert "stopped early" in str(run.status.render())
        assert sound_folder.name in engine.list_models()
        assert screen.query_one("#prior-model").value == sound_folder.name  # the prior is offered next
        assert f"{sound_folder.name} has no prior yet: press p" in str(screen.query_one("#prior-run", RunProgress).status.render())
        await pilot.press("h")  # the post-training diagnostic: load it and show its codebook usage
        await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen), what="the Health screen")
        await wait_for(pilot, lambda: app.state.model and app.state.model.name == sound_folder.name, timeout=30, what="the new model loaded")
        health = app.screen
        await wait_for(pilot, lambda: len(health.panels) == 3 and all(p.light for p in health.panels.values()), timeout=30, what="its health")
        assert sound_folder.name in str(health.query_one("#health-summary").render())


async def test_a_run_started_by_another_client_shows_too(served_engine, sound_folder):
    engine, server, _ = served_engine
    for key, value in FAST.items():
        engine.train_option(key, value)
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        patch = OscClient(server.address)
        patch.request("/distill/train/start", str(sound_folder), "from-patch", reply="/distill/train/started")
        run = screen.query_one("#model-run", RunProgress)
        await wait_for(pilot, lambda: run.plot.epochs >= 1, timeout=60, what="the patch's first epoch")
        patch.request("/distill/train/stop", reply="/distill/train/stopping")
        patch.close()
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the patch's run")
        assert "from-patch" in str(run.status.render())


async def test_the_30_percent_warning_shows_for_its_epoch_only(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        run = screen.query_one("#model-run", RunProgress)
        warning = "Timbre level uses only 12% of its codes (below 30 %): codebook collapse"
        for record in (
            TrainEpoch(1, 0.9, 3.0, 1.2, 0.1, True, "spectral"),
            TrainLevel(1, 1, "Timbre", 0.12, 3.5, 14, "Codebook collapse detected", "red"),
            TrainWarning(warning),
        ):
            app.post_message(EngineMessage(record))
        await wait_for(pilot, lambda: run.warnings.display, what="the warning box")
        assert "augmented training batches" in str(run.caption.render())  # not the figures of F5 / distill health
        assert warning in str(run.warnings.render())
        assert run.table.get_row("1")[1:] == ["Timbre", "12%", "3.5", 14, "Codebook collapse detected"]
        app.post_message(EngineMessage(TrainEpoch(2, 0.8, 6.0, 1.1, 0.2, True, "spectral")))
        await wait_for(pilot, lambda: not run.warnings.display, what="the next epoch without warnings")


async def test_the_phase_and_its_losses_show_for_their_epoch(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        run = screen.query_one("#model-run", RunProgress)
        for record in (
            TrainEpoch(9, 0.41, 30.0, 0.9, 0.8, True, "adversarial"),
            TrainLoss(9, "adversarial", "reconstruction", 0.41),
            TrainLoss(9, "adversarial", "feature_matching", 0.125),
        ):
            app.post_message(EngineMessage(record))
        await wait_for(pilot, lambda: run.details.display, what="the losses line")
        assert "epoch 9" in str(run.status.render()) and "adversarial" in str(run.status.render())
        assert str(run.details.render()) == "adversarial losses: reconstruction 0.4100  ·  feature matching 0.1250"
        app.post_message(EngineMessage(TrainEpoch(10, 0.4, 33.0, 0.9, 0.9, True, "adversarial")))
        await wait_for(pilot, lambda: not run.details.display, what="the next epoch, its losses not yet in")


async def start_prior(pilot, screen: TrainScreen, model: str, minutes: str = "") -> RunProgress:
    screen.query_one("#prior-model").value = model
    screen.query_one("#prior-minutes").value = minutes
    await pilot.click("#start-prior")
    return screen.query_one("#prior-run", RunProgress)


async def test_the_prior_trains_with_its_own_progress_and_is_saved(served_engine, tiny_model_file):
    Library().import_file(tiny_model_file, name="bare")  # a model without a prior
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        run = await start_prior(pilot, screen, "bare", minutes="0.05")  # one epoch, cut short after 3 s
        await wait_for(pilot, lambda: run.table.row_count == 3, timeout=60, what="the prior's first epoch")
        assert [run.table.get_row_at(i)[0] for i in range(3)] == ["Structure", "Timbre", "Detail"]
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the prior run")
        assert "The prior of bare is saved:" in str(run.status.render())
        assert run.bar.progress == 100
        assert Library().get("bare").has_prior


async def test_stopping_the_prior_asks_the_engine_to_stop_that_run(served_engine, tiny_model_file):
    Library().import_file(tiny_model_file, name="bare")
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        run = await start_prior(pilot, screen, "bare")
        await wait_for(pilot, lambda: run.running, what="the prior run to start")
        sent, send = [], app.link.send
        app.link.send = lambda address, *values, **tagged: (sent.append(address), send(address, *values, **tagged))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the prior run")
        assert sent == ["/distill/prior/train/stop"]
        notes = [n for n in app._notifications if n.severity == "error"]
        assert len(notes) == 1 and "before the first epoch" in notes[0].message  # stopped that early, nothing is saved
        assert not Library().get("bare").has_prior
        assert screen.query_one("#model-run", RunProgress).status.render().plain.startswith("Not training")  # the model run is untouched


# -- snapshot -----------------------------------------------------------------------------------------


@pytest.fixture
def kit_folder(tmp_path, monkeypatch):
    """A sound folder `kit` in a working directory `sounds`, so the screen shows no temporary path."""
    write_demo_dataset(tmp_path / "sounds" / "kit", per_kind=1, seed=3)
    monkeypatch.chdir(tmp_path / "sounds")
    return tmp_path / "sounds" / "kit"


@SNAPSHOT_SIZES
def test_train_screen_with_a_folders_defaults(snap_compare, size, served_engine, kit_folder):
    _, server, _ = served_engine
    app = DistillApp(server.address)

    async def show_defaults(pilot):
        screen = await open_train(pilot, app)
        await choose_folder(pilot, screen, "kit")
        tree = screen.query_one("#folder-tree")
        await wait_for(pilot, lambda: len(tree.root.children) > 0, what="the folder tree")
        screen.set_focus(None)
        hide_port(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=show_defaults)


async def test_replacing_a_prior_asks_first(served_engine, tiny_prior_file):
    from tui.widgets.confirm import ConfirmDialog

    Library().import_file(tiny_prior_file, name="primed")  # a model that has a prior
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot, app)
        run = await start_prior(pilot, screen, "primed")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the question")
        await pilot.press("n")
        await pilot.pause(0.5)
        assert not engine.training and not run.running
        run = await start_prior(pilot, screen, "primed")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: run.running, what="the replacement run to start")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not run.running, timeout=60, what="the end of the replacement run")
