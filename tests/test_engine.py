"""The Engine API directly: parameters, jobs and their events, edits and their cells, errors, shutdown."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine.codes.errors import CodeEditError
from engine.core import Engine, changed_cells
from engine.errors import DistillError
from engine.events import (
    Encoded,
    Generated,
    GridEdited,
    JobProgress,
    ModelLoaded,
    ParamChanged,
)


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out")
    yield engine
    engine.shutdown()


def test_without_a_model_every_model_call_is_a_clear_error(engine):
    for call in (engine.health, engine.generate, lambda: engine.encode("A", "x.wav"), lambda: engine.preview(0, 1)):
        with pytest.raises(DistillError, match="^no model is loaded"):
            call()
    with pytest.raises(DistillError, match="no audio output"):
        engine.play("A")
    with pytest.raises(CodeEditError, match="slot 'A' holds no grid"):
        engine.set_cell("A", 0, 0, 1)


def test_params_are_validated_never_clamped_and_announced(engine, tiny_model_file):
    events = []
    unsubscribe = engine.subscribe(events.append)
    assert engine.set_param("temperature", 0.5) == 0.5 and engine.set_param("top_k", 400) == 400  # no model: no cap
    info = engine.load_model(str(tiny_model_file))
    assert (info.name, info.levels, info.codebook_size, info.has_prior) == ("tiny", 3, 16, False)
    with pytest.raises(DistillError, match="at most 16"):
        engine.set_param("top_k", 17)
    for name, bad in (("temperature", -1.0), ("top_p", 0.0), ("duration", 601.0), ("seed", 2**31), ("top_k", 2.0), ("volume", 1)):
        with pytest.raises(DistillError):
            engine.set_param(name, bad)
    assert (engine.params.temperature, engine.params.top_k) == (0.5, 400)  # refused values changed nothing
    assert [e for e in events if isinstance(e, ParamChanged)] == [ParamChanged("temperature", 0.5), ParamChanged("top_k", 400)]
    assert isinstance(events[-1], ModelLoaded)
    with pytest.raises(DistillError, match="has no prior yet"):
        engine.generate()
    unsubscribe()
    engine.set_param("top_p", 0.5)
    assert not any(e == ParamChanged("top_p", 0.5) for e in events)


def test_generate_runs_on_the_worker_announces_and_advances_the_seed(engine, tiny_prior_file, tmp_path):
    import soundfile as sf

    events = []
    engine.subscribe(events.append)
    engine.load_model(str(tiny_prior_file))
    engine.set_param("seed", 41)
    done = engine.generate(0.4).result(timeout=60)
    assert done.seed == 41 and engine.params.seed == 42 and Path(done.path).parent == tmp_path / "out"
    assert sf.info(done.path).frames == round(0.4 * engine.model.sample_rate)
    kinds = [type(e) for e in events]
    assert kinds.index(JobProgress) < kinds.index(Generated) and ParamChanged("seed", 42) in events
    assert engine.generate(0.4, seed=41).result(timeout=60).seed == 41 and engine.params.seed == 42


def test_two_engines_start_from_different_random_seeds_and_make_different_first_sounds(home, tmp_path, tiny_prior_file):
    import soundfile as sf

    engines = [Engine(out_dir=tmp_path / name) for name in ("one", "two")]
    try:
        for engine in engines:
            engine.load_model(str(tiny_prior_file))
        first = [engine.generate(0.4).result(timeout=60) for engine in engines]
    finally:
        for engine in engines:
            engine.shutdown()
    assert first[0].seed != first[1].seed  # equal with probability 2**-31
    assert not np.array_equal(sf.read(first[0].path)[0], sf.read(first[1].path)[0])


def test_edits_report_exactly_the_changed_cells(engine, tiny_prior_file, sound_folder):
    engine.load_model(str(tiny_prior_file))
    events = []
    engine.subscribe(events.append)
    wavs = sorted(sound_folder.glob("*.wav"))
    assert engine.encode("A", str(wavs[0])).result() == Encoded("A", 3, engine.grid("A").columns)
    engine.encode("B", str(wavs[1])).result()
    assert Encoded("A", 3, engine.grid("A").columns) in events
    old = engine.grid("A").codes[2, 1]
    edit = engine.set_cell("A", "detail", 1, (old + 1) % 16)
    assert edit == GridEdited("A", ((2, 1, (old + 1) % 16),), 1, 0) and events[-1] == edit
    assert engine.set_cell("A", 2, 1, (old + 1) % 16).cells == ()  # no change, no history step
    a, b = engine.swap("A", "B", 0, 3, levels=[0])
    assert all(level == 0 and column < 3 for level, column, _ in a.cells + b.cells) and changed_cells(engine.grid("B"), engine.grid("B")) == ()
    blended = engine.blend("A", "B", 0.5)
    assert blended.undo_depth == 3 and all(engine.grid("A").codes[l, c] == code for l, c, code in blended.cells)
    undone = engine.undo("A")
    assert {c[:2] for c in undone.cells} == {c[:2] for c in blended.cells} and undone.redo_depth == 1
    decoded = engine.decode("A").result(timeout=60)
    assert decoded in events and decoded.slot == "A" and decoded.path.is_file()


def test_shutdown_finishes_the_running_job_and_its_file(home, tmp_path, tiny_prior_file):
    engine = Engine(out_dir=tmp_path / "out")
    engine.load_model(str(tiny_prior_file))
    running = engine.generate(2.0)
    queued = [engine.generate(2.0) for _ in range(3)]
    while not (running.running() or running.done()):
        time.sleep(0.001)
    engine.shutdown()
    assert Path(running.result().path).is_file()
    assert any(f.cancelled() for f in queued)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert np.all([p.stat().st_size > 44 for p in (tmp_path / "out").iterdir()])


def test_engine_generations_are_recorded_in_the_history(engine, tiny_prior_file):
    """The engine writes and records sounds through the same function as `distill generate`."""
    from engine.store import History

    engine.load_model(str(tiny_prior_file))
    generated = engine.generate(duration=0.5, seed=11).result(timeout=120)
    records = History(engine.library.db_path).list()
    assert records[-1].path == generated.path.resolve() and records[-1].seed == 11


def test_a_newer_distills_database_stops_the_preset_and_history_calls_not_the_engine(home, tmp_path):
    """The engine opens the presets and the history on first use, so a database it cannot read fails only them."""
    import sqlite3

    from engine.store import STORE_SCHEMA_VERSION, Presets, StoreError

    with sqlite3.connect(Presets().db_path) as conn:
        conn.execute("UPDATE store_schema SET version = ?", (STORE_SCHEMA_VERSION + 1,))
    engine = Engine(out_dir=tmp_path / "out")
    try:
        for call in (engine.presets, lambda: engine.save_preset("warm"), lambda: engine.generations(5)):
            with pytest.raises(StoreError, match="newer distill"):
                call()
    finally:
        engine.shutdown()
