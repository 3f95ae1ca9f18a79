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
  the sender only when it is not itself a subscriber, so nobody receives it twice; unless the request was
  tagged: a tagged request's replies always reach its sender, with the tag (`engine.osc.messages`);
- nothing answers an echo: datagrams from a listening port another sender subscribed, and messages to
  addresses the engine sends (`/distill/error`, ...), are ignored, and the engine's own port cannot be
  subscribed, so that two engines (or one subscribed to itself) never answer each other for ever.

Every message sent is a record of `engine.osc.messages`, encoded there.

Bundles are checked (`packet.check_datagram`), unpacked and their messages handled at once, in order
(time tags are ignored: waiting for them would stall the network thread). Address patterns (`*`, `?`,
`[...]`, `{...}`) are refused: one message must not start many actions. What one client may have queued
and what one datagram may cause in replies is bounded (`work`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import struct
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pythonosc.osc_packet import OscPacket, ParseError

from engine.core import Engine
from engine.errors import DistillError
from engine.events import EngineEvent
from engine.osc import messages as wire
from engine.osc.args import parse as parse_args
from engine.osc.messages import MAX_TAG_BYTES, Error
from engine.osc.packet import PacketError, check_datagram
from engine.osc.routes import ROUTES, Route
from engine.osc.work import MAX_JOBS_PER_CLIENT, MAX_QUEUED_PER_CLIENT, ClientCounter, ReplyBudget

log = logging.getLogger("distill.osc")

MAX_DATAGRAM = 65507  # the largest UDP payload: requests up to this size are read whole
MAX_LISTENERS = 32
RECEIVE_BUFFER = 8 * 1024 * 1024  # asked of the OS for the socket (Linux caps it at net.core.rmem_max)
MIN_RECEIVE_BUFFER = 256 * 1024  # below this, asking is pointless: the OS default is about as large
PATTERN_CHARACTERS = set("*?[]{}")


@dataclass(frozen=True)
class Request:
    """One incoming message: who sent it, to which address, with which tag (None: untagged); replies go back
    through the server, each a record of `engine.osc.messages` ending with the tag, charged to the budget of
    the datagram it came in."""

    server: OscServer
    client: tuple[str, int]
    address: str
    budget: ReplyBudget
    tag: str | None = None

    def reply(self, *records) -> None:
        """Send replies to the sender (and its subscribed listening port)."""
        for record in records:
            self._send(self.server.send_reply, record)

    def answer(self, record) -> None:
        """Send a reply that subscribers also receive as an event: untagged, only to a sender that is no
        subscriber; tagged, to the sender always (a subscriber then hears the event and its tagged reply)."""
        self._send(self.server.send_reply if self.tag is not None else self.server.send_answer, record)

    def _send(self, send: Callable, record) -> None:
        """`send(client, data)` when the reply fits the budget; the first that does not becomes one error."""
        data = wire.encode(record, self.tag)
        if self.budget.charge(len(data)):
            send(self.client, data)
        elif self.budget.tell_once():
            message = f"the replies to this datagram passed {self.budget.limit} bytes; the rest were not sent (ask for less per datagram)"
            self.server.send_reply(self.client, wire.encode(Error(self.address, message), self.tag))

    def error(self, message: str) -> None:
        """Reply `/distill/error <address> <message>`."""
        self.reply(Error(self.address, message))

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
        if self._heard_from(client):
            log.debug("%s:%d ignored: it was subscribed to listen for another sender, so it only echoes events", *client)
            return
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
                self._refuse(client, address, "address patterns are not supported; send one exact address", wire.last_tag(message.params))
            elif address not in self.routes:
                if wire.sent_by_engines(address):  # a peer took this engine for a client: answering would start an endless exchange
                    log.debug("%s:%d %s ignored: a reply or event, not a request", *client, address)
                else:
                    self._refuse(client, address, f"unknown address {address} (send /distill/help for the list)", wire.last_tag(message.params))
            else:
                route = self.routes[address]
                values, tag = wire.split_tag(route.args, list(message.params))
                if tag is not None and len(tag.encode()) > MAX_TAG_BYTES:
                    self._refuse(client, address, f"a tag is at most {MAX_TAG_BYTES} bytes, not {len(tag.encode())}")
                    continue
                self._dispatch(route, Request(self, client, address, budget, tag), values)

    def _refuse(self, client: tuple[str, int], address: str, message: str, tag: str | None = None) -> None:
        log.info("%s:%d %s -> %s", *client, address, message)
        self.send_reply(client, wire.encode(Error(address, message), tag))

    def _dispatch(self, route: Route, request: Request, values: list) -> None:
        """Parse a request's arguments, then run it now or queue it for the request worker (see the module
        docstring); refusals are answered at once."""
        try:
            parsed = parse_args(route.args, values)
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

    def _on_event(self, event: EngineEvent) -> None:
        with self._subscriptions:
            listeners = list(self._listeners)
        if not listeners:
            return
        for record in wire.event_records(event):
            data = wire.encode(record)
            for listener in listeners:
                self._send(listener, data)

    # -- subscriptions ------------------------------------------------------------------------------------

    def _heard_from(self, client: tuple[str, int]) -> bool:
        """Note that the listener `client` is, or routes its replies to, is still there; True when `client` is a
        listening port subscribed by another sender (as Pd and Max subscribe theirs), whose datagrams are not
        requests: such a port only answers back when it is another engine (or anything that takes this engine's
        events for requests), and the two would answer each other for ever."""
        with self._subscriptions:
            listener = self._reply_routes.get(client, client)
            if listener in self._listeners:
                self._listeners[listener] = time.monotonic()
            return client not in self._reply_routes and client in self._reply_routes.values()

    def subscribe(self, client: tuple[str, int], port: int | None) -> tuple[str, int]:
        """Add the listener (client's IP, `port` or the client's own port); replies to `client` go there too.

        When MAX_LISTENERS are subscribed, the one heard from longest ago is dropped and told so
        (`/distill/unsubscribed <port>`).
        """
        listener = (client[0], client[1] if port is None else _check_port(port))
        if self._is_own(listener):
            raise DistillError(f"port {listener[1]} is this engine's own port: subscribe the port your client listens on")
        dropped = None
        with self._subscriptions:
            if listener not in self._listeners and len(self._listeners) >= MAX_LISTENERS:
                dropped = min(self._listeners, key=self._listeners.__getitem__)
                self._drop(dropped)
            self._listeners[listener] = time.monotonic()
            self._reply_routes[client] = listener
        if dropped is not None:
            log.info("%s:%d unsubscribed: %d subscribers, and it was heard from longest ago", *dropped, MAX_LISTENERS)
            self._send(dropped, wire.encode(wire.Unsubscribed(dropped[1])))
        return listener

    def _is_own(self, address: tuple[str, int]) -> bool:
        """Whether `address` is this server's socket (its port, on a loopback address or the one it listens on):
        events sent there would come back as requests."""
        host, port = self.address
        return address[1] == port and (ipaddress.ip_address(address[0]).is_loopback or host in ("0.0.0.0", "::", address[0]))

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

    def send_to(self, destination: tuple[str, int], record) -> None:
        """Send one record to one address (the state a new subscriber is given)."""
        self._send(destination, wire.encode(record))


def _check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise DistillError(f"port must be from 1 to 65535, not {port}")
    return port
