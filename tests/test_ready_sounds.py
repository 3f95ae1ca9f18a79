"""ReadySounds: keys rendered ahead on their own thread, asked-for keys first, dropped when settings change."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engine.errors import DistillError
from engine.generation.ready import ReadySounds


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Recorder:
    """A render function that logs the keys it renders; `gate` holds every render until it is set."""

    def __init__(self, value: float = 1.0):
        self.rendered: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.value = value

    def __call__(self, key: int) -> list[np.ndarray]:
        self.gate.wait(10)
        self.rendered.append(key)
        return [np.full(100, self.value * key, dtype=np.float32)]


class Heard:
    """A waiter: what a note got, piece by piece, and whether it ended."""

    def __init__(self):
        self.pieces: list[np.ndarray] = []
        self.ended = False

    def __call__(self, audio: np.ndarray, last: bool) -> None:
        assert not self.ended, "called after its end"
        self.pieces.append(audio)
        self.ended = last

    def sound(self) -> np.ndarray:
        return np.concatenate(self.pieces)


class Pieces:
    """A render that yields three pieces of 10 samples (key, key + 1, key + 2), each after its own gate."""

    def __init__(self):
        self.gates = [threading.Event() for _ in range(3)]
        self.made: list[int] = []  # pieces handed out, by key

    def __call__(self, key: int):
        for i, gate in enumerate(self.gates):
            assert gate.wait(10)
            self.made.append(key)
            yield np.full(10, key + i, dtype=np.float32)


def ignore(audio: np.ndarray, last: bool) -> None:
    pass


@pytest.fixture
def ready():
    sounds = ReadySounds(keys=range(8))
    yield sounds
    sounds.close()


def test_every_key_is_rendered_ahead_and_then_played_from_memory(ready):
    render = Recorder()
    ready.retune("settings 1", render)
    wait_until(lambda: ready.ready_count == 8)
    assert render.rendered == list(range(8))
    heard = Heard()
    sound = ready.take(5, heard)
    assert sound is not None and sound[0] == 5 and heard.pieces == []  # from memory, no waiting


def test_a_key_asked_for_jumps_the_queue_and_its_waiter_gets_the_sound(ready):
    render = Recorder()
    render.gate.clear()
    ready.retune("s", render)
    heard = Heard()
    assert ready.take(6, heard) is None  # nothing is ready yet
    render.gate.set()
    wait_until(lambda: heard.ended)
    assert np.all(heard.sound() == 6) and render.rendered.index(6) <= 1  # at most the render under way came before it


def test_new_settings_drop_the_sounds_and_render_recent_keys_first(ready):
    first = Recorder()
    ready.retune("a", first)
    wait_until(lambda: ready.ready_count == 8)
    ready.take(3, ignore)
    ready.take(7, ignore)  # 7 is the most recent
    second = Recorder(value=-1.0)
    ready.retune("a", second)  # same settings: nothing changes
    assert ready.ready_count == 8 and second.rendered == []
    ready.retune("b", second)
    wait_until(lambda: ready.ready_count == 8)
    assert second.rendered[:2] == [7, 3]
    assert ready.take(3, ignore)[0] == -3  # the new settings' sound


def test_a_render_for_old_settings_is_thrown_away(ready):
    old = Recorder()
    old.gate.clear()
    ready.retune("old", old)
    time.sleep(0.05)  # key 0 is being rendered for the old settings
    new = Recorder(value=10.0)
    ready.retune("new", new)
    old.gate.set()
    wait_until(lambda: ready.ready_count == 8)
    assert ready.take(0, ignore)[0] == 0 and ready.take(1, ignore)[0] == 10  # key 0 is 10 * 0 either way
    assert all(ready.take(k, ignore)[0] == 10 * k for k in range(8))


def test_memory_is_capped_least_recently_played_first():
    sounds = ReadySounds(keys=range(8), max_bytes=3 * 400)  # three sounds of 100 float32
    try:
        sounds.retune("s", Recorder())
        wait_until(lambda: sounds.ready_count == 3 and not sounds._queue)
        assert sounds.ready_count == 3
    finally:
        sounds.close()


def test_no_renderer_or_a_bad_key_is_a_clear_error(ready):
    with pytest.raises(DistillError, match="load a model with a prior"):
        ready.take(1, ignore)
    ready.retune("s", Recorder())
    with pytest.raises(DistillError, match="key 8 is outside 0..7"):
        ready.take(8, ignore)


def test_a_failing_render_is_logged_and_the_rest_go_on(ready, caplog):
    def render(key):
        if key == 2:
            raise DistillError("boom")
        return [np.ones(10, dtype=np.float32)]

    ready.retune("s", render)
    wait_until(lambda: ready.ready_count == 7)
    assert "key 2 could not be rendered: boom" in caplog.text


def test_a_waiting_note_streams_its_key_from_the_first_piece(ready):
    render = Pieces()
    ready.retune("s", render)
    heard = Heard()
    assert ready.take(0, heard) is None
    render.gates[0].set()
    wait_until(lambda: heard.pieces)
    assert np.all(heard.sound() == 0) and len(heard.sound()) == 10 and not heard.ended  # before the rest is made
    render.gates[1].set()
    render.gates[2].set()
    wait_until(lambda: heard.ended)
    whole = np.repeat(np.arange(3, dtype=np.float32), 10)
    assert np.array_equal(heard.sound(), whole)
    wait_until(lambda: ready.ready_count == 8)
    assert np.array_equal(ready.take(0, ignore), whole)  # the whole sound is kept


def test_a_note_on_the_key_being_rendered_gets_what_is_made_so_far_at_once(ready):
    render = Pieces()
    render.gates[0].set()
    ready.retune("s", render)
    wait_until(lambda: render.made == [0])  # key 0: one piece made, the second waits
    heard = Heard()
    assert ready.take(0, heard) is None
    assert np.array_equal(heard.sound(), np.zeros(10, dtype=np.float32))  # on this thread, at once
    render.gates[1].set()
    render.gates[2].set()
    wait_until(lambda: heard.ended)
    assert np.array_equal(heard.sound(), np.repeat(np.arange(3, dtype=np.float32), 10))


def test_a_render_for_old_settings_plays_on_for_its_notes_and_stops_without_them(ready):
    old = Pieces()
    old.gates[0].set()
    ready.retune("old", old)
    heard = Heard()
    ready.take(0, heard)
    wait_until(lambda: heard.pieces)
    ready.retune("new", Recorder(value=10.0))
    old.gates[1].set()
    old.gates[2].set()
    wait_until(lambda: heard.ended)
    assert np.array_equal(heard.sound(), np.repeat(np.arange(3, dtype=np.float32), 10))  # the note heard its sound to the end
    wait_until(lambda: ready.ready_count == 8)
    assert all(ready.take(k, ignore)[0] == 10 * k for k in range(8))  # the old sound was not kept

    nobody = Pieces()
    nobody.gates[0].set()
    ready.retune("newer", nobody)
    wait_until(lambda: len(nobody.made) == 1)
    ready.retune("newest", Recorder())
    nobody.gates[1].set()
    wait_until(lambda: ready.ready_count == 8)
    assert nobody.made == nobody.made[:1] * 2  # it stopped at its next piece: the third was never made


def test_a_render_failing_midway_ends_its_notes(ready, caplog):
    def render(key):
        yield np.ones(10, dtype=np.float32)
        raise DistillError("boom")

    ready.retune("s", render)
    heard = Heard()
    ready.take(3, heard)
    wait_until(lambda: heard.ended)
    assert np.array_equal(heard.sound(), np.ones(10, dtype=np.float32)) and heard.pieces[-1].size == 0
    assert "key 3 could not be rendered: boom" in caplog.text


def test_fresh_sounds_play_once_and_the_key_is_rendered_again(ready):
    count = iter(range(1000))

    def render(key: int) -> list[np.ndarray]:  # every render of a key is new
        return [np.full(10, 1000 * key + next(count), dtype=np.float32)]

    ready.retune("variations", render, fresh=True)
    wait_until(lambda: ready.ready_count == 8)
    first = ready.take(3, ignore)
    assert first is not None
    wait_until(lambda: ready.ready_count == 8)  # the key's next sound, rendered at once
    second = ready.take(3, ignore)
    assert second is not None and second[0] != first[0] and int(second[0]) // 1000 == 3


def test_a_fresh_sound_heard_as_it_streamed_is_not_kept_and_the_key_is_rendered_again(ready):
    render = Pieces()
    ready.retune("variations", render, fresh=True)
    heard = Heard()
    assert ready.take(0, heard) is None
    for gate in render.gates:
        gate.set()
    wait_until(lambda: heard.ended and ready.ready_count == 8)
    assert render.made.count(0) == 6  # key 0 rendered twice: once heard, once ready for its next note


class Batches:
    """A batch render that logs the key lists it gets; `gate` holds every batch until it is set, `entered` is
    set once a batch is under way."""

    def __init__(self):
        self.batches: list[list[int]] = []
        self.gate, self.entered = threading.Event(), threading.Event()
        self.gate.set()

    def __call__(self, keys: list[int]) -> list[np.ndarray]:
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(list(keys))
        return [np.full(50, 100 + key, dtype=np.float32) for key in keys]


def test_keys_ahead_are_rendered_in_batches_and_a_waited_key_alone_and_streamed(ready):
    single, batches = Recorder(), Batches()
    batches.gate.clear()
    ready.retune("gpu", single, batch=(batches, 3))
    assert batches.entered.wait(10)  # the first batch (keys 0-2) is under way, held by the gate
    heard = Heard()
    assert ready.take(7, heard) is None
    batches.gate.set()
    wait_until(lambda: ready.ready_count == 8)
    assert heard.ended and np.all(heard.sound() == 7)  # key 7 rendered alone, by the single render
    assert single.rendered == [7]
    assert batches.batches == [[0, 1, 2], [3, 4, 5], [6]]
    sound = ready.take(4, Heard())
    assert sound is not None and np.all(sound == 104)


def test_a_note_waiting_for_a_key_in_the_batch_under_way_gets_its_whole_sound(ready):
    single, batches = Recorder(), Batches()
    batches.gate.clear()
    ready.retune("gpu", single, batch=(batches, 8))
    assert batches.entered.wait(10)  # every key is in the batch under way
    heard = Heard()
    assert ready.take(2, heard) is None
    batches.gate.set()
    wait_until(lambda: heard.ended)
    assert np.all(heard.sound() == 102) and single.rendered == []


def test_batches_need_kept_sounds_and_a_size(ready):
    with pytest.raises(ValueError):
        ready.retune("v", Recorder(), fresh=True, batch=(Batches(), 4))
    with pytest.raises(ValueError):
        ready.retune("v", Recorder(), batch=(Batches(), 0))
