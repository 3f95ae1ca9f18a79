"""The OSC adapter's network side: one UDP socket, python-osc's parser, a request worker, replies and
subscriptions.

Threads. The network thread only reads datagrams, checks them, parses arguments and hands each request
on: the few routes marked `now` (ping, help, subscriptions, stopping sound or training) are answered on it,
every other request goes to the request worker, one thread that runs them in the order they came. So
`/distill/ping` is answered at once even while a request waits on the disk, SQLite (a locked library.db)
or torch (a blend), and requests that depend on each other (a preset load, then a generation) stay in
order. Long work (jobs) runs further on the engine's own workers and is answered when it ends.

Where messages go:
- a reply goes to the sender's address and, when that sender subscribed a listening port
  (`/distill/subscribe <port>`, as Pd and Max do: they send from one port and listen on another), there too;
- events (parameter changes, grid edits, finished jobs, training progress, library and preset changes) go
  to every subscriber; at most MAX_LISTENERS: when full, a new subscriber replaces the one heard from
  longest ago (any datagram from the listener, or from a sender whose replies go to it, counts), so
  clients that subscribed and vanished never lock out new ones;
- a reply that is also an event (`/distill/param/...`, `/distill/edited`, `/distill/generated`, ...) goes to
  the sender only when it is not itself a subscriber, so nobody receives it twice.

Bundles are checked (`packet.check_datagram`), unpacked and their messages handled at once, in order
(time tags are ignored: waiting for them would stall the network thread). Address patterns (`*`, `?`,
`[...]`, `{...}`) are refused: one message must not start many actions. What one client may have queued
and what one datagram may cause in replies is bounded (`work`).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import struct
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pythonosc.osc_packet import OscPacket, ParseError

from engine.core import Engine
from engine.errors import DistillError
from engine.events import (
    Decoded,
    Encoded,
    Event,
    Generated,
    GridEdited,
    JobFailed,
    JobProgress,
    ModelDeleted,
    ModelInfo,
    ModelLoaded,
    ModelRenamed,
    ParamChanged,
    PresetDeleted,
    PresetSaved,
    Previewed,
    PriorTrainProgress,
    TrainDone,
    TrainOptionChanged,
    TrainProgress,
    TrainStarted,
)
from engine.osc import args as osc_args
from engine.osc.packet import PacketError, check_datagram
from engine.osc.work import MAX_JOBS_PER_CLIENT, MAX_QUEUED_PER_CLIENT, ClientCounter, ReplyBudget

if TYPE_CHECKING:
    from engine.osc.routes import Route

log = logging.getLogger("distill.osc")

MAX_DATAGRAM = 65507  # the largest UDP payload: requests up to this size are read whole
MAX_REPLY_BYTES = 1024  # list replies are paged to stay under this (paths may make a message longer)
GRID_PAGE = 64  # codes per /distill/grid message
BLEND_PAGE = 60  # values (20 runs of level, start, end) per /distill/grid/blended message
USAGE_PAGE = 64  # counts per /distill/health/usage message
MAX_TEXT_BYTES = 768  # a text value of a reply is cut to this (UTF-8), so that its message fits MAX_REPLY_BYTES
MAX_LISTENERS = 32
RECEIVE_BUFFER = 8 * 1024 * 1024  # asked of the OS for the socket (Linux caps it at net.core.rmem_max)
MIN_RECEIVE_BUFFER = 256 * 1024  # below this, asking is pointless: the OS default is about as large
PATTERN_CHARACTERS = set("*?[]{}")


def model_loaded_values(info: ModelInfo) -> tuple:
    """The arguments of `/distill/model/loaded`."""
    return info.name, info.levels, info.codebook_size, info.sample_rate, int(info.has_prior)


def numbered_pages(address: str, head: tuple, values: Sequence, first: int = 0, page: int = GRID_PAGE) -> list[tuple[str, tuple]]:
    """`address <head...> <first_index> <values...>` messages of at most `page` values each; `first` is the
    index of `values[0]`."""
    return [(address, (*head, first + start, *values[start : start + page])) for start in range(0, len(values), page)]


def name_pages(address: str, names: Sequence[str]) -> list[tuple[str, tuple]]:
    """`address <name> ...` messages, each holding as many names as fit under MAX_REPLY_BYTES (none: no message)."""
    pages: list[tuple[str, tuple]] = []
    page: list[str] = []
    for name in names:
        if page and len(osc_args.build(address, [*page, name])) > MAX_REPLY_BYTES:
            pages.append((address, tuple(page)))
            page = []
        page.append(name)
    if page:
        pages.append((address, tuple(page)))
    return pages


def fit_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`text`, cut to at most `limit` UTF-8 bytes (ending in '…') when longer."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def grid_messages(slot: str, cells: Sequence[tuple[int, int, int]]) -> list[tuple[str, tuple]]:
    """`/distill/grid <slot> <level> <first_frame> <codes...>` for runs of consecutive cells (level, column,
    code), at most GRID_PAGE codes each; `cells` in level then column order."""
    messages: list[tuple[str, tuple]] = []
    run: list[int] = []
    run_level = run_start = -1
    for level, column, code in cells:
        if run and (level != run_level or column != run_start + len(run)):
            messages += numbered_pages("/distill/grid", (slot, run_level), run, run_start)
            run = []
        if not run:
            run_level, run_start = level, column
        run.append(int(code))
    messages += numbered_pages("/distill/grid", (slot, run_level), run, run_start)
    return messages


def blended_messages(slot: str, runs: Sequence[tuple[int, int, int]]) -> list[tuple[str, tuple]]:
    """`/distill/grid/blended <slot> <first_index> <level> <start> <end> ...`: a slot's blended cells as runs,
    BLEND_PAGE values a message; the page at index 0 starts the list afresh (alone when nothing is blended)."""
    values = [value for run in runs for value in run]
    return numbered_pages("/distill/grid/blended", (slot,), values, page=BLEND_PAGE) or [("/distill/grid/blended", (slot, 0))]


def event_messages(event: Event) -> list[tuple[str, tuple]]:
    """The OSC messages that tell subscribers about `event`."""
    match event:
        case ParamChanged(name, value):
            return [(f"/distill/param/{name}", (value,))]
        case GridEdited(slot, cells, undo_depth, redo_depth, blended):
            return [*grid_messages(slot, cells), *blended_messages(slot, blended), ("/distill/edited", (slot, undo_depth, redo_depth))]
        case Encoded(slot, levels, frames):
            return [("/distill/encoded", (slot, levels, frames))]
        case Generated(path, duration, seed):
            return [("/distill/generated", (str(path), float(duration), seed))]
        case Decoded(slot, path):
            return [("/distill/decoded", (slot, str(path)))]
        case Previewed(level, index, path):
            return [("/distill/previewed", (level, index, str(path)))]
        case ModelLoaded(info):
            return [("/distill/model/loaded", model_loaded_values(info))]
        case JobProgress(job, fraction, message):
            return [("/distill/job/progress", (job, float(fraction), message))]
        case JobFailed(job, message):
            return [("/distill/error", (f"/distill/{job}", message))]
        case ModelRenamed(old, new):
            return [("/distill/model/renamed", (old, new))]
        case ModelDeleted(name):
            return [("/distill/model/deleted", (name,))]
        case TrainOptionChanged(key, value):
            return [("/distill/train/option", (key, value))]
        case TrainStarted(job, name):
            return [(f"/distill/{job}/started", (name,))]
        case TrainProgress():
            return train_progress_messages(event)
        case PriorTrainProgress():
            return prior_progress_messages(event)
        case TrainDone(job, name, stopped):
            return [(f"/distill/{job}/done", (name, int(stopped)))]
        case PresetSaved(name):
            return [("/distill/preset/saved", (name,))]
        case PresetDeleted(name):
            return [("/distill/preset/deleted", (name,))]
    raise TypeError(f"no OSC message for {event!r}")


def train_progress_messages(event: TrainProgress) -> list[tuple[str, tuple]]:
    """`/distill/train/progress`, then `/distill/train/level` per level and `/distill/train/warning` per warning."""
    epoch = event.epoch
    return [
        ("/distill/train/progress", (epoch, float(event.loss), float(event.seconds), float(event.val_l1), float(event.fraction), int(event.best))),
        *(
            ("/distill/train/level", (epoch, h.level, h.label, float(h.utilisation), float(h.perplexity), h.dead, h.status, h.light))
            for h in event.health
        ),
        *(("/distill/train/warning", (fit_text(warning),)) for warning in event.warnings),
    ]


def prior_progress_messages(event: PriorTrainProgress) -> list[tuple[str, tuple]]:
    """`/distill/prior/train/progress`, then `/distill/prior/train/level` per level and `.../warning` per warning."""
    epoch = event.epoch
    progress = (epoch, float(event.train_loss), float(event.val_loss), float(event.seconds), float(event.fraction), int(event.best))
    return [
        ("/distill/prior/train/progress", progress),
        *(
            ("/distill/prior/train/level", (epoch, level.level, level.label, float(level.train_perplexity), float(level.val_perplexity)))
            for level in event.levels
        ),
        *(("/distill/prior/train/warning", (fit_text(warning),)) for warning in event.warnings),
    ]


@dataclass(frozen=True)
class Request:
    """One incoming message: who sent it, to which address; replies go back through the server, charged to
    the budget of the datagram it came in."""

    server: OscServer
    client: tuple[str, int]
    address: str
    budget: ReplyBudget

    def reply(self, address: str, *values) -> None:
        """Send a reply to the sender (and its subscribed listening port)."""
        self._send(self.server.send_reply, address, values)

    def answer(self, address: str, *values) -> None:
        """Send a reply that subscribers also receive as an event: only to a sender that is no subscriber."""
        self._send(self.server.send_answer, address, values)

    def _send(self, send: Callable, address: str, values: Sequence) -> None:
        """`send(client, data)` when the reply fits the budget; the first that does not becomes one error."""
        data = osc_args.build(address, values)
        if self.budget.charge(len(data)):
            send(self.client, data)
        elif self.budget.tell_once():
            message = f"the replies to this datagram passed {self.budget.limit} bytes; the rest were not sent (ask for less per datagram)"
            self.server.send_reply(self.client, osc_args.build("/distill/error", (self.address, message)))

    def error(self, message: str) -> None:
        """Reply `/distill/error <address> <message>`."""
        self.reply("/distill/error", self.address, message)

    def start_job(self, start: Callable[..., Future], *args) -> Future:
        """`start(*args)`, a job, counted against the client's MAX_JOBS_PER_CLIENT until its future ends."""
        jobs = self.server.jobs
        jobs.take(self.client)
        try:
            future = start(*args)
        except BaseException:
            jobs.release(self.client)
            raise
        future.add_done_callback(lambda _: jobs.release(self.client))
        return future

    def when_done(self, future: Future, on_result) -> None:
        """Call `on_result(result)` when `future` succeeds, or reply its error."""

        def done(finished: Future) -> None:
            if finished.cancelled():
                self.error("the engine is shutting down; the job was dropped")
                return
            error = finished.exception()
            if error is None:
                on_result(finished.result())
            elif isinstance(error, (DistillError, ValueError, TypeError)):
                self.error(str(error))
            else:
                log.error("%s failed:\n%s", self.address, "".join(traceback.format_exception(error)))
                self.error(f"internal error ({type(error).__name__}); see the engine's log")

        future.add_done_callback(done)


