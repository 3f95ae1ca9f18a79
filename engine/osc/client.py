"""A small blocking OSC/UDP client for scripts, the benchmark and the tests: send, then read replies.

    client = OscClient(("127.0.0.1", 9000))
    client.send("/distill/generate", 4.0)
    path, duration, seed = client.expect("/distill/generated", timeout=30)

Replies that arrive while waiting for another address are kept, in order, for later `expect` calls;
`/distill/error` replies raise `OscErrorReply` unless they are what is expected.
"""

from __future__ import annotations

import socket
import time
from collections import deque

from pythonosc.osc_message import OscMessage
from pythonosc.osc_packet import OscPacket

from engine.osc.args import build


class OscErrorReply(Exception):
    """The engine answered `/distill/error <address> <message>`."""


class OscClient:
    """One UDP socket on `bind` (default: any free loopback port) talking to the engine at `server`."""

    def __init__(self, server: tuple[str, int], bind: tuple[str, int] = ("127.0.0.1", 0)):
        self.server = server
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.socket.bind(bind)
        self.pending: deque[tuple[str, list]] = deque()

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) this client sends from and receives on."""
        return self.socket.getsockname()

    def send(self, address: str, *values) -> None:
        """Send one message, tagged i, f or s by the Python type of each value."""
        self.socket.sendto(build(address, values), self.server)

    def send_raw(self, data: bytes) -> None:
        """Send any bytes as one datagram."""
        self.socket.sendto(data, self.server)

    def receive(self, timeout: float = 5.0) -> tuple[str, list]:
        """The next message (kept ones first); TimeoutError when none arrives in time."""
        if self.pending:
            return self.pending.popleft()
        self.socket.settimeout(timeout)
        try:
            data = self.socket.recv(65536)
        except TimeoutError as error:
            raise TimeoutError(f"no OSC message within {timeout} s") from error
        message = OscMessage(data) if OscMessage.dgram_is_message(data) else OscPacket(data).messages[0].message
        return message.address, list(message.params)

    def expect(self, address: str, timeout: float = 10.0) -> list:
        """The arguments of the next `address` message; others are kept. A `/distill/error` raises."""
        deadline = time.monotonic() + timeout
        skipped: list[tuple[str, list]] = []
        kept, self.pending = self.pending, deque()
        try:
            while True:
                if kept:
                    got, values = kept.popleft()
                else:
                    got, values = self.receive(max(0.001, deadline - time.monotonic()))
                if got == address:
                    return values
                if got == "/distill/error":
                    raise OscErrorReply(" ".join(str(v) for v in values))
                skipped.append((got, values))
        finally:
            self.pending = deque([*skipped, *kept])

    def request(self, address: str, *values, reply: str, timeout: float = 10.0) -> list:
        """Send `address` and return the arguments of the `reply` message."""
        self.send(address, *values)
        return self.expect(reply, timeout)

    def close(self) -> None:
        """Close the socket."""
        self.socket.close()
