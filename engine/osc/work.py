"""Bounds on what one client can make the engine do and send: counted work per client, reply bytes per datagram.

One datagram once queued 9 hours of generations (a bundle of 1500 `/distill/generate 600`), and a bundle of
`/distill/help` answered 164 times its size. The OSC server therefore counts, per client (IP and port),
the requests waiting for the request worker and the jobs waiting or running on the engine's workers, and
charges every reply to the datagram that asked for it; beyond a limit the client is answered
`/distill/error` instead (see docs/osc.md, "Limits").
"""

from __future__ import annotations

import threading

from engine.errors import DistillError

MAX_QUEUED_PER_CLIENT = 2048  # requests of one client waiting for the request worker (0.2 s of a 10k/s flood)
MAX_JOBS_PER_CLIENT = 8  # jobs (generate, encode, decode, ...) of one client waiting or running
MAX_REPLY_BYTES_PER_DATAGRAM = 256 * 1024  # replies to the messages of one datagram, together


class ClientCounter:
    """How many things of one kind each client has going, at most `limit` each."""

    def __init__(self, limit: int, what: str):
        """`what` names the things in the refusal, e.g. 'jobs waiting or running'."""
        self.limit = limit
        self.what = what
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def take(self, client: tuple[str, int]) -> None:
        """Count one more for `client`, or DistillError when it already has `limit`."""
        with self._lock:
            count = self._counts.get(client, 0)
            if count >= self.limit:
                raise DistillError(f"this client already has {self.limit} {self.what}, the most allowed; wait for one to end")
            self._counts[client] = count + 1

    def release(self, client: tuple[str, int]) -> None:
        """Count one fewer for `client`."""
        with self._lock:
            count = self._counts.pop(client) - 1
            if count:
                self._counts[client] = count


class ReplyBudget:
    """The reply bytes one datagram may still cause, shared by its requests (replies may come from any thread)."""

    def __init__(self, limit: int = MAX_REPLY_BYTES_PER_DATAGRAM):
        self.limit = limit
        self._left = limit
        self._refused = self._told = False
        self._lock = threading.Lock()

    def charge(self, size: int) -> bool:
        """Whether a reply of `size` bytes still fits (and is then counted); once one does not, none does."""
        with self._lock:
            if self._refused or size > self._left:
                self._refused = True
                return False
            self._left -= size
            return True

    def tell_once(self) -> bool:
        """True the first time it is asked after a refused reply: the moment to tell the client."""
        with self._lock:
            tell = self._refused and not self._told
            self._told = self._told or tell
            return tell