class _UDPServer(socketserver.UDPServer):
    """A UDP server that reads datagrams up to MAX_DATAGRAM bytes and hands them to the OscServer."""

    max_packet_size = MAX_DATAGRAM
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], osc: OscServer):
        self.osc = osc
        super().__init__(address, _DatagramHandler)

    def server_bind(self) -> None:
        """Ask for a RECEIVE_BUFFER-byte receive buffer first: the default (about 208 KB on Linux) overflows
        in a burst of a few hundred small datagrams, and UDP drops what does not fit.

        Linux quietly grants at most net.core.rmem_max; macOS refuses a size over kern.ipc.maxsockbuf
        (ENOBUFS), so there the request is halved until it is granted, keeping the default if none is.
        """
        size = RECEIVE_BUFFER
        while size >= MIN_RECEIVE_BUFFER:
            try:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                break
            except OSError:
                size //= 2
        super().server_bind()

    def handle_error(self, request, client_address) -> None:
        """A datagram that broke the handling itself (a bug): logged with its traceback; serving goes on."""
        log.error("datagram from %s:%d failed:\n%s", *client_address, traceback.format_exc())


class _DatagramHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, _socket = self.request
        self.server.osc.handle_datagram(data, self.client_address)


class OscServer:
    """Serves an `Engine` over OSC/UDP on (host, port); port 0 picks a free one (see `address`)."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 9000, midi=None):
        """`midi`: the `MidiAdapter` that `/distill/midi/learn` drives (None: MIDI is off)."""
        from engine.osc.routes import ROUTES

        self.engine = engine
        self.midi = midi
        self.routes = {route.address: route for route in ROUTES}
        self.queued = ClientCounter(MAX_QUEUED_PER_CLIENT, "requests waiting")
        self.jobs = ClientCounter(MAX_JOBS_PER_CLIENT, "jobs waiting or running")
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-osc-requests")
        self._udp = _UDPServer((host, port), self)
        self._socket = self._udp.socket
        log.info("OSC receive buffer: asked for %d bytes, the OS reports %d (Linux caps the request at net.core.rmem_max and reports twice what it grants)", RECEIVE_BUFFER, self.receive_buffer)
        self._subscriptions = threading.Lock()
        self._listeners: dict[tuple[str, int], float] = {}  # listener -> when it was last heard from (monotonic)
        self._reply_routes: dict[tuple[str, int], tuple[str, int]] = {}  # sender -> its listening address
        self._thread: threading.Thread | None = None
        self._unsubscribe_engine = engine.subscribe(self._on_event)

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""
        return self._udp.server_address[:2]

    @property
    def receive_buffer(self) -> int:
        """The socket's receive buffer as the OS reports it (Linux: twice what it grants, for its own bookkeeping)."""
        return self._socket.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    # -- lifetime -----------------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Handle datagrams until `close()` is called from another thread."""
        self._udp.serve_forever(poll_interval=0.1)

    def start(self) -> OscServer:
        """Serve on a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="distill-osc", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving (if `start()` was called; otherwise call it from another thread) and release the socket."""
        self._unsubscribe_engine()
        if self._thread is not None:
            self._udp.shutdown()
            self._thread.join()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._udp.server_close()

    # -- incoming -----------------------------------------------------------------------------------------

    def handle_datagram(self, data: bytes, client: tuple[str, int]) -> None:
        """Handle every message of one datagram (a message or a bundle); unreadable data is answered too."""
        self._heard_from(client)
        try:
            check_datagram(data)
        except PacketError as error:
            self._refuse(client, "", f"the datagram of {len(data)} bytes was refused: {error}")
            return
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except (ParseError, ValueError, struct.error, IndexError) as error:  # python-osc's parse failures (UTF-8 too)
            log.debug("%s:%d unreadable datagram: %s", *client, error)
            self._refuse(client, "", f"the datagram of {len(data)} bytes is not a readable OSC message or bundle")
            return
        budget = ReplyBudget()
        for message in messages:
            address = message.address
            if PATTERN_CHARACTERS & set(address):
                self._refuse(client, address, "address patterns are not supported; send one exact address")
            elif address not in self.routes:
                self._refuse(client, address, f"unknown address {address} (send /distill/help for the list)")
            else:
                self._dispatch(self.routes[address], Request(self, client, address, budget), message.params)

    def _refuse(self, client: tuple[str, int], address: str, message: str) -> None:
        log.info("%s:%d %s -> %s", *client, address, message)
        self.send_reply(client, osc_args.build("/distill/error", (address, message)))

    def _dispatch(self, route: Route, request: Request, values: list) -> None:
        """Parse a request's arguments, then run it now or queue it for the request worker (see the module
        docstring); refusals are answered at once."""
        try:
            parsed = osc_args.parse(route.args, values)
            if not route.now:
                self.queued.take(request.client)
        except (DistillError, ValueError) as error:
            self._log(request, values, f"error: {error}", 0.0)
            request.error(str(error))
            return
        if route.now:
            self._run(route, request, values, parsed)
        else:
            self._worker.submit(self._run_queued, route, request, values, parsed)

    def _run_queued(self, route: Route, request: Request, values: list, parsed: list) -> None:
        try:
            self._run(route, request, values, parsed)
        finally:
            self.queued.release(request.client)

    def _run(self, route: Route, request: Request, values: list, parsed: list) -> None:
        """Run one request's handler; every failure becomes `/distill/error` (the error boundary)."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            route.handler(self, request, *parsed)
        except (DistillError, ValueError, TypeError) as error:
            outcome = f"error: {error}"
            request.error(str(error))
        except Exception as error:  # noqa: BLE001 - the boundary: a bug must not stop the server; logged in full
            outcome = f"internal error: {error!r}"
            log.error("%s failed:\n%s", request.address, traceback.format_exc())
            request.error(f"internal error ({type(error).__name__}); see the engine's log")
        self._log(request, values, outcome, time.perf_counter() - started)

    @staticmethod
    def _log(request: Request, values: list, outcome: str, seconds: float) -> None:
        if log.isEnabledFor(logging.INFO):
            shown = " ".join(repr(value) if isinstance(value, str) else str(value) for value in values)[:200]
            log.info("%s:%d %s %s -> %s (%.2f ms)", *request.client, request.address, shown, outcome, 1000 * seconds)

    # -- outgoing -----------------------------------------------------------------------------------------

    def _send(self, destination: tuple[str, int], data: bytes) -> None:
        try:
            self._socket.sendto(data, destination)
        except OSError as error:  # e.g. an unreachable host: that client misses this message, others do not
            log.warning("could not send to %s:%d (%s)", *destination, error)

    def send_reply(self, client: tuple[str, int], data: bytes) -> None:
        """Send the message `data` to `client` and to the listening port it subscribed, if any."""
        with self._subscriptions:
            routed = self._reply_routes.get(client)
        self._send(client, data)
        if routed is not None and routed != client:
            self._send(routed, data)

    def send_answer(self, client: tuple[str, int], data: bytes) -> None:
        """Send the message `data` to `client` unless it is a subscriber (which gets it as an event)."""
        with self._subscriptions:
            subscribed = client in self._listeners
        if not subscribed:
            self._send(client, data)

    def _on_event(self, event: Event) -> None:
        with self._subscriptions:
            listeners = list(self._listeners)
        if not listeners:
            return
        for address, values in event_messages(event):
            data = osc_args.build(address, values)
            for listener in listeners:
                self._send(listener, data)

    # -- subscriptions ------------------------------------------------------------------------------------

    def _heard_from(self, client: tuple[str, int]) -> None:
        """Note that the listener `client` is, or routes its replies to, is still there."""
        with self._subscriptions:
            listener = self._reply_routes.get(client, client)
            if listener in self._listeners:
                self._listeners[listener] = time.monotonic()

    def subscribe(self, client: tuple[str, int], port: int | None) -> tuple[str, int]:
        """Add the listener (client's IP, `port` or the client's own port); replies to `client` go there too.

        When MAX_LISTENERS are subscribed, the one heard from longest ago is dropped and told so
        (`/distill/unsubscribed <port>`).
        """
        listener = (client[0], client[1] if port is None else _check_port(port))
        dropped = None
        with self._subscriptions:
            if listener not in self._listeners and len(self._listeners) >= MAX_LISTENERS:
                dropped = min(self._listeners, key=self._listeners.__getitem__)
                self._drop(dropped)
            self._listeners[listener] = time.monotonic()
            self._reply_routes[client] = listener
        if dropped is not None:
            log.info("%s:%d unsubscribed: %d subscribers, and it was heard from longest ago", *dropped, MAX_LISTENERS)
            self._send(dropped, osc_args.build("/distill/unsubscribed", (dropped[1],)))
        return listener

    def unsubscribe(self, client: tuple[str, int], port: int | None) -> tuple[str, int]:
        """Remove the listener (client's IP, `port` or the client's own port)."""
        listener = (client[0], client[1] if port is None else _check_port(port))
        with self._subscriptions:
            if listener not in self._listeners:
                raise DistillError(f"{listener[0]}:{listener[1]} is not subscribed")
            self._drop(listener)
        return listener

    def _drop(self, listener: tuple[str, int]) -> None:
        """Forget `listener` and the reply routes to it (the caller holds the subscriptions lock)."""
        del self._listeners[listener]
        for sender in [s for s, target in self._reply_routes.items() if target == listener]:
            del self._reply_routes[sender]

    def send_to(self, destination: tuple[str, int], address: str, *values) -> None:
        """Send one message to one address (the state a new subscriber is given)."""
        self._send(destination, osc_args.build(address, values))


def _check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise DistillError(f"port must be from 1 to 65535, not {port}")
    return port
