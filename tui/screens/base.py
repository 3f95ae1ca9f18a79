"""What every screen shares: engine messages delivered to it, and sending requests through the app's link."""

from __future__ import annotations

from textual.message import Message
from textual.screen import Screen

from tui.link import EngineError


class EngineMessage(Message, bubble=False):
    """One message from the engine (a reply or an event) as its typed record of `engine.osc.messages`,
    delivered to the app and every mounted screen; `tag` is the tag of the request it answers (None: untagged)."""

    def __init__(self, record, tag: str | None = None):
        super().__init__()
        self.record = record
        self.tag = tag


class EngineScreen(Screen):
    """A screen that hears the engine: override `engine_message(record, tag)`.

    Requests that need their reply (lists, info) run in thread workers and call `self.request(...)`;
    everything else is `self.send(...)` and the result arrives as an event. Errors from the engine are
    shown once by the app as notifications, so workers only need to stop on `EngineError`.
    """

    def on_mount(self) -> None:
        self.app.listeners.add(self)

    def on_unmount(self) -> None:
        self.app.listeners.discard(self)

    def on_engine_message(self, message: EngineMessage) -> None:
        self.engine_message(message.record, message.tag)

    def engine_message(self, record, tag: str | None) -> None:
        """React to one engine message (called on the UI thread)."""

    def send(self, address: str, *values, tag: str | None = None) -> None:
        """Send a request whose answer arrives as an event (fire and forget), ending with `tag` when given."""
        self.app.send(address, *values, tag=tag)

    def request(self, address: str, *values, reply: type, timeout: float = 10.0):
        """From a worker thread: the `reply` record, or None when the engine refused (already notified)."""
        try:
            return self.app.link.request(address, *values, reply=reply, timeout=timeout)
        except EngineError:
            return None
        except TimeoutError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error")
            return None

    def request_list(self, address: str, *values, item: type, end: type, timeout: float = 10.0) -> list | None:
        """From a worker thread: every `item` record up to `end`, or None when refused."""
        try:
            items, _ = self.app.link.request_list(address, *values, item=item, end=end, timeout=timeout)
            return items
        except EngineError:
            return None
        except TimeoutError as error:
            self.app.call_from_thread(self.app.notify, str(error), severity="error")
            return None
