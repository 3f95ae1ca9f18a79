"""The TUI's line to the engine: one OSC/UDP socket, a receiving thread, and replies matched to requests.

The TUI is an OSC client of the engine like a Max or Pd patch: it subscribes, so it hears every client's
parameter changes, grid edits and job results as events, and it sends the same addresses a patch sends.
Every message from the engine is decoded here into its typed record (`engine.osc.messages`).

    link = EngineLink(("127.0.0.1", 9000), on_message=print)
    link.start()                                       # subscribes; on_message(record, tag) per message
    link.send("/distill/param/temperature", 0.8)        # fire and forget: the answer arrives as an event
    generated = link.request("/distill/generate", 4.0, reply=Generated, timeout=60)

`on_message` is called on the receiving thread for every message, replies included; `request` tags its
request (`tag:<n>`) and blocks the calling thread (call it from a worker, never from the UI thread) until the
reply with that tag, or raises `EngineError` when the engine answers `/distill/error` with it, or
`TimeoutError`.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from pythonosc.osc_packet import OscPacket, ParseError

from engine.osc.args import build
from engine.osc.messages import TAG_PREFIX, Error, Subscribed, decode

log = logging.getLogger("distill.tui")

MessageHandler = Callable[[object, "str | None"], None]


class EngineError(Exception):
    """The engine refused a request: `/distill/error <address> <message>`."""

    def __init__(self, address: str, message: str):
        super().__init__(message)
        self.address = address


class _Waiter:
    """One tagged request waiting for its `reply` record (or its error), or for `reply` records until `until`."""

    def __init__(self, request: str, tag: str, reply: type, until: type | None):
        self.request, self.tag, self.reply, self.until = request, tag, reply, until
        self.collected: list = []
        self.future: Future = Future()

    def offer(self, record, tag: str | None) -> bool:
        """Take the record if it is this request's; True when the request is settled now."""
        if tag != self.tag:
            return False
        if isinstance(record, Error):
            self.future.set_exception(EngineError(record.address, record.message))
            return True
        if isinstance(record, self.reply) and self.until is None:
            self.future.set_result(record)
            return True
        if isinstance(record, self.reply):
            self.collected.append(record)
        elif self.until is not None and isinstance(record, self.until):
            self.future.set_result((self.collected, record))
            return True
        return False


class EngineLink:
    """A subscribed OSC client of the engine at `server` (host, port)."""

    def __init__(self, server: tuple[str, int], on_message: MessageHandler | None = None):
        self.server = server
        self.on_message = on_message
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._socket.bind(("127.0.0.1" if server[0] in ("127.0.0.1", "localhost") else "0.0.0.0", 0))
        self._waiters: list[_Waiter] = []
        self._tags = itertools.count(1)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) this link sends from and listens on."""
        return self._socket.getsockname()

    def start(self, timeout: float = 5.0) -> None:
        """Start receiving and subscribe to the engine's events (EngineError/TimeoutError if it does not answer)."""
        self._thread = threading.Thread(target=self._receive_loop, name="distill-tui-osc", daemon=True)
        self._thread.start()
        self.request("/distill/subscribe", reply=Subscribed, timeout=timeout)

    def new_tag(self) -> str:
        """A tag no other request of this link has: the engine ends every reply to a request sent with it so."""
        return f"{TAG_PREFIX}{next(self._tags)}"

    def send(self, address: str, *values, tag: str | None = None) -> None:
        """Send one message (i, f or s by each value's Python type), ending with `tag` when given; errors come
        back as messages."""
        self._socket.sendto(build(address, (*values, tag) if tag is not None else values), self.server)

    def request(self, address: str, *values, reply: type, timeout: float = 10.0):
        """Send `address`, tagged, and block until the engine answers it with a `reply` record; that record."""
        return self._wait(_Waiter(address, self.new_tag(), reply, None), values, timeout)

    def request_list(self, address: str, *values, item: type, end: type, timeout: float = 10.0) -> tuple[list, object]:
        """Send `address`, tagged, and collect its `item` records until its `end` record: (items, end)."""
        return self._wait(_Waiter(address, self.new_tag(), item, end), values, timeout)

    def _wait(self, waiter: _Waiter, values: tuple, timeout: float):
        with self._lock:
            self._waiters.append(waiter)
        try:
            self.send(waiter.request, *values, tag=waiter.tag)
            return waiter.future.result(timeout)
        except FutureTimeout as error:
            raise TimeoutError(f"the engine did not answer {waiter.request} within {timeout:g} s") from error
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _receive_loop(self) -> None:
        while not self._closed:
            try:
                data = self._socket.recv(65536)
            except OSError:  # closed
                return
            try:
                messages = [m.message for m in OscPacket(data).messages]
            except ParseError:
                continue  # not from our engine: ignore
            for message in messages:
                decoded = decode(message.address, list(message.params))
                if decoded is None:
                    log.debug("ignored %s %r: not a message of this engine version", message.address, message.params)
                else:
                    self._deliver(*decoded)

    def _deliver(self, record, tag: str | None) -> None:
        with self._lock:
            for waiter in self._waiters:
                if waiter.offer(record, tag):
                    self._waiters.remove(waiter)
                    break
        if self.on_message is not None:
            self.on_message(record, tag)

    def close(self) -> None:
        """Unsubscribe (best effort) and close the socket."""
        if self._closed:
            return
        try:
            self.send("/distill/unsubscribe")
        except OSError:
            pass
        self._closed = True
        self._socket.close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)


def engine_answers(server: tuple[str, int], timeout: float = 0.5) -> bool:
    """Whether an engine answers `/distill/ping` at `server` within `timeout` seconds."""
    return engine_pong(server, timeout) is not None


def engine_pong(server: tuple[str, int], timeout: float = 0.5) -> list | None:
    """The engine's `/distill/pong` arguments (version, data folder) at `server`, or None when none answers in time."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.settimeout(timeout)
        probe.sendto(build("/distill/ping", ()), server)
        while True:
            data = probe.recv(65536)
            for packet in OscPacket(data).messages:
                if packet.message.address == "/distill/pong":
                    return list(packet.message.params)
    except (OSError, ParseError):  # timeout, refused (ICMP port unreachable), or garbage
        return None
    finally:
        probe.close()
