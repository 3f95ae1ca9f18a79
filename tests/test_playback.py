"""The playback mixer (pure, no hardware) and AudioOut's fallback to a silent sink."""

from __future__ import annotations

import logging
import sys
import types

import numpy as np
import pytest

from engine.audio.playback import AudioOut, Mixer, soft_clip

RATE = 8000


def render_all(mixer: Mixer, frames: int, block: int = 64) -> np.ndarray:
    """`frames` frames rendered in blocks of `block`, concatenated: `[frames, channels]`."""
    return np.concatenate([mixer.render(block) for _ in range(frames // block)])


def test_single_voice_passes_through_between_its_fades():
    mixer = Mixer(RATE, channels=1, fade_s=0.002)  # 16-frame fades
    tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(800) / RATE).astype(np.float32)
    out = render_all(mixer, 1024)[:, 0]
    mixer.add(tone)
    out = render_all(mixer, 1024)[:, 0]
    f = mixer.fade_frames
    np.testing.assert_allclose(out[f : 800 - f], tone[f : 800 - f], atol=1e-6)
    assert np.all(out[800:] == 0.0)
    assert mixer.active_voices == 0


def test_overlapping_voices_sum_below_the_knee():
    mixer = Mixer(RATE, channels=2, fade_s=0.001)
    a = np.full(400, 0.2, dtype=np.float32)
    b = np.full((400, 2), [0.1, 0.3], dtype=np.float32)
    mixer.add(a)
    mixer.add(b)
    out = render_all(mixer, 512)
    np.testing.assert_allclose(out[100:300], np.tile([0.3, 0.5], (200, 1)), atol=1e-6)


def test_abrupt_sounds_start_and_end_without_a_click():
    """A full-scale square wave starting and ending at full level: no step bigger than the fade slope allows."""
    mixer = Mixer(RATE, channels=1, fade_s=0.005)
    square = np.where(np.arange(2000) % 400 < 200, 0.7, -0.7).astype(np.float32)
    silent_before = render_all(mixer, 128)
    mixer.add(square)
    out = np.concatenate([silent_before, render_all(mixer, 2304)])[:, 0]
    steps = np.abs(np.diff(out))
    # Edges of the square itself are the only big steps; around the voice's start and end the steps are
    # bounded by the fade slope (0.7 / fade_frames).
    assert steps[:200].max() <= 0.7 / mixer.fade_frames + 1e-6
    end = 128 + 2000
    assert steps[end - 150 : end + 50].max() <= 0.7 / mixer.fade_frames + 1e-6


def test_stop_fades_every_voice_out_within_the_fade_time():
    mixer = Mixer(RATE, channels=1, fade_s=0.004)
    mixer.add(np.full(RATE, 0.4, dtype=np.float32))
    mixer.add(np.full(RATE, 0.3, dtype=np.float32))
    before = render_all(mixer, 256)[:, 0]
    assert before[-1] == pytest.approx(0.7, abs=1e-6)
    mixer.stop()
    after = render_all(mixer, 256)[:, 0]
    steps = np.abs(np.diff(np.concatenate([before[-1:], after])))
    assert steps.max() <= 0.7 / mixer.fade_frames + 1e-6
    assert np.all(after[mixer.fade_frames :] == 0.0)
    assert mixer.active_voices == 0


def test_one_voice_is_released_over_its_own_time_and_the_others_play_on():
    mixer = Mixer(RATE, channels=1, fade_s=0.004)
    first = mixer.add(np.full(RATE, 0.4, dtype=np.float32))
    second = mixer.add(np.full(RATE, 0.3, dtype=np.float32))
    assert first != second
    before = render_all(mixer, 256)[:, 0]
    mixer.release(first, 0.1)  # 800 frames, longer than the usual fade
    after = render_all(mixer, 2000)[:, 0]
    release = int(0.1 * RATE)
    steps = np.abs(np.diff(np.concatenate([before[-1:], after])))
    assert steps.max() <= 0.4 / release + 1e-6  # a linear ramp down, no click
    assert after[release // 2] == pytest.approx(0.3 + 0.2, abs=0.01)  # half-way down
    assert np.allclose(after[release:], 0.3)  # the other voice plays on
    mixer.release(first, 0.1)  # a voice already gone is ignored
    assert mixer.active_voices == 1


def test_many_voices_never_clip_and_extra_voices_are_stolen():
    mixer = Mixer(RATE, channels=1, max_voices=4, fade_s=0.001)
    for _ in range(10):
        mixer.add(np.full(RATE, 0.9, dtype=np.float32))
    assert mixer.active_voices == 10  # 6 of them releasing
    out = render_all(mixer, 512)
    assert np.abs(out).max() <= 1.0
    assert mixer.active_voices == 4


def test_a_growing_voice_plays_its_pieces_back_to_back_as_one_sound():
    """Pieces added while the voice plays give the samples of the whole sound added at once, fades included."""
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(2000) / RATE)).astype(np.float32)
    whole = Mixer(RATE, channels=1, fade_s=0.002)
    whole.add(tone, 0.5)
    reference = render_all(whole, 2560)[:, 0]
    mixer = Mixer(RATE, channels=1, fade_s=0.002)
    voice = mixer.add(tone[:700], 0.5, more=True)
    out = [mixer.render(64) for _ in range(8)]  # 512 frames: less than it has, so it never waits
    mixer.extend(voice, tone[700:1500])
    out += [mixer.render(64) for _ in range(10)]  # up to 1152
    mixer.extend(voice, tone[1500:])
    out += [mixer.render(64) for _ in range(4)]  # up to 1408: still growing, no end fade yet
    mixer.extend(voice, np.zeros(0, dtype=np.float32), last=True)
    out += [mixer.render(64) for _ in range(18)]
    np.testing.assert_array_equal(np.concatenate(out)[:, 0], reference)
    assert mixer.active_voices == 0


def test_a_growing_voice_waits_silently_for_more_and_goes_on_from_there():
    mixer = Mixer(RATE, channels=1, fade_s=0.002)
    voice = mixer.add(np.full(100, 0.25, dtype=np.float32), more=True)
    first = render_all(mixer, 256)[:, 0]
    assert np.all(first[100:] == 0.0) and mixer.active_voices == 1  # starved, not ended
    mixer.extend(voice, np.full(300, 0.25, dtype=np.float32), last=True)
    second = render_all(mixer, 512)[:, 0]
    assert second[0] == pytest.approx(0.25) and np.all(second[300:] == 0.0)
    assert mixer.active_voices == 0
    mixer.extend(voice, np.ones(10, dtype=np.float32))  # a gone voice: ignored
    assert np.all(render_all(mixer, 64) == 0.0)


def test_soft_clip_is_identity_below_the_knee_and_bounded_above():
    x = np.linspace(-5, 5, 10001, dtype=np.float32)
    y = soft_clip(x)
    inside = np.abs(x) <= 0.8
    np.testing.assert_array_equal(y[inside], x[inside])
    assert np.abs(y).max() <= 1.0
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding back
    assert (np.diff(y) / np.diff(x)).max() <= 1.0 + 1e-3  # slope never above 1: continuous at the knee


def test_bad_audio_is_refused():
    mixer = Mixer(RATE)
    with pytest.raises(ValueError):
        mixer.add(np.zeros(0, dtype=np.float32))
    with pytest.raises(ValueError):
        mixer.add(np.array([0.0, np.nan], dtype=np.float32))


def test_none_device_is_silent_and_says_nothing(caplog):
    out = AudioOut.none()
    with caplog.at_level(logging.INFO):
        out.play(np.ones(100, dtype=np.float32), RATE)
        out.stop()
    assert not out.available
    assert caplog.records == []


def test_missing_portaudio_logs_one_line_and_plays_silently(caplog, monkeypatch):
    """PortAudio is absent on this machine and on CI; simulate that explicitly so the test holds anywhere."""
    import builtins

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    out = AudioOut()
    with caplog.at_level(logging.INFO):
        out.play(np.ones(100, dtype=np.float32), RATE)
        out.play(np.ones(100, dtype=np.float32), RATE)
        out.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["audio output unavailable (no PortAudio: PortAudio library not found): files are still written"]
    assert not out.available


class FakeStream:
    """Stands in for sounddevice.OutputStream where no audio hardware exists: runs the callback on demand."""

    def __init__(self, samplerate, channels, dtype, device, blocksize, latency, callback):
        self.samplerate, self.channels, self.blocksize, self.latency, self.callback = samplerate, channels, blocksize, latency, callback
        self.started = self.closed = False

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True

    def pull(self) -> np.ndarray:
        outdata = np.full((self.blocksize, self.channels), 9.0, dtype=np.float32)
        self.callback(outdata, self.blocksize, None, None)
        return outdata


def fake_sounddevice(devices: dict) -> types.ModuleType:
    """A sounddevice module with the given output devices (name -> info) and recording streams."""
    module = types.ModuleType("sounddevice")
    module.PortAudioError = type("PortAudioError", (Exception,), {})
    module.streams = []

    def query_devices(device, kind):
        name = device or "default"
        if name not in devices:
            raise ValueError(f"No output device matching {device!r}")
        return devices[name]

    def output_stream(**kwargs):
        stream = FakeStream(**kwargs)
        module.streams.append(stream)
        return stream

    module.query_devices = query_devices
    module.OutputStream = output_stream
    return module


def test_stream_callback_plays_resampled_sound_and_stop_fades(monkeypatch):
    sd = fake_sounddevice({"default": {"name": "fake", "default_samplerate": 16000.0, "max_output_channels": 8}})
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    out = AudioOut()
    out.play(np.full(RATE, 0.5, dtype=np.float32), RATE)  # 1 s at 8 kHz -> 16000 frames at 16 kHz
    (stream,) = sd.streams
    assert stream.started and stream.samplerate == 16000 and stream.channels == 2
    blocks = [stream.pull() for _ in range(4)]
    assert blocks[0][0, 0] < 0.05  # fading in
    assert blocks[3][:, 0] == pytest.approx(0.5, abs=0.01)
    out.stop()
    released = np.concatenate([stream.pull() for _ in range(2)])
    assert np.all(released[200:] == 0.0)
    out.close()
    assert stream.closed


def test_unknown_device_logs_one_line(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice({}))
    out = AudioOut("Speakers 7")
    with caplog.at_level(logging.WARNING):
        out.play(np.ones(10, dtype=np.float32), RATE)
        out.play(np.ones(10, dtype=np.float32), RATE)
    assert [r.getMessage() for r in caplog.records] == [
        "audio output unavailable (No output device matching 'Speakers 7'): files are still written"
    ]
