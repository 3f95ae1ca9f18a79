"""Helpers for the TUI tests: a recording stand-in for the sound card, and waiting on a running app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

# Every screen's snapshot is taken at a roomy size and at the 80x24 every terminal offers.
SNAPSHOT_SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


class FakeAudio:
    """Records what the engine plays (there is no sound device on test machines)."""

    sample_rate = 16000  # the rate notes are rendered at

    def __init__(self):
        self.played: list[tuple[int, int, float]] = []  # (samples, rate, gain) per sound played
        self.voices: list[list] = []  # [samples so far, gain] per voice started (notes), numbered from 1
        self.complete: set[int] = set()  # voices that have all their samples (a streamed voice grows first)
        self.released: list[tuple[int, float]] = []  # (voice, seconds) per voice released
        self.stops = 0
        self.available = True
        self.unavailable_reason = ""

    def play(self, audio, sample_rate, gain=1.0):
        self.played.append((len(audio), sample_rate, gain))

    def start(self, audio, gain=1.0, *, more=False):
        self.voices.append([len(audio), gain])
        if not more:
            self.complete.add(len(self.voices))
        return len(self.voices)  # the voice number

    def extend(self, voice, audio, *, last=False):
        self.voices[voice - 1][0] += len(audio)
        if last:
            self.complete.add(voice)

    def release(self, voice, seconds):
        self.released.append((voice, seconds))

    def stop(self):
        self.stops += 1

    def close(self):
        pass


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
    """Let the app run until `condition()` is truthy (returned); AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await pilot.pause(0.05)
        await asyncio.sleep(0)


def shown_whole(widget) -> bool:
    """Whether all of `widget`'s text fits in what is seen of it: its region, clipped by its containers' (a line
    one row high, or in a container one row high, cuts a longer text off)."""
    from textual.widget import Widget

    region = widget.content_region
    for container in widget.ancestors:
        if isinstance(container, Widget):
            region = region.intersection(container.region)
    return len(str(widget.render())) <= region.width * region.height


def hide_port(app) -> None:
    """For snapshots: the header shows the engine's free port, different every run; show a fixed one instead."""
    host, port = app.server
    app.sub_title = app.sub_title.replace(f"{host}:{port}", f"{host}:9000")
