"""Playing sounds through the speakers: the one place that talks to sounddevice (PortAudio).

`Mixer` is the pure part: it sums the active voices into blocks of frames, gives every voice a short fade in
and out (so a sound that starts or ends abruptly, or is stopped, never clicks), steals the oldest voice when
too many play at once, and soft-clips the sum so that overlapping sounds never wrap or hard-clip. `AudioOut`
opens a PortAudio output stream lazily on the first `play` and lets the stream's callback pull blocks from
its `Mixer`. With no PortAudio library, no output device, or device "none", `AudioOut` logs one line and
becomes a silent sink: the engine still writes every file, it just is not heard.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

import numpy as np

from engine.audio.io import resample
from engine.errors import DistillError

log = logging.getLogger(__name__)

NONE_DEVICE = "none"  # device name meaning "do not play anything"
FADE_S = 0.005  # fade in/out of every voice, and the release of a stopped voice
MAX_VOICES = 16  # beyond this the oldest playing voice is faded out to make room
SOFT_CLIP_KNEE = 0.8  # below this the sum passes unchanged; above it is bent smoothly towards 1.0
DEFAULT_SAMPLE_RATE = 48000  # used when a device reports no default rate
BLOCK_FRAMES = 128  # frames per stream callback: 2.7 ms at 48 kHz, so a note waits at most that long for its block


class AudioUnavailable(DistillError):
    """No sound output can be used on this machine."""


def soft_clip(x: np.ndarray, knee: float = SOFT_CLIP_KNEE) -> np.ndarray:
    """`x` unchanged where |x| <= knee; above it, bent by tanh so |y| <= 1 with a continuous slope of 1 at the knee."""
    magnitude = np.abs(x)
    over = magnitude > knee
    if not over.any():
        return x
    y = x.copy()
    headroom = 1.0 - knee
    y[over] = np.sign(x[over]) * (knee + headroom * np.tanh((magnitude[over] - knee) / headroom))
    return y


@dataclass
class _Voice:
    """One sound being played: its frames `[N, channels]`, where it is, and its release if stopped."""

    data: np.ndarray  # [N, channels] float32, gain already applied
    gain: np.float32  # for the frames `extend` adds
    number: int = 0  # what `Mixer.add` returned for it
    growing: bool = False  # more frames are coming (`Mixer.extend`): no end yet
    position: int = 0
    released: int | None = None  # frames of release done since stop; None while playing normally
    release_frames: int = 0  # length of the release once released


class Mixer:
    """Sums overlapping sounds into output blocks without clicks; thread-safe between `add` and `render`.

    Each voice is shaped by a linear fade of `fade_frames` at its start and end; `stop()` (or stealing, when
    more than `max_voices` play) releases voices with a linear fade of `fade_frames` from where they are. The
    sum passes through `soft_clip`, so it stays inside [-1, 1] however many voices overlap.
    """

    def __init__(self, sample_rate: int, channels: int = 2, *, max_voices: int = MAX_VOICES, fade_s: float = FADE_S):
        if sample_rate <= 0 or channels <= 0 or max_voices <= 0:
            raise ValueError(f"sample_rate, channels and max_voices must be positive, got {sample_rate}, {channels}, {max_voices}.")
        self.sample_rate = sample_rate
        self.channels = channels
        self.max_voices = max_voices
        self.fade_frames = max(1, round(fade_s * sample_rate))
        self._voices: list[_Voice] = []
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def active_voices(self) -> int:
        """Number of voices still sounding, releasing ones included."""
        with self._lock:
            return len(self._voices)

    def add(self, audio: np.ndarray, gain: float = 1.0, *, more: bool = False) -> int:
        """Start playing `audio` (`[N]` mono or `[N, C]`, at the mixer's rate) scaled by `gain` at the next block.

        Mono is sent to every channel; a channel count other than the mixer's is mixed down to mono first.
        When `max_voices` already play, the oldest voice that is not yet releasing is released. Returns the
        voice's number, for `release` and `extend`. With `more`, the voice grows: `extend` appends frames
        until its `last` piece, and the voice gets its end fade only then (should it play all it has before
        more arrives, it is silent meanwhile and goes on from there).
        """
        gain = np.float32(gain)
        voice = _Voice(self._frames(audio, gain), gain, next(self._numbers), growing=more)
        with self._lock:
            playing = [v for v in self._voices if v.released is None]
            for old in playing[: max(0, len(playing) - self.max_voices + 1)]:
                self._release(old, self.fade_frames)
            self._voices.append(voice)
        return voice.number

    def extend(self, number: int, audio: np.ndarray, *, last: bool = False) -> None:
        """Append `audio` (as for `add`; may be empty when `last`) to growing voice `number`; `last` ends it there.

        Gone voices (finished, released, stolen) are ignored.
        """
        with self._lock:
            voice = next((v for v in self._voices if v.number == number and v.growing), None)
        if voice is None:
            return
        data = voice.data if audio.size == 0 else np.concatenate([voice.data, self._frames(audio, voice.gain)])  # [N', channels]
        with self._lock:  # only this voice's extender replaces its data, so nothing was added meanwhile
            voice.data, voice.growing = data, not last

    def _frames(self, audio: np.ndarray, gain: np.float32) -> np.ndarray:
        """`audio` as the mixer's frames [N, channels] float32 scaled by `gain`; ValueError for empty or non-finite audio."""
        data = np.asarray(audio, dtype=np.float32)
        if data.ndim not in (1, 2) or data.shape[0] == 0:
            raise ValueError(f"audio must be a non-empty [N] or [N, C] array, got shape {data.shape}.")
        if not np.isfinite(data).all():
            raise ValueError("audio contains NaN or infinite samples.")
        if data.ndim == 2 and data.shape[1] != self.channels:
            data = data.mean(axis=1)  # [N]
        if data.ndim == 1:
            data = np.repeat(data[:, None], self.channels, axis=1)  # [N, channels]
        return np.ascontiguousarray(data * gain)

    def release(self, number: int, seconds: float | None = None) -> None:
        """Fade voice `number` out over `seconds` (at least the usual fade) from where it is; gone voices are ignored."""
        frames = self.fade_frames if seconds is None else max(self.fade_frames, round(seconds * self.sample_rate))
        with self._lock:
            for voice in self._voices:
                if voice.number == number and voice.released is None:
                    self._release(voice, frames)

    def stop(self) -> None:
        """Release every voice: each fades out over `fade_frames` from its current level, then ends."""
        with self._lock:
            for voice in self._voices:
                if voice.released is None:
                    self._release(voice, self.fade_frames)

    @staticmethod
    def _release(voice: _Voice, frames: int) -> None:
        voice.released, voice.release_frames = 0, frames

    def render(self, frames: int) -> np.ndarray:
        """The next `frames` frames of the mix, `[frames, channels]` float32 in [-1, 1]; silence when idle."""
        out = np.zeros((frames, self.channels), dtype=np.float32)
        with self._lock:
            for voice in self._voices:
                self._render_voice(voice, out)
            self._voices = [v for v in self._voices if not self._finished(v)]
        return soft_clip(out)

    def _render_voice(self, voice: _Voice, out: np.ndarray) -> None:
        total = voice.data.shape[0]
        n = min(out.shape[0], total - voice.position)
        if voice.released is not None:
            n = min(n, voice.release_frames - voice.released)
        if n <= 0:
            return
        index = np.arange(voice.position, voice.position + n)  # [n] frame numbers within the voice
        fade = np.float32(self.fade_frames)
        envelope = np.minimum(1.0, (index + 1) / fade)  # [n]
        if not voice.growing:  # a growing voice has no end yet
            envelope *= np.minimum(1.0, (total - index) / fade)
        if voice.released is not None:
            envelope *= 1.0 - (voice.released + 1 + np.arange(n)) / np.float32(voice.release_frames)
            voice.released += n
        out[:n] += voice.data[voice.position : voice.position + n] * envelope[:, None].astype(np.float32)
        voice.position += n

    def _finished(self, voice: _Voice) -> bool:
        released = voice.released is not None and voice.released >= voice.release_frames
        return released or (voice.position >= voice.data.shape[0] and not voice.growing)


@dataclass(frozen=True)
class OutputDevice:
    """One sound output as PortAudio lists it."""

    name: str
    host: str  # the host API: ALSA, JACK Audio Connection Kit, ...
    channels: int
    sample_rate: int
    default: bool


def output_devices() -> list[OutputDevice]:
    """Every device with output channels; an AudioUnavailable error with no PortAudio library."""
    try:
        import sounddevice as sd
    except OSError as exc:
        raise AudioUnavailable(f"no PortAudio library, so no sound output ({exc})") from exc
    default = sd.default.device[1]
    hosts = sd.query_hostapis()
    return [
        OutputDevice(d["name"], hosts[d["hostapi"]]["name"], int(d["max_output_channels"]), int(d["default_samplerate"]), index == default)
        for index, d in enumerate(sd.query_devices())
        if d["max_output_channels"] > 0
    ]


class AudioOut:
    """Plays sounds on an output device through a `Mixer`; a silent sink where no audio output is possible.

    `device` is a sounddevice device name or index as a string (None: the system default; "none": silent).
    The stream is opened on the first `play`, at the device's default rate, with up to two channels; sounds
    at other rates are resampled. Failures to find PortAudio or a device are logged once, never raised.
    """

    def __init__(self, device: str | None = None):
        self.device = device
        self._mixer: Mixer | None = None
        self._stream = None
        self._silent = device is not None and device.strip().lower() == NONE_DEVICE
        self._reason = "the engine was started with audio device 'none'" if self._silent else ""
        self._lock = threading.Lock()

    @classmethod
    def none(cls) -> "AudioOut":
        """A silent sink: `play` and `stop` do nothing."""
        return cls(NONE_DEVICE)

    @property
    def available(self) -> bool:
        """False once this output is (or has turned out to be) a silent sink."""
        return not self._silent

    @property
    def unavailable_reason(self) -> str:
        """Why nothing is heard ("" while the output works)."""
        return self._reason

    @property
    def sample_rate(self) -> int | None:
        """The output's rate (the stream is opened now if it was not); None for a silent sink."""
        mixer = self._open()
        return None if mixer is None else mixer.sample_rate

    def start(self, audio: np.ndarray, gain: float = 1.0, *, more: bool = False) -> int | None:
        """Start `audio` (already at `sample_rate`) at `gain` with no resampling; the voice number, None if silent.

        `more`: the voice grows by `extend` (see `Mixer.add`).
        """
        mixer = self._open()
        return None if mixer is None else mixer.add(audio, gain, more=more)

    def extend(self, voice: int, audio: np.ndarray, *, last: bool = False) -> None:
        """Append `audio` (at `sample_rate`) to growing voice `voice`; `last` ends it (see `Mixer.extend`)."""
        if self._mixer is not None:
            self._mixer.extend(voice, audio, last=last)

    def release(self, voice: int, seconds: float) -> None:
        """Fade voice `voice` out over `seconds`."""
        if self._mixer is not None:
            self._mixer.release(voice, seconds)

    def play(self, audio: np.ndarray, sample_rate: int, gain: float = 1.0) -> None:
        """Start playing `audio` (`[N]` or `[N, C]` at `sample_rate`) scaled by `gain`, over whatever already plays."""
        mixer = self._open()
        if mixer is None:
            return
        mixer.add(resample(np.asarray(audio, dtype=np.float32), sample_rate, mixer.sample_rate), gain)

    def stop(self) -> None:
        """Fade out everything that is playing (within `FADE_S`); the stream stays open for the next sound."""
        if self._mixer is not None:
            self._mixer.stop()

    def close(self) -> None:
        """Close the output stream, if one was opened; a later `play` opens a new one."""
        with self._lock:
            stream, self._stream, self._mixer = self._stream, None, None
        if stream is not None:
            stream.stop()
            stream.close()

    def _open(self) -> Mixer | None:
        with self._lock:
            if self._silent or self._mixer is not None:
                return self._mixer
            try:
                import sounddevice as sd
            except OSError as exc:  # the Python package is installed, the PortAudio library is not
                return self._go_silent(f"no PortAudio: {exc}")
            device = None if self.device is None else (int(self.device) if self.device.isdigit() else self.device)
            try:
                info = sd.query_devices(device, "output")
                rate = int(info.get("default_samplerate") or DEFAULT_SAMPLE_RATE)
                channels = max(1, min(2, int(info["max_output_channels"])))
                mixer = Mixer(rate, channels)
                stream = sd.OutputStream(
                    samplerate=rate, channels=channels, dtype="float32", device=device,
                    blocksize=BLOCK_FRAMES, latency="low", callback=self._callback_for(mixer),
                )
                stream.start()
            except (ValueError, sd.PortAudioError) as exc:  # no such device, no output device, device busy
                return self._go_silent(str(exc) or type(exc).__name__)
            self._mixer, self._stream = mixer, stream
            log.info("audio output: %s at %d Hz, %d channel(s)", info.get("name", device), rate, channels)
            return mixer

    def _go_silent(self, reason: str) -> None:
        log.warning("audio output unavailable (%s): files are still written", reason)
        self._silent, self._reason = True, reason
        return None

    @staticmethod
    def _callback_for(mixer: Mixer):
        def callback(outdata: np.ndarray, frames: int, time, status) -> None:
            if status:
                log.debug("audio output status: %s", status)
            outdata[:] = mixer.render(frames)

        return callback
