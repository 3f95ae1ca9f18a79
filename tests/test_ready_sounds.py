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

    def __call__(self, key: int) -> np.ndarray:
        self.gate.wait(10)
        self.rendered.append(key)
        return np.full(100, self.value * key, dtype=np.float32)


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
    heard = []
    sound = ready.take(5, heard.append)
    assert sound is not None and sound[0] == 5 and heard == []  # from memory, no waiting


def test_a_key_asked_for_jumps_the_queue_and_its_waiter_gets_the_sound(ready):
    render = Recorder()
    render.gate.clear()
    ready.retune("s", render)
    heard = []
    assert ready.take(6, heard.append) is None  # nothing is ready yet
    render.gate.set()
    wait_until(lambda: heard)
    assert heard[0][0] == 6 and render.rendered.index(6) <= 1  # at most the render under way came before it


def test_new_settings_drop_the_sounds_and_render_recent_keys_first(ready):
    first = Recorder()
    ready.retune("a", first)
    wait_until(lambda: ready.ready_count == 8)
    ready.take(3, print)
    ready.take(7, print)  # 7 is the most recent
    second = Recorder(value=-1.0)
    ready.retune("a", second)  # same settings: nothing changes
    assert ready.ready_count == 8 and second.rendered == []
    ready.retune("b", second)
    wait_until(lambda: ready.ready_count == 8)
    assert second.rendered[:2] == [7, 3]
    assert ready.take(3, print)[0] == -3  # the new settings' sound


def test_a_render_for_old_settings_is_thrown_away(ready):
    old = Recorder()
    old.gate.clear()
    ready.retune("old", old)
    time.sleep(0.05)  # key 0 is being rendered for the old settings
    new = Recorder(value=10.0)
    ready.retune("new", new)
    old.gate.set()
    wait_until(lambda: ready.ready_count == 8)
    assert ready.take(0, print)[0] == 0 and ready.take(1, print)[0] == 10  # key 0 is 10 * 0 either way
    assert all(ready.take(k, print)[0] == 10 * k for k in range(8))


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
        ready.take(1, print)
    ready.retune("s", Recorder())
    with pytest.raises(DistillError, match="key 8 is outside 0..7"):
        ready.take(8, print)


def test_a_failing_render_is_logged_and_the_rest_go_on(ready, caplog):
    def render(key):
        if key == 2:
            raise DistillError("boom")
        return np.ones(10, dtype=np.float32)

    ready.retune("s", render)
    wait_until(lambda: ready.ready_count == 7)
    assert "key 2 could not be rendered: boom" in caplog.text


def test_fresh_sounds_play_once_and_the_key_is_rendered_again(ready):
    count = iter(range(1000))

    def render(key: int) -> np.ndarray:  # every render of a key is new
        return np.full(10, 1000 * key + next(count), dtype=np.float32)

    ready.retune("variations", render, fresh=True)
    wait_until(lambda: ready.ready_count == 8)
    first = ready.take(3, lambda sound: None)
    assert first is not None
    wait_until(lambda: ready.ready_count == 8)  # the key's next sound, rendered at once
    second = ready.take(3, lambda sound: None)
    assert second is not None and second[0] != first[0] and int(second[0]) // 1000 == 3
